/* kiln/import.h: reading profiles of every supported format into the model.
 *
 * Each format has its own importer (one file each in libreport/src/). The
 * format is sniffed from the first bytes unless opts->format names one.
 * Gzip-compressed input is decompressed transparently. Text formats are
 * streamed: memory grows with what is kept (unique stacks), not with input
 * size. */
#ifndef KILN_IMPORT_H
#define KILN_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_import_opts {
    const char *format;     /* "prof", "folded", "perf", "kiln", or NULL to sniff */
    kiln_warn_fn warn;      /* warnings (partial data, ignored lines); may be NULL */
    void *warn_ctx;
    int strict;             /* turn warnings about damaged data into errors */
    const char *perf_event; /* perf script: keep only this event (default: the first seen) */
    int perf_no_comm;       /* perf script: do not add the process name as root frame */
    int graph_only;         /* the caller reads only the call graph: do not rebuild an
                               approximate tree from a given graph (cProfile) */
    /* Progress for long inputs: called now and then with bytes consumed. */
    void (*progress)(void *ctx, uint64_t bytes_done);
    void *progress_ctx;
    /* Unresolved native addresses (kiln record) are symbolized after import
     * (kiln/symbolize.h) unless this is set. */
    int no_symbolize;
    /* Keep the samples' order and timestamps (kiln_profile_timeline) when
     * the input has them: memory grows with the samples, up to
     * KILN_TIMELINE_MAX. */
    int keep_timeline;
} kiln_import_opts;

/* Names of the built-in importers, NULL-terminated. */
const char *const *kiln_import_formats(void);

/* Guess the format from the first bytes of an input; NULL if unknown. */
const char *kiln_import_sniff(const void *head, size_t len);

/* Reads a profile from an open file descriptor (not closed). On success
 * *out is a new finished profile (free with kiln_profile_free). On failure
 * *out is NULL and err says where and why. */
kiln_status kiln_import_fd(int fd, const kiln_import_opts *opts, kiln_profile **out, kiln_error *err);
/* Same for a path ("-" = standard input). Errors opening the file are
 * KILN_ERR_READ. */
kiln_status kiln_import_path(const char *path, const kiln_import_opts *opts, kiln_profile **out,
                             kiln_error *err);
/* Same from memory (the buffer is borrowed for the call only). This is the
 * entry point of the fuzzing harnesses. */
kiln_status kiln_import_memory(const void *data, size_t len, const kiln_import_opts *opts,
                               kiln_profile **out, kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
