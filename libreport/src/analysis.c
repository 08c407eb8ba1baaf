/* Analysis: slow leaf nodes, busy junctions and the pattern detectors, all
 * computed on the function-level call graph (pstats numbers for cProfile,
 * the derived graph for sampled profiles). The run total is the sum of self
 * times over all functions, which is what pstats prints as "in N seconds".
 *
 * Each detector is one small function stating its rule in numbers; each
 * finding carries those numbers as its evidence. Recommendations are built
 * from the findings in analysis_recs.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"
#include "kiln/analysis.h"
#include "kiln/profile.h"

void kiln_analysis_opts_default(kiln_analysis_opts *o)
{
    memset(o, 0, sizeof *o);
    o->leaf_min_self_ratio = 0.80;
    o->leaf_min_share = 0.05;
    o->junction_min_share = 0.10;
    o->junction_max_self_ratio = 0.20;
    o->recursion_min_ratio = 500;
    o->recursion_min_calls = 1000;
    o->explosion_min_per_call = 1000;
    o->explosion_max_callee_us = 5;
    o->dominant_min_ratio = 0.80;
    o->scan_min_us_per_call = 5;
    o->finding_min_share = 0.01;
    o->pareto_target = 0.80;
    o->max_list = 20;
    o->max_recommendations = 12;
    o->growth_min_exponent = 1.6;
    o->growth_min_r2 = 0.90;
}

double ki_unit_seconds(const char *unit)
{
    if (!unit)
        return 0;
    if (strcmp(unit, "seconds") == 0 || strcmp(unit, "s") == 0)
        return 1;
    if (strcmp(unit, "milliseconds") == 0 || strcmp(unit, "ms") == 0)
        return 1e-3;
    if (strcmp(unit, "microseconds") == 0 || strcmp(unit, "us") == 0)
        return 1e-6;
    if (strcmp(unit, "nanoseconds") == 0 || strcmp(unit, "ns") == 0)
        return 1e-9;
    return 0;
}

void ki_fmt_quantity(char *out, size_t n, double v, const char *unit)
{
    double sec = ki_unit_seconds(unit);
    if (!isfinite(v)) {
        snprintf(out, n, "n/a");
    } else if (sec > 0) {
        double s = v * sec, a = fabs(s);
        if (a == 0)
            snprintf(out, n, "0 s");
        else if (a >= 1)
            snprintf(out, n, "%.3f s", s);
        else if (a >= 1e-3)
            snprintf(out, n, "%.1f ms", s * 1e3);
        else if (a >= 1e-6)
            snprintf(out, n, "%.1f µs", s * 1e6);
        else
            snprintf(out, n, "%.0f ns", s * 1e9);
    } else if (unit && strcmp(unit, "bytes") == 0) {
        snprintf(out, n, "%.0f B", v);
    } else {
        snprintf(out, n, "%.0f %s", v, unit && *unit && strcmp(unit, "count") ? unit : "samples");
    }
}

/* ---- growable arrays ----------------------------------------------------- */

typedef struct {
    kiln_analysis *a;
    const kiln_profile *p;
    const kiln_analysis_opts *o;
    double run;
    double us_per_unit;   /* microseconds per graph unit, 0 when not a time */
    size_t cap_findings;
    int oom;
} ctx;

static kiln_finding *new_finding(ctx *c, kiln_pattern pat, kiln_func_id f, kiln_func_id other, double time)
{
    kiln_analysis *a = c->a;
    if (a->n_findings == c->cap_findings) {
        size_t cap = c->cap_findings ? c->cap_findings * 2 : 32;
        kiln_finding *nf = realloc(a->findings, cap * sizeof *nf);
        if (!nf) {
            c->oom = 1;
            return NULL;
        }
        a->findings = nf;
        c->cap_findings = cap;
    }
    kiln_finding *fd = &a->findings[a->n_findings++];
    memset(fd, 0, sizeof *fd);
    fd->pattern = pat;
    fd->func = f;
    fd->other = other;
    fd->time = time;
    fd->share = c->run > 0 ? time / c->run : 0;
    fd->growth = -1;
    return fd;
}

static void q(const ctx *c, char *out, size_t n, double v)
{
    ki_fmt_quantity(out, n, v, c->a->unit);
}

/* ---- slow leaves and busy junctions ------------------------------------ */

static int by_self_desc(const void *x, const void *y)
{
    const kiln_hot_func *a = x, *b = y;
    if (a->self != b->self)
        return a->self > b->self ? -1 : 1;
    return a->func < b->func ? -1 : a->func > b->func;
}

static int by_total_desc(const void *x, const void *y)
{
    const kiln_hot_func *a = x, *b = y;
    if (a->total != b->total)
        return a->total > b->total ? -1 : 1;
    return a->func < b->func ? -1 : a->func > b->func;
}

/* The most expensive callee edge (self-recursion excluded). */
static const kiln_edge *top_callee(const kiln_profile *p, kiln_func_id f, uint32_t *expensive, double total)
{
    const uint32_t *idx;
    uint32_t n = kiln_profile_callees(p, f, &idx);
    const kiln_edge *best = NULL;
    if (expensive)
        *expensive = 0;
    for (uint32_t i = 0; i < n; i++) {
        const kiln_edge *e = kiln_profile_edge_at(p, idx[i]);
        if (!e || e->callee == f)
            continue;
        if (!best || e->total > best->total)
            best = e;
        if (expensive && total > 0 && e->total >= 0.10 * total)
            (*expensive)++;
    }
    return best;
}

static int classify(ctx *c)
{
    kiln_analysis *a = c->a;
    const kiln_profile *p = c->p;
    uint32_t nf = kiln_profile_func_count(p);
    a->leaves = calloc(nf ? nf : 1, sizeof *a->leaves);
    a->junctions = calloc(nf ? nf : 1, sizeof *a->junctions);
    if (!a->leaves || !a->junctions)
        return -1;
    for (kiln_func_id f = 0; f < nf; f++) {
        const kiln_func *fn = kiln_profile_func_at(p, f);
        if (!fn || !(fn->total > 0) || !(c->run > 0))
            continue;
        double ratio = fn->self / fn->total;
        if (ratio > 1)
            ratio = 1;
        kiln_hot_func h = {f, fn->self, fn->total, ratio, 0, KILN_NONE, 0, 0};
        if (ratio >= c->o->leaf_min_self_ratio && fn->self / c->run >= c->o->leaf_min_share) {
            h.share = fn->self / c->run;
            a->leaves[a->n_leaves++] = h;
        }
        if (ratio <= c->o->junction_max_self_ratio && fn->total / c->run >= c->o->junction_min_share) {
            h.share = fn->total / c->run;
            const kiln_edge *e = top_callee(p, f, &h.expensive_children, fn->total);
            if (e) {
                h.top_child = e->callee;
                h.top_child_total = e->total;
            }
            a->junctions[a->n_junctions++] = h;
        }
    }
    if (a->n_leaves > 1)
        qsort(a->leaves, a->n_leaves, sizeof *a->leaves, by_self_desc);
    if (a->n_junctions > 1)
        qsort(a->junctions, a->n_junctions, sizeof *a->junctions, by_total_desc);
    if (a->n_leaves > c->o->max_list)
        a->n_leaves = c->o->max_list;
    if (a->n_junctions > c->o->max_list)
        a->n_junctions = c->o->max_list;
    return 0;
}

/* ---- detectors ----------------------------------------------------------- */

static void detect_slow_leaves(ctx *c)
{
    char s[32], t[32];
    for (size_t i = 0; i < c->a->n_leaves; i++) {
        const kiln_hot_func *h = &c->a->leaves[i];
        kiln_finding *fd = new_finding(c, KILN_PAT_SLOW_LEAF, h->func, KILN_NONE, h->self);
        if (!fd)
            return;
        const kiln_func *fn = kiln_profile_func_at(c->p, h->func);
        fd->calls = fn->calls;
        fd->prim_calls = fn->prim_calls;
        fd->ratio = h->self_ratio;
        q(c, s, sizeof s, h->self);
        q(c, t, sizeof t, h->total);
        snprintf(fd->evidence, sizeof fd->evidence,
                 "self %s of total %s (self/total %.1f%%); self is %.1f%% of the run", s, t,
                 100 * h->self_ratio, 100 * h->share);
    }
}

/* Recursion blow-up: total calls >> primitive calls. */
static void detect_recursion(ctx *c)
{
    uint32_t nf = kiln_profile_func_count(c->p);
    char t[32];
    for (kiln_func_id f = 0; f < nf; f++) {
        const kiln_func *fn = kiln_profile_func_at(c->p, f);
        if (fn->prim_calls <= 0 || fn->calls < c->o->recursion_min_calls)
            continue;
        double ratio = (double)fn->calls / (double)fn->prim_calls;
        if (ratio < c->o->recursion_min_ratio || fn->total / c->run < c->o->finding_min_share)
            continue;
        kiln_finding *fd = new_finding(c, KILN_PAT_RECURSION, f, KILN_NONE, fn->total);
        if (!fd)
            return;
        fd->calls = fn->calls;
        fd->prim_calls = fn->prim_calls;
        fd->ratio = ratio;
        q(c, t, sizeof t, fn->total);
        snprintf(fd->evidence, sizeof fd->evidence,
                 "%lld calls for %lld primitive (non-recursive) calls (%lld/%lld, %.0f recursive calls "
                 "per entry); total %s = %.1f%% of the run",
                 (long long)fn->calls, (long long)fn->prim_calls, (long long)fn->calls,
                 (long long)fn->prim_calls, ratio, t, 100 * fd->share);
    }
}

/* Known costly families, grouped by calling function: only edges entering
 * the family from outside count, so re.compile -> re._compile is not
 * counted twice. */
static void detect_families(ctx *c)
{
    enum { NF = KILN_PAT_COUNT_ };
    uint32_t nf = kiln_profile_func_count(c->p);
    kiln_pattern *fam = malloc((nf ? nf : 1) * sizeof *fam);
    if (!fam) {
        c->oom = 1;
        return;
    }
    for (kiln_func_id f = 0; f < nf; f++)
        fam[f] = kiln_func_family(c->p, f);
    char t[32];
    for (kiln_func_id f = 0; f < nf; f++) {
        const uint32_t *idx;
        uint32_t n = kiln_profile_callees(c->p, f, &idx);
        double time[NF] = {0}, best[NF] = {0};
        int64_t calls[NF] = {0};
        kiln_func_id other[NF];
        for (int k = 0; k < NF; k++)
            other[k] = KILN_NONE;
        for (uint32_t i = 0; i < n; i++) {
            const kiln_edge *e = kiln_profile_edge_at(c->p, idx[i]);
            kiln_pattern k = fam[e->callee];
            if (k == KILN_PAT_COUNT_ || fam[f] == k)
                continue;
            time[k] += e->total;
            calls[k] += e->calls;
            if (other[k] == KILN_NONE || e->total > best[k]) {
                other[k] = e->callee;
                best[k] = e->total;
            }
        }
        const kiln_func *fn = kiln_profile_func_at(c->p, f);
        for (int k = 0; k < NF; k++) {
            if (other[k] == KILN_NONE)
                continue;
            double per = fn->calls > 0 ? (double)calls[k] / (double)fn->calls : 0;
            double addressed = time[k];
            /* a numeric loop's cost is mostly the interpreted loop itself */
            if (k == KILN_PAT_NUMERIC_LOOP) {
                if (per < 100 && calls[k] < 10000)
                    continue;
                addressed += fn->self;
            }
            if (addressed / c->run < c->o->finding_min_share)
                continue;
            kiln_finding *fd = new_finding(c, (kiln_pattern)k, f, other[k], addressed);
            if (!fd)
                break;
            fd->calls = calls[k];
            fd->ratio = per;
            q(c, t, sizeof t, addressed);
            if (fn->calls > 0)
                snprintf(fd->evidence, sizeof fd->evidence,
                         "%lld calls into the family from this function (%.1f per call of it, %lld "
                         "calls); %s = %.1f%% of the run%s",
                         (long long)calls[k], per, (long long)fn->calls, t, 100 * fd->share,
                         k == KILN_PAT_NUMERIC_LOOP ? " (including the caller's own loop time)" : "");
            else
                snprintf(fd->evidence, sizeof fd->evidence, "%s = %.1f%% of the run under this function", t,
                         100 * fd->share);
        }
        if (c->oom)
            break;
    }
    free(fam);
}

/* Many cheap calls per call of one caller. Family members are left to the
 * family rule. */
static void detect_explosion(ctx *c)
{
    if (!(c->us_per_unit > 0))
        return;
    uint32_t ne = kiln_profile_edge_count(c->p);
    char t[32];
    for (uint32_t i = 0; i < ne; i++) {
        const kiln_edge *e = kiln_profile_edge_at(c->p, i);
        if (e->caller == e->callee || e->calls <= 0)
            continue;
        const kiln_func *caller = kiln_profile_func_at(c->p, e->caller);
        if (caller->calls <= 0)
            continue;
        double per = (double)e->calls / (double)caller->calls;
        double us = e->total * c->us_per_unit / (double)e->calls;
        if (per < c->o->explosion_min_per_call || us > c->o->explosion_max_callee_us ||
            e->total / c->run < c->o->finding_min_share || kiln_func_family(c->p, e->callee) != KILN_PAT_COUNT_)
            continue;
        kiln_finding *fd = new_finding(c, KILN_PAT_CALL_EXPLOSION, e->caller, e->callee, e->total);
        if (!fd)
            return;
        fd->calls = e->calls;
        fd->ratio = per;
        q(c, t, sizeof t, e->total);
        snprintf(fd->evidence, sizeof fd->evidence,
                 "%lld calls from %lld calls of the caller (%.0f per call), %.2f µs each; %s = %.1f%% of "
                 "the run",
                 (long long)e->calls, (long long)caller->calls, per, us, t, 100 * fd->share);
    }
}

/* A function whose time is mostly in one callee. */
static void detect_dominant(ctx *c)
{
    uint32_t nf = kiln_profile_func_count(c->p);
    char t[32], u[32];
    for (kiln_func_id f = 0; f < nf; f++) {
        const kiln_func *fn = kiln_profile_func_at(c->p, f);
        if (!(fn->total > 0) || fn->total / c->run < c->o->finding_min_share)
            continue;
        const kiln_edge *e = top_callee(c->p, f, NULL, 0);
        if (!e || e->total / fn->total < c->o->dominant_min_ratio)
            continue;
        kiln_finding *fd = new_finding(c, KILN_PAT_DOMINANT_CALLEE, f, e->callee, e->total);
        if (!fd)
            return;
        fd->calls = e->calls;
        fd->ratio = e->total / fn->total;
        q(c, t, sizeof t, e->total);
        q(c, u, sizeof u, fn->total);
        snprintf(fd->evidence, sizeof fd->evidence, "%s of this function's %s (%.1f%%) is spent in one callee",
                 t, u, 100 * fd->ratio);
    }
}

/* A leaf whose per-call cost is large: O(n) work per call. Python functions
 * and the list/str methods that scan; never native code (a big per-call
 * cost there is as likely a sort or a syscall). */
static int builtin_scans(const char *name)
{
    static const char *const scans[] = {"'index' of", "'remove' of 'list'", "'count' of",
                                        "'__contains__' of", "'insert' of 'list'", "'find' of 'str'",
                                        "'replace' of 'str'", NULL};
    for (const char *const *s = scans; *s; s++)
        if (strstr(name, *s))
            return 1;
    return 0;
}

static void detect_linear_scan(ctx *c)
{
    if (!(c->us_per_unit > 0))
        return;
    uint32_t nf = kiln_profile_func_count(c->p);
    char s[32];
    for (kiln_func_id f = 0; f < nf; f++) {
        const kiln_func *fn = kiln_profile_func_at(c->p, f);
        if (fn->calls <= 0 || !(fn->total > 0))
            continue;
        const kiln_frame *fr = kiln_profile_frame_get(c->p, fn->frame);
        if (kiln_func_family(c->p, f) != KILN_PAT_COUNT_)
            continue;   /* the family rule speaks for it */
        if (fr->kind == KILN_KIND_BUILTIN) {
            if (!builtin_scans(kiln_profile_str(c->p, fr->name, NULL)))
                continue;
        } else if (fr->kind != KILN_KIND_PYTHON) {
            continue;
        }
        double ratio = fn->self / fn->total;
        double us = fn->self * c->us_per_unit / (double)fn->calls;
        if (ratio < c->o->leaf_min_self_ratio || fn->self / c->run < c->o->finding_min_share ||
            us < c->o->scan_min_us_per_call)
            continue;
        kiln_finding *fd = new_finding(c, KILN_PAT_LINEAR_SCAN, f, KILN_NONE, fn->self);
        if (!fd)
            return;
        fd->calls = fn->calls;
        fd->ratio = us;
        q(c, s, sizeof s, fn->self);
        snprintf(fd->evidence, sizeof fd->evidence,
                 "self %s over %lld call(s) = %.1f µs per call (threshold %.1f µs), self/total %.1f%%; "
                 "%.1f%% of the run",
                 s, (long long)fn->calls, us, c->o->scan_min_us_per_call, 100 * ratio, 100 * fd->share);
    }
}

/* ---- measured growth with input size ------------------------------------- */

/* "measured at 4 sizes 500–4000 (sized benchmark): time ∝ n^1.98, R² 0.999:
 * quadratic; calls ∝ n^2.00, ...": numbers and fixed words only. */
static void growth_text(const kiln_growth *g, char *out, size_t cap)
{
    char t[128], k[128];
    kiln_powerfit_describe(&g->fit, "time", t, sizeof t);
    int n = snprintf(out, cap, "measured at %zu sizes %g–%g (%s): %s", g->fit.points, g->size_min,
                     g->size_max, g->from_bench ? "sized benchmark" : "profiles", t);
    if (g->calls_fit.cls != KILN_CX_UNKNOWN && n > 0 && (size_t)n < cap)
        n += snprintf(out + n, cap - (size_t)n, "; %s", kiln_powerfit_describe(&g->calls_fit, "calls", k, sizeof k));
    if (g->calls_out_fit.cls != KILN_CX_UNKNOWN && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, "; %s",
                 kiln_powerfit_describe(&g->calls_out_fit, "calls made", k, sizeof k));
}

static void append_evidence(kiln_finding *fd, const char *text)
{
    size_t n = strlen(fd->evidence);
    if (n + 3 < sizeof fd->evidence)
        snprintf(fd->evidence + n, sizeof fd->evidence - n, "; %s", text);
}

/* Every finding on a measured function states its growth; a superlinear
 * function no linear-scan or recursion finding speaks for gets its own. */
static void detect_growth(ctx *c)
{
    kiln_analysis *a = c->a;
    uint32_t nf = kiln_profile_func_count(c->p);
    char text[320], t[32];
    for (size_t gi = 0; gi < a->n_growth; gi++) {
        const kiln_growth *g = &a->growth[gi];
        if (g->func >= nf)
            continue;
        growth_text(g, text, sizeof text);
        int spoken = 0;
        for (size_t i = 0; i < a->n_findings; i++) {
            kiln_finding *fd = &a->findings[i];
            if (fd->func != g->func || fd->growth >= 0)
                continue;
            fd->growth = (int)gi;
            append_evidence(fd, text);
            if (fd->pattern == KILN_PAT_LINEAR_SCAN || fd->pattern == KILN_PAT_RECURSION)
                spoken = 1;
        }
        const kiln_func *fn = kiln_profile_func_at(c->p, g->func);
        /* Superlinear by its own doing: the calls it makes grow superlinearly
         * (exact counts: no R² needed), or its time per call does (a callee
         * called n² times by someone else grows as n² but is not at fault). */
        double per_call = g->fit.exponent - (g->calls_fit.cls != KILN_CX_UNKNOWN ? g->calls_fit.exponent : 0);
        int superlinear = (g->calls_out_fit.cls != KILN_CX_UNKNOWN &&
                           g->calls_out_fit.exponent >= c->o->growth_min_exponent) ||
                          (g->fit.cls != KILN_CX_UNKNOWN && per_call >= c->o->growth_min_exponent &&
                           (isnan(g->fit.r2) || g->fit.r2 >= c->o->growth_min_r2));
        /* a built-in or a library family member cannot be rewritten: the
         * finding on its caller speaks for it */
        int changeable = kiln_profile_frame_get(c->p, fn->frame)->kind != KILN_KIND_BUILTIN &&
                         kiln_func_family(c->p, g->func) == KILN_PAT_COUNT_;
        if (spoken || !superlinear || !changeable || !(fn->total > 0) ||
            fn->total / c->run < c->o->finding_min_share)
            continue;
        kiln_finding *fd = new_finding(c, KILN_PAT_SUPERLINEAR, g->func, KILN_NONE, fn->total);
        if (!fd)
            return;
        fd->calls = fn->calls;
        fd->prim_calls = fn->prim_calls;
        fd->ratio = g->fit.exponent;
        fd->growth = (int)gi;
        q(c, t, sizeof t, fn->total);
        snprintf(fd->evidence, sizeof fd->evidence, "%s; total %s = %.1f%% of the run at this size", text, t,
                 100 * fd->share);
    }
}

static int finding_order(const void *x, const void *y)
{
    const kiln_finding *a = x, *b = y;
    if (a->share != b->share)
        return a->share > b->share ? -1 : 1;
    if (a->pattern != b->pattern)
        return a->pattern < b->pattern ? -1 : 1;
    if (a->func != b->func)
        return a->func < b->func ? -1 : 1;
    return a->other < b->other ? -1 : a->other > b->other;
}

kiln_status kiln_analyze(const kiln_profile *p, const kiln_analysis_opts *opts, kiln_analysis **out,
                         kiln_error *err)
{
    *out = NULL;
    if (!p)
        return kiln_error_set(err, KILN_ERR_USAGE, "analysis: no profile");
    kiln_analysis *a = calloc(1, sizeof *a);
    if (!a)
        return kiln_error_set(err, KILN_ERR_NOMEM, "analysis: out of memory");
    if (opts)
        a->opts = *opts;
    else
        kiln_analysis_opts_default(&a->opts);
    a->type = kiln_profile_graph_type(p);
    a->unit = kiln_profile_sample_type_unit(p, a->type);
    if (!a->unit)
        a->unit = "";
    a->combined_speedup = 1.0;

    uint32_t nf = kiln_profile_func_count(p);
    for (kiln_func_id f = 0; f < nf; f++) {
        const kiln_func *fn = kiln_profile_func_at(p, f);
        if (fn->self > 0 && isfinite(fn->self))
            a->run_total += fn->self;
        a->total_calls += fn->calls > 0 ? fn->calls : 0;
        a->prim_calls += fn->prim_calls > 0 ? fn->prim_calls : 0;
    }
    a->has_calls = a->total_calls > 0;

    if (opts && opts->growth && opts->n_growth) {
        a->growth = malloc(opts->n_growth * sizeof *a->growth);
        if (!a->growth) {
            kiln_analysis_free(a);
            return kiln_error_set(err, KILN_ERR_NOMEM, "analysis: out of memory");
        }
        memcpy(a->growth, opts->growth, opts->n_growth * sizeof *a->growth);
        a->n_growth = opts->n_growth;
    }
    a->opts.growth = a->growth;   /* never the caller's borrowed array */
    a->opts.n_growth = a->n_growth;

    ctx c = {a, p, &a->opts, a->run_total, ki_unit_seconds(a->unit) * 1e6, 0, 0};
    if (!(a->run_total > 0)) {
        *out = a;
        return KILN_OK;
    }
    if (classify(&c) < 0)
        c.oom = 1;
    if (!c.oom) {
        detect_slow_leaves(&c);
        detect_recursion(&c);
        detect_families(&c);
        detect_explosion(&c);
        detect_dominant(&c);
        detect_linear_scan(&c);
        detect_growth(&c);
    }
    if (c.oom || ki_analysis_recommend(p, a) < 0) {
        kiln_analysis_free(a);
        return kiln_error_set(err, KILN_ERR_NOMEM, "analysis: out of memory");
    }
    if (a->n_findings > 1)
        qsort(a->findings, a->n_findings, sizeof *a->findings, finding_order);
    /* recommendations refer to findings by index: re-point after sorting */
    for (size_t i = 0; i < a->n_recs; i++) {
        kiln_recommendation *r = &a->recs[i];
        for (size_t j = 0; j < a->n_findings; j++) {
            const kiln_finding *fd = &a->findings[j];
            if (fd->pattern == r->pattern && fd->func == r->func && fd->other == r->other) {
                r->finding = (uint32_t)j;
                break;
            }
        }
    }
    *out = a;
    return KILN_OK;
}

void kiln_analysis_free(kiln_analysis *a)
{
    if (!a)
        return;
    free(a->leaves);
    free(a->junctions);
    free(a->findings);
    free(a->recs);
    free(a->growth);
    free(a);
}
