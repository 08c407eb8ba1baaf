/* kiln/io.h: where output goes.
 *
 * Renderers and exporters write through a kiln_sink so that tests can render
 * into memory and the CLI into a file or stdout. Files are written through a
 * kiln_outfile: the bytes go to "<path>.tmp.<pid>" in the same directory and
 * replace <path> only on commit, so a failed run never leaves a half-written
 * output and never truncates an existing one. "-" means standard output. */
#ifndef KILN_IO_H
#define KILN_IO_H

#include <stddef.h>
#include <stdio.h>

#include "kiln/buf.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_sink kiln_sink;
struct kiln_sink {
    /* Write n bytes; return 0 or -1. Set by the constructors below. */
    int (*write)(kiln_sink *s, const void *data, size_t n);
    void *ctx;
    int failed;          /* sticky: set by the first failed write */
    int err_no;          /* errno of that failure, when there was one */
};

/* A sink appending to a caller-owned buffer (borrowed for the sink's life). */
void kiln_sink_init_buf(kiln_sink *s, kiln_buf *b);
/* A sink writing to a caller-owned stdio stream (not closed by kiln). */
void kiln_sink_init_file(kiln_sink *s, FILE *f);

int kiln_sink_write(kiln_sink *s, const void *data, size_t n);
int kiln_sink_puts(kiln_sink *s, const char *str);
int kiln_sink_printf(kiln_sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An output file written atomically. Caller-owned struct. */
typedef struct kiln_outfile {
    FILE *fp;            /* write here (or through .sink) */
    kiln_sink sink;      /* a sink on fp */
    char *path;          /* final path (owned), NULL for stdout */
    char *tmp_path;      /* temporary path (owned), NULL for stdout */
    int is_stdout;
} kiln_outfile;

/* Open "path" ("-" = stdout) for writing. On failure fills err (status
 * KILN_ERR_WRITE, message naming the path) and leaves nothing behind. */
kiln_status kiln_outfile_open(kiln_outfile *of, const char *path, kiln_error *err);
/* Flush and rename into place (or flush stdout); fsync first when the
 * environment sets KILN_FSYNC=1. Any earlier write
 * error, a full disk included, is reported here and the temp file removed.
 * Releases everything whatever the outcome. */
kiln_status kiln_outfile_commit(kiln_outfile *of, kiln_error *err);
/* Discard: remove the temp file, release everything. Safe to call twice. */
void kiln_outfile_abort(kiln_outfile *of);
/* Remove every temp file still open (for a SIGINT/SIGTERM handler in the CLI:
 * async-signal-safe, uses only unlink). */
void kiln_outfile_abort_all_signal_safe(void);

#ifdef __cplusplus
}
#endif
#endif
