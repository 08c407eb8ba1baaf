/* libFuzzer harness, differential: kiln's escapers for untrusted names.
 * data[0] picks the escaper, the rest is the name (split in two halves
 * where two strings are needed). Each check decodes the escaped text with
 * the real consumer, or checks the invariant the consumer relies on:
 *   0 Markdown table (render/md_escape.h): ki_md_cell and ki_md_code_span
 *     in a two-column table parsed by the cmark-gfm library (table +
 *     autolink extensions, as kiln's report HTML uses it): the table keeps
 *     one header row, one body row, two cells each; the cell's text is the
 *     cleaned name (decode(escape(x)) == clean(x)); the code span's literal
 *     is the cleaned name; no link, HTML or emphasis node comes from data;
 *   1 Markdown free text (ki_md_text): one paragraph of plain text equal to
 *     the cleaned name; the max_chars cut keeps at most max_chars + 1 code
 *     points;
 *   2 terminal (render/term_escape.h): valid UTF-8 without C0, DEL, C1,
 *     bidi or zero-width code points; escaping twice changes nothing;
 *     plain printable text is copied unchanged;
 *   3 flame and call graph sanitizers (ki_flame_sanitize, ki_cg_sanitize):
 *     valid UTF-8, no C0/DEL (flame) and no C0/C1/bidi/separators (call
 *     graph),
 *     idempotent, the call graph cut respected;
 *   4 flame HTML page (render/flame_html.c): a one-frame profile rendered
 *     with the name as title, subtitle and frame name; the JSON block holds
 *     no '<', parses (a small JSON string decoder here) back to the
 *     sanitized title and subtitle, and the <title> element decodes to the
 *     sanitized title.
 * Keeps no state but cmark-gfm's extension registry; frees everything. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include "callgraph_internal.h"
#include "flame_data.h"
#include "kiln/buf.h"
#include "kiln/flame.h"
#include "kiln/io.h"
#include "kiln/profile.h"
#include "md_escape.h"
#include "term_escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NAME 4096

static void fail(const char *what, const char *s, size_t n)
{
    fprintf(stderr, "fuzz_escape: %s (%zu bytes): ", what, n);
    fwrite(s, 1, n < 400 ? n : 400, stderr);
    fputc('\n', stderr);
    abort();
}

/* Strict UTF-8 walk: calls back per code point; returns 0 when invalid. */
static int utf8_each(const char *s, size_t n, int (*ok)(unsigned cp))
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t len = ki_utf8_decode(u + i, n - i, &cp);
        if (!len || (ok && !ok(cp)))
            return 0;
        i += len;
    }
    return 1;
}

static size_t count_cps(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* ---- Markdown: what the header promises the reader will see --------------- */

static unsigned md_clean(unsigned cp)
{
    if (cp == '\n' || cp == '\r' || cp == '\t' || cp == '\v' || cp == '\f' || cp == 0x2028 ||
        cp == 0x2029 || cp == 0x85)
        return ' ';
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
        return 0xFFFD;
    return cp;
}

/* The text a cell or line must display: cleaned, leading white space
 * dropped, '@' followed by U+2060, trailing spaces trimmed (cmark trims
 * them from cells and paragraphs). */
static size_t md_expected_text(kiln_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    int leading = 1;
    size_t chars = 0; /* what the escaper counts for max_chars */
    for (size_t i = 0; i < n;) {
        unsigned cp;
        i += ki_md_utf8_decode(u + i, n - i, &cp);
        cp = md_clean(cp);
        if (leading && (cp == ' ' || cp == 0x3000 || cp == 0xA0))
            continue;
        leading = 0;
        chars++;
        ki_md_utf8_encode(b, cp);
        if (cp == '@')
            ki_md_utf8_encode(b, 0x2060);
    }
    while (b->len && b->data[b->len - 1] == ' ')
        b->len--;
    return chars;
}

/* A code span's literal: cleaned, and in a table a backslash before '|'
 * gets a zero-width space (the escaper's guard against "\\|"). */
static void md_expected_code(kiln_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        i += ki_md_utf8_decode(u + i, n - i, &cp);
        cp = md_clean(cp);
        if (cp == '|' && b->len && b->data[b->len - 1] == '\\')
            ki_md_utf8_encode(b, 0x200B);
        ki_md_utf8_encode(b, cp);
    }
}

static cmark_node *md_parse(const char *md, size_t len, cmark_parser **parser)
{
    cmark_gfm_core_extensions_ensure_registered();
    *parser = cmark_parser_new(CMARK_OPT_DEFAULT);
    static const char *const exts[] = {"table", "autolink", "strikethrough", "tagfilter"};
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        cmark_syntax_extension *e = cmark_find_syntax_extension(exts[i]);
        if (e)
            cmark_parser_attach_syntax_extension(*parser, e);
    }
    cmark_parser_feed(*parser, md, len);
    return cmark_parser_finish(*parser);
}

/* Appends the text under node (text and code literals); returns the number
 * of nodes that are neither text nor code (links, HTML, emphasis, ...). */
static int md_collect(cmark_node *node, kiln_buf *text, kiln_buf *code)
{
    int foreign = 0;
    cmark_iter *it = cmark_iter_new(node);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        if (ev != CMARK_EVENT_ENTER || n == node)
            continue;
        cmark_node_type t = cmark_node_get_type(n);
        const char *lit = cmark_node_get_literal(n);
        if (t == CMARK_NODE_TEXT)
            kiln_buf_addstr(text, lit ? lit : "");
        else if (t == CMARK_NODE_CODE && code)
            kiln_buf_addstr(code, lit ? lit : "");
        else
            foreign++;
    }
    cmark_iter_free(it);
    return foreign;
}

static int same(const kiln_buf *a, const kiln_buf *b)
{
    return a->len == b->len && (a->len == 0 || !memcmp(a->data, b->data, a->len));
}

static void check_md_table(const char *a, size_t na, const char *c, size_t nc)
{
    kiln_buf md = KILN_BUF_INIT, want_text = KILN_BUF_INIT, want_code = KILN_BUF_INIT;
    kiln_buf_addstr(&md, "| name | code |\n| --- | --- |\n| ");
    ki_md_cell(&md, a, na, 0);
    kiln_buf_addstr(&md, " | ");
    ki_md_code_span(&md, c, nc, 1);
    kiln_buf_addstr(&md, " |\n");
    md_expected_text(&want_text, a, na);
    md_expected_code(&want_code, c, nc);

    cmark_parser *parser;
    cmark_node *doc = md_parse(md.data, md.len, &parser);
    cmark_node *table = cmark_node_first_child(doc);
    if (!table || cmark_node_next(table) || strcmp(cmark_node_get_type_string(table), "table") != 0)
        fail("markdown: not exactly one table", md.data, md.len);
    int rows = 0;
    for (cmark_node *row = cmark_node_first_child(table); row; row = cmark_node_next(row)) {
        int cells = 0;
        for (cmark_node *cell = cmark_node_first_child(row); cell; cell = cmark_node_next(cell))
            cells++;
        if (cells != 2)
            fail("markdown: a row without exactly two cells", md.data, md.len);
        rows++;
    }
    if (rows != 2)
        fail("markdown: not two rows", md.data, md.len);
    cmark_node *body = cmark_node_next(cmark_node_first_child(table));
    cmark_node *cell1 = cmark_node_first_child(body), *cell2 = cmark_node_next(cell1);
    kiln_buf got_text = KILN_BUF_INIT, got_code = KILN_BUF_INIT, junk = KILN_BUF_INIT;
    if (md_collect(cell1, &got_text, NULL))
        fail("markdown: a cell holds more than text", md.data, md.len);
    if (!same(&got_text, &want_text))
        fail("markdown: cell text differs from the name", md.data, md.len);
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < nc; i++) {
        run = c[i] == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    if (longest >= 80) {
        /* past cmark-gfm's fence limit the escaper falls back to text */
        kiln_buf_reset(&want_code);
        md_expected_text(&want_code, c, nc);
        if (md_collect(cell2, &got_code, NULL) || !same(&got_code, &want_code))
            fail("markdown: long-backtick code falls back to the wrong text", md.data, md.len);
        goto done;
    }
    if (md_collect(cell2, &junk, &got_code) || junk.len)
        fail("markdown: the code cell holds more than one code span", md.data, md.len);
    /* An empty or all-space name cannot be a code span of its own: the
     * escaper pads it, and the padding then shows. */
    int blank = 1;
    for (size_t i = 0; i < want_code.len; i++)
        blank &= want_code.data[i] == ' ';
    if (blank) {
        kiln_buf_addstr(&want_code, "  ");
    }
    if (!same(&got_code, &want_code))
        fail("markdown: code span differs from the name", md.data, md.len);
done:
    kiln_buf_release(&got_text);
    kiln_buf_release(&got_code);
    kiln_buf_release(&junk);
    cmark_node_free(doc);
    cmark_parser_free(parser);
    kiln_buf_release(&md);
    kiln_buf_release(&want_text);
    kiln_buf_release(&want_code);
}

static void check_md_text(const char *a, size_t na, size_t max_chars)
{
    kiln_buf md = KILN_BUF_INIT, want = KILN_BUF_INIT, got = KILN_BUF_INIT;
    ki_md_text(&md, a, na, 0);
    size_t chars = md_expected_text(&want, a, na);
    cmark_parser *parser;
    cmark_node *doc = md_parse(md.data ? md.data : "", md.len, &parser);
    cmark_node *para = cmark_node_first_child(doc);
    if (want.len == 0) {
        if (para && cmark_node_first_child(para))
            fail("markdown text: blank name made content", md.data, md.len);
    } else {
        if (!para || cmark_node_next(para) || cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH)
            fail("markdown text: not exactly one paragraph", md.data, md.len);
        if (md_collect(para, &got, NULL))
            fail("markdown text: more than text", md.data, md.len);
        if (!same(&got, &want))
            fail("markdown text: differs from the name", md.data, md.len);
    }
    cmark_node_free(doc);
    cmark_parser_free(parser);
    kiln_buf_reset(&md);
    kiln_buf full = KILN_BUF_INIT;
    ki_md_text(&full, a, na, 0);
    ki_md_text(&md, a, na, max_chars);
    int cut = md.len >= 3 && !memcmp(md.data + md.len - 3, "\xE2\x80\xA6", 3);
    if (chars > max_chars ? !cut : !same(&md, &full))
        fail("markdown text: cut (or not) against max_chars", md.data, md.len);
    kiln_buf_release(&full);
    kiln_buf_release(&md);
    kiln_buf_release(&want);
    kiln_buf_release(&got);
}

/* ---- terminal ------------------------------------------------------------------ */

static int term_safe(unsigned cp)
{
    return !(cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
             (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff);
}

static void check_term(const char *a, size_t na)
{
    kiln_buf once = KILN_BUF_INIT, twice = KILN_BUF_INIT;
    ki_term_escape(&once, a, na);
    if (!utf8_each(once.data, once.len, term_safe))
        fail("terminal: unsafe output", once.data, once.len);
    ki_term_escape(&twice, once.data, once.len);
    if (!same(&once, &twice))
        fail("terminal: escaping twice changed the text", once.data, once.len);
    if (utf8_each(a, na, term_safe) && (once.len != na || (na && memcmp(once.data, a, na))))
        fail("terminal: safe text was changed", a, na);
    kiln_buf_release(&once);
    kiln_buf_release(&twice);
}

/* ---- flame / call graph sanitizers ------------------------------------------------- */

static int no_c0(unsigned cp)
{
    return cp >= 0x20 && cp != 0x7f;
}

/* The call graph's contract (callgraph_internal.h): controls, C1, bidi
 * controls and line separators are escaped; zero-width joiners are kept
 * (emoji sequences need them). */
static int cg_safe(unsigned cp)
{
    return !(cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
             (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c ||
             cp == 0x2028 || cp == 0x2029 || cp == 0xfeff);
}

static void check_sanitizers(const char *a, size_t na, size_t max_chars)
{
    kiln_buf once = KILN_BUF_INIT, twice = KILN_BUF_INIT;
    ki_flame_sanitize(&once, a, na);
    if (!utf8_each(once.data, once.len, no_c0))
        fail("flame sanitize: invalid UTF-8 or control", once.data, once.len);
    ki_flame_sanitize(&twice, once.data, once.len);
    if (!same(&once, &twice))
        fail("flame sanitize: not idempotent", once.data, once.len);
    kiln_buf_release(&once);
    kiln_buf_release(&twice);

    char *cg = ki_cg_sanitize(a, na, max_chars);
    if (cg) {
        size_t n = strlen(cg);
        if (!utf8_each(cg, n, cg_safe))
            fail("call graph sanitize: unsafe output", cg, n);
        /* max_chars counts source characters; an escape shows up to 6 */
        if (max_chars && count_cps(cg, n) > 6 * max_chars + 1)
            fail("call graph sanitize: cut not respected", cg, n);
        free(cg);
    }
}

/* ---- flame HTML ------------------------------------------------------------------ */

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes the JSON string value of "key" in the object text j; 0 on
 * failure (missing key, bad escape, raw control character). */
static int json_string_field(const char *j, size_t n, const char *key, kiln_buf *out)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = memmem(j, n, pat, strlen(pat));
    if (!p)
        return 0;
    const char *e = j + n;
    for (p += strlen(pat); p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return 1;
        if (c < 0x20)
            return 0;
        if (c != '\\') {
            kiln_buf_addch(out, c);
            continue;
        }
        if (++p >= e)
            return 0;
        switch (*p) {
        case '"': case '\\': case '/': kiln_buf_addch(out, *p); break;
        case 'n': kiln_buf_addch(out, '\n'); break;
        case 't': kiln_buf_addch(out, '\t'); break;
        case 'r': kiln_buf_addch(out, '\r'); break;
        case 'b': kiln_buf_addch(out, '\b'); break;
        case 'f': kiln_buf_addch(out, '\f'); break;
        case 'u': {
            if (e - p < 5)
                return 0;
            unsigned cp = 0;
            for (int k = 1; k <= 4; k++) {
                int h = hexval(p[k]);
                if (h < 0)
                    return 0;
                cp = cp << 4 | (unsigned)h;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                return 0; /* kiln never needs surrogate pairs */
            ki_md_utf8_encode(out, cp);
            p += 4;
            break;
        }
        default: return 0;
        }
    }
    return 0;
}

/* HTML text with only the entities html_text writes. */
static int html_decode(const char *s, size_t n, kiln_buf *out)
{
    static const struct { const char *ent; char c; } ents[] = {
        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}};
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<')
            return 0;
        if (s[i] != '&') {
            kiln_buf_addch(out, s[i]);
            continue;
        }
        size_t k;
        for (k = 0; k < 4; k++) {
            size_t l = strlen(ents[k].ent);
            if (n - i >= l && !memcmp(s + i, ents[k].ent, l)) {
                kiln_buf_addch(out, ents[k].c);
                i += l - 1;
                break;
            }
        }
        if (k == 4)
            return 0;
    }
    return 1;
}

/* A NUL-terminated copy of n bytes (strndup would scan past a buffer
 * without a NUL under ASan's strict_string_checks). */
static char *dup_cstr(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static void check_flame_html(const char *a, size_t na, const char *b, size_t nb)
{
    /* titles are C strings: cut at the first NUL */
    char *title = dup_cstr(a, na), *sub = dup_cstr(b, nb);
    kiln_profile *p = kiln_profile_new();
    kiln_error err;
    if (!title || !sub || !p)
        goto out;
    kiln_profile_add_sample_type(p, "samples", "count");
    kiln_frame f;
    memset(&f, 0, sizeof f);
    f.name = kiln_profile_intern(p, a, na);
    f.file = kiln_profile_intern(p, b, nb);
    kiln_frame_id id = kiln_profile_frame(p, &f);
    double v = 1;
    kiln_profile_add_stack(p, &id, 1, &v);
    if (kiln_profile_finish(p, &err) != KILN_OK)
        goto out;
    kiln_flame_opts o;
    kiln_flame_opts_init(&o);
    o.title = title;
    o.subtitle = sub;
    kiln_buf html = KILN_BUF_INIT, want = KILN_BUF_INIT, got = KILN_BUF_INIT;
    kiln_sink s;
    kiln_sink_init_buf(&s, &html);
    if (kiln_render_flame_html(p, &o, &s, &err) == KILN_OK) {
        const char *h = html.data, *end = h + html.len;
        const char *j = memmem(h, html.len, "<script type=\"application/json\"", 31);
        const char *body = j ? memchr(j, '>', (size_t)(end - j)) : NULL;
        const char *close = body ? memmem(body, (size_t)(end - body), "</script>", 9) : NULL;
        if (!close)
            fail("flame html: no JSON block", h, html.len);
        body++;
        if (memchr(body, '<', (size_t)(close - body)))
            fail("flame html: '<' in the JSON block", body, (size_t)(close - body));
        const char *fields[2] = {"title", "subtitle"};
        const char *vals[2] = {title, sub};
        for (int k = 0; k < 2; k++) {
            kiln_buf_reset(&want);
            kiln_buf_reset(&got);
            ki_flame_sanitize(&want, vals[k], strlen(vals[k]));
            if (!json_string_field(body, (size_t)(close - body), fields[k], &got) || !same(&got, &want))
                fail("flame html: JSON string does not decode to the sanitized text", body,
                     (size_t)(close - body));
        }
        const char *t0 = memmem(h, html.len, "<title>", 7);
        const char *t1 = t0 ? memmem(t0, (size_t)(end - t0), "</title>", 8) : NULL;
        kiln_buf_reset(&got);
        kiln_buf_reset(&want);
        ki_flame_sanitize(&want, title, strlen(title));
        if (!t1 || !html_decode(t0 + 7, (size_t)(t1 - t0 - 7), &got) || !same(&got, &want))
            fail("flame html: <title> does not decode to the sanitized title", t0 ? t0 : h,
                 t1 && t0 ? (size_t)(t1 - t0) : 0);
    }
    kiln_buf_release(&html);
    kiln_buf_release(&want);
    kiln_buf_release(&got);
out:
    kiln_profile_free(p);
    free(title);
    free(sub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_NAME + 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1, half = n / 2;
    size_t max_chars = 1 + data[0] / 8;
    switch (data[0] % 5) {
    case 0: check_md_table(s, half, s + half, n - half); break;
    case 1: check_md_text(s, n, max_chars); break;
    case 2: check_term(s, n); break;
    case 3: check_sanitizers(s, n, max_chars); break;
    default: check_flame_html(s, half, s + half, n - half); break;
    }
    return 0;
}
