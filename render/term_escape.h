/* Internal: making untrusted names (from the profiled program) inert on a
 * terminal. */
#ifndef KI_TERM_ESCAPE_H
#define KI_TERM_ESCAPE_H

#include <stddef.h>

#include "kiln/buf.h"

/* Appends the n bytes of s to out so that a terminal shows them literally:
 *   - C0 controls, DEL and ESC become "\xNN"; C1 controls (U+0080..U+009F)
 *     become "\u0080".."\u009f";
 *   - bidi controls (U+200E/F, U+202A..U+202E, U+2066..U+2069), zero-width
 *     characters (U+200B..U+200D, U+2060, U+FEFF) and line/paragraph
 *     separators (U+2028/9) become visible "\uNNNN" escapes;
 *   - invalid UTF-8 (stray bytes, overlong forms, surrogates, > U+10FFFF,
 *     truncated sequences) becomes U+FFFD, one per maximal bad subpart;
 *   - everything else is copied.
 * Returns 0, or -1 when out failed to grow. */
int ki_term_escape(kiln_buf *out, const char *s, size_t n);

/* Length in bytes of the valid UTF-8 sequence at s (n bytes available), or 0
 * when the bytes there are not one; *cp gets the code point. */
size_t ki_utf8_decode(const unsigned char *s, size_t n, unsigned *cp);

#endif
