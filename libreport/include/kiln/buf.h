/* kiln/buf.h: the one growable byte buffer used for all text building.
 * Caller-owned struct (init/release); the bytes are always NUL-terminated so
 * data can be used as a C string when it holds no NUL. */
#ifndef KILN_BUF_H
#define KILN_BUF_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_buf {
    char *data;   /* NULL until the first append, then NUL-terminated */
    size_t len;
    size_t cap;
    int failed;   /* set when an allocation failed; later appends do nothing */
} kiln_buf;

#define KILN_BUF_INIT {0, 0, 0, 0}

void kiln_buf_init(kiln_buf *b);
void kiln_buf_release(kiln_buf *b);           /* frees data, back to empty */
int kiln_buf_grow(kiln_buf *b, size_t extra); /* 0, or -1 (and failed=1) */
int kiln_buf_add(kiln_buf *b, const void *data, size_t n);
int kiln_buf_addstr(kiln_buf *b, const char *s);
int kiln_buf_addch(kiln_buf *b, int c);
int kiln_buf_printf(kiln_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kiln_buf_vprintf(kiln_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void kiln_buf_reset(kiln_buf *b);             /* len = 0, keeps memory */
/* Returns the data (caller frees with free()) and leaves b empty. Never NULL
 * unless allocation failed. */
char *kiln_buf_detach(kiln_buf *b, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
