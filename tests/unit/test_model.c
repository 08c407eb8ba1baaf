/* The profile model, tested with synthetic stacks and their expected
 * self/total tables (perf's way of testing its hists code). */
#include <stdlib.h>

#include "check.h"
#include "kiln/profile.h"

static kiln_frame_id fr(kiln_profile *p, const char *name)
{
    kiln_frame f = {0};
    f.name = kiln_profile_intern_cstr(p, name);
    f.kind = KILN_KIND_NATIVE;
    return kiln_profile_frame(p, &f);
}

static const kiln_func *func_named(const kiln_profile *p, const char *name)
{
    for (uint32_t i = 0; i < kiln_profile_func_count(p); i++) {
        const kiln_func *f = kiln_profile_func_at(p, i);
        if (strcmp(kiln_profile_frame_name(p, f->frame), name) == 0)
            return f;
    }
    return NULL;
}

/* Stacks (root first) and weights:
 *   main;a;b      3
 *   main;a        2
 *   main;c;a;b    5     (a appears under c too)
 *   main;r;r;r    4     (recursion: r counted once in totals)
 * Expected totals: main 14, a 10, b 8, c 5, r 4; self: a 2, b 8, r 4. */
static void test_tree_and_graph(void)
{
    kiln_profile *p = kiln_profile_new();
    CHECK(p != NULL);
    CHECK_EQ_INT(kiln_profile_add_sample_type(p, "samples", "count"), 0);
    kiln_frame_id m = fr(p, "main"), a = fr(p, "a"), b = fr(p, "b"), c = fr(p, "c"), r = fr(p, "r");
    CHECK_EQ_INT(fr(p, "a"), a); /* hash-consed */
    double v;
    kiln_frame_id s1[] = {m, a, b}, s2[] = {m, a}, s3[] = {m, c, a, b}, s4[] = {m, r, r, r};
    v = 3; kiln_profile_add_stack(p, s1, 3, &v);
    v = 2; kiln_profile_add_stack(p, s2, 2, &v);
    v = 5; kiln_profile_add_stack(p, s3, 4, &v);
    v = 4; kiln_profile_add_stack(p, s4, 4, &v);
    v = 1; kiln_profile_add_stack(p, s1, 3, &v); /* same stack again: same node */
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    CHECK_EQ_INT(kiln_profile_check(p, &err), KILN_OK);
    /* root + main, a, b, c, a, b, r, r, r */
    CHECK_EQ_INT(kiln_profile_node_count(p), 10);
    CHECK_EQ_DBL(kiln_profile_node_total(p, KILN_ROOT, 0), 15, 0);
    kiln_node_id nm = kiln_profile_find_child(p, KILN_ROOT, m);
    kiln_node_id na = kiln_profile_find_child(p, nm, a);
    CHECK_EQ_DBL(kiln_profile_node_total(p, na, 0), 6, 0);
    CHECK_EQ_DBL(kiln_profile_node_self(p, na, 0), 2, 0);
    CHECK_EQ_INT(kiln_profile_node_depth(p, na), 2);

    const kiln_func *fa = func_named(p, "a"), *fb = func_named(p, "b"), *frr = func_named(p, "r");
    CHECK(fa && fb && frr);
    if (fa && fb && frr) {
        CHECK_EQ_DBL(fa->total, 11, 0);
        CHECK_EQ_DBL(fa->self, 2, 0);
        CHECK_EQ_DBL(fb->total, 9, 0);
        CHECK_EQ_DBL(frr->total, 4, 0); /* not 12: recursion counted once */
        CHECK_EQ_DBL(frr->self, 4, 0);
    }
    CHECK_EQ_DBL(func_named(p, "main")->total, 15, 0);
    /* edges: a->b carries b's 9; r->r carries the recursive part, total 0 */
    const uint32_t *idx;
    kiln_func_id fid_b = kiln_profile_find_func(p, b);
    uint32_t n = kiln_profile_callers(p, fid_b, &idx);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_EQ_DBL(kiln_profile_edge_at(p, idx[0])->total, 9, 0);
    kiln_func_id fid_a = kiln_profile_find_func(p, a);
    n = kiln_profile_callers(p, fid_a, &idx);
    CHECK_EQ_INT(n, 2); /* main and c */
    kiln_func_id fid_r = kiln_profile_find_func(p, r);
    n = kiln_profile_callers(p, fid_r, &idx);
    CHECK_EQ_INT(n, 2); /* main and r itself */
    for (uint32_t i = 0; i < n; i++) {
        const kiln_edge *e = kiln_profile_edge_at(p, idx[i]);
        if (e->caller == fid_r)
            CHECK_EQ_DBL(e->total, 0, 0);
    }
    kiln_profile_free(p);
}

static void test_iterator_deep(void)
{
    /* a 10^6-deep stack: iterative everything */
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "samples", "count");
    enum { DEPTH = 1000000 };
    kiln_frame_id *st = malloc(DEPTH * sizeof *st);
    kiln_frame_id f1 = fr(p, "f"), f2 = fr(p, "g");
    for (int i = 0; i < DEPTH; i++)
        st[i] = i % 2 ? f2 : f1;
    double v = 1;
    CHECK(kiln_profile_add_stack(p, st, DEPTH, &v) != KILN_NONE);
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    kiln_tree_iter it;
    kiln_tree_iter_init(&it, p, KILN_ROOT);
    kiln_node_id n;
    kiln_event ev;
    long enters = 0, exits = 0;
    uint32_t maxd = 0;
    while ((ev = kiln_tree_iter_next(&it, &n)) != KILN_EVENT_DONE) {
        if (ev == KILN_EVENT_ENTER) {
            enters++;
            if (kiln_profile_node_depth(p, n) > maxd)
                maxd = kiln_profile_node_depth(p, n);
        } else {
            exits++;
        }
    }
    CHECK_EQ_INT(enters, DEPTH + 1);
    CHECK_EQ_INT(exits, DEPTH + 1);
    CHECK_EQ_INT(maxd, DEPTH);
    CHECK_EQ_DBL(func_named(p, "f")->total, 1, 0);
    free(st);
    kiln_profile_free(p);
}

static void test_strings(void)
{
    kiln_profile *p = kiln_profile_new();
    CHECK_EQ_INT(kiln_profile_intern(p, "", 0), 0);
    kiln_str a = kiln_profile_intern(p, "a\0b", 3);
    size_t len;
    const char *s = kiln_profile_str(p, a, &len);
    CHECK_EQ_INT(len, 3);
    CHECK(memcmp(s, "a\0b", 3) == 0);
    CHECK(kiln_profile_intern(p, "a\0b", 3) == a);
    CHECK(kiln_profile_intern(p, "a", 1) != a);
    /* 70 KB name: cut at the cap with an ellipsis, on a UTF-8 boundary */
    size_t big = 70000;
    char *name = malloc(big);
    for (size_t i = 0; i < big; i += 2) {
        name[i] = (char)0xc3;
        name[i + 1] = (char)0xa9; /* é */
    }
    kiln_str id = kiln_profile_intern(p, name, big);
    s = kiln_profile_str(p, id, &len);
    CHECK(len <= KILN_MAX_STRING_LEN);
    CHECK(memcmp(s + len - 3, "\xe2\x80\xa6", 3) == 0);
    CHECK((len - 3) % 2 == 0);
    free(name);
    CHECK_EQ_STR(kiln_profile_str(p, 123456, NULL), "");
    CHECK_EQ_INT(kiln_profile_meta_set(p, "host", "x"), KILN_OK);
    CHECK_EQ_INT(kiln_profile_meta_set(p, "host", "y"), KILN_OK);
    CHECK_EQ_INT(kiln_profile_meta_count(p), 1);
    CHECK_EQ_STR(kiln_profile_meta_get(p, "host"), "y");
    kiln_profile_free(p);
}

/* A given graph (cProfile shape): main -> {a, b}, a -> c, b -> c, with c's
 * 6 s split 4/2 between a and b by the edge cumtimes. */
static void test_tree_from_graph(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "time", "seconds");
    kiln_func_id m = kiln_profile_func(p, fr(p, "main")), a = kiln_profile_func(p, fr(p, "a")),
                 b = kiln_profile_func(p, fr(p, "b")), c = kiln_profile_func(p, fr(p, "c"));
    kiln_func *F;
    F = kiln_profile_func_get(p, m); F->calls = F->prim_calls = 1; F->self = 1; F->total = 10;
    F = kiln_profile_func_get(p, a); F->calls = F->prim_calls = 1; F->self = 1; F->total = 5;
    F = kiln_profile_func_get(p, b); F->calls = F->prim_calls = 1; F->self = 2; F->total = 4;
    F = kiln_profile_func_get(p, c); F->calls = F->prim_calls = 2; F->self = 6; F->total = 6;
    kiln_edge *e;
    e = kiln_profile_edge(p, m, a); e->total = 5;
    e = kiln_profile_edge(p, m, b); e->total = 4;
    e = kiln_profile_edge(p, a, c); e->total = 4;
    e = kiln_profile_edge(p, b, c); e->total = 2;
    kiln_profile_set_graph_given(p, 1);
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    CHECK(kiln_profile_tree_approximate(p));
    CHECK_EQ_DBL(kiln_profile_node_total(p, KILN_ROOT, 0), 10, 1e-12);
    kiln_node_id nm = kiln_profile_find_child(p, KILN_ROOT, fr(p, "main"));
    kiln_node_id na = kiln_profile_find_child(p, nm, fr(p, "a"));
    kiln_node_id nac = kiln_profile_find_child(p, na, fr(p, "c"));
    kiln_node_id nb = kiln_profile_find_child(p, nm, fr(p, "b"));
    kiln_node_id nbc = kiln_profile_find_child(p, nb, fr(p, "c"));
    CHECK_EQ_DBL(kiln_profile_node_total(p, nac, 0), 4, 1e-12);
    CHECK_EQ_DBL(kiln_profile_node_total(p, nbc, 0), 2, 1e-12);
    CHECK_EQ_DBL(kiln_profile_node_self(p, nm, 0), 1, 1e-12);
    CHECK_EQ_DBL(kiln_profile_node_self(p, nb, 0), 2, 1e-12);
    /* the given graph is untouched */
    CHECK_EQ_DBL(kiln_profile_func_at(p, c)->total, 6, 0);
    CHECK_EQ_INT(kiln_profile_func_count(p), 4);
    /* finishing again is idempotent */
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    CHECK_EQ_INT(kiln_profile_node_count(p), 6);
    kiln_profile_free(p);
}

int main(void)
{
    test_tree_and_graph();
    test_iterator_deep();
    test_strings();
    test_tree_from_graph();
    return check_done();
}
