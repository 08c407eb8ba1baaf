/* libFuzzer harness: raw bytes through the .kiln importer. Invariants
 * (abort on violation): an error names an offset inside the input; a
 * profile that was read, written and read again is unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/kfile_compare.h"
#include "kiln/buf.h"
#include "kiln/import.h"
#include "kiln/io.h"
#include "kiln/kfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore_warning(void *ctx, const char *msg)
{
    (void)ctx;
    if (strncmp(msg, "offset ", 7) != 0)
        abort();
}

static kiln_profile *import_kiln(const void *data, size_t size, kiln_error *err)
{
    kiln_import_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.format = "kiln";
    opts.warn = ignore_warning;
    kiln_profile *p = NULL;
    kiln_error_clear(err);
    kiln_import_memory(data, size, &opts, &p, err);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_error err;
    kiln_profile *p = import_kiln(data, size, &err);
    if (!p) {
        if (err.status == KILN_ERR_NOMEM)
            return 0;
        if (strncmp(err.msg, "offset ", 7) != 0 || (err.offset != KILN_NO_OFFSET && err.offset > size)) {
            fprintf(stderr, "bad error report: offset %llu of %zu: %s\n", (unsigned long long)err.offset,
                    size, err.msg);
            abort();
        }
        return 0;
    }
    kiln_buf b = KILN_BUF_INIT;
    kiln_sink s;
    kiln_sink_init_buf(&s, &b);
    if (kiln_kfile_write(p, &s, &err) == KILN_OK) {
        kiln_profile *q = import_kiln(b.data, b.len, &err);
        char why[256];
        if (!q || kiln_profiles_differ(p, q, why, sizeof why)) {
            fprintf(stderr, "re-read differs: %s\n", q ? why : err.msg);
            abort();
        }
        kiln_profile_free(q);
    }
    kiln_buf_release(&b);
    kiln_profile_free(p);
    return 0;
}
