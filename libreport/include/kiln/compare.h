/* kiln/compare.h: comparing two benchmark runs (baseline vs new).
 *
 * Benchmarks are matched by fullname, as pytest-benchmark does. For each
 * matched pair the comparison gives the change of one metric (the mean by
 * default) as an improvement percentage, (baseline - new) / baseline * 100,
 * and as a speedup, baseline / new; and a noise verdict: when both runs kept
 * their raw per-round data, a two-sided Mann-Whitney U test (normal
 * approximation with tie and continuity correction, as scipy's
 * mannwhitneyu(method="asymptotic")); otherwise whether the interquartile
 * ranges [q1, q3] overlap. Benchmarks only in the new run are "added", only
 * in the baseline "removed".
 *
 * Gates follow pytest-benchmark's --benchmark-compare-fail exactly:
 * "FIELD:P%" fails when new/base*100 - 100 > P (a baseline of 0 counts as
 * +infinity), "FIELD:SECONDS" fails when new - base > SECONDS; FIELD is one
 * of min, max, mean, median, stddev, iqr. */
#ifndef KILN_COMPARE_H
#define KILN_COMPARE_H

#include <stddef.h>

#include "kiln/bench.h"
#include "kiln/io.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_bench_field {
    KILN_FIELD_MEAN = 0, KILN_FIELD_MIN, KILN_FIELD_MAX, KILN_FIELD_STDDEV,
    KILN_FIELD_MEDIAN, KILN_FIELD_IQR, KILN_FIELD_OPS, KILN_FIELD_COUNT_
} kiln_bench_field;

/* "mean", ... (static). */
const char *kiln_bench_field_name(kiln_bench_field f);
/* Returns 1 and sets *out for a known name, else 0. */
int kiln_bench_field_parse(const char *name, kiln_bench_field *out);
double kiln_bench_field_value(const kiln_bench_stats *s, kiln_bench_field f);

/* ---- gates ---------------------------------------------------------------- */

#define KILN_MAX_GATES 16

typedef enum kiln_gate_kind { KILN_GATE_PERCENT = 0, KILN_GATE_SECONDS = 1 } kiln_gate_kind;

typedef struct kiln_gate {
    kiln_bench_field field;  /* min, max, mean, median, stddev or iqr */
    kiln_gate_kind kind;
    double threshold;        /* percent or seconds, >= 0 */
} kiln_gate;

/* Parses "mean:5%" or "min:0.001". KILN_ERR_USAGE with a message on a bad
 * expression. */
kiln_status kiln_gate_parse(const char *expr, kiln_gate *out, kiln_error *err);
/* The checked quantity: percent change or difference in seconds. */
double kiln_gate_value(const kiln_gate *g, const kiln_bench_stats *base, const kiln_bench_stats *head);
/* 1 when value exceeds the threshold (NaN never fails). */
int kiln_gate_fails(const kiln_gate *g, double value);
/* "PercentageRegressionCheck" or "DifferenceRegressionCheck" (pytest-benchmark's names). */
const char *kiln_gate_check_name(const kiln_gate *g);

/* ---- statistics ---------------------------------------------------------- */

typedef struct kiln_mwu {
    double u;        /* U statistic of the first sample */
    double z;        /* standardized, continuity-corrected, >= 0 */
    double p;        /* two-sided p-value */
} kiln_mwu;

/* Mann-Whitney U test. KILN_ERR_USAGE when a sample is empty or holds NaN;
 * KILN_ERR_NOMEM. Does not keep the arrays. */
kiln_status kiln_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, kiln_mwu *out);

/* ---- comparison ---------------------------------------------------------- */

typedef enum kiln_row_kind { KILN_ROW_MATCHED = 0, KILN_ROW_ADDED, KILN_ROW_REMOVED } kiln_row_kind;

typedef enum kiln_verdict {
    KILN_VERDICT_NONE = 0,   /* added/removed, or the metric is not finite */
    KILN_VERDICT_NOISE,      /* the difference is within the noise */
    KILN_VERDICT_FASTER,     /* beyond noise, new is faster */
    KILN_VERDICT_SLOWER      /* beyond noise, new is slower */
} kiln_verdict;

typedef enum kiln_noise_method {
    KILN_NOISE_NONE = 0, KILN_NOISE_IQR_OVERLAP, KILN_NOISE_MANN_WHITNEY
} kiln_noise_method;

typedef struct kiln_compare_row {
    kiln_row_kind kind;
    const kiln_bench *base;    /* borrowed from the baseline run, NULL when added */
    const kiln_bench *head;    /* borrowed from the new run, NULL when removed */
    double improvement_pct;    /* (base - new) / base * 100 of the metric, or NAN */
    double speedup;            /* base / new (>1 = faster), or NAN (INFINITY when new is 0) */
    kiln_verdict verdict;
    kiln_noise_method method;
    double p_value;            /* Mann-Whitney p, NAN otherwise */
    unsigned failed_gates;     /* bit i set when gate i failed */
} kiln_compare_row;

typedef struct kiln_compare_opts {
    kiln_bench_field metric;   /* the compared metric; 0 = KILN_FIELD_MEAN */
    const kiln_gate *gates;    /* copied */
    size_t ngates;             /* <= KILN_MAX_GATES */
    double alpha;              /* significance level; 0 means 0.05 */
} kiln_compare_opts;

typedef struct kiln_compare kiln_compare;

/* Compares; the runs are borrowed and must outlive the result. Rows are the
 * new run's benchmarks in file order (matched or added), then removed ones
 * in baseline order. Duplicate fullnames: the first one counts. Returns new
 * (free with kiln_compare_free). */
kiln_status kiln_compare_runs(const kiln_bench_run *base, const kiln_bench_run *head,
                              const kiln_compare_opts *opts, kiln_compare **out, kiln_error *err);
void kiln_compare_free(kiln_compare *c);

size_t kiln_compare_count(const kiln_compare *c);
const kiln_compare_row *kiln_compare_row_at(const kiln_compare *c, size_t i); /* borrowed */
const kiln_bench_run *kiln_compare_base(const kiln_compare *c);
const kiln_bench_run *kiln_compare_head(const kiln_compare *c);
kiln_bench_field kiln_compare_metric(const kiln_compare *c);
size_t kiln_compare_gate_count(const kiln_compare *c);
const kiln_gate *kiln_compare_gate(const kiln_compare *c, size_t g);
/* The gate's checked value for a matched row (NAN otherwise). */
double kiln_compare_gate_value(const kiln_compare *c, size_t row, size_t gate);
/* Rows with at least one failed gate. */
size_t kiln_compare_regressions(const kiln_compare *c);
/* Counts by verdict/kind for summaries. */
typedef struct kiln_compare_summary {
    size_t matched, added, removed, faster, slower, noise, failed;
} kiln_compare_summary;
void kiln_compare_summarize(const kiln_compare *c, kiln_compare_summary *out);

/* ---- output (render/compare_out.c) --------------------------------------- */

/* Terminal table, one benchmark per line; names made safe for a terminal. */
kiln_status kiln_compare_write_text(const kiln_compare *c, kiln_sink *out, kiln_error *err);
/* A GitHub-flavoured Markdown block sized for a pull-request comment: a
 * verdict line, then a table (at most max_rows rows, 0 = 200, "…and N more"),
 * every name escaped for a table cell. */
kiln_status kiln_compare_write_markdown(const kiln_compare *c, size_t max_rows, kiln_sink *out,
                                        kiln_error *err);
/* Machine-readable JSON with full-precision numbers. */
kiln_status kiln_compare_write_json(const kiln_compare *c, kiln_sink *out, kiln_error *err);
/* The gate failures, one line each, in pytest-benchmark's words:
 * "\t<name> (<source>) - Field 'mean' has failed PercentageRegressionCheck:
 * 29.031234567 > 5.000000000". Writes nothing when nothing failed. */
kiln_status kiln_compare_write_failures(const kiln_compare *c, kiln_sink *out, kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
