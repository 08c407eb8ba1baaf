/* kiln/complexity.h: empirical complexity.
 *
 * Given a measure y at several input sizes x (benchmark times from runs
 * parameterised by a size, or call counts and times of one function in
 * profiles of one workload at several sizes), fit y = c * x^k by least
 * squares on log-log axes and classify the exponent k:
 *
 *   k < 0.35        constant, or logarithmic when a c*log(x) model fits
 *                   better (smaller residual on the log scale)
 *   0.35 <= k < 0.75  sublinear
 *   0.75 <= k < 1.25  linear (over one decade n log n shows k ~ 1.1 and
 *                   cannot be told apart: flagged "or n log n" when k >= 1.08)
 *   1.25 <= k < 1.6   superlinear (n log n on large ranges, n^1.5)
 *   1.6 <= k < 2.5    quadratic
 *   2.5 <= k < 3.5    cubic
 *   k >= 3.5          worse than cubic
 *
 * R^2 is the coefficient of determination of the log-log fit; with only two
 * sizes it is 1 by construction and reported as not available. */
#ifndef KILN_COMPLEXITY_H
#define KILN_COMPLEXITY_H

#include <stddef.h>

#include "kiln/bench.h"
#include "kiln/compare.h"
#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_complexity {
    KILN_CX_UNKNOWN = 0, KILN_CX_CONSTANT, KILN_CX_LOG, KILN_CX_SUBLINEAR, KILN_CX_LINEAR,
    KILN_CX_NLOGN, KILN_CX_QUADRATIC, KILN_CX_CUBIC, KILN_CX_WORSE
} kiln_complexity;

/* "constant", "logarithmic", "sublinear", "linear", "superlinear", "quadratic",
 * "cubic", "worse than cubic", "unknown" (static). */
const char *kiln_complexity_name(kiln_complexity c);

typedef struct kiln_powerfit {
    double exponent;     /* k */
    double coefficient;  /* c */
    double r2;           /* NAN with fewer than 3 distinct sizes */
    size_t points;       /* points used (positive, finite x and y) */
    kiln_complexity cls;
    int or_nlogn;        /* linear, but n log n fits about as well */
} kiln_powerfit;

/* Fits y = c x^k over the points with x > 0 and y > 0 (others are skipped).
 * KILN_ERR_DATA when fewer than two distinct sizes remain. */
kiln_status kiln_fit_power(const double *x, const double *y, size_t n, kiln_powerfit *out);

/* "time ∝ n^1.98, R² 0.999: quadratic" into buf (NUL-terminated). what is
 * the measured quantity ("time", "calls"). Returns buf. */
char *kiln_powerfit_describe(const kiln_powerfit *f, const char *what, char *buf, size_t cap);

/* One series: a measure at several sizes, sorted by size. */
typedef struct kiln_scaling_series {
    const char *name;      /* display name (owned by the set) */
    size_t n;
    const double *x;       /* sizes */
    const double *y;       /* seconds */
    const double *calls;   /* call counts (profiles), or NULL */
    kiln_powerfit fit;     /* of y */
    kiln_powerfit calls_fit; /* of calls (profiles), else cls = UNKNOWN */
    const double *calls_out; /* profiles: calls the function makes to others, or NULL */
    kiln_powerfit calls_out_fit; /* of calls_out, else cls = UNKNOWN */
    double share;          /* profiles: the function's share of the largest run, 0..1 */
} kiln_scaling_series;

typedef struct kiln_scaling_set kiln_scaling_set;

/* Series from one benchmark run: benchmarks with the same name before
 * "[...]" and the same group form a series, x being the numeric parameter
 * named param (NULL: the only numeric parameter), y the given statistic.
 * Series with fewer than two sizes are left out. label (may be NULL) is
 * appended to names as " (label)". Appends to *set, creating it when NULL. */
kiln_status kiln_scaling_add_bench(kiln_scaling_set **set, const kiln_bench_run *run,
                                   kiln_bench_field metric, const char *param, const char *label,
                                   kiln_error *err);

/* Series from profiles of one workload at several sizes (n >= 2), one per
 * function present in at least two of them, keyed by name, file and line:
 * y = the function's total (cumulative) time, calls = its call count,
 * calls_out = the calls it makes to other functions. Ordered by share of the largest run. Returns new. */
kiln_status kiln_scaling_from_profiles(const kiln_profile *const *profiles, const double *sizes,
                                       size_t n, kiln_scaling_set **out, kiln_error *err);

size_t kiln_scaling_count(const kiln_scaling_set *s);
const kiln_scaling_series *kiln_scaling_at(const kiln_scaling_set *s, size_t i); /* borrowed */
/* The series as one array (borrowed, valid until the set changes). */
const kiln_scaling_series *kiln_scaling_series_array(const kiln_scaling_set *s);
void kiln_scaling_free(kiln_scaling_set *s);

/* ---- growth of the analysed profile's functions ---------------------------- */

/* The measured growth of one function of a profile, matched from a scaling
 * set: the evidence that makes a finding algorithmic (Category B) in
 * kiln_analyze (kiln_analysis_opts.growth). Holds no pointer. */
typedef struct kiln_growth {
    kiln_func_id func;       /* in the profile given to kiln_growth_match */
    kiln_powerfit fit;       /* time against size */
    kiln_powerfit calls_fit; /* calls against size; cls UNKNOWN when not measured */
    kiln_powerfit calls_out_fit; /* calls it makes against size; likewise */
    double size_min, size_max;
    size_t series;           /* index of the series in the scaling set (for its name) */
    int from_bench;          /* 1: a benchmark series whose name names the function;
                              * 0: the function itself in profiles at several sizes */
} kiln_growth;

/* Matches series [from, to) of set to functions of p:
 *   - profile series (kiln_scaling_from_profiles) by file, line and name;
 *   - benchmark series by name: the benchmark's name without its " (label)"
 *     suffix and without a "test_", "bench_" or "benchmark_" prefix (or a
 *     "_benchmark"/"_bench" suffix) equals the function's name, or the part
 *     after its last '.'; when several functions match, the one with the
 *     largest total time.
 * Series whose time fit failed are skipped; a function matched twice keeps
 * the first series. On success *out is new (free()), *n its length (may
 * be 0 with *out NULL). */
kiln_status kiln_growth_match(const kiln_profile *p, const kiln_scaling_set *set, size_t from, size_t to,
                              kiln_growth **out, size_t *n, kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
