/* Escaping untrusted names for terminal output (term_escape.h). */
#include "term_escape.h"

#include <stdio.h>

size_t ki_utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static int needs_escape(unsigned cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* How many bytes an invalid sequence at s spans (the "maximal subpart"
 * rule, so that one bad lead byte does not swallow valid text after it). */
static size_t bad_span(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 1;
    if (c > 0xf4)
        want = 1;
    size_t i = 1;
    while (i < want && i < n && (s[i] & 0xc0) == 0x80)
        i++;
    return want == 1 ? 1 : i;
}

int ki_term_escape(kiln_buf *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t run = i; /* copy plain ASCII in one go */
        while (run < n && s[run] >= 0x20 && s[run] < 0x7f)
            run++;
        if (run > i) {
            kiln_buf_add(out, s + i, run - i);
            i = run;
            continue;
        }
        unsigned cp;
        size_t len = ki_utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            kiln_buf_addstr(out, "\xef\xbf\xbd");
            i += bad_span(s + i, n - i);
        } else if (cp < 0x80) {
            kiln_buf_printf(out, "\\x%02x", cp);
            i += 1;
        } else if (needs_escape(cp)) {
            kiln_buf_printf(out, "\\u%04x", cp);
            i += len;
        } else {
            kiln_buf_add(out, s + i, len);
            i += len;
        }
    }
    return out->failed ? -1 : 0;
}
