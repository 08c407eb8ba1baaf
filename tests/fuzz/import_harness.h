/* The shape shared by the importer harnesses: import the fuzzer's bytes
 * with one format (warnings ignored) and, when that succeeds, hand the
 * profile to `exercise` with a memory sink so the exporters run on fuzzed
 * data too. Keeps no state; frees everything (LSan checks it). */
#ifndef KILN_FUZZ_IMPORT_HARNESS_H
#define KILN_FUZZ_IMPORT_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/buf.h"
#include "kiln/export.h"
#include "kiln/import.h"
#include "kiln/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef void (*fuzz_exercise_fn)(const kiln_profile *p, kiln_sink *s, kiln_buf *b, kiln_error *err);

static inline void fuzz_ignore_warning(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

static inline int fuzz_import_then(const uint8_t *data, size_t size, const char *format, fuzz_exercise_fn exercise)
{
    kiln_import_opts opts = {0};
    opts.format = format;
    opts.warn = fuzz_ignore_warning;
    opts.keep_timeline = 1;   /* perf: the timestamps' parser runs too */
    kiln_profile *p = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_import_memory(data, size, &opts, &p, &err) == KILN_OK) {
        kiln_buf b = KILN_BUF_INIT;
        kiln_sink s;
        kiln_sink_init_buf(&s, &b);
        exercise(p, &s, &b, &err);
        kiln_buf_release(&b);
        kiln_profile_free(p);
    }
    return 0;
}

/* Every sample type to folded, and the two-column diff of the profile
 * against itself (folded and perf harnesses). */
static inline void fuzz_export_folded_all(const kiln_profile *p, kiln_sink *s, kiln_buf *b, kiln_error *err)
{
    for (int t = 0; t < kiln_profile_sample_type_count(p); t++) {
        kiln_export_folded(p, t, s, err);
        kiln_buf_reset(b);
    }
    if (kiln_profile_sample_type_count(p) > 0)
        kiln_export_folded_diff(p, 0, p, 0, s, err);
}

#endif
