/* .kiln round trips and damage: a model built through the API survives
 * write -> read unchanged; every prefix and every single-bit flip of a small
 * file reads safely (earlier chunks recovered, offsets within the file). */
#include <stdint.h>

#include "check.h"
#include "kfile_compare.h"
#include "kfile_testutil.h"

/* A small sampled profile touching every table and awkward strings. */
static kiln_profile *sample_model(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_meta_set(p, KILN_META_TIMESTAMP, "2026-11-24T22:00:00Z");
    kiln_profile_meta_set(p, KILN_META_COMMAND, "python -m demo --n 4000");
    kiln_profile_meta_set(p, KILN_META_TOOL, "kiln-test 1");
    kiln_profile_add_sample_type(p, "cpu", "nanoseconds");
    kiln_profile_add_sample_type(p, "samples", "count");

    static char big[70000];
    memset(big, 'x', sizeof big);
#define LIT(s) s, sizeof(s) - 1
    struct { const char *s; size_t n; } names[] = {
        {LIT("main")}, {LIT("parse")}, {LIT("a\0b")}, {LIT("\xff\xfe bad utf8 \xed\xa0\x80")}, {big, sizeof big},
        {LIT("caf\xc3\xa9")}};
#undef LIT
    kiln_frame_id fr[6];
    for (int i = 0; i < 6; i++) {
        kiln_frame f = {0};
        f.name = kiln_profile_intern(p, names[i].s, names[i].n);
        f.file = kiln_profile_intern_cstr(p, i % 2 ? "/src/demo.py" : "");
        f.module = kiln_profile_intern_cstr(p, i == 3 ? "/usr/lib/libc.so.6" : "");
        f.line = (uint32_t)(i * 17);
        f.kind = (uint32_t)(i % KILN_KIND_COUNT_);
        f.address = i == 3 ? 0xdeadbeefcafeull : 0;
        fr[i] = kiln_profile_frame(p, &f);
    }
    kiln_frame_id s1[] = {fr[0], fr[1], fr[2]}, s2[] = {fr[0], fr[1], fr[3]}, s3[] = {fr[0], fr[4], fr[5]},
                  s4[] = {fr[0], fr[1]};
    double v1[] = {1500.5, 3}, v2[] = {0.25, 1}, v3[] = {1e12, 7}, v4[] = {-2.0, 0};
    kiln_profile_add_stack(p, s1, 3, v1);
    kiln_profile_add_stack(p, s2, 3, v2);
    kiln_node_id leaf = kiln_profile_add_stack(p, s3, 3, v3);
    kiln_profile_add_stack(p, s4, 2, v4);
    kiln_profile_add_stack(p, s1, 3, v2);
    kiln_profile_add_node_calls(p, leaf, 42);
    kiln_profile_add_node_calls(p, 1, 1);
    kiln_mapping m = {0x400000, 0x500000, 0x1000, kiln_profile_intern_cstr(p, "/usr/bin/demo"),
                      kiln_profile_intern_cstr(p, "4f1c0a9b")};
    kiln_profile_add_mapping(p, &m);
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    return p;
}

/* A cProfile-like profile: graph given (with recursion), no tree. */
static kiln_profile *graph_model(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "wall", "seconds");
    kiln_profile_set_graph_given(p, 1);
    const char *names[] = {"<module>", "run", "retry_budget", "re.compile"};
    kiln_func_id fn[4];
    for (int i = 0; i < 4; i++) {
        kiln_frame f = {0};
        f.name = kiln_profile_intern_cstr(p, names[i]);
        f.file = kiln_profile_intern_cstr(p, "pipeline.py");
        f.line = (uint32_t)(10 + i);
        f.kind = KILN_KIND_PYTHON;
        fn[i] = kiln_profile_func(p, kiln_profile_frame(p, &f));
    }
    struct { int64_t calls, prim; double self, total; } fv[] = {
        {1, 1, 0.001, 2.5}, {1, 1, 0.2, 2.499}, {57313, 1, 1.5, 1.7}, {48000, 48000, 0.599, 0.599}};
    for (int i = 0; i < 4; i++) {
        kiln_func *f = kiln_profile_func_get(p, fn[i]);
        f->calls = fv[i].calls;
        f->prim_calls = fv[i].prim;
        f->self = fv[i].self;
        f->total = fv[i].total;
    }
    kiln_edge *e = kiln_profile_edge(p, fn[0], fn[1]);
    e->calls = e->prim_calls = 1;
    e->self = 0.2;
    e->total = 2.499;
    e = kiln_profile_edge(p, fn[1], fn[2]);
    e->calls = e->prim_calls = 1;
    e->self = 0.00002;
    e->total = 1.7;
    e = kiln_profile_edge(p, fn[2], fn[2]);
    e->calls = 57312;
    e->prim_calls = 0;
    e->self = 1.49998;
    e->total = 1.6;
    e = kiln_profile_edge(p, fn[1], fn[3]);
    e->calls = e->prim_calls = 48000;
    e->self = 0.599;
    e->total = 0.599;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    return p;
}

static void check_roundtrip(kiln_profile *p, const char *label)
{
    kiln_buf b = KILN_BUF_INIT;
    CHECK_EQ_INT(write_kiln(p, &b), KILN_OK);
    warnings w = {0};
    kiln_error err;
    kiln_profile *q = NULL;
    CHECK_EQ_INT(read_kiln(b.data, b.len, 1, &w, &q, &err), KILN_OK);
    CHECK_EQ_INT(w.count, 0);
    char why[256] = "";
    if (q) {
        int differ = kiln_profiles_differ(p, q, why, sizeof why);
        if (differ)
            fprintf(stderr, "%s: round trip differs: %s\n", label, why);
        CHECK(!differ);
        /* Writing the copy gives the same bytes (the writer is deterministic). */
        kiln_buf b2 = KILN_BUF_INIT;
        write_kiln(q, &b2);
        CHECK(b2.len == b.len && memcmp(b2.data, b.data, b.len) == 0);
        kiln_buf_release(&b2);
    } else {
        fprintf(stderr, "%s: read failed: %s\n", label, err.msg);
    }
    kiln_profile_free(q);
    kiln_buf_release(&b);
}

static void test_roundtrips(void)
{
    kiln_profile *p = sample_model();
    CHECK(kiln_profile_str_count(p) > 8);
    check_roundtrip(p, "sampled");
    kiln_profile_free(p);

    p = graph_model();
    CHECK(kiln_profile_tree_approximate(p));
    check_roundtrip(p, "graph");
    kiln_profile_free(p);

    p = kiln_profile_new(); /* empty */
    kiln_error err;
    kiln_profile_finish(p, &err);
    check_roundtrip(p, "empty");
    kiln_profile_free(p);
}

/* Enough data to need many chunks: 300k distinct frames and nodes. */
static void test_multichunk(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "samples", "count");
    char name[64];
    kiln_frame_id prev[3] = {0};
    for (int i = 0; i < 300000; i++) {
        kiln_frame f = {0};
        int n = snprintf(name, sizeof name, "function_number_%d", i);
        f.name = kiln_profile_intern(p, name, (size_t)n);
        f.line = (uint32_t)i;
        prev[i % 3] = kiln_profile_frame(p, &f);
        double v = (double)(i % 7);
        kiln_frame_id st[] = {prev[0], prev[1], prev[2]};
        kiln_profile_add_stack(p, st, 3, &v);
    }
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    kiln_buf b = KILN_BUF_INIT;
    write_kiln(p, &b);
    size_t starts[256], ends[256];
    size_t nchunks = chunk_bounds((unsigned char *)b.data, b.len, starts, ends, 256);
    CHECK(nchunks > 10);
    CHECK_EQ_INT(ends[nchunks - 1], b.len);
    check_roundtrip(p, "multichunk");
    kiln_profile_free(p);
    kiln_buf_release(&b);
}

/* Every prefix: below the header an error; otherwise exactly what the
 * complete chunks before the cut hold, and one warning at an offset <= cut. */
static void test_every_truncation(void)
{
    kiln_profile *p = sample_model();
    kiln_buf b = KILN_BUF_INIT;
    write_kiln(p, &b);
    const unsigned char *d = (const unsigned char *)b.data;
    size_t starts[64], ends[64];
    size_t nchunks = chunk_bounds(d, b.len, starts, ends, 64);
    CHECK(nchunks >= 8);

    /* The profile each boundary gives, read once. */
    kiln_profile *at_boundary[64] = {0};
    for (size_t i = 0; i < nchunks; i++) {
        kiln_error err;
        warnings w = {0};
        read_kiln(d, ends[i], 0, &w, &at_boundary[i], &err);
        CHECK(at_boundary[i] != NULL);
        CHECK_EQ_INT(w.count, i + 1 < nchunks ? 1 : 0); /* "incomplete" unless END is in */
    }
    char why[256];
    CHECK(at_boundary[nchunks - 1] && !kiln_profiles_differ(p, at_boundary[nchunks - 1], why, sizeof why));
    /* The prefix without END already holds everything. */
    CHECK(at_boundary[nchunks - 2] && !kiln_profiles_differ(p, at_boundary[nchunks - 2], why, sizeof why));

    int bad = 0;
    for (size_t cut = 0; cut < b.len; cut++) {
        kiln_error err;
        warnings w = {0};
        kiln_profile *q = NULL;
        kiln_status st = read_kiln(d, cut, 0, &w, &q, &err);
        size_t complete = 0; /* chunks entirely before the cut */
        while (complete < nchunks && ends[complete] <= cut)
            complete++;
        if (complete == 0) {
            if (st != KILN_ERR_DATA || strncmp(err.msg, "offset ", 7) != 0 || err.offset > cut) {
                fprintf(stderr, "cut %zu: expected an error, got %d '%s'\n", cut, st, err.msg);
                bad++;
            }
        } else {
            unsigned long long woff = ~0ull;
            sscanf(w.last, "offset %llu", &woff);
            if (st != KILN_OK || w.count != 1 || woff > cut ||
                kiln_profiles_differ(at_boundary[complete - 1], q, why, sizeof why)) {
                fprintf(stderr, "cut %zu: status %d, %d warnings '%s' (%s)\n", cut, st, w.count, w.last,
                        err.msg);
                bad++;
            }
            /* strict: the same cut is an error naming an offset <= cut */
            kiln_profile *s = NULL;
            kiln_status sst = read_kiln(d, cut, 1, NULL, &s, &err);
            if (sst != KILN_ERR_DATA || err.offset > cut) {
                fprintf(stderr, "cut %zu strict: status %d '%s'\n", cut, sst, err.msg);
                bad++;
            }
            kiln_profile_free(s);
        }
        kiln_profile_free(q);
        if (bad > 5)
            break;
    }
    CHECK_EQ_INT(bad, 0);
    for (size_t i = 0; i < nchunks; i++)
        kiln_profile_free(at_boundary[i]);
    kiln_profile_free(p);
    kiln_buf_release(&b);
}

/* Every single-bit flip: a clean result or a clean error, never a crash;
 * a successful read gives a profile that passes its invariant check. */
static void test_every_bitflip(void)
{
    kiln_profile *p = graph_model();
    kiln_buf b = KILN_BUF_INIT;
    write_kiln(p, &b);
    kiln_profile *s = sample_model();
    kiln_buf b2 = KILN_BUF_INIT;
    write_kiln(s, &b2);
    kiln_buf *files[] = {&b, &b2};
    int bad = 0, errors = 0, oks = 0;
    for (int fi = 0; fi < 2; fi++) {
        kiln_buf *f = files[fi];
        unsigned char *d = malloc(f->len);
        for (size_t i = 0; i < f->len && f->len < 200000; i++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(d, f->data, f->len);
                d[i] ^= (unsigned char)(1u << bit);
                kiln_error err;
                kiln_profile *q = NULL;
                kiln_status st = read_kiln(d, f->len, 0, NULL, &q, &err);
                if (st == KILN_OK) {
                    oks++;
                    if (kiln_profile_check(q, &err) != KILN_OK) {
                        fprintf(stderr, "flip %zu.%d: invariant broken: %s\n", i, bit, err.msg);
                        bad++;
                    }
                } else {
                    errors++;
                    if ((st != KILN_ERR_DATA && st != KILN_ERR_LIMIT) || strncmp(err.msg, "offset ", 7) ||
                        err.offset > f->len) {
                        fprintf(stderr, "flip %zu.%d: status %d '%s' offset %llu\n", i, bit, st, err.msg,
                                (unsigned long long)err.offset);
                        bad++;
                    }
                }
                kiln_profile_free(q);
            }
        }
        free(d);
    }
    printf("bit flips: %d read (damage recovered or harmless), %d rejected\n", oks, errors);
    CHECK_EQ_INT(bad, 0);
    CHECK(errors > 0);
    kiln_profile_free(p);
    kiln_profile_free(s);
    kiln_buf_release(&b);
    kiln_buf_release(&b2);
}

int main(void)
{
    test_roundtrips();
    test_multichunk();
    test_every_truncation();
    test_every_bitflip();
    return check_done();
}
