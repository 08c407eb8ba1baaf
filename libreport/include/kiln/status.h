/* kiln/status.h: status codes and the error record every library call fills.
 *
 * The library never prints and never exits. A failing call returns a
 * kiln_status other than KILN_OK and, when given a kiln_error, leaves a one-line
 * message in it that names the place in the input ("offset 1834 (0x72a): ...",
 * "line 12: ..."). The caller adds the file name: the library does not know
 * how the user spelled it.
 *
 * The enum is append-only: values never change meaning between versions. */
#ifndef KILN_STATUS_H
#define KILN_STATUS_H

#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_status {
    KILN_OK = 0,
    KILN_ERR_USAGE = 1,       /* the caller passed something invalid */
    KILN_ERR_DATA = 2,        /* malformed or unsupported input */
    KILN_ERR_LIMIT = 3,       /* input exceeds a documented cap */
    KILN_ERR_READ = 4,        /* input could not be opened or read */
    KILN_ERR_WRITE = 5,       /* output could not be written (full disk, closed pipe) */
    KILN_ERR_NOMEM = 6,       /* out of memory */
    KILN_ERR_INTERNAL = 7,    /* a broken invariant: a bug in kiln */
    KILN_ERR_FORMAT = 8,      /* input format not recognised */
    KILN_ERR_CREATE = 9       /* an output could not be created */
} kiln_status;

/* A static English description of a status ("malformed input"). */
const char *kiln_strerror(kiln_status st);

#define KILN_NO_OFFSET UINT64_MAX

/* Filled by a failing call. Caller-owned, no heap memory: needs no release. */
typedef struct kiln_error {
    kiln_status status;
    uint64_t offset;     /* byte offset of the problem, or KILN_NO_OFFSET */
    uint64_t line;       /* 1-based line for text formats, or 0 */
    char msg[1024];      /* "<where>: <what>", always NUL-terminated */
} kiln_error;

/* Reset to KILN_OK with an empty message. */
void kiln_error_clear(kiln_error *err);

/* Record an error (err may be NULL) and return st, so that callers can write
 * `return kiln_error_set(err, KILN_ERR_DATA, "offset %llu: ...", off);`.
 * The first error recorded wins: a later call does not overwrite it. */
kiln_status kiln_error_set(kiln_error *err, kiln_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
kiln_status kiln_error_setv(kiln_error *err, kiln_status st, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Warnings: partial results that are still usable (a torn last chunk, ignored
 * lines). The library calls the handler once per warning with a one-line
 * message in the same "<where>: <what>" form; a NULL handler drops them. */
typedef void (*kiln_warn_fn)(void *ctx, const char *msg);

#ifdef __cplusplus
}
#endif
#endif
