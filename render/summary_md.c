/* The compact summary for a pull-request comment or $GITHUB_STEP_SUMMARY:
 * a marker comment, the verdict line, top hotspots and recommendations, and
 * the findings in a collapsible block. GitHub refuses a comment over 65,536
 * characters, so the summary is built, measured, and rebuilt with fewer rows
 * and shorter names until it fits under the cap, whatever the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/report.h"
#include "md_escape.h"
#include "report_common.h"

typedef struct {
    size_t hot, recs, finds, name_chars;
} limits;

/* Absolute image URL: base + "/" + file, percent-encoding anything that
 * could end the Markdown link destination. */
static void url(kiln_buf *b, const char *base, const char *file)
{
    const char *parts[2] = {base, file};
    for (int k = 0; k < 2; k++) {
        for (const unsigned char *s = (const unsigned char *)parts[k]; *s; s++) {
            if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                strchr("-._~:/?#@!$&'*+,;=%", *s))
                kiln_buf_addch(b, *s);
            else
                kiln_buf_printf(b, "%%%02X", *s);
        }
        if (k == 0 && base[0] && base[strlen(base) - 1] != '/')
            kiln_buf_addch(b, '/');
    }
}

static void build(kiln_buf *b, const kiln_profile *p, const kiln_analysis *a, const kiln_report_opts *o,
                  limits lim)
{
    kiln_buf_addstr(b, "<!-- kiln:report -->\n## kiln performance report: ");
    ki_rep_text(b, o->target, 100);
    kiln_buf_addstr(b, "\n\n**Run**: ");
    ki_rep_qty(b, a, a->run_total);
    if (a->has_calls)
        kiln_buf_printf(b, ", %lld function calls", (long long)a->total_calls);
    if (a->n_recs)
        kiln_buf_printf(b,
                        ". **Estimated gain** of all %zu recommendations: %.1f%% of the run (%.2f×, estimate); "
                        "the top %zu cover %.0f%% of it.\n\n",
                        a->n_recs, 100 * a->combined_saved_share, a->combined_speedup, a->pareto_count,
                        a->combined_saved_share > 0 ? 100 * a->pareto_saved_share / a->combined_saved_share : 0);
    else
        kiln_buf_addstr(b, ". No recommendation above the thresholds.\n\n");

    /* top hotspots: slow leaves, then the functions of recommendations */
    kiln_buf_addstr(b, "### Top hotspots\n\n");
    if (!a->n_leaves) {
        kiln_buf_addstr(b, "No slow leaf node above the thresholds.\n\n");
    } else {
        kiln_buf_addstr(b, "| # | Function | Location | Self | Share of run |\n|--:|---|---|--:|--:|\n");
        size_t n = a->n_leaves < lim.hot ? a->n_leaves : lim.hot;
        for (size_t i = 0; i < n; i++) {
            kiln_buf_printf(b, "| %zu | ", i + 1);
            ki_rep_name(b, p, a->leaves[i].func, lim.name_chars);
            kiln_buf_addstr(b, " | ");
            ki_rep_location(b, p, a->leaves[i].func, lim.name_chars);
            kiln_buf_addstr(b, " | ");
            ki_rep_qty(b, a, a->leaves[i].self);
            kiln_buf_addstr(b, " | ");
            ki_rep_pct(b, a->leaves[i].share);
            kiln_buf_addstr(b, " |\n");
        }
        if (n < a->n_leaves)
            kiln_buf_printf(b, "| | …and %zu more | | | |\n", a->n_leaves - n);
        kiln_buf_addch(b, '\n');
    }
    if (a->n_recs) {
        kiln_buf_addstr(b, "### Top recommendations\n\n| Rank | Cat. | Change | Function | Est. speedup | "
                           "Effort | Leverage |\n|--:|:-:|---|---|--:|--:|--:|\n");
        size_t n = a->n_recs < lim.recs ? a->n_recs : lim.recs;
        for (size_t i = 0; i < n; i++) {
            const kiln_recommendation *r = &a->recs[i];
            kiln_buf_printf(b, "| %zu%s | %c | %s | ", i + 1, r->in_pareto ? " ⚡" : "", r->category,
                            kiln_pattern_info_get(r->pattern)->title);
            ki_rep_name(b, p, r->func, lim.name_chars);
            kiln_buf_printf(b, " | %.2f× | %.1f h | %.2f |\n", r->speedup, r->effort_hours, r->leverage);
        }
        if (n < a->n_recs)
            kiln_buf_printf(b, "| | | …and %zu more | | | | |\n", a->n_recs - n);
        kiln_buf_addstr(b, "\n⚡ = in the 80/20 set. Speedup by Amdahl's law from the measured share (estimate).\n\n");
    }
    if (a->n_findings) {
        kiln_buf_addstr(b, "<details>\n<summary>Findings and evidence</summary>\n\n");
        kiln_buf_addstr(b, "| Pattern | Function | Share | Evidence |\n|---|---|--:|---|\n");
        size_t n = a->n_findings < lim.finds ? a->n_findings : lim.finds;
        for (size_t i = 0; i < n; i++) {
            const kiln_finding *fd = &a->findings[i];
            kiln_buf_printf(b, "| %s | ", kiln_pattern_info_get(fd->pattern)->title);
            ki_rep_name(b, p, fd->func, lim.name_chars);
            kiln_buf_addstr(b, " | ");
            ki_rep_pct(b, fd->share);
            kiln_buf_addstr(b, " | ");
            ki_rep_text(b, fd->evidence, 0);
            kiln_buf_addstr(b, " |\n");
        }
        if (n < a->n_findings)
            kiln_buf_printf(b, "| …and %zu more | | | |\n", a->n_findings - n);
        kiln_buf_addstr(b, "\n</details>\n\n");
    }
    if (o->image_base_url && *o->image_base_url) {
        if (o->callgraph.file) {
            kiln_buf_addstr(b, "![Call graph](");
            url(b, o->image_base_url, o->callgraph.file);
            kiln_buf_addstr(b, ")\n\n");
        }
        if (o->improvement.file) {
            kiln_buf_addstr(b, "![Before/after](");
            url(b, o->image_base_url, o->improvement.file);
            kiln_buf_addstr(b, ")\n\n");
        }
    }
    if (o->report_file) {
        kiln_buf_addstr(b, "Full report: ");
        ki_rep_text(b, o->report_file, 200);
        kiln_buf_addstr(b, "\n");
    }
}

kiln_status kiln_report_write_summary(const kiln_profile *p, const kiln_analysis *a,
                                      const kiln_report_opts *o, size_t max_chars, kiln_sink *out,
                                      kiln_error *err)
{
    if (!p || !a || !o || !out)
        return kiln_error_set(err, KILN_ERR_USAGE, "summary: missing argument");
    if (!max_chars)
        max_chars = KILN_SUMMARY_MAX_CHARS;
    limits lim = {10, 10, 30, 80};
    kiln_buf b = KILN_BUF_INIT;
    for (int round = 0; round < 16; round++) {
        kiln_buf_reset(&b);
        build(&b, p, a, o, lim);
        if (b.failed)
            break;
        if (ki_rep_chars(b.data, b.len) <= max_chars && b.len <= 4 * max_chars)
            break;
        /* shrink: findings, then names, then the tables */
        if (lim.finds > 5)
            lim.finds /= 2;
        else if (lim.name_chars > 24)
            lim.name_chars /= 2;
        else if (lim.recs > 3 || lim.hot > 3)
            lim.recs = lim.hot = 3;
        else if (lim.finds)
            lim.finds = 0;
        else
            lim.recs = lim.hot = lim.name_chars = 1;
    }
    if (!b.failed && (ki_rep_chars(b.data, b.len) > max_chars || b.len > 4 * max_chars)) {
        kiln_buf_reset(&b);
        kiln_buf_addstr(&b, "<!-- kiln:report -->\nkiln: the summary does not fit the size limit; see the "
                            "full report.\n");
    }
    if (b.failed) {
        kiln_buf_release(&b);
        return kiln_error_set(err, KILN_ERR_NOMEM, "summary: out of memory");
    }
    int rc = kiln_sink_write(out, b.data, b.len);
    kiln_buf_release(&b);
    return rc < 0 ? kiln_error_set(err, KILN_ERR_WRITE, "summary: write failed") : KILN_OK;
}
