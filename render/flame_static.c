/* Static flame graphs (PNG, SVG) with cairo and pango, for pull requests.
 * Same colours as the HTML page's "name" mode; names are laid out as plain
 * text (never Pango markup) after sanitizing; deep profiles are cut to the
 * widest levels with a note, keeping the image below cairo's 32,767 px. */
#include "kiln/flame.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame_data.h"

#define ROW_H 17
#define HEAD_H 46
#define FOOT_H 20
#define PAD 10

typedef struct layout {
    uint32_t n;
    uint32_t *parent, *cstart, *kids, *height, *depth;
    double *x, *total;
} layout;

static const kiln_profile *sort_p;

static int by_name(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c = strcmp(kiln_profile_frame_name(sort_p, kiln_profile_node_frame(sort_p, x)),
                   kiln_profile_frame_name(sort_p, kiln_profile_node_frame(sort_p, y)));
    return c ? c : (x < y ? -1 : x > y);
}

static void layout_free(layout *l)
{
    free(l->parent);
    free(l->cstart);
    free(l->kids);
    free(l->height);
    free(l->depth);
    free(l->x);
    free(l->total);
}

/* Children sorted by name (flamegraph.pl's order), x offsets, depths and
 * subtree heights. Node ids have parents first, so id order suffices. */
static int layout_build(layout *l, const kiln_profile *p, int type)
{
    uint32_t n = kiln_profile_node_count(p);
    memset(l, 0, sizeof *l);
    l->n = n;
    l->parent = calloc(n, sizeof *l->parent);
    l->cstart = calloc((size_t)n + 1, sizeof *l->cstart);
    l->kids = calloc(n ? n : 1, sizeof *l->kids);
    l->height = calloc(n, sizeof *l->height);
    l->depth = calloc(n, sizeof *l->depth);
    l->x = calloc(n, sizeof *l->x);
    l->total = calloc(n, sizeof *l->total);
    if (!l->parent || !l->cstart || !l->kids || !l->height || !l->depth || !l->x || !l->total)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        double t = kiln_profile_node_total(p, i, type);
        l->total[i] = isfinite(t) && t > 0 ? t : 0;
    }
    for (uint32_t i = 1; i < n; i++) {
        uint32_t par = kiln_profile_node_parent(p, i);
        if (par >= i)
            par = 0;
        l->parent[i] = par;
        l->depth[i] = l->depth[par] + 1;
        l->cstart[par + 1]++;
    }
    for (uint32_t i = 0; i < n; i++)
        l->cstart[i + 1] += l->cstart[i];
    uint32_t *fill = malloc((size_t)(n ? n : 1) * sizeof *fill);
    if (!fill)
        return -1;
    memcpy(fill, l->cstart, (size_t)n * sizeof *fill);
    for (uint32_t i = 1; i < n; i++)
        l->kids[fill[l->parent[i]]++] = i;
    free(fill);
    sort_p = p;
    for (uint32_t i = 0; i < n; i++)
        if (l->cstart[i + 1] - l->cstart[i] > 1)
            qsort(l->kids + l->cstart[i], l->cstart[i + 1] - l->cstart[i], sizeof *l->kids, by_name);
    for (uint32_t i = n; i-- > 1;)
        if (l->height[i] + 1 > l->height[l->parent[i]])
            l->height[l->parent[i]] = l->height[i] + 1;
    for (uint32_t i = 0; i < n; i++) {
        double acc = l->x[i];
        for (uint32_t k = l->cstart[i]; k < l->cstart[i + 1]; k++) {
            l->x[l->kids[k]] = acc;
            acc += l->total[l->kids[k]];
        }
    }
    return 0;
}

static uint32_t fnv1a_utf16(const char *s)
{
    /* The page hashes JavaScript UTF-16 code units; hash the same units. */
    uint32_t h = 0x811c9dc5u;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t cp;
        int n;
        if (*u < 0x80) cp = *u, n = 1;
        else if ((*u & 0xe0) == 0xc0 && u[1]) cp = ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f), n = 2;
        else if ((*u & 0xf0) == 0xe0 && u[1] && u[2])
            cp = ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f), n = 3;
        else if (u[1] && u[2] && u[3])
            cp = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3f) << 12) |
                 ((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f), n = 4;
        else
            cp = 0xfffd, n = 1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = (h ^ (0xd800 + (cp >> 10))) * 0x01000193u;
            h = (h ^ (0xdc00 + (cp & 0x3ff))) * 0x01000193u;
        } else {
            h = (h ^ cp) * 0x01000193u;
        }
        u += n;
    }
    return h;
}

static void frame_rgb(const char *clean_name, double rgb[3])
{
    uint32_t h = fnv1a_utf16(clean_name);
    double v1 = (h & 0xff) / 255.0, v2 = ((h >> 8) & 0xff) / 255.0;
    rgb[0] = (double)(int)(205 + 50 * v2) / 255.0;
    rgb[1] = (double)(int)(230 * v1) / 255.0;
    rgb[2] = (double)(int)(55 * v2) / 255.0;
}

static void fmt_value(char *out, size_t n, double v, const char *unit)
{
    if (unit && (!strcmp(unit, "nanoseconds") || !strcmp(unit, "seconds"))) {
        double s = !strcmp(unit, "seconds") ? v : v / 1e9;
        if (s >= 1) snprintf(out, n, "%.3g s", s);
        else if (s >= 1e-3) snprintf(out, n, "%.3g ms", s * 1e3);
        else snprintf(out, n, "%.3g \u00b5s", s * 1e6);
    } else if (unit && !strcmp(unit, "bytes")) {
        snprintf(out, n, "%.3g MiB", v / (1024.0 * 1024.0));
    } else {
        snprintf(out, n, "%.0f", v); /* counts: the sample type's name follows */
    }
}

static void text(cairo_t *cr, PangoLayout *pl, const char *s, double x, double y, double w,
                 double r, double g, double b)
{
    kiln_buf clean = KILN_BUF_INIT;
    ki_flame_sanitize(&clean, s, strlen(s));
    pango_layout_set_text(pl, clean.data ? clean.data : "", (int)clean.len);
    pango_layout_set_width(pl, (int)(w * PANGO_SCALE));
    cairo_set_source_rgb(cr, r, g, b);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, pl);
    kiln_buf_release(&clean);
}

typedef struct geom {
    int width, height, levels, cut_levels, inverted;
    double min_px, scale, cut_share;
} geom;

static double row_y(const geom *g, uint32_t d)
{
    double top = HEAD_H;
    return g->inverted ? top + d * ROW_H : top + (g->levels - 1 - (int)d) * ROW_H;
}

static void draw(cairo_t *cr, const kiln_profile *p, int type, const layout *l, const geom *g,
                 const kiln_flame_opts *o)
{
    PangoLayout *pl = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans Mono 8");
    pango_layout_set_font_description(pl, fd);
    pango_layout_set_ellipsize(pl, PANGO_ELLIPSIZE_END);
    pango_layout_set_single_paragraph_mode(pl, TRUE);
    int cw, chh;
    pango_layout_set_text(pl, "M", 1);
    pango_layout_get_pixel_size(pl, &cw, &chh);

    cairo_set_source_rgb(cr, 0.984, 0.984, 0.98);
    cairo_paint(cr);

    /* Frames: a box per frame at least min_px wide; narrower subtrees are
     * drawn as one grey column (merged), as on the page. */
    kiln_buf nb = KILN_BUF_INIT;
    for (uint32_t i = 1; i < l->n; i++) {
        uint32_t d = l->depth[i] - 1; /* the synthetic root is not drawn */
        if ((int)d >= g->levels)
            continue;
        double w = l->total[i] * g->scale;
        double wp = l->total[l->parent[i]] * g->scale;
        if (w <= 0)
            continue;
        double x = PAD + l->x[i] * g->scale;
        if (w < g->min_px) {
            if (l->parent[i] != 0 && wp < g->min_px)
                continue;
            int h = (int)l->height[i];
            if ((int)d + h >= g->levels)
                h = g->levels - 1 - (int)d;
            cairo_set_source_rgb(cr, 0.725, 0.706, 0.671);
            double y0 = g->inverted ? row_y(g, d) : row_y(g, d + (uint32_t)h);
            cairo_rectangle(cr, x, y0, fmax(w, 0.5), (double)(h + 1) * ROW_H - 1);
            cairo_fill(cr);
            continue;
        }
        const char *name = kiln_profile_frame_name(p, kiln_profile_node_frame(p, i));
        kiln_buf_reset(&nb);
        ki_flame_sanitize(&nb, name, strlen(name));
        double rgb[3];
        frame_rgb(nb.data ? nb.data : "", rgb);
        double y = row_y(g, d);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, x, y, w > 2 ? w - 1 : w, ROW_H - 1);
        cairo_fill(cr);
        if (w > 3 * cw + 6)
            text(cr, pl, name, x + 3, y + (ROW_H - 1 - chh) / 2.0, w - 6, 0, 0, 0);
    }
    kiln_buf_release(&nb);

    /* Title and totals. */
    PangoFontDescription *tf = pango_font_description_from_string("DejaVu Sans Bold 11");
    pango_layout_set_font_description(pl, tf);
    text(cr, pl, o->title ? o->title : "Flame graph", PAD, 6, g->width - 2 * PAD, 0.1, 0.1, 0.1);
    pango_layout_set_font_description(pl, fd);
    char tot[96], line[1024];
    int t = type;
    fmt_value(tot, sizeof tot, kiln_profile_total(p, t), kiln_profile_sample_type_unit(p, t));
    uint32_t maxd = l->n ? l->height[0] : 0;
    snprintf(line, sizeof line, "total %s (%s) \u00b7 %u frames \u00b7 depth %u \u00b7 %s%s%s", tot,
             kiln_profile_sample_type_name(p, t), l->n ? l->n - 1 : 0, maxd,
             g->inverted ? "root at top" : "root at bottom",
             o->subtitle ? " \u00b7 " : "", o->subtitle ? o->subtitle : "");
    text(cr, pl, line, PAD, 26, g->width - 2 * PAD, 0.35, 0.35, 0.35);
    if (g->cut_levels > 0) {
        snprintf(line, sizeof line,
                 "levels %d\u2013%u not drawn (%.1f%% of the total lies deeper); the HTML page has "
                 "every level",
                 g->levels + 1, maxd, 100 * g->cut_share);
        text(cr, pl, line, PAD, g->height - FOOT_H + 3, g->width - 2 * PAD, 0.55, 0.1, 0.1);
    }
    pango_font_description_free(tf);
    pango_font_description_free(fd);
    g_object_unref(pl);
}

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
    return kiln_sink_write((kiln_sink *)closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS
                                                                 : CAIRO_STATUS_WRITE_ERROR;
}

static kiln_status render_static(const kiln_profile *p, const kiln_flame_opts *o, kiln_sink *out,
                                 int svg, kiln_error *err)
{
    kiln_flame_opts defaults;
    if (!o) {
        kiln_flame_opts_init(&defaults);
        o = &defaults;
    }
    int type = o->sample_type >= 0 ? o->sample_type : 0;
    if (type >= kiln_profile_sample_type_count(p))
        return kiln_error_set(err, KILN_ERR_USAGE, "sample type %d does not exist", type);
    layout l;
    if (layout_build(&l, p, type) != 0) {
        layout_free(&l);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory laying out the flame graph");
    }
    geom g = {0};
    g.width = o->width > 0 ? o->width : 1200;
    g.min_px = o->min_width_px > 0 ? o->min_width_px : 0.5;
    g.inverted = o->inverted;
    g.scale = l.total[0] > 0 ? (g.width - 2 * PAD) / l.total[0] : 0;
    int cap = o->max_levels > 0 ? o->max_levels : 64;
    int hard = (32000 - HEAD_H - FOOT_H) / ROW_H; /* cairo's 32,767 px limit */
    if (cap > hard)
        cap = hard;
    /* The widest levels: those where frames of at least 3 px cover 1% of
     * the width. Deeper levels hold only slivers and would make a mostly
     * empty band at the top of the image. */
    int maxd0 = l.n ? (int)l.height[0] : 0;
    double *cov = calloc((size_t)maxd0 + 2, sizeof *cov);
    int deepest = 0;
    if (!cov) {
        layout_free(&l);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory laying out the flame graph");
    }
    for (uint32_t i = 1; i < l.n; i++)
        if (l.total[i] * g.scale >= 3)
            cov[l.depth[i]] += l.total[i];
    for (int d = 1; d <= maxd0; d++)
        if (cov[d] >= 0.01 * l.total[0])
            deepest = d;
    free(cov);
    g.levels = deepest < cap ? deepest : cap;
    if (g.levels < 1)
        g.levels = 1;
    int maxd = l.n ? (int)l.height[0] : 0;
    g.cut_levels = maxd > g.levels ? maxd - g.levels : 0;
    if (g.cut_levels) {
        double deeper = 0;
        for (uint32_t i = 1; i < l.n; i++)
            if ((int)l.depth[i] == g.levels + 1)
                deeper += l.total[i];
        g.cut_share = l.total[0] > 0 ? deeper / l.total[0] : 0;
    }
    g.height = HEAD_H + g.levels * ROW_H + (g.cut_levels ? FOOT_H : 6);

    kiln_status st = KILN_OK;
    cairo_surface_t *s = svg ? cairo_svg_surface_create_for_stream(sink_write, out, g.width, g.height)
                             : cairo_image_surface_create(CAIRO_FORMAT_RGB24, g.width, g.height);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "cairo cannot create a %dx%d surface: %s", g.width,
                            g.height, cairo_status_to_string(cairo_surface_status(s)));
        goto out;
    }
    cairo_t *cr = cairo_create(s);
    draw(cr, p, type, &l, &g, o);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        st = kiln_error_set(err, KILN_ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
    cairo_destroy(cr);
    if (st == KILN_OK && !svg) {
        cairo_status_t cs = cairo_surface_write_to_png_stream(s, sink_write, out);
        if (cs != CAIRO_STATUS_SUCCESS)
            st = kiln_error_set(err, KILN_ERR_WRITE, "writing PNG: %s", cairo_status_to_string(cs));
    }
    cairo_surface_finish(s);
    if (st == KILN_OK && (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || out->failed))
        st = kiln_error_set(err, KILN_ERR_WRITE, "write failed");
out:
    cairo_surface_destroy(s);
    layout_free(&l);
    return st;
}

kiln_status kiln_render_flame_png(const kiln_profile *p, const kiln_flame_opts *o, kiln_sink *out,
                                  kiln_error *err)
{
    return render_static(p, o, out, 0, err);
}

kiln_status kiln_render_flame_svg(const kiln_profile *p, const kiln_flame_opts *o, kiln_sink *out,
                                  kiln_error *err)
{
    return render_static(p, o, out, 1, err);
}
