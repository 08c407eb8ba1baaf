/* libFuzzer harness: the pprof importer (bounded protobuf decoder), then the
 * pprof, speedscope and callgrind exporters on what it read. Keeps no state;
 * frees everything. Owner: helper "interchange". */
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
    opts.format = "pprof";
    opts.warn = ignore_warning;
    kiln_profile *p = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_import_memory(data, size, &opts, &p, &err) == KILN_OK) {
        kiln_buf b = KILN_BUF_INIT;
        kiln_sink s;
        kiln_sink_init_buf(&s, &b);
        kiln_export_pprof(p, 0, &s, &err);
        kiln_buf_reset(&b);
        kiln_export_speedscope(p, NULL, &s, &err);
        kiln_buf_reset(&b);
        kiln_export_callgrind(p, &s, &err);
        kiln_buf_release(&b);
        kiln_profile_free(p);
    }
    return 0;
}
