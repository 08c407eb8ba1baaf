/* render/callgraph_draw.c: measuring and drawing the call graph with cairo
 * and pango. Text is always plain (pango_layout_set_text, never markup) and
 * already sanitized; hinting is off so measured widths hold at any scale. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "callgraph_internal.h"
#include "callgraph_png.h"

#define NODE_MAX_TEXT_W 250.0  /* points; longer names are ellipsized */
#define NODE_PAD_X 7.0
#define NODE_PAD_Y 4.0
#define BADGE_PAD 2.0
#define MARGIN 18.0
#define MIN_CANVAS_W 820.0
#define DEFAULT_SCALE 1.25
#define MAX_PIXELS 120e6       /* PNG area cap (~480 MB of ARGB) */

enum { LINE_NAME, LINE_WHERE, LINE_PCT, LINE_CALLS, LINE_BADGE };

static const char *const line_font[KI_CG_NODE_LINES] = {
    KI_CG_FONT " Bold 9", KI_CG_FONT " 7.5", KI_CG_FONT " 8.5", KI_CG_FONT " 7.5",
    KI_CG_FONT " Bold 6.5",
};

/* ---- text --------------------------------------------------------------- */

static PangoContext *text_context(void)
{
    PangoFontMap *fm = pango_cairo_font_map_get_default(); /* borrowed */
    PangoContext *ctx = pango_font_map_create_context(fm);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(ctx, fo);
    cairo_font_options_destroy(fo);
    pango_cairo_context_set_resolution(ctx, 72.0); /* 1 pt = 1 unit */
    return ctx;
}

/* A layout of plain text in font, no wider than max_w (<= 0: unlimited). */
static PangoLayout *text_layout(PangoContext *ctx, const char *font, const char *text,
                                double max_w, PangoEllipsizeMode ell)
{
    PangoLayout *l = pango_layout_new(ctx);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(l, text, -1);
    if (max_w > 0) {
        pango_layout_set_width(l, (int)(max_w * PANGO_SCALE));
        pango_layout_set_ellipsize(l, ell);
    }
    return l;
}

static void text_size(PangoLayout *l, double *w, double *h)
{
    PangoRectangle logical;
    pango_layout_get_extents(l, NULL, &logical);
    *w = (double)logical.width / PANGO_SCALE;
    *h = (double)logical.height / PANGO_SCALE;
}

static void fmt_count(int64_t v, char *out, size_t n)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t len = strlen(digits), o = 0;
    if (v < 0 && o + 1 < n) out[o++] = '-';
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = 0;
}

static void fmt_pct(double pct, char *out, size_t n)
{
    if (!isfinite(pct)) snprintf(out, n, "?%%");
    else snprintf(out, n, pct >= 10 || pct == 0 ? "%.1f%%" : "%.2f%%", pct);
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

static char *node_line(const ki_cg_node *nd, int kind)
{
    char a[32], b[32];
    switch (kind) {
    case LINE_NAME:
        return strdup(nd->name[0] ? nd->name : "(unnamed)");
    case LINE_WHERE:
        return nd->where[0] ? strdup(nd->where) : NULL;
    case LINE_PCT:
        fmt_pct(nd->total_pct, a, sizeof a);
        fmt_pct(nd->self_pct, b, sizeof b);
        return dup_printf("%s total \xc2\xb7 %s self", a, b);
    case LINE_CALLS:
        if (nd->calls <= 0) return NULL;
        fmt_count(nd->calls, a, sizeof a);
        if (nd->prim_calls > 0 && nd->prim_calls != nd->calls) {
            fmt_count(nd->prim_calls, b, sizeof b);
            return dup_printf("%s calls (%s primitive)", a, b);
        }
        return dup_printf("%s call%s", a, nd->calls == 1 ? "" : "s");
    case LINE_BADGE:
        if (nd->mark == KI_CG_MARK_SLOW_LEAF) return strdup("SLOW LEAF");
        if (nd->mark == KI_CG_MARK_JUNCTION) return strdup("BUSY JUNCTION");
        return NULL;
    }
    return NULL;
}

kiln_status ki_cg_measure(ki_cg *cg, kiln_error *err)
{
    PangoContext *ctx = text_context();
    kiln_status st = KILN_OK;
    for (uint32_t i = 0; st == KILN_OK && i < cg->nnodes; i++) {
        ki_cg_node *nd = &cg->nodes[i];
        double w = 0, h = NODE_PAD_Y * 2;
        nd->nlines = 0;
        for (int k = 0; k < KI_CG_NODE_LINES; k++) {
            nd->lines[k] = node_line(nd, k);
            nd->line_h[k] = 0;
            if (!nd->lines[k]) continue;
            PangoEllipsizeMode ell = k == LINE_WHERE ? PANGO_ELLIPSIZE_START : PANGO_ELLIPSIZE_MIDDLE;
            PangoLayout *l = text_layout(ctx, line_font[k], nd->lines[k], NODE_MAX_TEXT_W, ell);
            double tw, th;
            text_size(l, &tw, &th);
            g_object_unref(l);
            if (k == LINE_BADGE) {
                tw += 4 * BADGE_PAD;
                th += 2 * BADGE_PAD + 2;
            }
            nd->line_h[k] = th;
            if (tw > w) w = tw;
            h += th;
            nd->nlines++;
        }
        nd->w = ceil(w + 2 * NODE_PAD_X);
        nd->h = ceil(h);
    }
    for (uint32_t i = 0; st == KILN_OK && i < cg->nedges; i++) {
        ki_cg_edge *e = &cg->edges[i];
        char a[32], b[32];
        fmt_count(e->calls, b, sizeof b);
        if (e->from == e->to) {
            e->label = dup_printf("\xe2\x86\xbb %s\xc3\x97", b); /* ↻ N× */
        } else {
            fmt_pct(e->total_pct, a, sizeof a);
            e->label = e->calls > 0 ? dup_printf("%s\n%s\xc3\x97", a, b) : strdup(a);
        }
        if (!e->label) st = KILN_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < cg->nnodes; i++)
        if (!cg->nodes[i].lines[LINE_NAME] || !cg->nodes[i].lines[LINE_PCT]) st = KILN_ERR_NOMEM;
    g_object_unref(ctx);
    return st == KILN_OK ? KILN_OK : kiln_error_set(err, st, "out of memory");
}

/* ---- shapes --------------------------------------------------------------- */

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    if (r > w / 2) r = w / 2;
    if (r > h / 2) r = h / 2;
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

static double luminance(const double c[3])
{
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

static void show_text(cairo_t *cr, PangoContext *ctx, const char *font, const char *text, double x,
                      double y, double max_w, PangoEllipsizeMode ell, PangoAlignment align)
{
    PangoLayout *l = text_layout(ctx, font, text, max_w, ell);
    pango_layout_set_alignment(l, align);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
}

static double edge_width(double pct)
{
    return 0.8 + 5.0 * sqrt(fmax(0, fmin(100, pct)) / 100.0);
}

static void edge_colour(const ki_cg_edge *e, double c[3])
{
    ki_cg_heat(e->total_pct, c);
    for (int k = 0; k < 3; k++) c[k] *= 0.78;
}

static void draw_edge(cairo_t *cr, PangoContext *ctx, const ki_cg_edge *e, double ox, double oy)
{
    if (e->npts < 4) return;
    double c[3];
    edge_colour(e, c);
    double lw = edge_width(e->total_pct);
    if (e->from == e->to) lw = 1.2;
    cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.9);
    cairo_set_line_width(cr, lw);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_move_to(cr, ox + e->pts[0], oy + e->pts[1]);
    for (uint32_t i = 1; i + 2 < e->npts; i += 3)
        cairo_curve_to(cr, ox + e->pts[2 * i], oy + e->pts[2 * i + 1], ox + e->pts[2 * i + 2],
                       oy + e->pts[2 * i + 3], ox + e->pts[2 * i + 4], oy + e->pts[2 * i + 5]);
    cairo_stroke(cr);
    if (e->has_arrow) {
        double ex = e->pts[2 * (e->npts - 1)], ey = e->pts[2 * (e->npts - 1) + 1];
        double dx = e->ax - ex, dy = e->ay - ey, len = hypot(dx, dy);
        if (len > 0.01) {
            dx /= len;
            dy /= len;
            double half = 0.38 * len + lw * 0.6;
            cairo_move_to(cr, ox + e->ax, oy + e->ay);
            cairo_line_to(cr, ox + ex - dy * half, oy + ey + dx * half);
            cairo_line_to(cr, ox + ex + dy * half, oy + ey - dx * half);
            cairo_close_path(cr);
            cairo_fill(cr);
        }
    }
}

static void draw_edge_label(cairo_t *cr, PangoContext *ctx, const ki_cg_edge *e, double ox,
                            double oy)
{
    if (!e->has_label || !e->label) return;
    char font[64];
    snprintf(font, sizeof font, "%s %.1f", KI_CG_FONT, KI_CG_EDGE_FONT_SIZE);
    PangoLayout *l = text_layout(ctx, font, e->label, 0, PANGO_ELLIPSIZE_NONE);
    pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
    double w, h;
    text_size(l, &w, &h);
    double x = ox + e->lx - w / 2, y = oy + e->ly - h / 2;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.82);
    rounded_rect(cr, x - 1.5, y - 0.5, w + 3, h + 1, 2);
    cairo_fill(cr);
    double c[3];
    edge_colour(e, c);
    cairo_set_source_rgb(cr, c[0] * 0.8, c[1] * 0.8, c[2] * 0.8);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
}

static void draw_badge(cairo_t *cr, PangoContext *ctx, const ki_cg_node *nd, double cx, double y)
{
    PangoLayout *l = text_layout(ctx, line_font[LINE_BADGE], nd->lines[LINE_BADGE], 0,
                                 PANGO_ELLIPSIZE_NONE);
    double w, h;
    text_size(l, &w, &h);
    double bw = w + 4 * BADGE_PAD, bh = h + 2 * BADGE_PAD;
    double x = cx - bw / 2, by = y + 1;
    if (nd->mark == KI_CG_MARK_SLOW_LEAF) cairo_set_source_rgb(cr, 1, 1, 1);
    else cairo_set_source_rgb(cr, 0.08, 0.08, 0.1);
    rounded_rect(cr, x, by, bw, bh, bh / 2);
    cairo_fill(cr);
    if (nd->mark == KI_CG_MARK_SLOW_LEAF) cairo_set_source_rgb(cr, 0.6, 0.05, 0.08);
    else cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_move_to(cr, x + 2 * BADGE_PAD, by + BADGE_PAD);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
}

static void draw_node(cairo_t *cr, PangoContext *ctx, const ki_cg_node *nd, double ox, double oy)
{
    double fill[3];
    ki_cg_heat(nd->total_pct, fill);
    double x = ox + nd->x - nd->w / 2, y = oy + nd->y - nd->h / 2;
    if (nd->mark != KI_CG_MARK_NONE) { /* a dark halo makes marked nodes stand out */
        cairo_set_source_rgb(cr, 0.08, 0.08, 0.1);
        rounded_rect(cr, x - 2.5, y - 2.5, nd->w + 5, nd->h + 5, 7);
        cairo_fill(cr);
    }
    rounded_rect(cr, x, y, nd->w, nd->h, 5);
    cairo_set_source_rgb(cr, fill[0], fill[1], fill[2]);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, fill[0] * 0.6, fill[1] * 0.6, fill[2] * 0.6);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    int light = luminance(fill) > 0.5;
    double ty = y + NODE_PAD_Y;
    for (int k = 0; k < KI_CG_NODE_LINES; k++) {
        if (!nd->lines[k]) continue;
        if (k == LINE_BADGE) {
            draw_badge(cr, ctx, nd, x + nd->w / 2, ty);
        } else {
            double a = (k == LINE_WHERE || k == LINE_CALLS) ? 0.85 : 1.0;
            if (light) cairo_set_source_rgba(cr, 0.05, 0.05, 0.08, a);
            else cairo_set_source_rgba(cr, 1, 1, 1, a);
            PangoEllipsizeMode ell = k == LINE_WHERE ? PANGO_ELLIPSIZE_START : PANGO_ELLIPSIZE_MIDDLE;
            show_text(cr, ctx, line_font[k], nd->lines[k], x + NODE_PAD_X, ty,
                      nd->w - 2 * NODE_PAD_X, ell, PANGO_ALIGN_CENTER);
        }
        ty += nd->line_h[k];
    }
}

/* ---- title and legend ---------------------------------------------------------- */

static void fmt_amount(double v, const char *unit, char *out, size_t n)
{
    if (!unit) unit = "";
    if (strcmp(unit, "seconds") == 0) snprintf(out, n, "%.3f s", v);
    else if (strcmp(unit, "nanoseconds") == 0)
        snprintf(out, n, v >= 1e9 ? "%.3f s" : "%.3f ms", v >= 1e9 ? v / 1e9 : v / 1e6);
    else if (strcmp(unit, "bytes") == 0) snprintf(out, n, "%.1f MiB", v / (1024.0 * 1024.0));
    else if (strcmp(unit, "count") == 0) snprintf(out, n, "%.0f samples", v);
    else snprintf(out, n, "%.6g %s", v, unit);
}

static char *subtitle(const ki_cg *cg)
{
    char tot[64], f[32], e[32], sf[32], se[32], hf[32], he[32];
    fmt_amount(cg->total, cg->unit, tot, sizeof tot);
    fmt_count(cg->funcs_total, f, sizeof f);
    fmt_count(cg->edges_total, e, sizeof e);
    fmt_count(cg->nnodes, sf, sizeof sf);
    fmt_count(cg->nedges, se, sizeof se);
    fmt_count(cg->funcs_hidden, hf, sizeof hf);
    fmt_count(cg->edges_hidden, he, sizeof he);
    char capped[96] = "";
    if (cg->funcs_capped)
        snprintf(capped, sizeof capped, " (%u more above the threshold, past the node cap)",
                 cg->funcs_capped);
    return dup_printf("100%% = %s of self time in %s functions and %s call edges. "
                      "Shown: %s functions with total \xe2\x89\xa5 %g%%, %s edges with total "
                      "\xe2\x89\xa5 %g%% (self-loops: recursion). "
                      "%s functions / %s edges hidden below thresholds%s.",
                      tot, f, e, sf, cg->node_thr, se, cg->edge_thr, hf, he, capped);
}

typedef struct legend_item {
    double w, h;
    int kind;
} legend_item;

enum { LEG_HEAT, LEG_NODE, LEG_EDGE, LEG_SLOW, LEG_JUNCTION, LEG_COUNT };

#define HEAT_BAR_W 220.0
#define LEGEND_GAP 26.0

static const char *const legend_fixed[LEG_SLOW] = {
    "colour: total % (time in the function and its callees)",
    "box: function \xc2\xb7 file:line \xc2\xb7 total % \xc2\xb7 self % \xc2\xb7 calls",
    "arrow: caller \xe2\x86\x92 callee; label: total % passed along \xc2\xb7 calls; width \xe2\x88\x9d total %",
};

/* Legend texts; the marks' thresholds come from the analysis options. */
static void legend_texts(const ki_cg *cg, char text[LEG_COUNT][160])
{
    for (int k = 0; k < LEG_SLOW; k++) snprintf(text[k], 160, "%s", legend_fixed[k]);
    snprintf(text[LEG_SLOW], 160,
             "own time: self \xe2\x89\xa5 %g%% of its total and \xe2\x89\xa5 %g%% of the run",
             cg->leaf_ratio * 100, cg->leaf_share * 100);
    snprintf(text[LEG_JUNCTION], 160,
             "time splits: total \xe2\x89\xa5 %g%%, self \xe2\x89\xa4 %g%% of it, "
             "\xe2\x89\xa5 2 callees with \xe2\x89\xa5 10%% of it",
             cg->junction_share * 100, cg->junction_ratio * 100);
}

static void legend_measure(PangoContext *ctx, const char (*legend_text)[160], legend_item *it)
{
    for (int k = 0; k < LEG_COUNT; k++) {
        PangoLayout *l = text_layout(ctx, KI_CG_FONT " 8", legend_text[k], 0, PANGO_ELLIPSIZE_NONE);
        double w, h;
        text_size(l, &w, &h);
        g_object_unref(l);
        it[k].kind = k;
        it[k].h = h;
        it[k].w = w;
        if (k == LEG_HEAT) {
            it[k].w = fmax(w, HEAT_BAR_W);
            it[k].h = h + 10 + 12; /* bar plus tick labels */
        } else if (k == LEG_SLOW || k == LEG_JUNCTION) {
            it[k].w = w + 90; /* badge sample in front */
        }
    }
}

/* Lays legend items in rows across width; returns the height used and
 * writes each item's position into xs/ys when non-NULL. */
static double legend_flow(const legend_item *it, double width, double *xs, double *ys)
{
    double x = 0, y = 0, row_h = 0;
    for (int k = 0; k < LEG_COUNT; k++) {
        if (x > 0 && x + it[k].w > width) {
            x = 0;
            y += row_h + 8;
            row_h = 0;
        }
        if (xs) xs[k] = x;
        if (ys) ys[k] = y;
        x += it[k].w + LEGEND_GAP;
        if (it[k].h > row_h) row_h = it[k].h;
    }
    return y + row_h;
}

static void draw_legend(cairo_t *cr, PangoContext *ctx, const char (*legend_text)[160],
                        const legend_item *it, double ox, double oy, double width)
{
    double xs[LEG_COUNT], ys[LEG_COUNT];
    legend_flow(it, width, xs, ys);
    for (int k = 0; k < LEG_COUNT; k++) {
        double x = ox + xs[k], y = oy + ys[k];
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.25);
        if (k == LEG_HEAT) {
            show_text(cr, ctx, KI_CG_FONT " 8", legend_text[k], x, y, 0, PANGO_ELLIPSIZE_NONE,
                      PANGO_ALIGN_LEFT);
            double by = y + it[k].h - 22;
            for (int px = 0; px < (int)HEAT_BAR_W; px++) {
                double t = (px + 0.5) / HEAT_BAR_W, c[3];
                ki_cg_heat(pow(t, 2.2) * 100.0, c);
                cairo_set_source_rgb(cr, c[0], c[1], c[2]);
                cairo_rectangle(cr, x + px, by, 1.02, 10);
                cairo_fill(cr);
            }
            static const double ticks[] = {0, 1, 5, 10, 25, 50, 100};
            for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
                double tx = x + pow(ticks[i] / 100.0, 1 / 2.2) * HEAT_BAR_W;
                char lab[16];
                snprintf(lab, sizeof lab, "%g%%", ticks[i]);
                cairo_set_source_rgb(cr, 0.2, 0.2, 0.25);
                cairo_rectangle(cr, tx - 0.4, by + 10, 0.8, 2.5);
                cairo_fill(cr);
                PangoLayout *l = text_layout(ctx, KI_CG_FONT " 6.5", lab, 0, PANGO_ELLIPSIZE_NONE);
                double lw, lh;
                text_size(l, &lw, &lh);
                double lx = fmin(fmax(tx - lw / 2, x - 4), x + HEAT_BAR_W - lw + 4);
                cairo_move_to(cr, lx, by + 12);
                pango_cairo_show_layout(cr, l);
                g_object_unref(l);
            }
        } else if (k == LEG_SLOW || k == LEG_JUNCTION) {
            ki_cg_node fake;
            memset(&fake, 0, sizeof fake);
            fake.mark = k == LEG_SLOW ? KI_CG_MARK_SLOW_LEAF : KI_CG_MARK_JUNCTION;
            fake.lines[LINE_BADGE] = (char *)(k == LEG_SLOW ? "SLOW LEAF" : "BUSY JUNCTION");
            double fill[3];
            ki_cg_heat(k == LEG_SLOW ? 30 : 60, fill);
            cairo_set_source_rgb(cr, fill[0], fill[1], fill[2]);
            rounded_rect(cr, x, y - 2, 84, it[k].h + 4, 4);
            cairo_fill(cr);
            draw_badge(cr, ctx, &fake, x + 42, y - 1.5);
            cairo_set_source_rgb(cr, 0.2, 0.2, 0.25);
            show_text(cr, ctx, KI_CG_FONT " 8", legend_text[k], x + 90, y, 0, PANGO_ELLIPSIZE_NONE,
                      PANGO_ALIGN_LEFT);
        } else {
            show_text(cr, ctx, KI_CG_FONT " 8", legend_text[k], x, y, 0, PANGO_ELLIPSIZE_NONE,
                      PANGO_ALIGN_LEFT);
        }
    }
}

/* ---- the whole picture ---------------------------------------------------------- */

typedef struct page {
    double w, h;            /* canvas in points */
    double gx, gy;          /* where the layout's origin goes */
    double title_h, sub_h, legend_h;
    char *sub;
    legend_item legend[LEG_COUNT];
    char legend_text[LEG_COUNT][160];
} page;

#define TITLE_FONT KI_CG_FONT " Bold 15"
#define SUB_FONT KI_CG_FONT " 9"

static kiln_status page_plan(const ki_cg *cg, const char *title, PangoContext *ctx, page *pg)
{
    memset(pg, 0, sizeof *pg);
    pg->sub = subtitle(cg);
    if (!pg->sub) return KILN_ERR_NOMEM;
    pg->w = fmax(cg->width + 2 * MARGIN, MIN_CANVAS_W);
    double inner = pg->w - 2 * MARGIN, tw;
    PangoLayout *l = text_layout(ctx, TITLE_FONT, title, inner, PANGO_ELLIPSIZE_MIDDLE);
    text_size(l, &tw, &pg->title_h);
    g_object_unref(l);
    l = text_layout(ctx, SUB_FONT, pg->sub, 0, PANGO_ELLIPSIZE_NONE);
    pango_layout_set_width(l, (int)(inner * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    text_size(l, &tw, &pg->sub_h);
    g_object_unref(l);
    legend_texts(cg, pg->legend_text);
    legend_measure(ctx, (const char (*)[160])pg->legend_text, pg->legend);
    pg->legend_h = legend_flow(pg->legend, inner, NULL, NULL);
    double header = MARGIN + pg->title_h + 4 + pg->sub_h + 12 + pg->legend_h + 14;
    pg->gx = (pg->w - cg->width) / 2;
    pg->gy = header;
    pg->h = header + cg->height + MARGIN;
    return KILN_OK;
}

static void draw_page(cairo_t *cr, PangoContext *ctx, const ki_cg *cg, const char *title,
                      const page *pg)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    double inner = pg->w - 2 * MARGIN, y = MARGIN;
    cairo_set_source_rgb(cr, 0.08, 0.08, 0.12);
    show_text(cr, ctx, TITLE_FONT, title, MARGIN, y, inner, PANGO_ELLIPSIZE_MIDDLE, PANGO_ALIGN_LEFT);
    y += pg->title_h + 4;
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.3);
    PangoLayout *l = text_layout(ctx, SUB_FONT, pg->sub, 0, PANGO_ELLIPSIZE_NONE);
    pango_layout_set_width(l, (int)(inner * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    cairo_move_to(cr, MARGIN, y);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
    y += pg->sub_h + 12;
    draw_legend(cr, ctx, (const char (*)[160])pg->legend_text, pg->legend, MARGIN, y, inner);
    y += pg->legend_h + 6;
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.88);
    cairo_rectangle(cr, MARGIN, y, inner, 0.8);
    cairo_fill(cr);

    for (uint32_t i = 0; i < cg->nedges; i++) draw_edge(cr, ctx, &cg->edges[i], pg->gx, pg->gy);
    for (uint32_t i = 0; i < cg->nnodes; i++) draw_node(cr, ctx, &cg->nodes[i], pg->gx, pg->gy);
    for (uint32_t i = 0; i < cg->nedges; i++) draw_edge_label(cr, ctx, &cg->edges[i], pg->gx, pg->gy);
}

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
    return kiln_sink_write(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

kiln_status ki_cg_draw(const ki_cg *cg, const kiln_callgraph_opts *o, kiln_sink *out,
                       kiln_error *err)
{
    const char *raw_title = o->title ? o->title : "kiln call graph";
    char *title = ki_cg_sanitize(raw_title, strlen(raw_title), KI_CG_NAME_MAX_CHARS);
    if (!title) return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    PangoContext *ctx = text_context();
    page pg;
    kiln_status st = page_plan(cg, title, ctx, &pg);
    if (st != KILN_OK) {
        free(title);
        g_object_unref(ctx);
        return kiln_error_set(err, st, "out of memory");
    }
    cairo_surface_t *surf = NULL;
    double scale = 1.0;
    if (o->format == KILN_CALLGRAPH_PNG) {
        scale = o->scale > 0 ? o->scale : DEFAULT_SCALE;
        /* Clamp to cairo's 32767-pixel side and an area budget. */
        scale = fmin(scale, (KILN_CALLGRAPH_MAX_PIXELS - 1) / pg.w);
        scale = fmin(scale, (KILN_CALLGRAPH_MAX_PIXELS - 1) / pg.h);
        scale = fmin(scale, sqrt(MAX_PIXELS / (pg.w * pg.h)));
        if (scale < 0.05) {
            st = kiln_error_set(err, KILN_ERR_LIMIT,
                                "the call graph is too large for a PNG (%.0f x %.0f pt); "
                                "raise the thresholds, lower --max-nodes or use SVG/PDF",
                                pg.w, pg.h);
            goto done;
        }
        surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(pg.w * scale),
                                          (int)ceil(pg.h * scale));
    } else if (o->format == KILN_CALLGRAPH_SVG) {
        surf = cairo_svg_surface_create_for_stream(sink_write, out, pg.w, pg.h);
    } else {
        surf = cairo_pdf_surface_create_for_stream(sink_write, out, pg.w, pg.h);
        cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "kiln");
    }
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        st = kiln_error_set(err, out->failed ? KILN_ERR_WRITE : KILN_ERR_INTERNAL,
                            "cannot create the drawing surface: %s",
                            cairo_status_to_string(cairo_surface_status(surf)));
        goto done;
    }
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, scale, scale);
    pango_cairo_update_context(cr, ctx);
    draw_page(cr, ctx, cg, title, &pg);
    cairo_status_t cs = cairo_status(cr);
    cairo_destroy(cr);
    if (cs == CAIRO_STATUS_SUCCESS && o->format == KILN_CALLGRAPH_PNG) {
        st = ki_png_write_rgb24(surf, out, err);
        if (st != KILN_OK) goto done;
    }
    cairo_surface_finish(surf);
    if (cs == CAIRO_STATUS_SUCCESS) cs = cairo_surface_status(surf);
    if (out->failed || cs == CAIRO_STATUS_WRITE_ERROR)
        st = kiln_error_set(err, KILN_ERR_WRITE, "cannot write the call graph");
    else if (cs != CAIRO_STATUS_SUCCESS)
        st = kiln_error_set(err, cs == CAIRO_STATUS_NO_MEMORY ? KILN_ERR_NOMEM : KILN_ERR_INTERNAL,
                            "drawing failed: %s", cairo_status_to_string(cs));
done:
    if (surf) cairo_surface_destroy(surf);
    free(pg.sub);
    free(title);
    g_object_unref(ctx);
    return st;
}
