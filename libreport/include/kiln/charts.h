/* kiln/charts.h: PNG/SVG charts drawn with cairo and Pango.
 *
 * Text is laid out as plain text (never Pango markup); invalid UTF-8 and
 * control characters are replaced before Pango sees them; long names are
 * ellipsized. Output is deterministic for a given font configuration: no
 * hinting, greyscale antialiasing, a fixed resolution of 96 dpi, the
 * "DejaVu Sans" family. Sizes are clamped below 32767 px (cairo's limit);
 * every cairo surface status is checked, so a failure is an error rather
 * than a blank image. */
#ifndef KILN_CHARTS_H
#define KILN_CHARTS_H

#include <stddef.h>

#include "kiln/compare.h"
#include "kiln/complexity.h"
#include "kiln/io.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_CHART_MAX_PX 32000
#define KILN_CHART_MAX_BARS 2000  /* benchmarks drawn; the rest are counted in a note */

typedef struct kiln_chart_opts {
    int width;          /* pixels; 0 = 1100 (the height follows the content) */
    int svg;            /* 1: SVG instead of PNG */
    const char *title;  /* NULL: made from the runs (commits and dates) */
} kiln_chart_opts;

/* Grouped horizontal bars per benchmark (baseline grey, new blue, new red
 * when it is slower beyond noise or failed a gate) with IQR whiskers
 * [q1, q3], the speedup written at each pair, a log scale when values span
 * more than two orders of magnitude. Writes the image to out. opts may be
 * NULL. */
kiln_status kiln_chart_improvement(const kiln_compare *c, const kiln_chart_opts *opts, kiln_sink *out,
                                   kiln_error *err);

/* Log-log scaling plot: the measured points of each series and its fitted
 * power law as a line, with the exponent in the legend. */
kiln_status kiln_chart_scaling(const kiln_scaling_series *series, size_t nseries,
                               const kiln_chart_opts *opts, kiln_sink *out, kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
