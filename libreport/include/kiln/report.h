/* kiln/report.h: the report bundle of the seed workflow, as text.
 *
 *   kiln_report_write_md       performance_analysis_<target>_<date>.md
 *   kiln_report_write_plan     plan.md (F001 = highest leverage first)
 *   kiln_report_write_summary  a compact Markdown for a pull-request comment
 *                              or $GITHUB_STEP_SUMMARY, under a size cap
 *   kiln_report_md_to_html     any of the above as one self-contained HTML
 *                              page, rendered by cmark-gfm (table, autolink,
 *                              tagfilter, strikethrough; raw HTML is never
 *                              let through, except kiln's own <details> and
 *                              <summary> lines)
 *
 * Every name that comes from the profile is escaped for Markdown and HTML;
 * names longer than KILN_REPORT_NAME_CHARS code points are shortened for
 * display and kept whole in a "Full names" section of the report.
 * The output depends only on the inputs and the options: the caller passes
 * the timestamp (SOURCE_DATE_EPOCH in the CLI), so reports are reproducible
 * byte for byte. All pointers in the option structs are borrowed for the
 * call. */
#ifndef KILN_REPORT_H
#define KILN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/analysis.h"
#include "kiln/compare.h"
#include "kiln/io.h"
#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_REPORT_NAME_CHARS 120       /* display cap for names in the report */
#define KILN_SUMMARY_MAX_CHARS 65000u    /* default --summary cap (GitHub: 65,536) */

typedef struct kiln_report_input {
    const char *path;      /* as the user spelled it */
    uint64_t size;         /* bytes */
    const char *sha256;    /* hex, or NULL */
    const char *role;      /* "profile", "baseline", "bench" */
} kiln_report_input;

/* A linked artifact: file is the name relative to the report (NULL when it
 * was not written); why_not says why ("not available in this build", "needs
 * --baseline and --bench", or the renderer's error). */
typedef struct kiln_report_artifact {
    const char *file;
    const char *why_not;
} kiln_report_artifact;

typedef struct kiln_report_opts {
    const char *target;          /* "logpipe" (safe for file names; escaped anyway) */
    const char *timestamp;       /* ISO 8601 UTC */
    const char *date;            /* YYYY-MM-DD (the report file's date) */
    const char *report_file;     /* the .md file name, for plan.md and the summary */
    const char *kiln_version;
    const char *host, *cpu;      /* NULL or "" = unknown */
    const char *python_version;  /* NULL: taken from the profile metadata or
                                  * inferred from library paths */
    const char *git_commit;      /* the target's commit, or NULL */
    const char *git_note;        /* why there is none ("not a git work tree"), or NULL */
    const kiln_report_input *inputs;
    size_t n_inputs;
    const char *const *source_roots; /* DIR or OLD=NEW entries, see below */
    size_t n_source_roots;
    kiln_report_artifact flame, callgraph, improvement;
    const kiln_compare *compare; /* before/after benchmarks, or NULL */
    const char *image_base_url;  /* summary: absolute URL prefix for images, or NULL */
    size_t max_rows;             /* baseline table rows; 0 = 25 */
    /* Further profiles (e.g. the same workload at other sizes or Python
     * versions): summarised in one table. */
    const kiln_profile *const *others;
    const char *const *other_names;
    size_t n_others;
    /* Empirical complexity: the scaling series behind the analysis's
     * measured growth (kiln_analysis.growth[].series indexes it), listed in
     * an "Empirical complexity" section; NULL for none. */
    const kiln_scaling_set *scaling;
} kiln_report_opts;

/* Source excerpts: a frame's file is read when it exists as named, else
 * under each source root: "OLD=NEW" replaces the prefix OLD of the path by
 * NEW; a plain DIR is tried with the path's trailing components, longest
 * first (DIR/home/dev/x/pkg/mod.py ... DIR/pkg/mod.py, DIR/mod.py). Only
 * regular source files (.py .pyx .c .h .cc .cpp .cxx .hpp .rs .go .java .js
 * .ts .rb) under 8 MiB are read. */

/* Initialises o to zeros/NULLs. */
void kiln_report_opts_init(kiln_report_opts *o);

/* The analysis report (p finished, a = kiln_analyze(p)). */
kiln_status kiln_report_write_md(const kiln_profile *p, const kiln_analysis *a, const kiln_report_opts *o,
                                 kiln_sink *out, kiln_error *err);

/* plan.md: one feature per recommendation. */
kiln_status kiln_report_write_plan(const kiln_profile *p, const kiln_analysis *a, const kiln_report_opts *o,
                                   kiln_sink *out, kiln_error *err);

/* The compact summary; never more than max_chars code points (0 =
 * KILN_SUMMARY_MAX_CHARS) nor 4 bytes per allowed code point: rows are
 * dropped ("…and N more") until it fits. */
kiln_status kiln_report_write_summary(const kiln_profile *p, const kiln_analysis *a,
                                      const kiln_report_opts *o, size_t max_chars, kiln_sink *out,
                                      kiln_error *err);

/* Renders Markdown (len bytes, borrowed) to a self-contained HTML page with
 * the embedded templates report.html + report.css. title is escaped. */
kiln_status kiln_report_md_to_html(const char *md, size_t len, const char *title, kiln_sink *out,
                                   kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
