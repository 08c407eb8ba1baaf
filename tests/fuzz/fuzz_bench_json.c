/* libFuzzer harness: pytest-benchmark JSON (bench_json.c), then everything
 * a loaded run feeds: comparison against itself with a gate, the Markdown,
 * text and JSON writers, and the scaling fit. Keeps no state. */
#include <stddef.h>
#include <stdint.h>

#include "kiln/bench.h"
#include "kiln/compare.h"
#include "kiln/complexity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_bench_run *run = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    kiln_bench_load_opts opts = {NULL, NULL, 0};
    if (kiln_bench_load_memory(data, size, &opts, &run, &err) != KILN_OK)
        return 0;
    kiln_gate gate = {KILN_FIELD_MEAN, KILN_GATE_PERCENT, 5};
    kiln_compare_opts co = {KILN_FIELD_MEAN, &gate, 1, 0};
    kiln_compare *c = NULL;
    if (kiln_compare_runs(run, run, &co, &c, &err) == KILN_OK) {
        kiln_buf b = KILN_BUF_INIT;
        kiln_sink s;
        kiln_sink_init_buf(&s, &b);
        kiln_compare_write_markdown(c, 0, &s, &err);
        kiln_compare_write_text(c, &s, &err);
        kiln_compare_write_json(c, &s, &err);
        kiln_compare_write_failures(c, &s, &err);
        kiln_buf_release(&b);
        kiln_compare_free(c);
    }
    kiln_scaling_set *set = NULL;
    kiln_scaling_add_bench(&set, run, KILN_FIELD_MEAN, NULL, "x", &err);
    kiln_scaling_free(set);
    kiln_bench_run_free(run);
    return 0;
}
