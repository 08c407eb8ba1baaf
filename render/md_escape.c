/* md_escape.c: untrusted text made inert in GitHub-flavoured Markdown (see
 * md_escape.h for the rules and why each one is there). */
#include <string.h>

#include "md_escape.h"

size_t ki_md_utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2, min = 0x80, c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, min = 0x800, c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, min = 0x10000, c &= 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (len < n) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return n;
}

void ki_md_utf8_encode(kiln_buf *b, unsigned cp)
{
    char o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        o[0] = (char)(0xF0 | (cp >> 18)), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    kiln_buf_add(b, o, n);
}

/* The code point to emit for cp when control characters are cleaned: ' ',
 * U+FFFD, or cp itself. */
static unsigned clean_cp(unsigned cp)
{
    if (cp == '\n' || cp == '\r' || cp == '\t' || cp == '\v' || cp == '\f' || cp == 0x2028 ||
        cp == 0x2029 || cp == 0x85)
        return ' ';
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
        return 0xFFFD;
    return cp;
}

static int is_ascii_punct(unsigned c)
{
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
}

static int escape_inline(kiln_buf *b, const char *s, size_t len, size_t max_chars)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, chars = 0;
    int leading = 1;
    if (!s)
        len = 0;
    while (i < len) {
        unsigned cp;
        i += ki_md_utf8_decode(u + i, len - i, &cp);
        cp = clean_cp(cp);
        if (leading && (cp == ' ' || cp == 0x3000 || cp == 0xA0))
            continue;
        leading = 0;
        if (max_chars && chars == max_chars) {
            kiln_buf_addstr(b, "\xE2\x80\xA6"); /* … */
            break;
        }
        chars++;
        switch (cp) {
        case '<': kiln_buf_addstr(b, "&lt;"); continue;
        case '>': kiln_buf_addstr(b, "&gt;"); continue;
        case '&': kiln_buf_addstr(b, "&amp;"); continue;
        case '@': kiln_buf_addstr(b, "@\xE2\x81\xA0"); continue; /* + WORD JOINER */
        default: break;
        }
        if (is_ascii_punct(cp))
            kiln_buf_addch(b, '\\');
        ki_md_utf8_encode(b, cp);
    }
    return b->failed ? -1 : 0;
}

int ki_md_cell(kiln_buf *b, const char *s, size_t len, size_t max_chars)
{
    return escape_inline(b, s, len, max_chars);
}

int ki_md_text(kiln_buf *b, const char *s, size_t len, size_t max_chars)
{
    return escape_inline(b, s, len, max_chars);
}

#define KI_MD_MAX_FENCE 80

int ki_md_code_span(kiln_buf *b, const char *s, size_t len, int in_table)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!s)
        len = 0;
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < len; i++) {
        run = u[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    /* cmark-gfm 0.29 gives up on backtick runs longer than 80 (its
     * MAXBACKTICKS guard against quadratic scans), so a longer fence would
     * leave the content to be parsed as Markdown: use escaped text instead. */
    if (longest + 1 > KI_MD_MAX_FENCE)
        return escape_inline(b, s, len, 0);
    kiln_buf cleaned = KILN_BUF_INIT;
    for (size_t i = 0; i < len;) {
        unsigned cp;
        i += ki_md_utf8_decode(u + i, len - i, &cp);
        cp = clean_cp(cp);
        if (cp == '|' && in_table) {
            /* "\\|" would read as an escaped backslash and a cell split:
             * keep a zero-width space between a backslash and the pipe */
            if (cleaned.len && cleaned.data[cleaned.len - 1] == '\\')
                kiln_buf_addstr(&cleaned, "\xE2\x80\x8B");
            kiln_buf_addch(&cleaned, '\\');
        }
        ki_md_utf8_encode(&cleaned, cp);
    }
    if (cleaned.failed) {
        kiln_buf_release(&cleaned);
        b->failed = 1;
        return -1;
    }
    const char *c = cleaned.data ? cleaned.data : "";
    size_t cl = cleaned.len;
    /* Pad when the content starts or ends with a backtick or a space (the
     * parser strips one space from each side when both are there), or is
     * empty-looking. */
    int pad = cl == 0 || c[0] == '`' || c[cl - 1] == '`' || c[0] == ' ' || c[cl - 1] == ' ';
    for (size_t i = 0; i <= longest; i++)
        kiln_buf_addch(b, '`');
    if (pad)
        kiln_buf_addch(b, ' ');
    kiln_buf_add(b, c, cl);
    if (pad)
        kiln_buf_addch(b, ' ');
    for (size_t i = 0; i <= longest; i++)
        kiln_buf_addch(b, '`');
    kiln_buf_release(&cleaned);
    return b->failed ? -1 : 0;
}
