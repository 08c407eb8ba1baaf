/* Internal: a byte stream over a file descriptor or a memory buffer, with
 * transparent gunzip, used by every importer. Text importers read lines;
 * binary ones read bytes or the whole input (under a cap).
 *
 * Offsets reported in errors are offsets in the (decompressed) input.
 * Every function returns -1 after recording an error in r->err, so an
 * importer can `if (ki_reader_line(...) < 0) return r->err->status;`. */
#ifndef KI_READER_H
#define KI_READER_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/status.h"

#define KI_READER_MAX_LINE (256u << 20)     /* 256 MiB, the text-format line cap */
#define KI_READER_MAX_WHOLE (1ull << 32)    /* 4 GiB: cap of ki_reader_slurp */

typedef struct ki_reader {
    int fd;                    /* -1 when reading memory */
    const unsigned char *mem;  /* memory input (borrowed) */
    size_t mem_len;
    size_t mem_pos;            /* raw read position in mem (gzip mode) */
    const unsigned char *data; /* the window: buf, or mem for plain memory input */
    unsigned char *buf;        /* window for fd or gzip input (owned) */
    size_t cap;
    size_t pos, end;           /* unread bytes are buf[pos..end) (or mem) */
    uint64_t base;             /* input offset of buf[0] */
    uint64_t line;             /* number of the last line returned (1-based) */
    int eof;
    void *gz;                  /* inflate state when the input is gzip */
    unsigned char *zin;        /* compressed read buffer for gzip */
    kiln_error *err;
    void (*progress)(void *ctx, uint64_t bytes_done);
    void *progress_ctx;
    uint64_t progress_next;
} ki_reader;

/* Initialise over an fd (not closed) or a borrowed memory buffer. The first
 * bytes are examined: gzip input is decompressed on the fly. */
int ki_reader_init_fd(ki_reader *r, int fd, kiln_error *err);
int ki_reader_init_mem(ki_reader *r, const void *data, size_t len, kiln_error *err);
void ki_reader_release(ki_reader *r);

/* Make at least n bytes available (fewer only at end of input). Returns
 * the number available at the current position (may be < n), or -1. */
long ki_reader_peek(ki_reader *r, size_t n, const unsigned char **p);
/* Consume n bytes (n <= what peek reported). */
void ki_reader_skip(ki_reader *r, size_t n);
/* Offset in the input of the next unread byte. */
uint64_t ki_reader_offset(const ki_reader *r);

/* Next line without its "\n" (and without a trailing "\r"). Returns 1 with
 * line and len set (valid until the next call), 0 at end of input, -1 on error
 * (a line longer than KI_READER_MAX_LINE, a read error). The last line is
 * returned even without a final newline. r->line is its number. */
int ki_reader_line(ki_reader *r, const char **line, size_t *len);

/* Read all the rest into a new malloc'd buffer (caller frees), failing with
 * KILN_ERR_LIMIT past max bytes. For memory input without gzip this still
 * copies, so callers that only need to look may prefer peek. */
int ki_reader_slurp(ki_reader *r, uint64_t max, unsigned char **data, size_t *len);

#endif
