/* chart_scaling.c: the scaling plot, measured time against input size on
 * log-log axes, one colour per series, the fitted power law as a line
 * (kiln/charts.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_common.h"
#include "kiln/charts.h"

#define MAX_SERIES 12

static const double palette[MAX_SERIES][3] = {
    {0.122, 0.467, 0.706}, {1.0, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812}, {0.0, 0.0, 0.5}, {0.5, 0.0, 0.0}};

typedef struct {
    double lx0, lx1, ly0, ly1;   /* log10 ranges */
    double px0, px1, py0, py1;   /* pixels (py0 bottom) */
} plot;

static double mx(const plot *p, double v) { return p->px0 + (log10(v) - p->lx0) / (p->lx1 - p->lx0) * (p->px1 - p->px0); }
static double my(const plot *p, double v) { return p->py0 - (log10(v) - p->ly0) / (p->ly1 - p->ly0) * (p->py0 - p->py1); }

kiln_status kiln_chart_scaling(const kiln_scaling_series *series, size_t nseries,
                               const kiln_chart_opts *opts, kiln_sink *out, kiln_error *err)
{
    kiln_chart_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    size_t ns = nseries < MAX_SERIES ? nseries : MAX_SERIES;
    int width = opts->width > 0 ? opts->width : 1100;
    if (width < 600)
        width = 600;
    int legend_h = 22 * (int)(ns ? ns : 1) + 16;
    int height = 110 + 460 + 50 + legend_h;

    double xlo = INFINITY, xhi = 0, ylo = INFINITY, yhi = 0;
    for (size_t s = 0; s < ns; s++)
        for (size_t i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!(x > 0) || !(y > 0) || !isfinite(x) || !isfinite(y))
                continue;
            xlo = fmin(xlo, x), xhi = fmax(xhi, x), ylo = fmin(ylo, y), yhi = fmax(yhi, y);
        }
    if (!(xhi > 0)) {
        xlo = 1, xhi = 10, ylo = 1e-3, yhi = 1;
    }
    plot p;
    p.lx0 = floor(log10(xlo) * 4) / 4 - 0.1;
    p.lx1 = ceil(log10(xhi) * 4) / 4 + 0.1;
    p.ly0 = floor(log10(ylo));
    p.ly1 = ceil(log10(yhi));
    if (p.ly1 - p.ly0 < 1)
        p.ly1 = p.ly0 + 1;
    p.px0 = 90, p.px1 = width - 40, p.py1 = 110, p.py0 = 110 + 460;

    ki_canvas cv;
    kiln_status st = ki_canvas_open(&cv, width, height, opts->svg, out, err);
    if (st)
        return st;
    cairo_t *cr = cv.cr;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    ki_canvas_text(&cv, opts->title ? opts->title : "Scaling: time against input size", 16, 12, 17, 1,
                   KI_ALIGN_LEFT, width - 32);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    ki_canvas_text(&cv, "log-log axes; a straight line of slope k means time \xE2\x88\x9D n^k "
                   "(1 linear, 2 quadratic); dots measured, lines fitted", 16, 40, 12, 0,
                   KI_ALIGN_LEFT, width - 32);

    /* grid: decades on y, sizes on x */
    cairo_set_line_width(cr, 1);
    for (double d = p.ly0; d <= p.ly1 + 1e-9; d += 1) {
        double y = floor(my(&p, pow(10, d))) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, p.px0, y);
        cairo_line_to(cr, p.px1, y);
        cairo_stroke(cr);
        char lbl[32];
        ki_chart_fmt_seconds(lbl, sizeof lbl, pow(10, d));
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        ki_canvas_text(&cv, lbl, p.px0 - 8, y - 7, 11, 0, KI_ALIGN_RIGHT, 0);
    }
    /* x ticks: 1, 2, 5 x 10^k inside the range */
    static const double mults[] = {1, 2, 5};
    for (double d = floor(p.lx0); d <= p.lx1; d += 1)
        for (int k = 0; k < 3; k++) {
            double v = mults[k] * pow(10, d);
            if (log10(v) < p.lx0 || log10(v) > p.lx1)
                continue;
            double x = floor(mx(&p, v)) + 0.5;
            cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
            cairo_move_to(cr, x, p.py1);
            cairo_line_to(cr, x, p.py0);
            cairo_stroke(cr);
            char lbl[32];
            snprintf(lbl, sizeof lbl, "%g", v);
            cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
            ki_canvas_text(&cv, lbl, x, p.py0 + 6, 11, 0, KI_ALIGN_CENTER, 0);
        }
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_rectangle(cr, p.px0 + 0.5, p.py1 + 0.5, p.px1 - p.px0, p.py0 - p.py1);
    cairo_stroke(cr);
    ki_canvas_text(&cv, "input size n", (p.px0 + p.px1) / 2, p.py0 + 24, 12, 0, KI_ALIGN_CENTER, 0);

    /* series */
    cairo_save(cr);
    cairo_rectangle(cr, p.px0, p.py1, p.px1 - p.px0, p.py0 - p.py1);
    cairo_clip(cr);
    for (size_t s = 0; s < ns; s++) {
        const kiln_scaling_series *se = &series[s];
        const double *col = palette[s];
        cairo_set_source_rgb(cr, col[0], col[1], col[2]);
        if (se->fit.cls != KILN_CX_UNKNOWN && se->n) {
            double a = se->x[0], b = se->x[se->n - 1];
            cairo_set_line_width(cr, 2);
            cairo_move_to(cr, mx(&p, a), my(&p, se->fit.coefficient * pow(a, se->fit.exponent)));
            cairo_line_to(cr, mx(&p, b), my(&p, se->fit.coefficient * pow(b, se->fit.exponent)));
            cairo_stroke(cr);
        }
        for (size_t i = 0; i < se->n; i++) {
            if (!(se->x[i] > 0) || !(se->y[i] > 0) || !isfinite(se->y[i]))
                continue;
            cairo_arc(cr, mx(&p, se->x[i]), my(&p, se->y[i]), 4.5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);

    /* legend */
    double ly = p.py0 + 50;
    for (size_t s = 0; s < ns; s++) {
        const double *col = palette[s];
        cairo_set_source_rgb(cr, col[0], col[1], col[2]);
        cairo_rectangle(cr, 20, ly + 4, 16, 10);
        cairo_fill(cr);
        char desc[200], line[700];
        kiln_powerfit_describe(&series[s].fit, "time", desc, sizeof desc);
        snprintf(line, sizeof line, "%s: %s", series[s].name, desc);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        ki_canvas_text(&cv, line, 44, ly, 12, 0, KI_ALIGN_LEFT, width - 64);
        ly += 22;
    }
    if (nseries > ns) {
        char more[80];
        snprintf(more, sizeof more, "\xE2\x80\xA6 %zu more series not drawn", nseries - ns);
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        ki_canvas_text(&cv, more, 20, ly, 12, 0, KI_ALIGN_LEFT, 0);
    }
    return ki_canvas_finish(&cv, err);
}
