/* speedscope JSON export (kiln/export.h). Owner: helper "interchange".
 * Streams the file: frames (one per kiln frame, same index), then one
 * sampled profile per sample type. JSON strings are escaped here, with
 * invalid UTF-8 replaced by U+FFFD so browsers accept the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/export.h"

#define SPEEDSCOPE_SCHEMA "https://www.speedscope.app/file-format-schema.json"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static void json_str(kiln_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    kiln_buf_addch(b, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            kiln_buf_addch(b, '\\');
            kiln_buf_addch(b, c);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            kiln_buf_printf(b, "\\u%04x", c);
            i++;
        } else if (c == '<') { /* "</script" stays inert if the JSON is ever inlined */
            kiln_buf_addstr(b, "\\u003c");
            i++;
        } else {
            size_t k = utf8_seq(s + i, n - i);
            if (k == 0) {
                kiln_buf_addstr(b, "\\ufffd");
                i++;
            } else {
                kiln_buf_add(b, s + i, k);
                i += k;
            }
        }
    }
    kiln_buf_addch(b, '"');
}

static void json_num(kiln_buf *b, double v)
{
    if (!isfinite(v))
        v = 0;
    if (v == nearbyint(v) && fabs(v) < 1e15) {
        kiln_buf_printf(b, "%.0f", v);
        return;
    }
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    kiln_buf_addstr(b, tmp);
}

static const char *speedscope_unit(const char *u)
{
    if (u && (strcmp(u, "nanoseconds") == 0 || strcmp(u, "microseconds") == 0 ||
              strcmp(u, "milliseconds") == 0 || strcmp(u, "seconds") == 0 || strcmp(u, "bytes") == 0))
        return u;
    return "none";
}

/* Flushes b to the sink once it is large. */
static int drain(kiln_buf *b, kiln_sink *out, int force)
{
    if (b->failed)
        return -1;
    if (b->len >= (1u << 16) || force) {
        kiln_sink_write(out, b->data, b->len);
        kiln_buf_reset(b);
    }
    return out->failed ? -1 : 0;
}

kiln_status kiln_export_speedscope(const kiln_profile *p, const char *name, kiln_sink *out,
                                   kiln_error *err)
{
    int ntypes = kiln_profile_sample_type_count(p);
    if (ntypes <= 0)
        return kiln_error_set(err, KILN_ERR_USAGE, "the profile has no sample types");
    if (!name)
        name = kiln_profile_meta_get(p, KILN_META_COMMAND);
    if (!name || !*name)
        name = "kiln profile";
    uint32_t nnodes = kiln_profile_node_count(p);
    kiln_frame_id *path = malloc((size_t)nnodes * sizeof *path);
    if (!path)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    kiln_buf b = KILN_BUF_INIT;
    kiln_buf_addstr(&b, "{\"$schema\":\"" SPEEDSCOPE_SCHEMA "\",\"exporter\":\"kiln\",\"name\":");
    json_str(&b, name, strlen(name));
    kiln_buf_addstr(&b, ",\"activeProfileIndex\":0,\"shared\":{\"frames\":[");
    for (kiln_frame_id f = 0; f < kiln_profile_frame_count(p); f++) {
        const kiln_frame *fr = kiln_profile_frame_get(p, f);
        size_t n;
        const char *s = kiln_profile_str(p, fr->name, &n);
        kiln_buf_addstr(&b, f ? ",{\"name\":" : "{\"name\":");
        json_str(&b, s, n);
        s = kiln_profile_str(p, fr->file, &n);
        if (!n && fr->module)
            s = kiln_profile_str(p, fr->module, &n);
        if (n) {
            kiln_buf_addstr(&b, ",\"file\":");
            json_str(&b, s, n);
        }
        if (fr->line)
            kiln_buf_printf(&b, ",\"line\":%u", fr->line);
        kiln_buf_addch(&b, '}');
        if (drain(&b, out, 0) < 0)
            goto fail;
    }
    kiln_buf_addstr(&b, "]},\"profiles\":[");
    for (int t = 0; t < ntypes; t++) {
        const char *tname = kiln_profile_sample_type_name(p, t);
        const char *unit = kiln_profile_sample_type_unit(p, t);
        kiln_buf_addstr(&b, t ? ",{\"type\":\"sampled\",\"name\":" : "{\"type\":\"sampled\",\"name\":");
        kiln_buf pn = KILN_BUF_INIT;
        kiln_buf_printf(&pn, "%s (%s)", name, tname);
        json_str(&b, pn.data ? pn.data : "", pn.len);
        kiln_buf_release(&pn);
        kiln_buf_printf(&b, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":", speedscope_unit(unit));
        json_num(&b, kiln_profile_total(p, t));
        kiln_buf_addstr(&b, ",\"samples\":[");
        int first = 1;
        for (kiln_node_id n = 1; n < nnodes; n++) {
            if (kiln_profile_node_self(p, n, t) == 0)
                continue;
            size_t depth = 0;
            for (kiln_node_id m = n; m != KILN_ROOT && m != KILN_NONE; m = kiln_profile_node_parent(p, m))
                path[depth++] = kiln_profile_node_frame(p, m);
            kiln_buf_addstr(&b, first ? "[" : ",[");
            first = 0;
            for (size_t i = depth; i-- > 0;)
                kiln_buf_printf(&b, i + 1 == depth ? "%u" : ",%u", path[i]);
            kiln_buf_addch(&b, ']');
            if (drain(&b, out, 0) < 0)
                goto fail;
        }
        kiln_buf_addstr(&b, "],\"weights\":[");
        first = 1;
        for (kiln_node_id n = 1; n < nnodes; n++) {
            double v = kiln_profile_node_self(p, n, t);
            if (v == 0)
                continue;
            if (!first)
                kiln_buf_addch(&b, ',');
            first = 0;
            json_num(&b, v);
            if (drain(&b, out, 0) < 0)
                goto fail;
        }
        kiln_buf_addstr(&b, "]}");
    }
    kiln_buf_addstr(&b, "]}\n");
    if (drain(&b, out, 1) < 0)
        goto fail;
    kiln_buf_release(&b);
    free(path);
    return KILN_OK;
fail:
    free(path);
    if (b.failed) {
        kiln_buf_release(&b);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    kiln_buf_release(&b);
    return kiln_error_set(err, KILN_ERR_WRITE, "write failed");
}
