/* Recommendations: one per finding that names a change (dominant-callee
 * findings only explain; a slow-leaf finding is dropped when a more specific
 * finding addresses the same function), each with an Amdahl estimate:
 *
 *   p = measured share of the run the change addresses
 *   r = estimated fraction of that time left afterwards (pattern table)
 *   speedup S = 1 / ((1 - p) + p * r),   saved share = p * (1 - r)
 *   leverage  = 100 * saved share / effort hours  (percent points per hour)
 *
 * Ranked by leverage. Changes can address the same time (a memoized
 * recursion also removes its callees' time), so the combined estimate uses a
 * per-function model: every function's self time gets a multiplier m (1 at
 * first); a change lowers m on what it addresses (its own self time, or the
 * callee's whole subtree in the call graph scaled by the share of the
 * callee that passes through this edge), taking the minimum rather than the
 * product so two changes never both claim the same time. Applying changes in
 * rank order gives each one's marginal saving; their sum is the combined
 * saving, and the 80/20 set is the shortest ranked prefix whose marginal
 * savings reach the target share (default 80%) of it. */
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"
#include "kiln/analysis.h"
#include "kiln/profile.h"

static int is_family(kiln_pattern p)
{
    return p >= KILN_PAT_REGEX_COMPILE && p <= KILN_PAT_NUMERIC_LOOP;
}

static int rec_order(const void *x, const void *y)
{
    const kiln_recommendation *a = x, *b = y;
    if (a->leverage != b->leverage)
        return a->leverage > b->leverage ? -1 : 1;
    if (a->saved_share != b->saved_share)
        return a->saved_share > b->saved_share ? -1 : 1;
    if (a->pattern != b->pattern)
        return a->pattern < b->pattern ? -1 : 1;
    if (a->func != b->func)
        return a->func < b->func ? -1 : 1;
    return a->other < b->other ? -1 : a->other > b->other;
}

/* 1 when a specific finding addresses f's time. Members of a costly family
 * are addressed by their caller's family finding. */
static int covered(const kiln_profile *p, const kiln_analysis *a, kiln_func_id f)
{
    if (kiln_func_family(p, f) != KILN_PAT_COUNT_)
        return 1;
    for (size_t i = 0; i < a->n_findings; i++) {
        const kiln_finding *fd = &a->findings[i];
        if (fd->pattern == KILN_PAT_SLOW_LEAF || fd->pattern == KILN_PAT_DOMINANT_CALLEE ||
            fd->pattern == KILN_PAT_BUSY_JUNCTION)
            continue;
        if (fd->func == f && (fd->pattern == KILN_PAT_LINEAR_SCAN || fd->pattern == KILN_PAT_RECURSION ||
                              fd->pattern == KILN_PAT_SUPERLINEAR))
            return 1;
        if (fd->other == f)
            return 1;
    }
    return 0;
}

typedef struct {
    const kiln_profile *p;
    double *m;
    uint32_t *stamp;
    kiln_func_id *queue;
    uint32_t nf;
} model;

static void lower(model *md, kiln_func_id f, double v)
{
    if (f < md->nf && v < md->m[f])
        md->m[f] = v;
}

/* Lower every function reachable from root (root included). */
static void lower_subtree(model *md, kiln_func_id root, double v, uint32_t stamp)
{
    if (root >= md->nf)
        return;
    size_t head = 0, tail = 0;
    md->queue[tail++] = root;
    md->stamp[root] = stamp;
    while (head < tail) {
        kiln_func_id f = md->queue[head++];
        lower(md, f, v);
        const uint32_t *idx;
        uint32_t n = kiln_profile_callees(md->p, f, &idx);
        for (uint32_t i = 0; i < n; i++) {
            kiln_func_id g = kiln_profile_edge_at(md->p, idx[i])->callee;
            if (g < md->nf && md->stamp[g] != stamp) {
                md->stamp[g] = stamp;
                md->queue[tail++] = g;
            }
        }
    }
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

static void apply_edge(model *md, const kiln_edge *e, double r, uint32_t stamp)
{
    const kiln_func *callee = kiln_profile_func_at(md->p, e->callee);
    double frac = callee->total > 0 ? clamp01(e->total / callee->total) : 1;
    lower_subtree(md, e->callee, 1 - frac * (1 - r), stamp);
}

static void apply(model *md, const kiln_recommendation *rc, uint32_t stamp)
{
    if (rc->pattern == KILN_PAT_RECURSION || rc->pattern == KILN_PAT_SUPERLINEAR) {
        lower_subtree(md, rc->func, rc->remaining, stamp);
        return;
    }
    if (rc->pattern != KILN_PAT_CALL_EXPLOSION && !is_family(rc->pattern)) {
        lower(md, rc->func, rc->remaining);   /* slow leaf, linear scan: own time */
        return;
    }
    const uint32_t *idx;
    uint32_t n = kiln_profile_callees(md->p, rc->func, &idx);
    for (uint32_t i = 0; i < n; i++) {
        const kiln_edge *e = kiln_profile_edge_at(md->p, idx[i]);
        if (e->callee == rc->func)
            continue;
        if (rc->pattern == KILN_PAT_CALL_EXPLOSION ? e->callee == rc->other
                                                    : kiln_func_family(md->p, e->callee) == rc->pattern)
            apply_edge(md, e, rc->remaining, stamp);
    }
    if (rc->pattern == KILN_PAT_NUMERIC_LOOP)
        lower(md, rc->func, rc->remaining);
}

static double remaining_time(const model *md)
{
    double t = 0;
    for (kiln_func_id f = 0; f < md->nf; f++) {
        double s = kiln_profile_func_at(md->p, f)->self;
        if (s > 0)
            t += s * md->m[f];
    }
    return t;
}

int ki_analysis_recommend(const kiln_profile *p, kiln_analysis *a)
{
    a->recs = calloc(a->n_findings ? a->n_findings : 1, sizeof *a->recs);
    if (!a->recs)
        return -1;
    for (size_t i = 0; i < a->n_findings; i++) {
        const kiln_finding *fd = &a->findings[i];
        if (fd->pattern == KILN_PAT_DOMINANT_CALLEE || fd->pattern == KILN_PAT_BUSY_JUNCTION)
            continue;
        if (fd->pattern == KILN_PAT_SLOW_LEAF && covered(p, a, fd->func))
            continue;
        /* a C built-in cannot be "moved to compiled code": its callers'
         * findings speak for it */
        if (fd->pattern == KILN_PAT_SLOW_LEAF &&
            kiln_profile_frame_get(p, kiln_profile_func_at(p, fd->func)->frame)->kind == KILN_KIND_BUILTIN)
            continue;
        const kiln_pattern_info *pi = kiln_pattern_info_get(fd->pattern);
        kiln_recommendation *r = &a->recs[a->n_recs++];
        r->finding = (uint32_t)i;
        r->pattern = fd->pattern;
        r->category = pi->category;
        r->func = fd->func;
        r->other = fd->other;
        r->share = clamp01(fd->share);
        r->remaining = pi->remaining;
        r->speedup = 1.0 / ((1.0 - r->share) + r->share * r->remaining);
        r->saved_share = r->share * (1.0 - r->remaining);
        r->saved_time = r->saved_share * a->run_total;
        r->effort_hours = pi->effort_hours;
        r->leverage = 100.0 * r->saved_share / r->effort_hours;
    }
    if (a->n_recs > 1)
        qsort(a->recs, a->n_recs, sizeof *a->recs, rec_order);
    if (a->n_recs > a->opts.max_recommendations)
        a->n_recs = a->opts.max_recommendations;

    uint32_t nf = kiln_profile_func_count(p);
    model md = {p, malloc((nf + 1) * sizeof(double)), calloc(nf + 1, sizeof(uint32_t)),
                malloc((nf + 1) * sizeof(kiln_func_id)), nf};
    if (!md.m || !md.stamp || !md.queue) {
        free(md.m);
        free(md.stamp);
        free(md.queue);
        return -1;
    }
    for (uint32_t f = 0; f < nf; f++)
        md.m[f] = 1.0;
    double before = remaining_time(&md), combined = 0;
    for (size_t i = 0; i < a->n_recs; i++) {
        apply(&md, &a->recs[i], (uint32_t)i + 1);
        double after = remaining_time(&md);
        a->recs[i].marginal_saved = a->run_total > 0 ? (before - after) / a->run_total : 0;
        combined += a->recs[i].marginal_saved;
        before = after;
    }
    free(md.m);
    free(md.stamp);
    free(md.queue);

    a->combined_saved_share = combined;
    a->combined_speedup = combined < 1 ? 1.0 / (1.0 - combined) : 0;
    double cum = 0;
    a->pareto_count = 0;
    if (combined > 0) {
        for (size_t i = 0; i < a->n_recs; i++) {
            cum += a->recs[i].marginal_saved;
            a->recs[i].in_pareto = 1;
            a->pareto_count = i + 1;
            if (cum >= a->opts.pareto_target * combined - 1e-12)
                break;
        }
    }
    a->pareto_saved_share = cum;
    return 0;
}
