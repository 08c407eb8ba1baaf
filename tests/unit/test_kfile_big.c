/* .kiln at pathological sizes, with time budgets: a 10^6-deep stack, a node
 * with 10^6 children, 10^6 distinct names (write + read + finish each), and
 * a stack one frame deeper than KILN_MAX_DEPTH (refused). */
#include <stdint.h>
#include <time.h>

#include "check.h"
#include "kfile_compare.h"
#include "kfile_testutil.h"

#define MILLION 1000000u

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void roundtrip_timed(kiln_profile *p, const char *label, double budget_s)
{
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    double t0 = now_s();
    kiln_buf b = KILN_BUF_INIT;
    CHECK_EQ_INT(write_kiln(p, &b), KILN_OK);
    double t1 = now_s();
    kiln_profile *q = NULL;
    CHECK_EQ_INT(read_kiln(b.data, b.len, 1, NULL, &q, &err), KILN_OK);
    double t2 = now_s();
    char why[256] = "";
    CHECK(q && !kiln_profiles_differ(p, q, why, sizeof why));
    if (why[0])
        fprintf(stderr, "%s: %s\n", label, why);
    printf("%s: %zu bytes, write %.2f s, read+finish %.2f s\n", label, b.len, t1 - t0, t2 - t1);
    CHECK(t1 - t0 < budget_s);
    CHECK(t2 - t1 < budget_s);
    kiln_profile_free(q);
    kiln_buf_release(&b);
}

static kiln_frame_id frame_named(kiln_profile *p, const char *name)
{
    kiln_frame f = {0};
    f.name = kiln_profile_intern_cstr(p, name);
    return kiln_profile_frame(p, &f);
}

static void test_deep(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "samples", "count");
    kiln_frame_id fr[2] = {frame_named(p, "recurse"), frame_named(p, "leaf")};
    kiln_frame_id *stack = malloc(MILLION * sizeof *stack);
    for (uint32_t i = 0; i < MILLION; i++)
        stack[i] = fr[i == MILLION - 1];
    double one = 1;
    CHECK(kiln_profile_add_stack(p, stack, MILLION, &one) != KILN_NONE);
    free(stack);
    roundtrip_timed(p, "10^6-deep stack", 10);
    kiln_profile_free(p);
}

static void test_wide(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "samples", "count");
    kiln_frame_id top = frame_named(p, "dispatch");
    char name[32];
    for (uint32_t i = 0; i < MILLION; i++) {
        snprintf(name, sizeof name, "handler_%u", i);
        kiln_frame_id st[2] = {top, frame_named(p, name)};
        double v = 1 + (double)(i % 3);
        kiln_profile_add_stack(p, st, 2, &v);
    }
    roundtrip_timed(p, "node with 10^6 children, 10^6 names", 15);
    kiln_profile_free(p);
}

/* A chain of KILN_MAX_DEPTH + 1 nodes, crafted: the reader refuses it with
 * the cap in the message, and accepts the chain one shorter. */
static void test_depth_cap(void)
{
    for (int extra = 0; extra <= 1; extra++) {
        craft c;
        craft_init(&c);
        craft_preamble(&c, 0); /* nodes 1, 2 exist */
        uint32_t want = KILN_MAX_DEPTH + (uint32_t)extra; /* deepest node's depth */
        uint32_t id = 3;
        ki_kfw_begin(&c.w, KI_CHUNK_NODE);
        ki_kfw_varint(&c.w, id);
        for (uint32_t depth = 3; depth <= want; depth++, id++) {
            if (ki_kfw_size(&c.w) > KI_KF_SPLIT) {
                ki_kfw_begin(&c.w, KI_CHUNK_NODE);
                ki_kfw_varint(&c.w, id);
            }
            ki_kfw_varint(&c.w, 1);
            ki_kfw_varint(&c.w, 1);
        }
        ki_kfw_end(&c.w);
        kiln_error err;
        warnings w = {0};
        kiln_profile *q = NULL;
        double t0 = now_s();
        kiln_status st = read_kiln(c.b.data, c.b.len, 0, &w, &q, &err);
        printf("chain of depth %u: status %d in %.2f s %s\n", want, st, now_s() - t0, err.msg);
        if (extra) {
            CHECK_EQ_INT(st, KILN_ERR_LIMIT);
            CHECK(strstr(err.msg, "deeper than 1000000") != NULL);
            CHECK(strstr(err.msg, "in decompressed data") != NULL);
        } else {
            CHECK_EQ_INT(st, KILN_OK); /* no end marker: one warning */
            CHECK_EQ_INT(w.count, 1);
            CHECK(q && kiln_profile_node_depth(q, kiln_profile_node_count(q) - 1) == KILN_MAX_DEPTH);
        }
        kiln_profile_free(q);
        craft_release(&c);
    }
}

int main(void)
{
    test_deep();
    test_wide();
    test_depth_cap();
    return check_done();
}
