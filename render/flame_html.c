/* The interactive HTML flame graph: one offline file. The data blob
 * (flame_data.c) is deflated and base64-encoded into a JSON block the
 * browser never executes; the script and style come from templates/ and
 * are pinned by sha256 hashes in a Content-Security-Policy. */
#include "kiln/flame.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "flame_data.h"
#include "kiln/analysis.h"
#include "templates.h"

void kiln_flame_opts_init(kiln_flame_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sample_type = -1;
}

/* Appends s as the body of a JSON string literal that is also safe inside
 * an HTML <script> element: <, >, & and U+2028/9 are \u-escaped. */
static void json_str(kiln_buf *b, const char *s)
{
    kiln_buf clean = KILN_BUF_INIT;
    ki_flame_sanitize(&clean, s ? s : "", s ? strlen(s) : 0);
    kiln_buf_addch(b, '"');
    for (size_t i = 0; i < clean.len; i++) {
        unsigned char c = (unsigned char)clean.data[i];
        if (c == '"' || c == '\\') {
            kiln_buf_addch(b, '\\');
            kiln_buf_addch(b, c);
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'') {
            kiln_buf_printf(b, "\\u%04x", c);
        } else if (c == 0xe2 && i + 2 < clean.len && (unsigned char)clean.data[i + 1] == 0x80 &&
                   ((unsigned char)clean.data[i + 2] == 0xa8 || (unsigned char)clean.data[i + 2] == 0xa9)) {
            kiln_buf_printf(b, "\\u%04x", (unsigned char)clean.data[i + 2] == 0xa8 ? 0x2028 : 0x2029);
            i += 2;
        } else {
            kiln_buf_addch(b, c);
        }
    }
    kiln_buf_addch(b, '"');
    kiln_buf_release(&clean);
}

/* Appends s as HTML text (for <title>). */
static void html_text(kiln_buf *b, const char *s)
{
    kiln_buf clean = KILN_BUF_INIT;
    ki_flame_sanitize(&clean, s, strlen(s));
    for (size_t i = 0; i < clean.len; i++) {
        char c = clean.data[i];
        if (c == '<')
            kiln_buf_addstr(b, "&lt;");
        else if (c == '>')
            kiln_buf_addstr(b, "&gt;");
        else if (c == '&')
            kiln_buf_addstr(b, "&amp;");
        else if (c == '"')
            kiln_buf_addstr(b, "&quot;");
        else
            kiln_buf_addch(b, c);
    }
    kiln_buf_release(&clean);
}

/* "sha256-<base64>" of len bytes. */
static void csp_hash(kiln_buf *b, const unsigned char *data, size_t len)
{
    guint8 digest[32];
    gsize dlen = sizeof digest;
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(c, data, (gssize)len);
    g_checksum_get_digest(c, digest, &dlen);
    g_checksum_free(c);
    gchar *b64 = g_base64_encode(digest, dlen);
    kiln_buf_printf(b, "'sha256-%s'", b64);
    g_free(b64);
}

static kiln_status deflate_b64(const kiln_buf *blob, kiln_buf *out, kiln_error *err)
{
    uLongf clen = compressBound((uLong)blob->len);
    unsigned char *z = g_try_malloc(clen);
    if (!z)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory compressing the flame graph");
    /* Level 2: about 20% larger than level 6 but several times faster. */
    if (compress2(z, &clen, (const Bytef *)blob->data, (uLong)blob->len, 2) != Z_OK) {
        g_free(z);
        return kiln_error_set(err, KILN_ERR_NOMEM, "zlib failed compressing the flame graph");
    }
    gchar *b64 = g_base64_encode(z, clen);
    g_free(z);
    kiln_buf_addstr(out, b64);
    g_free(b64);
    return out->failed ? kiln_error_set(err, KILN_ERR_NOMEM, "out of memory") : KILN_OK;
}

static void json_num(kiln_buf *b, double v)
{
    if (isfinite(v))
        kiln_buf_printf(b, "%.17g", v);
    else
        kiln_buf_addstr(b, "0");
}

typedef struct page_info {
    const char *title, *subtitle, *type, *unit, *base_label, *new_label;
    double total, base_total;
    int diff, inverted, widest_first;
} page_info;

static kiln_status write_page(const page_info *pi, const kiln_buf *blob, kiln_sink *out,
                              kiln_error *err)
{
    size_t html_len, js_len, css_len;
    const unsigned char *html = ki_template("flame.html", &html_len);
    const unsigned char *js = ki_template("flame.js", &js_len);
    const unsigned char *css = ki_template("flame.css", &css_len);
    if (!html || !js || !css)
        return kiln_error_set(err, KILN_ERR_INTERNAL, "flame templates missing from this build");
    /* The inline blocks must not be able to close themselves. */
    if (memmem(js, js_len, "</", 2) || memmem(css, css_len, "</", 2) ||
        memmem(js, js_len, "<!--", 4))
        return kiln_error_set(err, KILN_ERR_INTERNAL, "flame template contains '</' or '<!--'");

    kiln_buf data = KILN_BUF_INIT, csp = KILN_BUF_INIT, title = KILN_BUF_INIT;
    kiln_status st;
    kiln_buf_addstr(&data, "{\"title\":");
    json_str(&data, pi->title);
    kiln_buf_addstr(&data, ",\"subtitle\":");
    json_str(&data, pi->subtitle ? pi->subtitle : "");
    kiln_buf_addstr(&data, ",\"type\":");
    json_str(&data, pi->type ? pi->type : "");
    kiln_buf_addstr(&data, ",\"unit\":");
    json_str(&data, pi->unit ? pi->unit : "");
    kiln_buf_addstr(&data, ",\"baseLabel\":");
    json_str(&data, pi->base_label ? pi->base_label : "base");
    kiln_buf_addstr(&data, ",\"newLabel\":");
    json_str(&data, pi->new_label ? pi->new_label : "new");
    kiln_buf_addstr(&data, ",\"total\":");
    json_num(&data, pi->total);
    kiln_buf_addstr(&data, ",\"baseTotal\":");
    json_num(&data, pi->base_total);
    kiln_buf_printf(&data, ",\"diff\":%s,\"inverted\":%s,\"heavy\":%s,\"blob\":\"",
                    pi->diff ? "true" : "false", pi->inverted ? "true" : "false",
                    pi->widest_first ? "true" : "false");
    if ((st = deflate_b64(blob, &data, err)) != KILN_OK)
        goto out;
    kiln_buf_addstr(&data, "\"}");

    kiln_buf_addstr(&csp, "default-src 'none'; script-src ");
    csp_hash(&csp, js, js_len);
    kiln_buf_addstr(&csp, "; style-src ");
    csp_hash(&csp, css, css_len);
    kiln_buf_addstr(&csp, "; img-src 'none'; connect-src 'none'; font-src 'none'; "
                          "object-src 'none'; base-uri 'none'; form-action 'none'");
    html_text(&title, pi->title);
    if (data.failed || csp.failed || title.failed) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory writing the flame graph");
        goto out;
    }

    /* Fill the {{NAME}} placeholders of flame.html. */
    const char *p = (const char *)html, *end = p + html_len;
    while (p < end) {
        const char *q = memmem(p, (size_t)(end - p), "{{", 2);
        if (!q) {
            kiln_sink_write(out, p, (size_t)(end - p));
            break;
        }
        kiln_sink_write(out, p, (size_t)(q - p));
        const char *e = memmem(q, (size_t)(end - q), "}}", 2);
        if (!e) {
            st = kiln_error_set(err, KILN_ERR_INTERNAL, "flame.html: unclosed placeholder");
            goto out;
        }
        size_t n = (size_t)(e - q - 2);
        const char *name = q + 2;
        if (n == 3 && !memcmp(name, "CSP", 3))
            kiln_sink_write(out, csp.data, csp.len);
        else if (n == 5 && !memcmp(name, "TITLE", 5))
            kiln_sink_write(out, title.data, title.len);
        else if (n == 5 && !memcmp(name, "STYLE", 5))
            kiln_sink_write(out, css, css_len);
        else if (n == 6 && !memcmp(name, "SCRIPT", 6))
            kiln_sink_write(out, js, js_len);
        else if (n == 4 && !memcmp(name, "DATA", 4))
            kiln_sink_write(out, data.data, data.len);
        else {
            st = kiln_error_set(err, KILN_ERR_INTERNAL, "flame.html: unknown placeholder");
            goto out;
        }
        p = e + 2;
    }
    if (out->failed)
        st = kiln_error_set(err, KILN_ERR_WRITE, "write failed");
out:
    kiln_buf_release(&data);
    kiln_buf_release(&csp);
    kiln_buf_release(&title);
    return st;
}

/* Per frame: slow leaf / busy junction from kiln_analyze (new array, free
 * with free()), or NULL when the analysis fails or finds none. */
static uint32_t *analysis_marks(const kiln_profile *p)
{
    kiln_analysis *a = NULL;
    uint32_t nf = kiln_profile_frame_count(p);
    if (nf == 0 || kiln_analyze(p, NULL, &a, NULL) != KILN_OK || !a)
        return NULL;
    uint32_t *m = calloc(nf, sizeof *m);
    for (size_t i = 0; m && i < a->n_leaves; i++) {
        const kiln_func *fu = kiln_profile_func_at(p, a->leaves[i].func);
        if (fu && fu->frame < nf)
            m[fu->frame] |= KI_FLAME_SLOW_LEAF;
    }
    for (size_t i = 0; m && i < a->n_junctions; i++) {
        const kiln_func *fu = kiln_profile_func_at(p, a->junctions[i].func);
        if (fu && fu->frame < nf)
            m[fu->frame] |= KI_FLAME_BUSY_JUNCTION;
    }
    kiln_analysis_free(a);
    return m;
}

static int pick_type(const kiln_profile *p, const kiln_flame_opts *o, kiln_error *err)
{
    int n = kiln_profile_sample_type_count(p);
    int t = o && o->sample_type >= 0 ? o->sample_type : 0;
    if (n <= 0 || t >= n) {
        kiln_error_set(err, KILN_ERR_USAGE, "sample type %d does not exist (the profile has %d)", t, n);
        return -1;
    }
    return t;
}

kiln_status kiln_render_flame_html(const kiln_profile *p, const kiln_flame_opts *o, kiln_sink *out,
                                   kiln_error *err)
{
    kiln_flame_opts defaults;
    if (!o) {
        kiln_flame_opts_init(&defaults);
        o = &defaults;
    }
    int t = pick_type(p, o, err);
    if (t < 0)
        return KILN_ERR_USAGE;
    kiln_buf blob = KILN_BUF_INIT;
    uint32_t *marks = analysis_marks(p);
    kiln_status st = ki_flame_encode(p, t, -1, marks, &blob, err);
    free(marks);
    if (st == KILN_OK) {
        page_info pi = {0};
        pi.title = o->title ? o->title : "Flame graph";
        pi.subtitle = o->subtitle;
        pi.type = kiln_profile_sample_type_name(p, t);
        pi.unit = kiln_profile_sample_type_unit(p, t);
        pi.total = kiln_profile_total(p, t);
        pi.inverted = o->inverted;
        pi.widest_first = o->widest_first;
        st = write_page(&pi, &blob, out, err);
    }
    kiln_buf_release(&blob);
    return st;
}

kiln_status kiln_render_flame_diff_html(const kiln_profile *base, const kiln_profile *cur,
                                        const kiln_flame_opts *o, kiln_sink *out, kiln_error *err)
{
    kiln_flame_opts defaults;
    if (!o) {
        kiln_flame_opts_init(&defaults);
        o = &defaults;
    }
    int tc = pick_type(cur, o, err);
    if (tc < 0)
        return KILN_ERR_USAGE;
    int tb = kiln_profile_sample_type_find(base, kiln_profile_sample_type_name(cur, tc));
    if (tb < 0)
        tb = pick_type(base, o, err);
    if (tb < 0)
        return KILN_ERR_USAGE;

    kiln_profile *u = NULL;
    kiln_status st = ki_flame_union(base, tb, cur, tc, &u, err);
    if (st != KILN_OK)
        return st;
    kiln_buf blob = KILN_BUF_INIT;
    st = ki_flame_encode(u, 1, 0, NULL, &blob, err);
    if (st == KILN_OK) {
        page_info pi = {0};
        pi.title = o->title ? o->title : "Differential flame graph";
        pi.subtitle = o->subtitle;
        pi.type = kiln_profile_sample_type_name(cur, tc);
        pi.unit = kiln_profile_sample_type_unit(cur, tc);
        pi.total = kiln_profile_total(u, 1);
        pi.base_total = kiln_profile_total(u, 0);
        pi.base_label = o->base_label;
        pi.new_label = o->new_label;
        pi.diff = 1;
        pi.inverted = o->inverted;
        pi.widest_first = o->widest_first;
        st = write_page(&pi, &blob, out, err);
    }
    kiln_buf_release(&blob);
    kiln_profile_free(u);
    return st;
}
