/* chart_common.c: the cairo/Pango canvas the charts draw on (see
 * chart_common.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-svg.h>

#include "chart_common.h"
#include "kiln/buf.h"
#include "kiln/charts.h"
#include "md_escape.h"

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
    return kiln_sink_write(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static int clamp_px(int v)
{
    return v < 1 ? 1 : v > KILN_CHART_MAX_PX ? KILN_CHART_MAX_PX : v;
}

kiln_status ki_canvas_open(ki_canvas *cv, int width, int height, int svg, kiln_sink *out,
                           kiln_error *err)
{
    memset(cv, 0, sizeof *cv);
    cv->width = clamp_px(width);
    cv->height = clamp_px(height);
    cv->svg = svg;
    cv->out = out;
    if (svg)
        cv->surface = cairo_svg_surface_create_for_stream(sink_write, out, cv->width, cv->height);
    else
        cv->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cv->width, cv->height);
    if (cairo_surface_status(cv->surface) != CAIRO_STATUS_SUCCESS) {
        kiln_status st = kiln_error_set(err, KILN_ERR_NOMEM, "cannot create a %dx%d image: %s",
                                        cv->width, cv->height,
                                        cairo_status_to_string(cairo_surface_status(cv->surface)));
        ki_canvas_release(cv);
        return st;
    }
    cv->cr = cairo_create(cv->surface);
    if (cairo_status(cv->cr) != CAIRO_STATUS_SUCCESS) {
        ki_canvas_release(cv);
        return kiln_error_set(err, KILN_ERR_NOMEM, "cannot draw: out of memory");
    }
    cv->pango = pango_cairo_create_context(cv->cr);
    if (!cv->pango) {
        ki_canvas_release(cv);
        return kiln_error_set(err, KILN_ERR_NOMEM, "cannot create a Pango context");
    }
    /* Deterministic text: no hinting, greyscale antialiasing, fixed dpi. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(cv->pango, fo);
    cairo_font_options_destroy(fo);
    pango_cairo_context_set_resolution(cv->pango, 96);

    cairo_set_source_rgb(cv->cr, 1, 1, 1);
    cairo_paint(cv->cr);
    return KILN_OK;
}

void ki_canvas_release(ki_canvas *cv)
{
    if (cv->pango)
        g_object_unref(cv->pango);
    if (cv->cr)
        cairo_destroy(cv->cr);
    if (cv->surface)
        cairo_surface_destroy(cv->surface);
    memset(cv, 0, sizeof *cv);
}

kiln_status ki_canvas_finish(ki_canvas *cv, kiln_error *err)
{
    kiln_status st = KILN_OK;
    cairo_status_t cs = cairo_status(cv->cr);
    if (cs == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(cv->surface);
        if (cv->svg) {
            cairo_surface_finish(cv->surface);
            cs = cairo_surface_status(cv->surface);
        } else {
            cs = cairo_surface_write_to_png_stream(cv->surface, sink_write, cv->out);
        }
    }
    if (cs == CAIRO_STATUS_WRITE_ERROR || cv->out->failed)
        st = kiln_error_set(err, KILN_ERR_WRITE, "write error");
    else if (cs != CAIRO_STATUS_SUCCESS)
        st = kiln_error_set(err, KILN_ERR_INTERNAL, "drawing failed: %s", cairo_status_to_string(cs));
    ki_canvas_release(cv);
    return st;
}

char *ki_chart_clean_text(const char *s, size_t max_chars)
{
    kiln_buf b = KILN_BUF_INIT;
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t len = strlen((const char *)u), chars = 0;
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = ki_md_utf8_decode(u + i, len - i, &cp);
        if (max_chars && chars == max_chars) {
            kiln_buf_addstr(&b, "\xE2\x80\xA6");
            break;
        }
        chars++;
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0xFFFD)
            kiln_buf_addstr(&b, "\xEF\xBF\xBD");
        else
            kiln_buf_add(&b, u + i, n);
        i += n;
    }
    kiln_buf_addstr(&b, "");
    if (b.failed) {
        kiln_buf_release(&b);
        return NULL;
    }
    return kiln_buf_detach(&b, NULL);
}

static PangoLayout *make_layout(ki_canvas *cv, const char *text, double size_px, int bold,
                                double max_width)
{
    PangoLayout *l = pango_layout_new(cv->pango);
    PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans");
    pango_font_description_set_absolute_size(fd, size_px * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    char *clean = ki_chart_clean_text(text, 400);
    pango_layout_set_text(l, clean ? clean : "", -1); /* plain text, never markup */
    free(clean);
    pango_layout_set_single_paragraph_mode(l, TRUE);
    if (max_width > 0) {
        pango_layout_set_width(l, (int)(max_width * PANGO_SCALE));
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    }
    return l;
}

double ki_canvas_text_width(ki_canvas *cv, const char *text, double size_px, int bold)
{
    PangoLayout *l = make_layout(cv, text, size_px, bold, 0);
    int w, h;
    pango_layout_get_pixel_size(l, &w, &h);
    g_object_unref(l);
    return w;
}

double ki_canvas_text(ki_canvas *cv, const char *text, double x, double y, double size_px, int bold,
                      int align, double max_width)
{
    PangoLayout *l = make_layout(cv, text, size_px, bold, max_width);
    int w, h;
    pango_layout_get_pixel_size(l, &w, &h);
    double left = align == KI_ALIGN_RIGHT ? x - w : align == KI_ALIGN_CENTER ? x - w / 2.0 : x;
    cairo_move_to(cv->cr, left, y);
    pango_cairo_update_context(cv->cr, cv->pango);
    pango_layout_context_changed(l);
    pango_cairo_show_layout(cv->cr, l);
    g_object_unref(l);
    return w;
}

void ki_chart_fmt_seconds(char *buf, size_t cap, double s)
{
    static const struct { double scale; const char *unit; } units[] = {
        {1, "s"}, {1e-3, "ms"}, {1e-6, "\xC2\xB5s"}, {1e-9, "ns"}};
    if (!isfinite(s)) {
        snprintf(buf, cap, "n/a");
        return;
    }
    size_t u = 0;
    while (u < 3 && fabs(s) < units[u].scale && s != 0)
        u++;
    double v = s / units[u].scale;
    snprintf(buf, cap, "%.3g %s", v, units[u].unit);
}

double ki_chart_nice_ceil(double v)
{
    if (!(v > 0) || !isfinite(v))
        return 1;
    double e = pow(10, floor(log10(v)));
    double m = v / e;
    double n = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10;
    return n * e;
}
