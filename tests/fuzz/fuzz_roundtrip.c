/* libFuzzer harness: the fuzzer's bytes drive the model API (a tiny
 * deterministic program: intern, frame, stack, metadata, mapping, call
 * counts, functions, edges), the profile is finished, written as .kiln and
 * read back; any difference aborts (the pprof #245/#246 lesson: test the
 * writer against the reader, not each against itself). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/kfile_compare.h"
#include "kiln/buf.h"
#include "kiln/io.h"
#include "kiln/kfile.h"
#include "kiln/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct prog {
    const uint8_t *p, *end;
} prog;

static unsigned next(prog *g)
{
    return g->p < g->end ? *g->p++ : 0;
}

static uint64_t next_u64(prog *g, int nbytes)
{
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++)
        v = v << 8 | next(g);
    return v;
}

/* Values: small integers, fractions, negatives, big magnitudes; finite. */
static double next_value(prog *g)
{
    unsigned kind = next(g) % 4;
    double v = (double)next_u64(g, 2);
    switch (kind) {
    case 0: return v;
    case 1: return v / 1024.0;
    case 2: return -v / 3.0;
    default: return ldexp(v, (int)(next(g) % 80));
    }
}

static void build(kiln_profile *p, prog *g)
{
    int nt = 1 + (int)(next(g) % 3);
    static const char *tn[] = {"cpu", "samples", "alloc"}, *tu[] = {"nanoseconds", "count", "bytes"};
    for (int t = 0; t < nt; t++)
        kiln_profile_add_sample_type(p, tn[t], tu[t]);
    if (next(g) & 1)
        kiln_profile_set_graph_given(p, 1);
    kiln_profile_set_graph_type(p, (int)(next(g) % (unsigned)nt));
    for (int steps = 0; g->p < g->end && steps < 4096; steps++) {
        unsigned op = next(g) % 9;
        uint32_t nstr = kiln_profile_str_count(p), nfr = kiln_profile_frame_count(p);
        switch (op) {
        case 0: { /* raw string, NUL and invalid UTF-8 allowed */
            size_t n = next(g) % 24;
            if (n > (size_t)(g->end - g->p))
                n = (size_t)(g->end - g->p);
            kiln_profile_intern(p, (const char *)g->p, n);
            g->p += n;
            break;
        }
        case 1: { /* frame */
            kiln_frame f = {0};
            f.name = next(g) % nstr;
            f.file = next(g) % nstr;
            f.module = next(g) % nstr;
            f.line = (uint32_t)next_u64(g, 2);
            f.kind = next(g) % KILN_KIND_COUNT_;
            f.address = next(g) & 1 ? next_u64(g, 8) : 0;
            kiln_profile_frame(p, &f);
            break;
        }
        case 2: { /* stack */
            if (!nfr)
                break;
            kiln_frame_id st[16];
            size_t depth = next(g) % 16;
            for (size_t i = 0; i < depth; i++)
                st[i] = next(g) % nfr;
            double v[KILN_MAX_SAMPLE_TYPES];
            for (int t = 0; t < nt; t++)
                v[t] = next_value(g);
            kiln_profile_add_stack(p, st, depth, v);
            break;
        }
        case 3: { /* metadata: printable, no NUL */
            char key[8], val[16];
            snprintf(key, sizeof key, "k%u", next(g) % 8);
            size_t n = next(g) % 15;
            for (size_t i = 0; i < n; i++)
                val[i] = (char)(0x20 + next(g) % 95);
            val[n] = 0;
            kiln_profile_meta_set(p, key, val);
            break;
        }
        case 4: { /* mapping */
            kiln_mapping m = {next_u64(g, 8), next_u64(g, 8), next_u64(g, 4), next(g) % nstr, next(g) % nstr};
            kiln_profile_add_mapping(p, &m);
            break;
        }
        case 5: /* call count on an existing node */
            kiln_profile_add_node_calls(p, next(g) % kiln_profile_node_count(p), next_u64(g, 3));
            break;
        case 6: { /* function */
            if (!nfr || !kiln_profile_graph_given(p))
                break;
            kiln_func_id id = kiln_profile_func(p, next(g) % nfr);
            kiln_func *f = id == KILN_NONE ? NULL : kiln_profile_func_get(p, id);
            if (f) {
                f->calls = (int64_t)next_u64(g, 4) - 1000;
                f->prim_calls = (int64_t)next_u64(g, 2);
                f->self = next_value(g);
                f->total = next_value(g);
            }
            break;
        }
        case 7: { /* edge */
            uint32_t nf = kiln_profile_func_count(p);
            if (!nf || !kiln_profile_graph_given(p))
                break;
            kiln_edge *e = kiln_profile_edge(p, next(g) % nf, next(g) % nf);
            if (e) {
                e->calls = (int64_t)next_u64(g, 3);
                e->prim_calls = (int64_t)next_u64(g, 1);
                e->self = next_value(g);
                e->total = next_value(g);
            }
            break;
        }
        default: /* self on an existing node */
            kiln_profile_add_self(p, next(g) % kiln_profile_node_count(p), (int)(next(g) % (unsigned)nt),
                                  next_value(g));
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prog g = {data, data + size};
    kiln_profile *p = kiln_profile_new();
    if (!p)
        return 0;
    build(p, &g);
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_profile_finish(p, &err) != KILN_OK) {
        kiln_profile_free(p);
        return 0;
    }
    kiln_buf b = KILN_BUF_INIT;
    kiln_sink s;
    kiln_sink_init_buf(&s, &b);
    if (kiln_kfile_write(p, &s, &err) != KILN_OK) {
        fprintf(stderr, "write failed: %s\n", err.msg);
        abort();
    }
    kiln_profile *q = kiln_profile_new();
    if (kiln_kfile_read_memory(b.data, b.len, q, 1, NULL, NULL, &err) != KILN_OK ||
        kiln_profile_finish(q, &err) != KILN_OK) {
        fprintf(stderr, "read back failed: %s\n", err.msg);
        abort();
    }
    char why[256];
    if (kiln_profiles_differ(p, q, why, sizeof why)) {
        fprintf(stderr, "round trip differs: %s\n", why);
        abort();
    }
    kiln_buf_release(&b);
    kiln_profile_free(q);
    kiln_profile_free(p);
    return 0;
}
