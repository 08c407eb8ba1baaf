/* The growable byte buffer. */
#include "kiln/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kiln_buf_init(kiln_buf *b)
{
    memset(b, 0, sizeof *b);
}

void kiln_buf_release(kiln_buf *b)
{
    free(b->data);
    kiln_buf_init(b);
}

int kiln_buf_grow(kiln_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra >= SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap + cap / 2 + 64;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

int kiln_buf_add(kiln_buf *b, const void *data, size_t n)
{
    if (kiln_buf_grow(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int kiln_buf_addstr(kiln_buf *b, const char *s)
{
    return kiln_buf_add(b, s, strlen(s));
}

int kiln_buf_addch(kiln_buf *b, int c)
{
    char ch = (char)c;
    return kiln_buf_add(b, &ch, 1);
}

int kiln_buf_vprintf(kiln_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof tmp)
        return kiln_buf_add(b, tmp, (size_t)n);
    if (kiln_buf_grow(b, (size_t)n) < 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int kiln_buf_printf(kiln_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kiln_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

void kiln_buf_reset(kiln_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *kiln_buf_detach(kiln_buf *b, size_t *len)
{
    if (!b->data && kiln_buf_grow(b, 0) < 0)
        return NULL;
    char *d = b->data;
    if (len)
        *len = b->len;
    kiln_buf_init(b);
    return d;
}
