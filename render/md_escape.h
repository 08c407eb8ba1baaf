/* md_escape.h: making untrusted text inert in GitHub-flavoured Markdown
 * (internal to libkiln; render/ and libreport/src/ may use it).
 *
 * Every function appends to a kiln_buf and returns 0, or -1 when an
 * allocation failed (b->failed is then set). The input may hold any bytes:
 * invalid UTF-8 becomes U+FFFD, control characters (C0, DEL, C1) become
 * U+FFFD except that newline, CR, tab, VT and FF become a space, and the
 * Unicode line/paragraph separators become a space. The result is one line.
 *
 * Escaping (checked against cmark-gfm 0.29 with the table and autolink
 * extensions by tests/compare/test_md_escape.py):
 *   - every ASCII punctuation character is backslash-escaped, which covers
 *     `|` (cell split), `\`, backticks, emphasis `* _ ~`, links `[ ] ( ) !`,
 *     and the block markers `# + - = >` and `1.`; escaping `.` and `:` also
 *     stops the www. and http:// autolinks;
 *   - `<`, `>` and `&` are written as the entities &lt; &gt; &amp; (no raw
 *     HTML, no entity references from data);
 *   - `@` is followed by U+2060 WORD JOINER, which stops e-mail autolinks
 *     and GitHub @mentions while rendering the same;
 *   - leading white space is dropped (no indented code block). */
#ifndef KILN_RENDER_MD_ESCAPE_H
#define KILN_RENDER_MD_ESCAPE_H

#include <stddef.h>

#include "kiln/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Text for one table cell. max_chars > 0 cuts the text after that many
 * code points and appends "…"; 0 = no limit. */
int ki_md_cell(kiln_buf *b, const char *s, size_t len, size_t max_chars);
/* A free-text line (a title or note): the same escaping, so it cannot start
 * a list, quote, heading, code block or table. */
int ki_md_text(kiln_buf *b, const char *s, size_t len, size_t max_chars);
/* A code span around s, fenced with one more backtick than the longest run
 * inside and padded with spaces when needed. in_table: `|` is written as
 * `\|` (GFM splits cells before it parses code spans). When the fence would
 * be longer than 80 backticks (cmark-gfm's limit), the text is written as
 * escaped text (ki_md_cell) instead, so it is still shown literally. */
int ki_md_code_span(kiln_buf *b, const char *s, size_t len, int in_table);

/* Decodes one UTF-8 code point at s (len > 0). Returns its length (1..4)
 * and sets *cp, or returns 1 with *cp = 0xFFFD for an invalid byte
 * (overlong forms, surrogates and values above U+10FFFF are invalid). */
size_t ki_md_utf8_decode(const unsigned char *s, size_t len, unsigned *cp);
/* Appends cp (at most U+10FFFF) as UTF-8: the inverse of the above. */
void ki_md_utf8_encode(kiln_buf *b, unsigned cp);

#ifdef __cplusplus
}
#endif
#endif
