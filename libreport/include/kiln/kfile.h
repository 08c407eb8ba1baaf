/* kiln/kfile.h: the compact binary profile, `.kiln`. docs/format.md is the
 * byte-level specification; this is the C interface.
 *
 * Writing is append-only and streaming: a writer never seeks, so it can
 * write into a pipe, and every chunk is complete on its own, so a crash loses
 * at most the chunk in flight. The writer part depends on zlib and libc only
 * (it lives in the small `kiln_format` library that collectors link). */
#ifndef KILN_KFILE_H
#define KILN_KFILE_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/io.h"
#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_FORMAT_MAGIC "\x89KILN\r\n\x1a"   /* 8 bytes */
#define KILN_FORMAT_VERSION 1

/* Writes a whole finished profile as .kiln to a sink. */
kiln_status kiln_kfile_write(const kiln_profile *p, kiln_sink *out, kiln_error *err);

/* Reads .kiln bytes from memory into a new profile (not finished: the
 * importer finishes it). A torn or damaged tail yields everything before
 * the damage and one warning naming the offset, unless strict. */
kiln_status kiln_kfile_read_memory(const void *data, size_t len, kiln_profile *into, int strict,
                                   kiln_warn_fn warn, void *warn_ctx, kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
