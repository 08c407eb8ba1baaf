/* libFuzzer harness: the speedscope JSON importer, then the speedscope and
 * callgrind exporters on what it read. */
#include "import_harness.h"

static void exercise(const kiln_profile *p, kiln_sink *s, kiln_buf *b, kiln_error *err)
{
    kiln_export_speedscope(p, "fuzz", s, err);
    kiln_buf_reset(b);
    kiln_export_callgrind(p, s, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_import_then(data, size, "speedscope", exercise);
}
