/* Shared pieces of the report writers: escaped names and locations,
 * quantities, the Python version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"
#include "md_escape.h"
#include "report_common.h"

const kiln_frame *ki_rep_frame(const kiln_profile *p, kiln_func_id f)
{
    static const kiln_frame none;
    const kiln_func *fn = kiln_profile_func_at(p, f);
    const kiln_frame *fr = fn ? kiln_profile_frame_get(p, fn->frame) : NULL;
    return fr ? fr : &none;
}

void ki_rep_text(kiln_buf *b, const char *s, size_t max_chars)
{
    if (!s)
        s = "";
    ki_md_text(b, s, strlen(s), max_chars);
}

int ki_rep_name(kiln_buf *b, const kiln_profile *p, kiln_func_id f, size_t max_chars)
{
    size_t len = 0;
    const char *s = kiln_profile_str(p, ki_rep_frame(p, f)->name, &len);
    if (len == 0) {
        kiln_buf_addstr(b, "(unnamed)");
        return 0;
    }
    ki_md_cell(b, s, len, max_chars);
    return max_chars && ki_rep_chars(s, len) > max_chars;
}

void ki_rep_location(kiln_buf *b, const kiln_profile *p, kiln_func_id f, size_t max_chars)
{
    const kiln_frame *fr = ki_rep_frame(p, f);
    size_t len = 0;
    const char *file = kiln_profile_str(p, fr->file, &len);
    if (fr->kind == KILN_KIND_BUILTIN || (len == 1 && file[0] == '~')) {
        kiln_buf_addstr(b, "built\\-in");
        return;
    }
    if (len == 0) {
        const char *mod = kiln_profile_str(p, fr->module, &len);
        if (len == 0) {
            kiln_buf_addstr(b, "(unknown)");
            return;
        }
        file = mod;
    }
    /* keep the end of a long path: that is the informative part */
    size_t chars = ki_rep_chars(file, len);
    if (max_chars && chars > max_chars) {
        size_t skip = chars - max_chars, i = 0;
        for (size_t c = 0; i < len && c < skip; c++) {
            i++;
            while (i < len && ((unsigned char)file[i] & 0xC0) == 0x80)
                i++;
        }
        kiln_buf_addstr(b, "\xE2\x80\xA6");
        file += i;
        len -= i;
    }
    ki_md_cell(b, file, len, 0);
    if (fr->line)
        kiln_buf_printf(b, "\\:%u", fr->line);
}

void ki_rep_qty(kiln_buf *b, const kiln_analysis *a, double v)
{
    char t[48];
    ki_fmt_quantity(t, sizeof t, v, a->unit);
    kiln_buf_addstr(b, t);
}

void ki_rep_pct(kiln_buf *b, double share)
{
    kiln_buf_printf(b, "%.1f%%", 100.0 * share);
}

size_t ki_rep_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

const char *ki_rep_python_version(const kiln_profile *p, char *out, size_t n, int *inferred)
{
    *inferred = 0;
    const char *v = kiln_profile_meta_get(p, KILN_META_PYTHON);
    if (v && *v) {
        snprintf(out, n, "%s", v);
        return out;
    }
    /* "…/lib/python3.11/…" in a frame's file */
    uint32_t nf = kiln_profile_frame_count(p);
    for (uint32_t i = 0; i < nf; i++) {
        const char *file = kiln_profile_str(p, kiln_profile_frame_get(p, i)->file, NULL);
        const char *s = strstr(file, "/python");
        while (s) {
            const char *d = s + 7;
            size_t k = 0;
            while ((d[k] >= '0' && d[k] <= '9') || d[k] == '.')
                k++;
            if (k >= 3 && d[k] == '/' && d[0] >= '2' && d[0] <= '9' && d[1] == '.') {
                snprintf(out, n, "%.*s", (int)k, d);
                *inferred = 1;
                return out;
            }
            s = strstr(s + 1, "/python");
        }
    }
    return NULL;
}
