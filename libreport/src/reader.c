/* Buffered input over an fd or memory, with transparent gunzip. */
#include "reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define WINDOW (1u << 20)
#define ZIN_SIZE (256u << 10)

static int fail(ki_reader *r, kiln_status st, const char *what)
{
    kiln_error_set(r->err, st, "offset %llu (0x%llx): %s", (unsigned long long)ki_reader_offset(r),
                   (unsigned long long)ki_reader_offset(r), what);
    return -1;
}

/* Raw (possibly compressed) bytes from the source. */
static long raw_read(ki_reader *r, unsigned char *dst, size_t n)
{
    if (r->fd < 0) {
        size_t left = r->mem_len - r->mem_pos;
        if (n > left)
            n = left;
        memcpy(dst, r->mem + r->mem_pos, n);
        r->mem_pos += n;
        return (long)n;
    }
    for (;;) {
        ssize_t got = read(r->fd, dst, n);
        if (got >= 0)
            return (long)got;
        if (errno != EINTR) {
            char msg[128];
            snprintf(msg, sizeof msg, "read error: %s", strerror(errno));
            kiln_error_set(r->err, KILN_ERR_READ, "%s", msg);
            return -1;
        }
    }
}

static int ensure_buf(ki_reader *r, size_t cap)
{
    if (r->buf && r->cap >= cap)
        return 0;
    unsigned char *nb = realloc(r->buf, cap);
    if (!nb)
        return fail(r, KILN_ERR_NOMEM, "out of memory for the input buffer");
    r->buf = nb;
    r->data = nb;
    r->cap = cap;
    return 0;
}

/* Append more bytes to the window at buf[end..cap). 0 at EOF, -1 error. */
static long fill_more(ki_reader *r)
{
    if (r->eof)
        return 0;
    if (!r->gz) {
        long got = raw_read(r, r->buf + r->end, r->cap - r->end);
        if (got <= 0) {
            r->eof = 1;
            return got;
        }
        r->end += (size_t)got;
        return got;
    }
    z_stream *z = r->gz;
    z->next_out = r->buf + r->end;
    z->avail_out = (uInt)(r->cap - r->end > (1u << 30) ? (1u << 30) : r->cap - r->end);
    while (z->avail_out > 0) {
        if (z->avail_in == 0) {
            long got = raw_read(r, r->zin, ZIN_SIZE);
            if (got < 0)
                return -1;
            if (got == 0)
                break;
            z->next_in = r->zin;
            z->avail_in = (uInt)got;
        }
        int zr = inflate(z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            /* another gzip member may follow (like gunzip) */
            if (z->avail_in == 0) {
                long got = raw_read(r, r->zin, ZIN_SIZE);
                if (got < 0)
                    return -1;
                if (got == 0) {
                    r->eof = 1;
                    break;
                }
                z->next_in = r->zin;
                z->avail_in = (uInt)got;
            }
            inflateReset(z);
        } else if (zr == Z_BUF_ERROR) {
            break;
        } else if (zr != Z_OK) {
            r->end = (size_t)(z->next_out - r->buf);
            return fail(r, KILN_ERR_DATA, z->msg ? z->msg : "corrupt gzip data");
        }
    }
    size_t got = (size_t)(z->next_out - (r->buf + r->end));
    r->end += got;
    if (got == 0 && !r->eof) {
        if (z->avail_in == 0) {
            r->eof = 1;
            /* a stream that ended before Z_STREAM_END is truncated */
            return fail(r, KILN_ERR_DATA, "truncated gzip data");
        }
    }
    return (long)got;
}

static int setup(ki_reader *r, kiln_error *err)
{
    r->err = err;
    unsigned char head[2];
    size_t have = 0;
    if (r->fd < 0) {
        have = r->mem_len < 2 ? r->mem_len : 2;
        memcpy(head, r->mem, have);
    } else {
        if (ensure_buf(r, WINDOW) < 0)
            return -1;
        long got;
        while (r->end < 2 && (got = raw_read(r, r->buf + r->end, r->cap - r->end)) > 0)
            r->end += (size_t)got;
        if (r->end < 2) {
            /* raw_read may have failed; with < 2 bytes it is plain input */
            if (r->err && r->err->status != KILN_OK)
                return -1;
        }
        have = r->end < 2 ? r->end : 2;
        memcpy(head, r->buf, have);
    }
    if (have == 2 && head[0] == 0x1f && head[1] == 0x8b) {
        z_stream *z = calloc(1, sizeof *z);
        r->zin = malloc(ZIN_SIZE);
        if (!z || !r->zin || inflateInit2(z, 15 + 16) != Z_OK) {
            free(z);
            return fail(r, KILN_ERR_NOMEM, "out of memory for gzip");
        }
        r->gz = z;
        if (r->fd < 0) {
            if (ensure_buf(r, WINDOW) < 0)
                return -1;
        } else {
            memcpy(r->zin, r->buf, r->end);
            z->next_in = r->zin;
            z->avail_in = (uInt)r->end;
            r->end = 0;
        }
        return 0;
    }
    if (r->fd < 0) {
        r->data = r->mem;
        r->end = r->mem_len;
        r->eof = 1;
    }
    return 0;
}

int ki_reader_init_fd(ki_reader *r, int fd, kiln_error *err)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    return setup(r, err);
}

int ki_reader_init_mem(ki_reader *r, const void *data, size_t len, kiln_error *err)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->mem = data ? data : (const void *)"";
    r->mem_len = data ? len : 0;
    return setup(r, err);
}

void ki_reader_release(ki_reader *r)
{
    if (r->gz) {
        inflateEnd(r->gz);
        free(r->gz);
    }
    free(r->zin);
    free(r->buf);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

uint64_t ki_reader_offset(const ki_reader *r)
{
    return r->base + r->pos;
}

/* Slide unread bytes to the front so the window can take more. */
static void compact(ki_reader *r)
{
    if (r->pos == 0 || !r->buf || r->data != r->buf)
        return;
    memmove(r->buf, r->buf + r->pos, r->end - r->pos);
    r->base += r->pos;
    r->end -= r->pos;
    r->pos = 0;
}

static void report_progress(ki_reader *r)
{
    if (r->progress && ki_reader_offset(r) >= r->progress_next) {
        r->progress(r->progress_ctx, ki_reader_offset(r));
        r->progress_next = ki_reader_offset(r) + (64u << 20);
    }
}

long ki_reader_peek(ki_reader *r, size_t n, const unsigned char **p)
{
    while (r->end - r->pos < n && !r->eof) {
        compact(r);
        if (r->cap - r->end < n - (r->end - r->pos) || r->end == r->cap) {
            size_t want = r->cap * 2;
            while (want < n + 1)
                want *= 2;
            if (want > (size_t)KI_READER_MAX_LINE * 2 + WINDOW)
                return fail(r, KILN_ERR_LIMIT, "read request too large");
            if (ensure_buf(r, want) < 0)
                return -1;
        }
        if (fill_more(r) < 0)
            return -1;
    }
    *p = r->data + r->pos;
    return (long)(r->end - r->pos);
}

void ki_reader_skip(ki_reader *r, size_t n)
{
    if (n > r->end - r->pos)
        n = r->end - r->pos;
    r->pos += n;
    report_progress(r);
}

int ki_reader_line(ki_reader *r, const char **line, size_t *len)
{
    size_t scanned = 0;
    for (;;) {
        const unsigned char *start = r->data + r->pos;
        size_t avail = r->end - r->pos;
        const unsigned char *nl = avail > scanned ? memchr(start + scanned, '\n', avail - scanned) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - start);
            r->pos += n + 1;
            r->line++;
            if (n > 0 && start[n - 1] == '\r')
                n--;
            *line = (const char *)start;
            *len = n;
            report_progress(r);
            return 1;
        }
        scanned = avail;
        if (avail > KI_READER_MAX_LINE) {
            kiln_error_set(r->err, KILN_ERR_LIMIT, "line %llu: longer than the %u MiB line limit",
                           (unsigned long long)r->line + 1, KI_READER_MAX_LINE >> 20);
            return -1;
        }
        if (r->eof) {
            if (avail == 0)
                return 0;
            r->pos += avail;
            r->line++;
            if (start[avail - 1] == '\r')
                avail--;
            *line = (const char *)start;
            *len = avail;
            return 1;
        }
        compact(r);
        if (r->end == r->cap) {
            size_t want = r->cap * 2;
            if (want > (size_t)KI_READER_MAX_LINE + WINDOW)
                want = (size_t)KI_READER_MAX_LINE + WINDOW;
            if (want <= r->cap) {
                kiln_error_set(r->err, KILN_ERR_LIMIT, "line %llu: longer than the %u MiB line limit",
                               (unsigned long long)r->line + 1, KI_READER_MAX_LINE >> 20);
                return -1;
            }
            if (ensure_buf(r, want) < 0)
                return -1;
        }
        if (fill_more(r) < 0)
            return -1;
    }
}

int ki_reader_slurp(ki_reader *r, uint64_t max, unsigned char **data, size_t *len)
{
    size_t cap = WINDOW, n = 0;
    unsigned char *out = malloc(cap);
    if (!out)
        return fail(r, KILN_ERR_NOMEM, "out of memory reading the input");
    for (;;) {
        const unsigned char *p;
        long avail = ki_reader_peek(r, 1, &p);
        if (avail < 0) {
            free(out);
            return -1;
        }
        if (avail == 0)
            break;
        if (n + (size_t)avail > max) {
            free(out);
            kiln_error_set(r->err, KILN_ERR_LIMIT, "input larger than the %llu MiB limit",
                           (unsigned long long)(max >> 20));
            return -1;
        }
        if (n + (size_t)avail > cap) {
            while (cap < n + (size_t)avail)
                cap *= 2;
            unsigned char *no = realloc(out, cap);
            if (!no) {
                free(out);
                return fail(r, KILN_ERR_NOMEM, "out of memory reading the input");
            }
            out = no;
        }
        memcpy(out + n, p, (size_t)avail);
        n += (size_t)avail;
        ki_reader_skip(r, (size_t)avail);
    }
    *data = out;
    *len = n;
    return 0;
}
