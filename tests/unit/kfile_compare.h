/* Test helper shared by test_kfile*.c and tests/fuzz/fuzz_roundtrip.c:
 * compares two finished profiles table by table, exactly (values included:
 * a .kiln round trip must be lossless). Returns 0 when equal, else 1 with a
 * description of the first difference in why[]. Header-only (static). */
#ifndef KILN_TEST_KFILE_COMPARE_H
#define KILN_TEST_KFILE_COMPARE_H

#include <stdio.h>
#include <string.h>

#include "kiln/profile.h"

#define KC_DIFF(...) do { snprintf(why, whylen, __VA_ARGS__); return 1; } while (0)

static inline int kc_same_double(double a, double b)
{
    return a == b || (a != a && b != b);
}

static inline int kiln_profiles_differ(const kiln_profile *a, const kiln_profile *b, char *why, size_t whylen)
{
    uint32_t n = kiln_profile_str_count(a);
    if (n != kiln_profile_str_count(b))
        KC_DIFF("string count %u != %u", n, kiln_profile_str_count(b));
    for (uint32_t i = 0; i < n; i++) {
        size_t la, lb;
        const char *sa = kiln_profile_str(a, i, &la), *sb = kiln_profile_str(b, i, &lb);
        if (la != lb || memcmp(sa, sb, la) != 0)
            KC_DIFF("string %u differs (len %zu vs %zu)", i, la, lb);
    }
    n = kiln_profile_frame_count(a);
    if (n != kiln_profile_frame_count(b))
        KC_DIFF("frame count %u != %u", n, kiln_profile_frame_count(b));
    for (uint32_t i = 0; i < n; i++) {
        const kiln_frame *fa = kiln_profile_frame_get(a, i), *fb = kiln_profile_frame_get(b, i);
        if (fa->name != fb->name || fa->file != fb->file || fa->module != fb->module ||
            fa->line != fb->line || fa->kind != fb->kind || fa->address != fb->address)
            KC_DIFF("frame %u differs", i);
    }
    int nt = kiln_profile_sample_type_count(a);
    if (nt != kiln_profile_sample_type_count(b))
        KC_DIFF("sample type count %d != %d", nt, kiln_profile_sample_type_count(b));
    for (int t = 0; t < nt; t++)
        if (strcmp(kiln_profile_sample_type_name(a, t), kiln_profile_sample_type_name(b, t)) != 0 ||
            strcmp(kiln_profile_sample_type_unit(a, t), kiln_profile_sample_type_unit(b, t)) != 0)
            KC_DIFF("sample type %d differs", t);
    n = kiln_profile_node_count(a);
    if (n != kiln_profile_node_count(b))
        KC_DIFF("node count %u != %u", n, kiln_profile_node_count(b));
    for (uint32_t i = 0; i < n; i++) {
        if (kiln_profile_node_parent(a, i) != kiln_profile_node_parent(b, i) ||
            kiln_profile_node_frame(a, i) != kiln_profile_node_frame(b, i))
            KC_DIFF("node %u: parent/frame differ", i);
        if (kiln_profile_node_calls(a, i) != kiln_profile_node_calls(b, i))
            KC_DIFF("node %u: calls differ", i);
        for (int t = 0; t < nt; t++) {
            if (!kc_same_double(kiln_profile_node_self(a, i, t), kiln_profile_node_self(b, i, t)))
                KC_DIFF("node %u type %d: self %.17g != %.17g", i, t, kiln_profile_node_self(a, i, t),
                        kiln_profile_node_self(b, i, t));
            if (!kc_same_double(kiln_profile_node_total(a, i, t), kiln_profile_node_total(b, i, t)))
                KC_DIFF("node %u type %d: total %.17g != %.17g", i, t, kiln_profile_node_total(a, i, t),
                        kiln_profile_node_total(b, i, t));
        }
    }
    if (kiln_profile_graph_given(a) != kiln_profile_graph_given(b) ||
        kiln_profile_graph_type(a) != kiln_profile_graph_type(b) ||
        kiln_profile_tree_approximate(a) != kiln_profile_tree_approximate(b))
        KC_DIFF("graph flags differ (given %d/%d, type %d/%d, approx %d/%d)", kiln_profile_graph_given(a),
                kiln_profile_graph_given(b), kiln_profile_graph_type(a), kiln_profile_graph_type(b),
                kiln_profile_tree_approximate(a), kiln_profile_tree_approximate(b));
    n = kiln_profile_func_count(a);
    if (n != kiln_profile_func_count(b))
        KC_DIFF("function count %u != %u", n, kiln_profile_func_count(b));
    for (uint32_t i = 0; i < n; i++) {
        const kiln_func *fa = kiln_profile_func_at(a, i), *fb = kiln_profile_func_at(b, i);
        if (fa->frame != fb->frame || fa->calls != fb->calls || fa->prim_calls != fb->prim_calls ||
            !kc_same_double(fa->self, fb->self) || !kc_same_double(fa->total, fb->total))
            KC_DIFF("function %u differs", i);
    }
    n = kiln_profile_edge_count(a);
    if (n != kiln_profile_edge_count(b))
        KC_DIFF("edge count %u != %u", n, kiln_profile_edge_count(b));
    for (uint32_t i = 0; i < n; i++) {
        const kiln_edge *ea = kiln_profile_edge_at(a, i), *eb = kiln_profile_edge_at(b, i);
        if (ea->caller != eb->caller || ea->callee != eb->callee || ea->calls != eb->calls ||
            ea->prim_calls != eb->prim_calls || !kc_same_double(ea->self, eb->self) ||
            !kc_same_double(ea->total, eb->total))
            KC_DIFF("edge %u differs", i);
    }
    n = kiln_profile_meta_count(a);
    if (n != kiln_profile_meta_count(b))
        KC_DIFF("metadata count %u != %u", n, kiln_profile_meta_count(b));
    for (uint32_t i = 0; i < n; i++) {
        const char *ka, *va, *kb, *vb;
        kiln_profile_meta_at(a, i, &ka, &va);
        kiln_profile_meta_at(b, i, &kb, &vb);
        if (strcmp(ka, kb) != 0 || strcmp(va, vb) != 0)
            KC_DIFF("metadata %u differs ('%s'='%s' vs '%s'='%s')", i, ka, va, kb, vb);
    }
    n = kiln_profile_mapping_count(a);
    if (n != kiln_profile_mapping_count(b))
        KC_DIFF("mapping count %u != %u", n, kiln_profile_mapping_count(b));
    for (uint32_t i = 0; i < n; i++) {
        const kiln_mapping *ma = kiln_profile_mapping_at(a, i), *mb = kiln_profile_mapping_at(b, i);
        if (ma->start != mb->start || ma->end != mb->end || ma->offset != mb->offset ||
            ma->path != mb->path || ma->build_id != mb->build_id)
            KC_DIFF("mapping %u differs", i);
    }
    return 0;
}

#undef KC_DIFF
#endif
