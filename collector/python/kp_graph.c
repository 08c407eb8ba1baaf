/* The pstats call graph, derived exactly from the calling-context tree:
 * a function's calls are the sum over its nodes; its primitive calls and
 * cumulative time count only nodes without an ancestor of the same function
 * (cProfile adds cumtime when the outermost activation returns); an edge
 * caller -> callee is primitive when no ancestor already is that same pair
 * (cProfile's per-pair recursion level). Iterative depth-first walk. */
#include "kp.h"

#include <stdlib.h>
#include <string.h>

typedef struct walk {
    uint32_t *first, *next; /* children lists */
    int64_t *total;
    uint32_t *active_f;     /* per frame: activations on the current path */
    uint32_t *active_e;     /* per edge */
    uint32_t *func_of;      /* frame -> function index */
    uint32_t *edge_in;      /* node -> edge index it was reached through */
    kp_map pairs;
    size_t cap_edges;
} walk;

static void walk_free(walk *k)
{
    free(k->first);
    free(k->next);
    free(k->total);
    free(k->active_f);
    free(k->active_e);
    free(k->func_of);
    free(k->edge_in);
    kp_map_free(&k->pairs);
}

void kp_graph_free(kp_graph *g)
{
    free(g->funcs);
    free(g->edges);
    memset(g, 0, sizeof *g);
}

static uint32_t func_index(const kp_state *s, walk *k, kp_graph *g, uint32_t frame)
{
    if (k->func_of[frame] == KP_NONE) {
        k->func_of[frame] = (uint32_t)g->n_funcs;
        g->funcs[g->n_funcs++] = (kp_func){.frame = frame};
    }
    return k->func_of[frame];
}

static uint32_t edge_index(walk *k, kp_graph *g, uint32_t caller, uint32_t callee)
{
    uint64_t key = 1ull << 63 | (uint64_t)caller << 32 | callee;
    uint32_t e = kp_map_get(&k->pairs, key);
    if (e != KP_NONE)
        return e;
    if (g->n_edges == k->cap_edges) {
        size_t cap = k->cap_edges ? k->cap_edges * 2 : 256;
        kp_edge *v = realloc(g->edges, cap * sizeof *v);
        uint32_t *a = realloc(k->active_e, cap * sizeof *a);
        if (a)
            k->active_e = a;
        if (v)
            g->edges = v;
        if (!v || !a)
            return KP_NONE;
        k->cap_edges = cap;
    }
    e = (uint32_t)g->n_edges;
    if (kp_map_put(&k->pairs, key, e) < 0)
        return KP_NONE;
    g->edges[g->n_edges++] = (kp_edge){.caller = caller, .callee = callee};
    k->active_e[e] = 0;
    return e;
}

int kp_graph_build(const kp_state *s, kp_graph *g)
{
    memset(g, 0, sizeof *g);
    size_t n = s->n_nodes, nf = s->n_frames ? s->n_frames : 1;
    walk k = {0};
    k.first = malloc(n * sizeof *k.first);
    k.next = malloc(n * sizeof *k.next);
    k.total = malloc(n * sizeof *k.total);
    k.edge_in = malloc(n * sizeof *k.edge_in);
    k.active_f = calloc(nf, sizeof *k.active_f);
    k.func_of = malloc(nf * sizeof *k.func_of);
    g->funcs = malloc(nf * sizeof *g->funcs);
    uint32_t *stack = malloc(2 * n * sizeof *stack);
    if (!k.first || !k.next || !k.total || !k.edge_in || !k.active_f || !k.func_of || !g->funcs || !stack ||
        kp_map_init(&k.pairs, 1024) < 0)
        goto fail;
    memset(k.func_of, 0xff, nf * sizeof *k.func_of);
    for (size_t i = 0; i < n; i++) {
        k.first[i] = k.next[i] = KP_NONE;
        k.total[i] = s->nodes[i].self_ns;
    }
    for (size_t i = n; i-- > 1;) { /* parents have smaller ids than children */
        uint32_t p = s->nodes[i].parent;
        k.total[p] += k.total[i];
        k.next[i] = k.first[p];
        k.first[p] = (uint32_t)i;
    }
    /* Entries: node id (enter) or node id | top bit (leave). */
    size_t sp = 0;
    for (uint32_t c = k.first[0]; c != KP_NONE; c = k.next[c])
        stack[sp++] = c;
    while (sp > 0) {
        uint32_t item = stack[--sp];
        uint32_t id = item & 0x7fffffffu;
        const kp_node *nd = &s->nodes[id];
        uint32_t fi = func_index(s, &k, g, nd->frame);
        if (item & 0x80000000u) { /* leave */
            k.active_f[nd->frame]--;
            if (k.edge_in[id] != KP_NONE)
                k.active_e[k.edge_in[id]]--;
            continue;
        }
        double self = (double)nd->self_ns / 1e9, total = (double)k.total[id] / 1e9;
        kp_func *f = &g->funcs[fi];
        f->calls += nd->calls;
        f->self += self;
        if (k.active_f[nd->frame]++ == 0) {
            f->prim += nd->calls;
            f->total += total;
        }
        k.edge_in[id] = KP_NONE;
        if (nd->parent != 0) {
            uint32_t ci = func_index(s, &k, g, s->nodes[nd->parent].frame);
            uint32_t e = edge_index(&k, g, ci, fi);
            if (e == KP_NONE)
                goto fail;
            kp_edge *ed = &g->edges[e];
            ed->calls += nd->calls;
            ed->self += self;
            if (k.active_e[e]++ == 0) {
                ed->prim += nd->calls;
                ed->total += total;
            }
            k.edge_in[id] = e;
        }
        stack[sp++] = id | 0x80000000u;
        for (uint32_t c = k.first[id]; c != KP_NONE; c = k.next[c])
            stack[sp++] = c;
    }
    free(stack);
    walk_free(&k);
    return 0;
fail:
    free(stack);
    walk_free(&k);
    kp_graph_free(g);
    return -1;
}
