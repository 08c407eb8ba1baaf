/* libFuzzer harness: the perf importer, then the folded exporter on what it
 * read (so sanitizing names and sorting run on fuzzed data too). */
#include "import_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_import_then(data, size, "perf", fuzz_export_folded_all);
}
