/* plan.md: one feature per recommendation, F001 = highest leverage, each
 * with what to change, where, how to know it worked, and the numbers it
 * rests on, so that it can be executed without asking anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/report.h"
#include "report_common.h"

static void change_text(kiln_buf *b, const kiln_profile *p, const kiln_recommendation *r)
{
    const kiln_pattern_info *pi = kiln_pattern_info_get(r->pattern);
    switch (r->pattern) {
    case KILN_PAT_RECURSION:
        kiln_buf_addstr(b, "Memoize ");
        ki_rep_name(b, p, r->func, KILN_REPORT_NAME_CHARS);
        kiln_buf_addstr(b, " (for a Python function with hashable arguments: decorate it with "
                           "@functools.cache), or rewrite it as a bottom\\-up loop over its sub\\-problems.");
        break;
    case KILN_PAT_REGEX_COMPILE:
        kiln_buf_addstr(b, "In ");
        ki_rep_name(b, p, r->func, KILN_REPORT_NAME_CHARS);
        kiln_buf_addstr(b, ", stop compiling regular expressions per call: move every re.compile (and "
                           "re.search/re.match with a pattern string) to module level constants and call the "
                           "compiled objects; where one record is matched by several patterns, merge them into "
                           "one pattern with named groups.");
        break;
    case KILN_PAT_LINEAR_SCAN:
        kiln_buf_addstr(b, "In ");
        ki_rep_name(b, p, r->func, KILN_REPORT_NAME_CHARS);
        kiln_buf_addstr(b, ", find the operation whose cost grows with the data (membership test or index() "
                           "on a list, str \\+= in a loop, copying a collection per call) and replace it: a set "
                           "or dict built once for lookups, list.append plus ''.join for strings, an index "
                           "kept up to date instead of rescanning.");
        break;
    case KILN_PAT_SUPERLINEAR:
        kiln_buf_addstr(b, "In ");
        ki_rep_name(b, p, r->func, KILN_REPORT_NAME_CHARS);
        kiln_buf_addstr(b, " and what it calls, find the loop nested over the data (a scan, a copy or a "
                           "recomputation per item) and replace it: a set or dict built once for lookups, "
                           "one sort and a sweep instead of pairwise comparison, results updated "
                           "incrementally; then re\\-run the sized benchmarks and check the exponent is near 1.");
        break;
    case KILN_PAT_CALL_EXPLOSION:
        kiln_buf_addstr(b, "In ");
        ki_rep_name(b, p, r->func, KILN_REPORT_NAME_CHARS);
        kiln_buf_addstr(b, ", reduce the calls to ");
        ki_rep_name(b, p, r->other, KILN_REPORT_NAME_CHARS);
        kiln_buf_addstr(b, ": hoist calls whose arguments do not change out of the loop, cache results for "
                           "repeated arguments, inline the body if it is trivial, or process the whole "
                           "collection in one call.");
        break;
    default:
        kiln_buf_addstr(b, "In ");
        ki_rep_name(b, p, r->func, KILN_REPORT_NAME_CHARS);
        if (r->other != KILN_NONE) {
            kiln_buf_addstr(b, " (calling ");
            ki_rep_name(b, p, r->other, KILN_REPORT_NAME_CHARS);
            kiln_buf_addstr(b, ")");
        }
        kiln_buf_printf(b, ": %s.", pi->proposed);
        break;
    }
}

kiln_status kiln_report_write_plan(const kiln_profile *p, const kiln_analysis *a, const kiln_report_opts *o,
                                   kiln_sink *out, kiln_error *err)
{
    if (!p || !a || !o || !out)
        return kiln_error_set(err, KILN_ERR_USAGE, "plan: missing argument");
    kiln_buf buf = KILN_BUF_INIT, *b = &buf;
    kiln_buf_addstr(b, "# Optimization plan: ");
    ki_rep_text(b, o->target, 200);
    kiln_buf_addstr(b, "\n\nFrom ");
    ki_rep_text(b, o->report_file ? o->report_file : "the performance analysis", 300);
    kiln_buf_addstr(b, " (kiln ");
    ki_rep_text(b, o->kiln_version, 40);
    kiln_buf_addstr(b, ", ");
    ki_rep_text(b, o->timestamp, 40);
    kiln_buf_addstr(b, "). One feature per recommendation, highest leverage first. Speedups and efforts "
                       "are estimates; shares and counts are measured. Baseline run time: ");
    ki_rep_qty(b, a, a->run_total);
    kiln_buf_addstr(b, ".\n\n");
    if (!a->n_recs)
        kiln_buf_addstr(b, "No feature: no finding above the thresholds names a change.\n");
    for (size_t i = 0; i < a->n_recs; i++) {
        const kiln_recommendation *r = &a->recs[i];
        const kiln_pattern_info *pi = kiln_pattern_info_get(r->pattern);
        const kiln_finding *fd = &a->findings[r->finding];
        const kiln_func *fn = kiln_profile_func_at(p, r->func);
        kiln_buf_printf(b, "## F%03zu: %s in ", i + 1, pi->title);
        ki_rep_name(b, p, r->func, KILN_REPORT_NAME_CHARS);
        kiln_buf_addstr(b, "\n\n");
        kiln_buf_printf(b, "- **Category**: %c\n", r->category);
        kiln_buf_printf(b, "- **Priority**: rank %zu of %zu, leverage %.2f%s\n", i + 1, a->n_recs, r->leverage,
                        r->in_pareto ? " (in the 80/20 set)" : "");
        kiln_buf_addstr(b, "- **Location**: ");
        ki_rep_location(b, p, r->func, 0);
        kiln_buf_addstr(b, ", function ");
        ki_rep_name(b, p, r->func, KILN_REPORT_NAME_CHARS);
        kiln_buf_printf(b, "\n- **Current pattern**: %s\n- **Change**: ", pi->current);
        change_text(b, p, r);
        kiln_buf_addstr(b, "\n- **Acceptance criteria**:\n");
        kiln_buf_addstr(b, "  - the program's results are unchanged (existing tests pass)\n");
        double addressed = r->share * a->run_total;
        kiln_buf_addstr(b, "  - re\\-profiled with the same input, the time this change addresses (now ");
        ki_rep_qty(b, a, addressed);
        kiln_buf_addstr(b, ", ");
        ki_rep_pct(b, r->share);
        kiln_buf_addstr(b, " of the run) falls to about ");
        ki_rep_qty(b, a, addressed * r->remaining);
        kiln_buf_addstr(b, " or less (estimate)");
        if (r->pattern == KILN_PAT_RECURSION && fn->prim_calls > 0)
            kiln_buf_printf(b, "; calls fall from %lld towards the number of distinct arguments",
                            (long long)fn->calls);
        kiln_buf_addstr(b, "\n  - whole run: about ");
        ki_rep_qty(b, a, a->run_total * (1 - r->saved_share));
        kiln_buf_printf(b, " instead of ");
        ki_rep_qty(b, a, a->run_total);
        kiln_buf_printf(b, " (%.2f× by Amdahl's law, estimate); confirm with the benchmarks: improvement %% = "
                           "(baseline − optimized) / baseline × 100\n",
                        r->speedup);
        kiln_buf_printf(b, "- **Estimated effort**: %.1f h\n", r->effort_hours);
        kiln_buf_addstr(b, "- **Evidence**: ");
        ki_rep_text(b, fd->evidence, 0);
        kiln_buf_addstr(b, "\n- **Verify with**: kiln report NEW.prof \\-\\-baseline OLD.json \\-\\-bench NEW.json\n\n");
    }
    if (b->failed) {
        kiln_buf_release(b);
        return kiln_error_set(err, KILN_ERR_NOMEM, "plan: out of memory");
    }
    int rc = kiln_sink_write(out, b->data, b->len);
    kiln_buf_release(b);
    return rc < 0 ? kiln_error_set(err, KILN_ERR_WRITE, "plan: write failed") : KILN_OK;
}
