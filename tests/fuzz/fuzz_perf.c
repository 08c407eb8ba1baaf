/* libFuzzer harness: the perf importer, then the folded exporter on what it
 * read (so sanitizing names and sorting run on fuzzed data too). Keeps no
 * state; frees everything. */
#include <stddef.h>
#include <stdint.h>

#include "kiln/buf.h"
#include "kiln/export.h"
#include "kiln/import.h"
#include "kiln/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore_warning(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_import_opts opts = {0};
    opts.format = "perf";
    opts.warn = ignore_warning;
    kiln_profile *p = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_import_memory(data, size, &opts, &p, &err) == KILN_OK) {
        kiln_buf b = KILN_BUF_INIT;
        kiln_sink s;
        kiln_sink_init_buf(&s, &b);
        for (int t = 0; t < kiln_profile_sample_type_count(p); t++) {
            kiln_export_folded(p, t, &s, &err);
            kiln_buf_reset(&b);
        }
        if (kiln_profile_sample_type_count(p) > 0)
            kiln_export_folded_diff(p, 0, p, 0, &s, &err);
        kiln_buf_release(&b);
        kiln_profile_free(p);
    }
    return 0;
}
