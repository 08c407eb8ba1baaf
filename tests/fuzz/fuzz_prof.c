/* libFuzzer harness: the whole .prof import (marshal + stats conversion +
 * profile finish) and both top renderers over the result. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kiln/buf.h"
#include "kiln/import.h"
#include "kiln/io.h"
#include "kiln/top.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_import_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.format = "prof";
    kiln_profile *p = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_import_memory(data, size, &opts, &p, &err) == KILN_OK) {
        kiln_buf b = KILN_BUF_INIT;
        kiln_sink s;
        kiln_sink_init_buf(&s, &b);
        kiln_pstats_opts po;
        kiln_pstats_opts_default(&po);
        po.sort = "nfl";
        kiln_pstats_write(p, &po, &s, &err);
        kiln_top_opts to;
        kiln_top_opts_default(&to);
        to.marks = 0;
        kiln_top_write(p, &to, &s, &err);
        kiln_buf_release(&b);
        kiln_profile_free(p);
    }
    return 0;
}
