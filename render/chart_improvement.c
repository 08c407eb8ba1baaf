/* chart_improvement.c: improvement_<target>.png, baseline vs new per
 * benchmark as grouped horizontal bars with IQR whiskers and the speedup
 * written beside each pair (kiln/charts.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_common.h"
#include "kiln/charts.h"

/* Colours (also checked by tests/compare/test_charts.py). */
#define BASE_RGB 0.62, 0.62, 0.62    /* #9e9e9e baseline */
#define NEW_RGB 0.122, 0.467, 0.706  /* #1f77b4 new, faster or within noise */
#define BAD_RGB 0.839, 0.153, 0.157  /* #d62728 new, slower or failed gate */
#define GOOD_TEXT 0.0, 0.45, 0.2

enum { BAR_H = 14, BAR_GAP = 3, PAIR_GAP = 16, TOP = 96, BOTTOM = 58, RIGHT = 150 };

typedef struct {
    int log;
    double lo, hi;    /* value range of the axis */
    double x0, x1;    /* pixel range */
} axis;

static double ax_map(const axis *a, double v)
{
    if (!isfinite(v))
        return a->x0;
    if (a->log) {
        if (v < a->lo)
            v = a->lo;
        return a->x0 + (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) * (a->x1 - a->x0);
    }
    if (v < 0)
        v = 0;
    return a->x0 + v / a->hi * (a->x1 - a->x0);
}

static int is_bad(const kiln_compare_row *r)
{
    return r->failed_gates || r->verdict == KILN_VERDICT_SLOWER;
}

static void bar(ki_canvas *cv, const axis *a, double y, const kiln_bench_stats *s, kiln_bench_field m,
                double r, double g, double b)
{
    cairo_t *cr = cv->cr;
    double v = kiln_bench_field_value(s, m);
    double x = ax_map(a, v);
    cairo_set_source_rgb(cr, r, g, b);
    cairo_rectangle(cr, a->x0, y, fmax(x - a->x0, 1), BAR_H);
    cairo_fill(cr);
    if (m != KILN_FIELD_OPS && isfinite(s->q1) && isfinite(s->q3) && s->q3 >= s->q1) {
        double w0 = ax_map(a, s->q1), w1 = ax_map(a, s->q3), ym = y + BAR_H / 2.0;
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr, 1.2);
        cairo_move_to(cr, w0, ym);
        cairo_line_to(cr, w1, ym);
        cairo_move_to(cr, w0, ym - 4);
        cairo_line_to(cr, w0, ym + 4);
        cairo_move_to(cr, w1, ym - 4);
        cairo_line_to(cr, w1, ym + 4);
        cairo_stroke(cr);
    }
}

static void run_label(char *buf, size_t cap, const kiln_bench_run *run)
{
    const kiln_bench_info *in = kiln_bench_run_info(run);
    size_t hex = strspn(in->commit_id, "0123456789abcdef");
    const char *when = *in->commit_time ? in->commit_time : in->datetime;
    if (hex >= 7 && in->commit_id[hex] == '\0')
        snprintf(buf, cap, "%.7s%s%.10s%s", in->commit_id, *when ? " " : "", when,
                 in->dirty == 1 ? " (dirty)" : "");
    else
        snprintf(buf, cap, "%s%s%.10s", *in->source ? in->source : "?", *when ? " " : "", when);
}

kiln_status kiln_chart_improvement(const kiln_compare *c, const kiln_chart_opts *opts, kiln_sink *out,
                                   kiln_error *err)
{
    kiln_chart_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    int width = opts->width > 0 ? opts->width : 1100;
    if (width < 500)
        width = 500;
    kiln_bench_field m = kiln_compare_metric(c);
    size_t n = kiln_compare_count(c);
    size_t max_rows = (KILN_CHART_MAX_PX - TOP - BOTTOM - 40) / (2 * BAR_H + BAR_GAP + PAIR_GAP);
    if (max_rows > KILN_CHART_MAX_BARS)
        max_rows = KILN_CHART_MAX_BARS;
    size_t shown = n < max_rows ? n : max_rows;

    /* value range */
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < shown; i++) {
        const kiln_compare_row *r = kiln_compare_row_at(c, i);
        const kiln_bench *bs[2] = {r->base, r->head};
        for (int k = 0; k < 2; k++) {
            if (!bs[k])
                continue;
            double v = kiln_bench_field_value(&bs[k]->stats, m);
            double q3 = m == KILN_FIELD_OPS ? v : bs[k]->stats.q3;
            if (isfinite(v) && v > 0 && v < lo)
                lo = v;
            if (isfinite(v) && v > hi)
                hi = v;
            if (isfinite(q3) && q3 > hi)
                hi = q3;
        }
    }
    int height = TOP + BOTTOM + (int)(shown ? shown : 1) * (2 * BAR_H + BAR_GAP + PAIR_GAP) +
                 (n > shown ? 24 : 0);
    ki_canvas cv;
    kiln_status st = ki_canvas_open(&cv, width, height, opts->svg, out, err);
    if (st)
        return st;
    cairo_t *cr = cv.cr;

    /* name column: as wide as the longest name, within limits */
    double name_w = 120;
    for (size_t i = 0; i < shown; i++) {
        const kiln_compare_row *r = kiln_compare_row_at(c, i);
        const kiln_bench *b = r->head ? r->head : r->base;
        double w = ki_canvas_text_width(&cv, b->name, 12, 0);
        if (w > name_w)
            name_w = w;
    }
    if (name_w > width * 0.32)
        name_w = width * 0.32;
    axis a = {0};
    a.x0 = 16 + name_w + 12;
    a.x1 = width - RIGHT;
    if (hi > 0 && lo < INFINITY && hi / lo > 100) {
        a.log = 1;
        a.lo = pow(10, floor(log10(lo)));
        a.hi = pow(10, ceil(log10(hi)));
    } else {
        a.lo = 0;
        a.hi = ki_chart_nice_ceil(hi > 0 ? hi * 1.02 : 1);
    }

    /* title and legend */
    char bl[96], hl[96], title[320];
    run_label(bl, sizeof bl, kiln_compare_base(c));
    run_label(hl, sizeof hl, kiln_compare_head(c));
    if (opts->title)
        snprintf(title, sizeof title, "%s", opts->title);
    else
        snprintf(title, sizeof title, "Benchmarks: baseline %s \xE2\x86\x92 new %s", bl, hl);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    ki_canvas_text(&cv, title, 16, 12, 17, 1, KI_ALIGN_LEFT, width - 32);
    char sub[200];
    snprintf(sub, sizeof sub, "%s per iteration%s; whiskers: interquartile range (q1\xE2\x80\x93q3)%s",
             m == KILN_FIELD_OPS ? "operations per second" : kiln_bench_field_name(m),
             m == KILN_FIELD_OPS ? "" : " (shorter is faster)", a.log ? "; log scale" : "");
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    ki_canvas_text(&cv, sub, 16, 38, 12, 0, KI_ALIGN_LEFT, width - 32);
    struct { double r, g, b; const char *label; } legend[] = {
        {BASE_RGB, "baseline"}, {NEW_RGB, "new"}, {BAD_RGB, "new, slower (regression)"}};
    double lx = 16;
    for (int i = 0; i < 3; i++) {
        cairo_set_source_rgb(cr, legend[i].r, legend[i].g, legend[i].b);
        cairo_rectangle(cr, lx, 66, 14, 12);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        lx += 20 + ki_canvas_text(&cv, legend[i].label, lx + 20, 64, 12, 0, KI_ALIGN_LEFT, 0) + 22;
    }

    /* grid and axis labels */
    double plot_top = TOP - 4, plot_bottom = height - BOTTOM + 4 - (n > shown ? 24 : 0);
    cairo_set_line_width(cr, 1);
    int nt = 0;
    double ticks[64];
    if (a.log) {
        for (double t = a.lo; t <= a.hi * 1.0001 && nt < 64; t *= 10)
            ticks[nt++] = t;
    } else {
        for (int i = 0; i <= 5; i++)
            ticks[nt++] = a.hi * i / 5;
    }
    for (int i = 0; i < nt; i++) {
        double x = floor(ax_map(&a, ticks[i])) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x, plot_top);
        cairo_line_to(cr, x, plot_bottom);
        cairo_stroke(cr);
        char lbl[32];
        if (m == KILN_FIELD_OPS)
            snprintf(lbl, sizeof lbl, "%.3g/s", ticks[i]);
        else
            ki_chart_fmt_seconds(lbl, sizeof lbl, ticks[i]);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        ki_canvas_text(&cv, lbl, x, plot_bottom + 6, 11, 0, KI_ALIGN_CENTER, 0);
    }
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_move_to(cr, floor(a.x0) + 0.5, plot_top);
    cairo_line_to(cr, floor(a.x0) + 0.5, plot_bottom);
    cairo_stroke(cr);

    /* the bars */
    double y = TOP;
    for (size_t i = 0; i < shown; i++) {
        const kiln_compare_row *r = kiln_compare_row_at(c, i);
        const kiln_bench *b = r->head ? r->head : r->base;
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        ki_canvas_text(&cv, b->name, a.x0 - 12, y + BAR_H - 7, 12, 0, KI_ALIGN_RIGHT, name_w);
        if (r->base)
            bar(&cv, &a, y, &r->base->stats, m, BASE_RGB);
        if (r->head) {
            if (is_bad(r))
                bar(&cv, &a, y + BAR_H + BAR_GAP, &r->head->stats, m, BAD_RGB);
            else
                bar(&cv, &a, y + BAR_H + BAR_GAP, &r->head->stats, m, NEW_RGB);
        }
        char note[64];
        if (r->kind == KILN_ROW_ADDED) {
            snprintf(note, sizeof note, "added");
            cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        } else if (r->kind == KILN_ROW_REMOVED) {
            snprintf(note, sizeof note, "removed");
            cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        } else if (!isfinite(r->speedup)) {
            snprintf(note, sizeof note, "n/a");
            cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        } else if (r->verdict == KILN_VERDICT_NOISE) {
            snprintf(note, sizeof note, "%.2f\xC3\x97 (noise)", r->speedup);
            cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        } else if (r->speedup >= 1) {
            snprintf(note, sizeof note, "%.2f\xC3\x97 faster", r->speedup);
            if (is_bad(r))
                cairo_set_source_rgb(cr, BAD_RGB);
            else
                cairo_set_source_rgb(cr, GOOD_TEXT);
        } else {
            snprintf(note, sizeof note, "%.2f\xC3\x97 slower", 1 / r->speedup);
            cairo_set_source_rgb(cr, BAD_RGB);
        }
        ki_canvas_text(&cv, note, a.x1 + 10, y + BAR_H - 7, 12, 1, KI_ALIGN_LEFT, RIGHT - 14);
        y += 2 * BAR_H + BAR_GAP + PAIR_GAP;
    }
    if (n > shown) {
        char more[96];
        snprintf(more, sizeof more, "\xE2\x80\xA6 %zu more benchmarks not drawn", n - shown);
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        ki_canvas_text(&cv, more, 16, height - 30, 12, 0, KI_ALIGN_LEFT, 0);
    }
    return ki_canvas_finish(&cv, err);
}
