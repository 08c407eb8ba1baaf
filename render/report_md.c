/* performance_analysis_<target>_<date>.md: the seed workflow's report
 * structure (executive summary, baseline measurements, hotspot analysis,
 * ranked recommendations, alternative approaches, before/after) plus the
 * slow-leaf/busy-junction lists, the pattern findings with their evidence,
 * the estimate table, metadata and links to the rendered artifacts.
 *
 * Built in memory, written to the sink once. Every profile-derived string
 * goes through md_escape (names, paths) or a fenced block (source). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/report.h"
#include "analysis_internal.h"
#include "md_escape.h"
#include "report_common.h"

#define MAX_HOTSPOTS 8
#define MAX_FINDING_ROWS 40
#define LOC_CHARS 80

typedef struct {
    kiln_buf *b;
    const kiln_profile *p;
    const kiln_analysis *a;
    const kiln_report_opts *o;
    unsigned char *cut;   /* per function: its name was shortened somewhere */
} W;

static void name(W *w, kiln_func_id f)
{
    if (ki_rep_name(w->b, w->p, f, KILN_REPORT_NAME_CHARS) && w->cut)
        w->cut[f] = 1;
}

static void qty(W *w, double v)
{
    ki_rep_qty(w->b, w->a, v);
}

static void calls(W *w, const kiln_func *fn)
{
    if (fn->calls <= 0 && fn->prim_calls <= 0)
        kiln_buf_addstr(w->b, "n/a");
    else if (fn->calls != fn->prim_calls)
        kiln_buf_printf(w->b, "%lld/%lld", (long long)fn->calls, (long long)fn->prim_calls);
    else
        kiln_buf_printf(w->b, "%lld", (long long)fn->calls);
}

static const char *category_name(char c)
{
    switch (c) {
    case 'A': return "Data pipeline optimization";
    case 'B': return "Algorithmic improvement";
    case 'C': return "Implementation optimization";
    case 'D': return "Infrastructure/deployment optimization";
    default: return "?";
    }
}

static int by_total(const void *x, const void *y, void *ctx)
{
    const kiln_profile *p = ctx;
    kiln_func_id a = *(const kiln_func_id *)x, b = *(const kiln_func_id *)y;
    const kiln_func *fa = kiln_profile_func_at(p, a), *fb = kiln_profile_func_at(p, b);
    if (fa->total != fb->total)
        return fa->total > fb->total ? -1 : 1;
    if (fa->self != fb->self)
        return fa->self > fb->self ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* ---- sections ---------------------------------------------------------- */

static void metadata(W *w)
{
    kiln_buf *b = w->b;
    const kiln_report_opts *o = w->o;
    char py[64];
    int inferred = 0;
    const char *pyv = o->python_version && *o->python_version
                          ? o->python_version
                          : ki_rep_python_version(w->p, py, sizeof py, &inferred);
    kiln_buf_addstr(b, "## Metadata\n\n| Field | Value |\n|---|---|\n");
    kiln_buf_addstr(b, "| Generated | ");
    ki_rep_text(b, o->timestamp, 64);
    kiln_buf_addstr(b, " |\n| kiln version | ");
    ki_rep_text(b, o->kiln_version ? o->kiln_version : "unknown", 64);
    kiln_buf_addstr(b, " |\n| Target | ");
    ki_rep_text(b, o->target, 200);
    kiln_buf_addstr(b, " |\n| Host | ");
    ki_rep_text(b, o->host && *o->host ? o->host : "unknown", 200);
    kiln_buf_addstr(b, " |\n| CPU | ");
    ki_rep_text(b, o->cpu && *o->cpu ? o->cpu : "unknown", 200);
    kiln_buf_addstr(b, " |\n| Python | ");
    if (pyv) {
        ki_rep_text(b, pyv, 64);
        if (inferred)
            kiln_buf_addstr(b, " (inferred from library paths in the profile)");
    } else {
        kiln_buf_addstr(b, "unknown");
    }
    kiln_buf_addstr(b, " |\n| Target git commit | ");
    if (o->git_commit && *o->git_commit)
        ki_rep_text(b, o->git_commit, 80);
    else
        ki_rep_text(b, o->git_note ? o->git_note : "unknown", 200);
    kiln_buf_addstr(b, " |\n");
    static const char *const keys[] = {KILN_META_FORMAT, KILN_META_TOOL, KILN_META_COMMAND,
                                       KILN_META_TIMESTAMP, NULL};
    static const char *const labels[] = {"Profile format", "Profiler", "Profiled command",
                                         "Profile timestamp"};
    for (int i = 0; keys[i]; i++) {
        const char *v = kiln_profile_meta_get(w->p, keys[i]);
        if (v && *v) {
            kiln_buf_printf(b, "| %s | ", labels[i]);
            ki_rep_text(b, v, 300);
            kiln_buf_addstr(b, " |\n");
        }
    }
    kiln_buf_printf(b, "| Measure | ");
    ki_rep_text(b, kiln_profile_sample_type_name(w->p, w->a->type), 40);
    kiln_buf_addstr(b, " (");
    ki_rep_text(b, w->a->unit, 40);
    kiln_buf_addstr(b, ") |\n\n");
    if (o->n_inputs) {
        kiln_buf_addstr(b, "| Input file | Role | Size (bytes) | SHA-256 |\n|---|---|--:|---|\n");
        for (size_t i = 0; i < o->n_inputs; i++) {
            const kiln_report_input *in = &o->inputs[i];
            kiln_buf_addstr(b, "| ");
            ki_rep_text(b, in->path, 200);
            kiln_buf_addstr(b, " | ");
            ki_rep_text(b, in->role ? in->role : "profile", 20);
            kiln_buf_printf(b, " | %llu | ", (unsigned long long)in->size);
            ki_rep_text(b, in->sha256 ? in->sha256 : "n/a", 80);
            kiln_buf_addstr(b, " |\n");
        }
        kiln_buf_addch(b, '\n');
    }
}

static void executive_summary(W *w)
{
    kiln_buf *b = w->b;
    const kiln_analysis *a = w->a;
    kiln_buf_addstr(b, "## Executive summary\n\n");
    kiln_buf_addstr(b, "The profiled run of ");
    ki_rep_text(b, w->o->target, 200);
    kiln_buf_addstr(b, " measured ");
    qty(w, a->run_total);
    if (a->has_calls)
        kiln_buf_printf(b, " in %lld function calls (%lld primitive)", (long long)a->total_calls,
                        (long long)a->prim_calls);
    kiln_buf_addstr(b, ". ");
    size_t shown = 0;
    if (a->n_recs || a->n_leaves) {
        kiln_buf_addstr(b, "The bottlenecks are ");
        kiln_func_id seen[3];
        for (size_t i = 0; i < a->n_recs + a->n_leaves && shown < 3; i++) {
            kiln_func_id f = i < a->n_recs ? a->recs[i].func : a->leaves[i - a->n_recs].func;
            double share = i < a->n_recs ? a->recs[i].share : a->leaves[i - a->n_recs].share;
            int dup = 0;
            for (size_t k = 0; k < shown; k++)
                dup |= seen[k] == f;
            if (dup)
                continue;
            seen[shown] = f;
            kiln_buf_addstr(b, shown ? (shown == 2 ? " and " : ", ") : "");
            name(w, f);
            kiln_buf_addstr(b, " (");
            ki_rep_location(b, w->p, f, LOC_CHARS);
            kiln_buf_addstr(b, ", ");
            ki_rep_pct(b, share);
            kiln_buf_addstr(b, " of the run)");
            shown++;
        }
        kiln_buf_addstr(b, ". ");
    } else {
        kiln_buf_addstr(b, "No function passed the slow-leaf or pattern thresholds. ");
    }
    if (a->n_recs) {
        kiln_buf_printf(b,
                        "Applying all %zu recommendations is estimated to remove %.1f%% of the run time, "
                        "a whole-program speedup of about %.2f× by Amdahl's law (an estimate from the "
                        "measured shares and the fixed table below). ",
                        a->n_recs, 100 * a->combined_saved_share, a->combined_speedup);
        kiln_buf_printf(b,
                        "80/20 assessment: the top %zu of %zu recommendations (%.0f%% of the interventions) "
                        "yield %.0f%% of that estimated gain.",
                        a->pareto_count, a->n_recs, 100.0 * (double)a->pareto_count / (double)a->n_recs,
                        a->combined_saved_share > 0 ? 100 * a->pareto_saved_share / a->combined_saved_share
                                                    : 0);
    } else {
        kiln_buf_addstr(b, "There is no recommendation with measurable leverage; the stopping criterion "
                           "of the workflow is met.");
    }
    kiln_buf_addstr(b, "\n\n");
}

static void baseline_table(W *w)
{
    kiln_buf *b = w->b;
    uint32_t nf = kiln_profile_func_count(w->p);
    size_t rows = w->o->max_rows ? w->o->max_rows : 25;
    kiln_buf_addstr(b, "## Baseline measurements\n\n");
    kiln_func_id *ids = malloc((nf ? nf : 1) * sizeof *ids);
    if (!ids) {
        b->failed = 1;
        return;
    }
    for (uint32_t i = 0; i < nf; i++)
        ids[i] = i;
    qsort_r(ids, nf, sizeof *ids, by_total, (void *)w->p);
    if (rows > nf)
        rows = nf;
    kiln_buf_printf(b, "Sorted by cumulative time, highest first: %zu of %u functions. Total run time ", rows,
                    nf);
    qty(w, w->a->run_total);
    kiln_buf_addstr(b, " (sum of self times). Calls as pstats writes them: total/primitive when they differ.\n\n");
    kiln_buf_addstr(b, "| # | Function | Location | Time (self) | Calls | Cumulative | Cumulative % | "
                       "Per call (cumulative) |\n|--:|---|---|--:|--:|--:|--:|--:|\n");
    for (size_t i = 0; i < rows; i++) {
        const kiln_func *fn = kiln_profile_func_at(w->p, ids[i]);
        kiln_buf_printf(b, "| %zu | ", i + 1);
        name(w, ids[i]);
        kiln_buf_addstr(b, " | ");
        ki_rep_location(b, w->p, ids[i], LOC_CHARS);
        kiln_buf_addstr(b, " | ");
        qty(w, fn->self);
        kiln_buf_addstr(b, " | ");
        calls(w, fn);
        kiln_buf_addstr(b, " | ");
        qty(w, fn->total);
        kiln_buf_addstr(b, " | ");
        ki_rep_pct(b, w->a->run_total > 0 ? fn->total / w->a->run_total : 0);
        kiln_buf_addstr(b, " | ");
        if (fn->calls > 0)
            qty(w, fn->total / (double)fn->calls);
        else
            kiln_buf_addstr(b, "n/a");
        kiln_buf_addstr(b, " |\n");
    }
    kiln_buf_addch(b, '\n');
    free(ids);
}

static void leaves_and_junctions(W *w)
{
    kiln_buf *b = w->b;
    const kiln_analysis *a = w->a;
    const kiln_analysis_opts *o = &a->opts;
    kiln_buf_addstr(b, "## Slow leaf nodes and busy junctions\n\n");
    kiln_buf_printf(b,
                    "Thresholds: a **slow leaf node** has self/total ≥ %.0f%% and self time ≥ %.0f%% of the "
                    "run; a **busy junction** has total ≥ %.0f%% of the run and self/total ≤ %.0f%%.\n\n",
                    100 * o->leaf_min_self_ratio, 100 * o->leaf_min_share, 100 * o->junction_min_share,
                    100 * o->junction_max_self_ratio);
    kiln_buf_addstr(b, "### Slow leaf nodes\n\n");
    if (!a->n_leaves) {
        kiln_buf_addstr(b, "None above the thresholds.\n\n");
    } else {
        kiln_buf_addstr(b, "| Function | Location | Self | Total | Self/total | Share of run |\n"
                           "|---|---|--:|--:|--:|--:|\n");
        for (size_t i = 0; i < a->n_leaves; i++) {
            const kiln_hot_func *h = &a->leaves[i];
            kiln_buf_addstr(b, "| ");
            name(w, h->func);
            kiln_buf_addstr(b, " | ");
            ki_rep_location(b, w->p, h->func, LOC_CHARS);
            kiln_buf_addstr(b, " | ");
            qty(w, h->self);
            kiln_buf_addstr(b, " | ");
            qty(w, h->total);
            kiln_buf_addstr(b, " | ");
            ki_rep_pct(b, h->self_ratio);
            kiln_buf_addstr(b, " | ");
            ki_rep_pct(b, h->share);
            kiln_buf_addstr(b, " |\n");
        }
        kiln_buf_addch(b, '\n');
    }
    kiln_buf_addstr(b, "### Busy junctions\n\n");
    if (!a->n_junctions) {
        kiln_buf_addstr(b, "None above the thresholds.\n\n");
        return;
    }
    kiln_buf_addstr(b, "| Function | Location | Total | Self | Self/total | Share of run | Most expensive child | "
                       "Child's time here | Children ≥ 10% |\n|---|---|--:|--:|--:|--:|---|--:|--:|\n");
    for (size_t i = 0; i < a->n_junctions; i++) {
        const kiln_hot_func *h = &a->junctions[i];
        kiln_buf_addstr(b, "| ");
        name(w, h->func);
        kiln_buf_addstr(b, " | ");
        ki_rep_location(b, w->p, h->func, LOC_CHARS);
        kiln_buf_addstr(b, " | ");
        qty(w, h->total);
        kiln_buf_addstr(b, " | ");
        qty(w, h->self);
        kiln_buf_addstr(b, " | ");
        ki_rep_pct(b, h->self_ratio);
        kiln_buf_addstr(b, " | ");
        ki_rep_pct(b, h->share);
        kiln_buf_addstr(b, " | ");
        if (h->top_child != KILN_NONE) {
            name(w, h->top_child);
            kiln_buf_addstr(b, " | ");
            qty(w, h->top_child_total);
        } else {
            kiln_buf_addstr(b, "none | n/a");
        }
        kiln_buf_printf(b, " | %u |\n", h->expensive_children);
    }
    kiln_buf_addch(b, '\n');
}

static void findings(W *w)
{
    kiln_buf *b = w->b;
    const kiln_analysis *a = w->a;
    const kiln_analysis_opts *o = &a->opts;
    kiln_buf_addstr(b, "## Pattern findings\n\n");
    kiln_buf_printf(b,
                    "Rules (thresholds are options): recursion blow-up when calls/primitive calls ≥ %.0f and "
                    "calls ≥ %lld; call-count explosion when a callee is called ≥ %.0f times per call of its "
                    "caller at ≤ %.1f µs each; known costly families (regex compilation, I/O, sleeps, lock "
                    "waits, allocation, JSON/pickle/marshal, scalar math in Python loops) by name and file; "
                    "one callee when it holds ≥ %.0f%% of a function's total; linear scan when a Python leaf "
                    "(or a scanning list/str method) costs ≥ %.1f µs per call with self/total ≥ %.0f%%; "
                    "superlinear growth when the function's time, measured at several input sizes, grows "
                    "as n^k with k ≥ %.2f. Findings under %.1f%% of the run are not listed.\n\n",
                    o->recursion_min_ratio, (long long)o->recursion_min_calls, o->explosion_min_per_call,
                    o->explosion_max_callee_us, 100 * o->dominant_min_ratio, o->scan_min_us_per_call,
                    100 * o->leaf_min_self_ratio, o->growth_min_exponent, 100 * o->finding_min_share);
    if (!a->n_findings) {
        kiln_buf_addstr(b, "No findings.\n\n");
        return;
    }
    kiln_buf_addstr(b, "| Pattern | Function | Callee | Share of run | Evidence |\n|---|---|---|--:|---|\n");
    size_t rows = a->n_findings < MAX_FINDING_ROWS ? a->n_findings : MAX_FINDING_ROWS;
    for (size_t i = 0; i < rows; i++) {
        const kiln_finding *fd = &a->findings[i];
        kiln_buf_addstr(b, "| ");
        ki_rep_text(b, kiln_pattern_info_get(fd->pattern)->title, 0);
        kiln_buf_addstr(b, " | ");
        name(w, fd->func);
        kiln_buf_addstr(b, " | ");
        if (fd->other != KILN_NONE)
            name(w, fd->other);
        else
            kiln_buf_addstr(b, "n/a");
        kiln_buf_addstr(b, " | ");
        ki_rep_pct(b, fd->share);
        kiln_buf_addstr(b, " | ");
        ki_rep_text(b, fd->evidence, 0);
        kiln_buf_addstr(b, " |\n");
    }
    if (rows < a->n_findings)
        kiln_buf_printf(b, "| …and %zu more | | | | |\n", a->n_findings - rows);
    kiln_buf_addch(b, '\n');
}

/* Hotspots: the functions of the ranked recommendations, then slow leaves. */
static size_t hotspot_list(const kiln_analysis *a, kiln_func_id *out)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_recs + a->n_leaves && n < MAX_HOTSPOTS; i++) {
        kiln_func_id f = i < a->n_recs ? a->recs[i].func : a->leaves[i - a->n_recs].func;
        int dup = 0;
        for (size_t k = 0; k < n; k++)
            dup |= out[k] == f;
        if (!dup)
            out[n++] = f;
    }
    return n;
}

static void hotspot(W *w, size_t rank, kiln_func_id f)
{
    kiln_buf *b = w->b;
    const kiln_analysis *a = w->a;
    const kiln_func *fn = kiln_profile_func_at(w->p, f);
    const kiln_frame *fr = ki_rep_frame(w->p, f);
    const char *file = kiln_profile_str(w->p, fr->file, NULL);
    kiln_buf_printf(b, "### Hotspot %zu: ", rank);
    name(w, f);
    kiln_buf_addstr(b, "\n\n");

    /* excerpt first (into a side buffer) to know the line range */
    kiln_buf ex = KILN_BUF_INIT;
    char *src = ki_rep_find_source(file, w->o->source_roots, w->o->n_source_roots);
    uint32_t first = 0, last = 0;
    int have = src && ki_rep_excerpt(&ex, src, fr->line, &first, &last) == 0;

    kiln_buf_addstr(b, "- **Location**: ");
    ki_rep_location(b, w->p, f, 0);
    kiln_buf_addstr(b, ", function ");
    name(w, f);
    if (have && last > first)
        kiln_buf_printf(b, ", lines %u–%u", first, last);
    else if (fr->line)
        kiln_buf_printf(b, ", line %u", fr->line);
    kiln_buf_addstr(b, "\n- **Profile data**: ");
    if (fn->calls > 0 || fn->prim_calls > 0) {
        calls(w, fn);
        kiln_buf_addstr(b, " calls; ");
    }
    kiln_buf_addstr(b, "cumulative ");
    qty(w, fn->total);
    kiln_buf_addstr(b, " (");
    ki_rep_pct(b, a->run_total > 0 ? fn->total / a->run_total : 0);
    kiln_buf_addstr(b, " of the run); self ");
    qty(w, fn->self);
    kiln_buf_addstr(b, " (");
    ki_rep_pct(b, a->run_total > 0 ? fn->self / a->run_total : 0);
    kiln_buf_addstr(b, ")");
    if (fn->calls > 0) {
        kiln_buf_addstr(b, "; per call: cumulative ");
        qty(w, fn->total / (double)fn->calls);
        kiln_buf_addstr(b, ", self ");
        qty(w, fn->self / (double)fn->calls);
    }
    kiln_buf_addstr(b, "\n");
    /* classification and findings about this function */
    kiln_buf_addstr(b, "- **Classification**: ");
    int any = 0;
    for (size_t i = 0; i < a->n_leaves; i++)
        if (a->leaves[i].func == f) {
            kiln_buf_printf(b, "slow leaf node (self/total %.1f%%)", 100 * a->leaves[i].self_ratio);
            any = 1;
        }
    for (size_t i = 0; i < a->n_junctions; i++)
        if (a->junctions[i].func == f) {
            kiln_buf_printf(b, "%sbusy junction (self/total %.1f%%)", any ? "; " : "",
                            100 * a->junctions[i].self_ratio);
            any = 1;
        }
    if (!any)
        kiln_buf_addstr(b, "neither a slow leaf nor a busy junction at the thresholds");
    kiln_buf_addstr(b, "\n");
    int causes = 0;
    for (size_t i = 0; i < a->n_findings; i++) {
        const kiln_finding *fd = &a->findings[i];
        if (fd->func != f || fd->pattern == KILN_PAT_SLOW_LEAF)
            continue;
        const kiln_pattern_info *pi = kiln_pattern_info_get(fd->pattern);
        kiln_buf_addstr(b, causes ? "  - " : "- **Root cause**:\n  - ");
        kiln_buf_printf(b, "%s", pi->title);
        if (fd->other != KILN_NONE) {
            kiln_buf_addstr(b, " (");
            name(w, fd->other);
            kiln_buf_addstr(b, ")");
        }
        kiln_buf_printf(b, ": %s. Evidence: ", pi->root_cause);
        ki_rep_text(b, fd->evidence, 0);
        kiln_buf_addstr(b, "\n");
        causes++;
    }
    if (!causes) {
        const kiln_pattern_info *pi = kiln_pattern_info_get(KILN_PAT_SLOW_LEAF);
        kiln_buf_printf(b, "- **Root cause**: %s (no more specific pattern matched).\n", pi->root_cause);
    }
    kiln_buf_addstr(b, "- **Current implementation excerpt**: ");
    if (have) {
        kiln_buf_addstr(b, "from ");
        ki_rep_text(b, src, 200);
        kiln_buf_addstr(b, "\n\n");
        kiln_buf_add(b, ex.data, ex.len);
        kiln_buf_addch(b, '\n');
    } else if (fr->kind == KILN_KIND_BUILTIN) {
        kiln_buf_addstr(b, "none: a built\\-in function.\n\n");
    } else {
        kiln_buf_addstr(b, "source not found");
        if (!w->o->n_source_roots)
            kiln_buf_addstr(b, " (the file named by the profile does not exist here; map it with "
                               "\\-\\-source\\-root DIR or OLD=NEW)");
        kiln_buf_addstr(b, ".\n\n");
    }
    free(src);
    kiln_buf_release(&ex);
}

static void hotspots(W *w)
{
    kiln_buf_addstr(w->b, "## Hotspot analysis\n\n");
    kiln_func_id list[MAX_HOTSPOTS];
    size_t n = hotspot_list(w->a, list);
    if (!n)
        kiln_buf_addstr(w->b, "No hotspot above the thresholds.\n\n");
    for (size_t i = 0; i < n; i++)
        hotspot(w, i + 1, list[i]);
}

static void recommendation(W *w, size_t i)
{
    kiln_buf *b = w->b;
    const kiln_analysis *a = w->a;
    const kiln_recommendation *r = &a->recs[i];
    const kiln_pattern_info *pi = kiln_pattern_info_get(r->pattern);
    const kiln_finding *fd = &a->findings[r->finding];
    kiln_buf_printf(b, "### Rank %zu%s: %s in ", i + 1, i == 0 ? " - Highest Leverage" : "", pi->title);
    name(w, r->func);
    kiln_buf_addstr(b, "\n\n");
    kiln_buf_printf(b, "- **Category**: %c (%s)\n", r->category, category_name(r->category));
    kiln_buf_printf(b, "- **Current pattern**: %s; in ", pi->current);
    name(w, r->func);
    if (r->other != KILN_NONE) {
        kiln_buf_addstr(b, ", calling ");
        name(w, r->other);
    }
    kiln_buf_addstr(b, " (");
    ki_rep_location(b, w->p, r->func, LOC_CHARS);
    kiln_buf_addstr(b, ")\n");
    kiln_buf_printf(b, "- **Proposed solution**: %s\n", pi->proposed);
    kiln_buf_printf(b,
                    "- **Estimated speedup** (estimate): %.2f× whole program, saving %.1f%% of the run "
                    "(about ",
                    r->speedup, 100 * r->saved_share);
    qty(w, r->saved_time);
    kiln_buf_printf(b,
                    "). Amdahl's law: S = 1 / ((1 − p) + p × r) with p = %.4f (measured share) and r = %.2f "
                    "(assumed remaining fraction for this pattern): S = 1 / (%.4f + %.4f) = %.2f×",
                    r->share, r->remaining, 1 - r->share, r->share * r->remaining, r->speedup);
    if (r->marginal_saved + 1e-9 < r->saved_share)
        kiln_buf_printf(b, "; on top of the higher-ranked changes it adds %.1f%% of the run",
                        100 * r->marginal_saved);
    kiln_buf_addstr(b, "\n");
    kiln_buf_printf(b, "- **Implementation effort** (estimate): %.1f h\n", r->effort_hours);
    kiln_buf_printf(b, "- **Leverage**: %.2f (%% of run time saved per hour: %.1f / %.1f)%s\n", r->leverage,
                    100 * r->saved_share, r->effort_hours, r->in_pareto ? "; in the 80/20 set" : "");
    kiln_buf_addstr(b, "- **Evidence**: ");
    ki_rep_text(b, fd->evidence, 0);
    kiln_buf_addstr(b, "\n\n");
}

static void recommendations(W *w)
{
    kiln_buf *b = w->b;
    const kiln_analysis *a = w->a;
    kiln_buf_addstr(b, "## Optimization recommendations\n\n");
    if (!a->n_recs) {
        kiln_buf_addstr(b, "None: no finding above the thresholds names a change.\n\n");
    } else {
        kiln_buf_addstr(b, "Ranked by leverage = estimated time saved (% of the run) / estimated effort (hours). "
                           "Speedups are estimates: the share p is measured, the remaining fraction r and the "
                           "effort come from the table at the end of this section.\n\n");
        for (size_t i = 0; i < a->n_recs; i++)
            recommendation(w, i);
        kiln_buf_addstr(b, "### 80/20 assessment\n\n");
        kiln_buf_printf(b,
                        "All %zu recommendations together: an estimated %.1f%% of the run saved (%.2f× "
                        "whole-program speedup), counting time addressed by two changes once. ",
                        a->n_recs, 100 * a->combined_saved_share, a->combined_speedup);
        if (a->pareto_count) {
            if (a->pareto_count == 1)
                kiln_buf_addstr(b, "Rank 1");
            else
                kiln_buf_printf(b, "Ranks 1–%zu", a->pareto_count);
            kiln_buf_printf(b,
                            " (%zu of %zu, %.0f%% of the interventions) cover%s %.0f%% of that estimated "
                            "gain (target ≥ %.0f%%).\n\n",
                            a->pareto_count, a->n_recs, 100.0 * (double)a->pareto_count / (double)a->n_recs,
                            a->pareto_count == 1 ? "s" : "", 100 * a->pareto_saved_share / a->combined_saved_share,
                            100 * a->opts.pareto_target);
        }
        else
            kiln_buf_addstr(b, "\n\n");
    }
    kiln_buf_addstr(b, "### Estimate table\n\n");
    kiln_buf_addstr(b, "| Pattern | Category | Remaining fraction r (estimate) | Effort, hours (estimate) |\n"
                       "|---|---|--:|--:|\n");
    for (int k = 0; k < KILN_PAT_COUNT_; k++) {
        const kiln_pattern_info *pi = kiln_pattern_info_get((kiln_pattern)k);
        if (k == KILN_PAT_BUSY_JUNCTION || k == KILN_PAT_DOMINANT_CALLEE)
            continue;   /* they explain, they do not recommend */
        kiln_buf_printf(b, "| %s | %c | %.2f | %.1f |\n", pi->title, pi->category, pi->remaining,
                        pi->effort_hours);
    }
    kiln_buf_addch(b, '\n');
}

static int has_pattern(const kiln_analysis *a, kiln_pattern p)
{
    for (size_t i = 0; i < a->n_findings; i++)
        if (a->findings[i].pattern == p)
            return 1;
    return 0;
}

static void alternatives(W *w)
{
    kiln_buf *b = w->b;
    const kiln_analysis *a = w->a;
    int n = 0;
    kiln_buf_addstr(b, "## Alternative architectural approaches\n\n");
    if (has_pattern(a, KILN_PAT_LINEAR_SCAN) || has_pattern(a, KILN_PAT_RECURSION)) {
        kiln_buf_addstr(b, "- **Index the data once.** Linear scans and recomputed sub-problems are measured "
                           "above. Building keyed structures (sets, dicts, a memo table) at ingestion makes "
                           "deduplication, lookups and repeated sub-computations O(1) each. Trade-off: more "
                           "memory and an index to keep consistent; low complexity. Recommended when the "
                           "same data is queried more than once.\n");
        n++;
    }
    if (has_pattern(a, KILN_PAT_REGEX_COMPILE) || has_pattern(a, KILN_PAT_SERIALIZE)) {
        kiln_buf_addstr(b, "- **Parse once, in one pass.** Per-field regular expressions or repeated "
                           "(de)serialisation are measured above. One precompiled pattern with named groups "
                           "(or a fixed-format split) per record, and native structures between stages, remove "
                           "the repeated work. Trade-off: a stricter input format; moderate complexity.\n");
        n++;
    }
    if (has_pattern(a, KILN_PAT_IO) || has_pattern(a, KILN_PAT_SLEEP)) {
        kiln_buf_addstr(b, "- **Streaming or asynchronous I/O.** Waiting on I/O or sleeps is measured above. "
                           "Overlapping I/O with computation (asyncio, a thread pool) or streaming in large "
                           "blocks hides the latency. Trade-off: concurrency adds complexity and harder "
                           "debugging.\n");
        n++;
    }
    if (has_pattern(a, KILN_PAT_NUMERIC_LOOP)) {
        kiln_buf_addstr(b, "- **Vectorised data model.** Scalar math in Python loops is measured above. "
                           "Holding the numbers in NumPy arrays (or pandas columns) turns the loops into "
                           "array operations. Trade-off: a new dependency and a column-oriented design.\n");
        n++;
    }
    if (has_pattern(a, KILN_PAT_LOCK)) {
        kiln_buf_addstr(b, "- **Share-nothing parallelism.** Lock waits are measured above. Partitioning the "
                           "work across processes with message passing removes the contention. Trade-off: "
                           "serialisation cost between processes.\n");
        n++;
    }
    for (size_t i = 0; i < a->n_junctions; i++) {
        const kiln_hot_func *h = &a->junctions[i];
        if (h->expensive_children >= 3) {
            kiln_buf_addstr(b, "- **Fuse the pipeline stages.** ");
            name(w, h->func);
            kiln_buf_printf(b,
                            " runs %u expensive stages (each ≥ 10%% of its time) over the same data. A single "
                            "streaming pass (generators feeding each other) avoids materialising "
                            "intermediate collections. Trade-off: stages become harder to test in "
                            "isolation.\n",
                            h->expensive_children);
            n++;
            break;
        }
    }
    if (!n)
        kiln_buf_addstr(b, "None suggested by the evidence: the measured time sits in local hotspots that the "
                           "recommendations above address.\n");
    kiln_buf_addch(b, '\n');
}

/* ---- empirical complexity ---------------------------------------------------- */

#define MAX_SCALING_ROWS 40
#define MAX_PROFILE_SERIES 15

static const kiln_growth *growth_of_series(const kiln_analysis *a, size_t series)
{
    for (size_t i = 0; i < a->n_growth; i++)
        if (a->growth[i].series == series)
            return &a->growth[i];
    return NULL;
}

static void fit_cell(kiln_buf *b, const kiln_powerfit *f)
{
    char t[128];
    if (f->cls == KILN_CX_UNKNOWN) {
        kiln_buf_addstr(b, "n/a");
        return;
    }
    /* "n^1.98, R² 0.999: quadratic" (the describe text without "time ∝ ") */
    kiln_powerfit_describe(f, "", t, sizeof t);
    const char *s = strstr(t, "n^");
    ki_rep_text(b, s ? s : t, 0);
}

/* 1 when a finding states this growth: profile rows beyond the first few
 * are listed only then. */
static int growth_used(const kiln_analysis *a, const kiln_growth *g)
{
    for (size_t i = 0; g && i < a->n_findings; i++)
        if (a->findings[i].growth >= 0 && &a->growth[a->findings[i].growth] == g)
            return 1;
    return 0;
}

static void scaling(W *w)
{
    kiln_buf *b = w->b;
    const kiln_analysis *a = w->a;
    const kiln_scaling_set *set = w->o->scaling;
    size_t n = kiln_scaling_count(set);
    if (!n)
        return;
    kiln_buf_addstr(b, "## Empirical complexity\n\n");
    kiln_buf_printf(b, "Time (and, from profiles, calls) fitted against the input size on log–log axes: "
                       "time = c × n^k. A function grows superlinearly by its own doing when the calls it makes "
                       "grow with k ≥ %.2f, or its time per call does (time exponent minus calls exponent) "
                       "with R² ≥ %.2f (with two sizes R² is not available); such a function (not a "
                       "built\\-in nor a library function) gets a Category B recommendation unless a "
                       "linear\\-scan or recursion finding already names it, and every finding on a "
                       "measured function states its growth. A benchmark is matched to the function it "
                       "names (test\\_ prefix removed).\n\n",
                    a->opts.growth_min_exponent, a->opts.growth_min_r2);
    kiln_buf_addstr(b, "| Series | Sizes | Time growth | Calls growth | Function in this profile |\n"
                       "|---|--:|---|---|---|\n");
    size_t rows = 0, profile_rows = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        const kiln_scaling_series *s = kiln_scaling_at(set, i);
        const kiln_growth *g = growth_of_series(a, i);
        int from_profiles = s->calls != NULL;
        if (rows >= MAX_SCALING_ROWS ||
            (from_profiles && profile_rows >= MAX_PROFILE_SERIES && !growth_used(a, g))) {
            skipped++;
            continue;
        }
        rows++;
        profile_rows += from_profiles;
        kiln_buf_addstr(b, "| ");
        if (from_profiles && g)
            name(w, g->func);
        else
            ki_md_cell(b, s->name, strlen(s->name), KILN_REPORT_NAME_CHARS);
        kiln_buf_printf(b, " | %g–%g (%zu) | ", s->n ? s->x[0] : 0, s->n ? s->x[s->n - 1] : 0, s->n);
        fit_cell(b, &s->fit);
        kiln_buf_addstr(b, " | ");
        fit_cell(b, &s->calls_fit);
        kiln_buf_addstr(b, " | ");
        if (g)
            name(w, g->func);
        else
            kiln_buf_addstr(b, "not matched");
        kiln_buf_addstr(b, " |\n");
    }
    if (skipped)
        kiln_buf_printf(b, "| …and %zu more | | | | |\n", skipped);
    kiln_buf_addch(b, '\n');
}

static void fmt_seconds(kiln_buf *b, double s)
{
    char t[48];
    ki_fmt_quantity(t, sizeof t, s, "seconds");
    kiln_buf_addstr(b, t);
}

static void before_after(W *w)
{
    kiln_buf *b = w->b;
    const kiln_compare *c = w->o->compare;
    if (!c)
        return;
    kiln_buf_addstr(b, "## Before/after benchmarks\n\n");
    kiln_buf_printf(b, "Improvement %% = (baseline − optimized) / baseline × 100, on the %s of each benchmark "
                       "(pytest\\-benchmark runs). Verdict: whether the difference is beyond the noise.\n\n",
                    kiln_bench_field_name(kiln_compare_metric(c)));
    kiln_buf_addstr(b, "| Benchmark | Baseline | Optimized | Improvement % | Speedup | Verdict |\n"
                       "|---|--:|--:|--:|--:|---|\n");
    size_t n = kiln_compare_count(c), shown = 0;
    kiln_bench_field m = kiln_compare_metric(c);
    for (size_t i = 0; i < n && shown < 200; i++) {
        const kiln_compare_row *r = kiln_compare_row_at(c, i);
        const kiln_bench *bb = r->head ? r->head : r->base;
        kiln_buf_addstr(b, "| ");
        ki_md_cell(b, bb->fullname, strlen(bb->fullname), KILN_REPORT_NAME_CHARS);
        kiln_buf_addstr(b, " | ");
        if (r->base)
            fmt_seconds(b, kiln_bench_field_value(&r->base->stats, m));
        else
            kiln_buf_addstr(b, "n/a");
        kiln_buf_addstr(b, " | ");
        if (r->head)
            fmt_seconds(b, kiln_bench_field_value(&r->head->stats, m));
        else
            kiln_buf_addstr(b, "n/a");
        if (r->kind == KILN_ROW_MATCHED && isfinite(r->improvement_pct))
            kiln_buf_printf(b, " | %.1f%% | %.2f× | ", r->improvement_pct, r->speedup);
        else
            kiln_buf_addstr(b, " | n/a | n/a | ");
        static const char *const verdicts[] = {"n/a", "within noise", "faster", "slower"};
        kiln_buf_addstr(b, r->kind == KILN_ROW_ADDED     ? "added"
                           : r->kind == KILN_ROW_REMOVED ? "removed"
                                                         : verdicts[r->verdict & 3]);
        kiln_buf_addstr(b, " |\n");
        shown++;
    }
    if (shown < n)
        kiln_buf_printf(b, "| …and %zu more | | | | | |\n", n - shown);
    kiln_buf_addch(b, '\n');
}

static void artifact(W *w, const char *label, const kiln_report_artifact *ar, int image)
{
    kiln_buf *b = w->b;
    kiln_buf_printf(b, "- %s: ", label);
    if (ar->file) {
        if (image) {
            kiln_buf_addstr(b, "![");
            kiln_buf_addstr(b, label);
            kiln_buf_addstr(b, "](");
            ki_rep_text(b, ar->file, 0);
            kiln_buf_addstr(b, ")");
        } else {
            kiln_buf_addstr(b, "[");
            ki_rep_text(b, ar->file, 0);
            kiln_buf_addstr(b, "](");
            ki_rep_text(b, ar->file, 0);
            kiln_buf_addstr(b, ")");
        }
    } else {
        kiln_buf_addstr(b, "not available: ");
        ki_rep_text(b, ar->why_not ? ar->why_not : "not available in this build", 300);
    }
    kiln_buf_addstr(b, "\n");
}

static void visualizations(W *w)
{
    kiln_buf_addstr(w->b, "## Visualizations\n\n");
    artifact(w, "Flame graph", &w->o->flame, 0);
    artifact(w, "Call graph", &w->o->callgraph, 1);
    artifact(w, "Before/after comparison", &w->o->improvement, 1);
    kiln_buf_addch(w->b, '\n');
}

static void others(W *w)
{
    kiln_buf *b = w->b;
    if (!w->o->n_others)
        return;
    kiln_buf_addstr(b, "## Other profiles\n\n");
    kiln_buf_addstr(b, "Summarised here; run kiln report on one of them for its full analysis.\n\n"
                       "| Profile | Total time | Calls | Top function by self time | Its self time |\n"
                       "|---|--:|--:|---|--:|\n");
    for (size_t i = 0; i < w->o->n_others; i++) {
        const kiln_profile *q = w->o->others[i];
        kiln_analysis *qa = NULL;
        kiln_error err;
        if (kiln_analyze(q, &w->a->opts, &qa, &err) != KILN_OK)
            continue;
        kiln_func_id top = KILN_NONE;
        double best = -1;
        for (kiln_func_id f = 0; f < kiln_profile_func_count(q); f++) {
            double s = kiln_profile_func_at(q, f)->self;
            if (s > best) {
                best = s;
                top = f;
            }
        }
        kiln_buf_addstr(b, "| ");
        ki_rep_text(b, w->o->other_names ? w->o->other_names[i] : "?", 200);
        kiln_buf_addstr(b, " | ");
        ki_rep_qty(b, qa, qa->run_total);
        if (qa->has_calls)
            kiln_buf_printf(b, " | %lld | ", (long long)qa->total_calls);
        else
            kiln_buf_addstr(b, " | n/a | ");
        if (top != KILN_NONE) {
            ki_rep_name(b, q, top, KILN_REPORT_NAME_CHARS);
            kiln_buf_addstr(b, " | ");
            ki_rep_qty(b, qa, best);
        } else {
            kiln_buf_addstr(b, "n/a | n/a");
        }
        kiln_buf_addstr(b, " |\n");
        kiln_analysis_free(qa);
    }
    kiln_buf_addch(b, '\n');
}

/* Full names of everything shortened above, each in a collapsible block
 * with a fenced code block that the name cannot close. */
static void full_names(W *w)
{
    kiln_buf *b = w->b;
    uint32_t nf = kiln_profile_func_count(w->p);
    int any = 0;
    for (uint32_t f = 0; f < nf; f++) {
        if (!w->cut[f])
            continue;
        if (!any)
            kiln_buf_addstr(b, "## Full names\n\nNames longer than the display limit, in full.\n\n");
        any = 1;
        size_t len;
        const char *s = kiln_profile_str(w->p, ki_rep_frame(w->p, f)->name, &len);
        kiln_buf_addstr(b, "<details>\n<summary>Function ");
        kiln_buf_printf(b, "#%u, %zu bytes</summary>\n\n", f, len);
        /* one line per 100 code points, sanitised; fence of 3 is safe as
         * every line starts with "| " */
        kiln_buf_addstr(b, "```text\n| ");
        size_t i = 0, chars = 0;
        const unsigned char *u = (const unsigned char *)s;
        while (i < len) {
            unsigned cp;
            size_t k = ki_md_utf8_decode(u + i, len - i, &cp);
            if ((cp < 0x20) || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0xFFFD || cp == 0x2028 ||
                cp == 0x2029)
                kiln_buf_addstr(b, "\xEF\xBF\xBD");
            else
                kiln_buf_add(b, s + i, k);
            i += k;
            if (++chars % 100 == 0 && i < len)
                kiln_buf_addstr(b, "\n| ");
        }
        kiln_buf_addstr(b, "\n```\n\n</details>\n\n");
    }
}

kiln_status kiln_report_write_md(const kiln_profile *p, const kiln_analysis *a, const kiln_report_opts *o,
                                 kiln_sink *out, kiln_error *err)
{
    if (!p || !a || !o || !out)
        return kiln_error_set(err, KILN_ERR_USAGE, "report: missing argument");
    kiln_buf b = KILN_BUF_INIT;
    uint32_t nf = kiln_profile_func_count(p);
    W w = {&b, p, a, o, calloc(nf ? nf : 1, 1)};
    if (!w.cut)
        return kiln_error_set(err, KILN_ERR_NOMEM, "report: out of memory");
    kiln_buf_addstr(&b, "# Performance analysis: ");
    ki_rep_text(&b, o->target, 200);
    kiln_buf_addstr(&b, "\n\n");
    kiln_buf_printf(&b, "Generated by kiln %s from measured profile data. Numbers marked as estimates are "
                        "estimates; everything else is measured.\n\n",
                    o->kiln_version ? o->kiln_version : "");
    executive_summary(&w);
    metadata(&w);
    baseline_table(&w);
    leaves_and_junctions(&w);
    findings(&w);
    scaling(&w);
    hotspots(&w);
    recommendations(&w);
    alternatives(&w);
    before_after(&w);
    visualizations(&w);
    others(&w);
    full_names(&w);
    free(w.cut);
    if (b.failed) {
        kiln_buf_release(&b);
        return kiln_error_set(err, KILN_ERR_NOMEM, "report: out of memory");
    }
    int rc = kiln_sink_write(out, b.data, b.len);
    kiln_buf_release(&b);
    if (rc < 0)
        return kiln_error_set(err, KILN_ERR_WRITE, "report: write failed");
    return KILN_OK;
}

void kiln_report_opts_init(kiln_report_opts *o)
{
    memset(o, 0, sizeof *o);
}
