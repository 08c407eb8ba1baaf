/* chart_common.h: what the cairo/Pango charts share (internal): a canvas
 * that writes PNG or SVG to a kiln_sink, deterministic plain-text labels,
 * and number formatting for axes. */
#ifndef KILN_RENDER_CHART_COMMON_H
#define KILN_RENDER_CHART_COMMON_H

#include <cairo.h>
#include <pango/pangocairo.h>

#include "kiln/io.h"
#include "kiln/status.h"

typedef struct ki_canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoContext *pango;
    kiln_sink *out;
    int svg, width, height;
} ki_canvas;

/* Width and height are clamped to 1..KILN_CHART_MAX_PX. Checks every
 * status; on failure nothing is left to release. */
kiln_status ki_canvas_open(ki_canvas *cv, int width, int height, int svg, kiln_sink *out,
                           kiln_error *err);
/* Writes the image (PNG) or finishes the SVG stream, then releases. */
kiln_status ki_canvas_finish(ki_canvas *cv, kiln_error *err);
void ki_canvas_release(ki_canvas *cv);

enum { KI_ALIGN_LEFT = 0, KI_ALIGN_RIGHT = 1, KI_ALIGN_CENTER = 2 };

/* Draws text (any bytes: sanitized first) with its top-left (or right/center)
 * at x, y, in "DejaVu Sans" of the given pixel size. max_width > 0 ellipsizes
 * at the end. Returns the drawn width in pixels. */
double ki_canvas_text(ki_canvas *cv, const char *text, double x, double y, double size_px, int bold,
                      int align, double max_width);
/* Measures text as ki_canvas_text would draw it. */
double ki_canvas_text_width(ki_canvas *cv, const char *text, double size_px, int bold);

/* Valid UTF-8 with control characters replaced by U+FFFD, at most
 * max_chars code points (then "…"). Returns new (free with free()). */
char *ki_chart_clean_text(const char *s, size_t max_chars);

/* "12.3 ms" with three significant digits. */
void ki_chart_fmt_seconds(char *buf, size_t cap, double seconds);
/* A round number >= v (1, 2, 5 x 10^k). */
double ki_chart_nice_ceil(double v);

#endif
