/* libFuzzer harness, structure-aware: the fuzzer's bytes become the
 * decompressed payload of one chunk, wrapped in a valid file (header, a
 * preamble defining a few strings, frames and nodes or functions, then the
 * chunk deflated with a correct CRC), so mutations reach the record parsers
 * instead of dying at the CRC or in zlib.
 *   data[0]: chunk type (index into the table below; past it: unknown type)
 *   data[1]: bit 0 = the graph is given (functions instead of tree nodes),
 *            bit 1 = append an END chunk with the preamble's counts
 *   data[2..]: the payload */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/kfile_compare.h"
#include "../unit/kfile_testutil.h"
#include "kiln/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore_warning(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

static const uint32_t types[] = {KI_CHUNK_META, KI_CHUNK_STYP, KI_CHUNK_FLAG, KI_CHUNK_STRS,
                                 KI_CHUNK_FRMS, KI_CHUNK_MAPS, KI_CHUNK_NODE, KI_CHUNK_SAMP,
                                 KI_CHUNK_CALL, KI_CHUNK_FUNC, KI_CHUNK_EDGE, KI_CHUNK_END};
#define NTYPES (sizeof types / sizeof types[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > KI_KF_SPLIT)
        return 0;
    uint32_t type = data[0] < NTYPES ? types[data[0]] : KI_FOURCC('X', 'T', 'R', (char)data[0]);
    int graph = data[1] & 1;
    craft c;
    craft_init(&c);
    craft_preamble(&c, graph);
    if (graph) {
        ki_kfw_begin(&c.w, KI_CHUNK_FUNC);
        ki_kfw_varint(&c.w, 0);
        for (int f = 0; f < 2; f++) {
            ki_kfw_varint(&c.w, (uint64_t)f);
            ki_kfw_svarint(&c.w, 2);
            ki_kfw_svarint(&c.w, 1);
            ki_kfw_double(&c.w, 0.5);
            ki_kfw_double(&c.w, 1.0);
        }
    }
    ki_kfw_begin(&c.w, type);
    ki_kfw_bytes(&c.w, data + 2, size - 2);
    ki_kfw_end(&c.w);
    if (data[1] & 2) {
        ki_kfw_begin(&c.w, KI_CHUNK_END);
        uint64_t v[] = {c.w.chunks, 3, 2, graph ? 1 : 3, graph ? 2 : 0, 0, 0};
        for (int i = 0; i < 7; i++)
            ki_kfw_varint(&c.w, v[i]);
        ki_kfw_double(&c.w, 0);
        ki_kfw_end(&c.w);
    }

    kiln_import_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.format = "kiln";
    opts.warn = ignore_warning;
    kiln_profile *p = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_import_memory(c.b.data, c.b.len, &opts, &p, &err) != KILN_OK) {
        if (err.status != KILN_ERR_NOMEM &&
            (strncmp(err.msg, "offset ", 7) != 0 || err.offset > c.b.len)) {
            fprintf(stderr, "bad error report: %s\n", err.msg);
            abort();
        }
    } else {
        kiln_buf b = KILN_BUF_INIT;
        kiln_sink s;
        kiln_sink_init_buf(&s, &b);
        if (kiln_kfile_write(p, &s, &err) == KILN_OK) {
            kiln_profile *q = NULL;
            char why[256];
            if (kiln_import_memory(b.data, b.len, &opts, &q, &err) != KILN_OK ||
                kiln_profiles_differ(p, q, why, sizeof why)) {
                fprintf(stderr, "re-read differs: %s\n", q ? why : err.msg);
                abort();
            }
            kiln_profile_free(q);
        }
        kiln_buf_release(&b);
        kiln_profile_free(p);
    }
    craft_release(&c);
    return 0;
}
