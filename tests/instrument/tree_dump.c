/* Prints a profile's calling-context tree and call graph as read by libkiln
 * (kiln_import_path, which also symbolizes native frames), for the
 * instrument tests:
 *   T <type name> <unit>                     per sample type
 *   N <id> <parent> <calls> <self0> <total0> <path;of;names>
 *   E <calls> <caller> <callee>              per call-graph edge
 *   M <key> <value>                          metadata
 * Exit 0, or 1 with the library's error on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/import.h"
#include "kiln/profile.h"

static void print_path(const kiln_profile *p, kiln_node_id n)
{
    if (n == KILN_ROOT || n == KILN_NONE)
        return;
    print_path(p, kiln_profile_node_parent(p, n));
    if (kiln_profile_node_parent(p, n) != KILN_ROOT)
        putchar(';');
    const char *name = kiln_profile_frame_name(p, kiln_profile_node_frame(p, n));
    fputs(name && *name ? name : "?", stdout);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tree_dump FILE\n");
        return 2;
    }
    kiln_import_opts o = {0};
    kiln_profile *p = NULL;
    kiln_error err = {0};
    if (kiln_import_path(argv[1], &o, &p, &err) != KILN_OK) {
        fprintf(stderr, "tree_dump: %s\n", err.msg);
        return 1;
    }
    if (kiln_profile_finish(p, &err) != KILN_OK) {
        fprintf(stderr, "tree_dump: %s\n", err.msg);
        kiln_profile_free(p);
        return 1;
    }
    for (int t = 0; t < kiln_profile_sample_type_count(p); t++)
        printf("T %s %s\n", kiln_profile_sample_type_name(p, t), kiln_profile_sample_type_unit(p, t));
    for (uint32_t i = 0; i < kiln_profile_meta_count(p); i++) {
        const char *k, *v;
        kiln_profile_meta_at(p, i, &k, &v);
        printf("M %s %s\n", k, v);
    }
    int nt = kiln_profile_sample_type_count(p);
    for (kiln_node_id n = 1; n < kiln_profile_node_count(p); n++) {
        printf("N %u %u %llu", n, kiln_profile_node_parent(p, n),
               (unsigned long long)kiln_profile_node_calls(p, n));
        for (int t = 0; t < nt; t++)
            printf(" %.17g %.17g", kiln_profile_node_self(p, n, t), kiln_profile_node_total(p, n, t));
        putchar(' ');
        print_path(p, n);
        putchar('\n');
    }
    for (uint32_t i = 0; i < kiln_profile_edge_count(p); i++) {
        const kiln_edge *e = kiln_profile_edge_at(p, i);
        const kiln_func *a = kiln_profile_func_at(p, e->caller), *b = kiln_profile_func_at(p, e->callee);
        printf("E %lld %s %s\n", (long long)e->calls, kiln_profile_frame_name(p, a->frame),
               kiln_profile_frame_name(p, b->frame));
    }
    kiln_profile_free(p);
    return 0;
}
