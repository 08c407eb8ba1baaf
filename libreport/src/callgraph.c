/* The function-level call graph: funcs (one per frame) and caller->callee
 * edges, either given by the input (cProfile) or derived from the tree. */
#include <stdlib.h>
#include <string.h>

#include "profile_impl.h"

kiln_func_id kiln_profile_find_func(const kiln_profile *p, kiln_frame_id frame)
{
    return frame < p->cap_fof ? p->func_of_frame[frame] : KILN_NONE;
}

kiln_func_id kiln_profile_func(kiln_profile *p, kiln_frame_id frame)
{
    if (frame >= p->nframes)
        return KILN_NONE;
    if (frame >= p->cap_fof) {
        uint32_t old = p->cap_fof;
        if (ki_grow((void **)&p->func_of_frame, &p->cap_fof, frame + 1, sizeof *p->func_of_frame) < 0)
            return KILN_NONE;
        memset(p->func_of_frame + old, 0xff, (size_t)(p->cap_fof - old) * sizeof *p->func_of_frame);
    }
    if (p->func_of_frame[frame] != KILN_NONE)
        return p->func_of_frame[frame];
    if (ki_grow((void **)&p->funcs, &p->cap_funcs, p->nfuncs + 1, sizeof *p->funcs) < 0)
        return KILN_NONE;
    kiln_func_id id = p->nfuncs++;
    memset(&p->funcs[id], 0, sizeof p->funcs[id]);
    p->funcs[id].frame = frame;
    p->func_of_frame[frame] = id;
    return id;
}

kiln_func *kiln_profile_func_get(kiln_profile *p, kiln_func_id id)
{
    return id < p->nfuncs ? &p->funcs[id] : NULL;
}

const kiln_func *kiln_profile_func_at(const kiln_profile *p, kiln_func_id id)
{
    return id < p->nfuncs ? &p->funcs[id] : NULL;
}

uint32_t kiln_profile_func_count(const kiln_profile *p)
{
    return p->nfuncs;
}

kiln_edge *kiln_profile_edge(kiln_profile *p, kiln_func_id caller, kiln_func_id callee)
{
    if (caller >= p->nfuncs || callee >= p->nfuncs)
        return NULL;
    if (ki_map_reserve(&p->edge_map) < 0)
        return NULL;
    ki_probe pr = ki_map_probe(&p->edge_map, ki_hash_u64(((uint64_t)caller << 32) | callee));
    for (;;) {
        uint32_t id = ki_map_get(&p->edge_map, &pr);
        if (id == KI_MAP_EMPTY)
            break;
        if (p->edges[id].caller == caller && p->edges[id].callee == callee)
            return &p->edges[id];
        ki_map_next(&p->edge_map, &pr);
    }
    if (ki_grow((void **)&p->edges, &p->cap_edges, p->nedges + 1, sizeof *p->edges) < 0)
        return NULL;
    uint32_t id = p->nedges++;
    memset(&p->edges[id], 0, sizeof p->edges[id]);
    p->edges[id].caller = caller;
    p->edges[id].callee = callee;
    ki_map_put(&p->edge_map, &pr, id);
    return &p->edges[id];
}

const kiln_edge *kiln_profile_edge_at(const kiln_profile *p, uint32_t idx)
{
    return idx < p->nedges ? &p->edges[idx] : NULL;
}

uint32_t kiln_profile_edge_count(const kiln_profile *p)
{
    return p->nedges;
}

uint32_t kiln_profile_callers(const kiln_profile *p, kiln_func_id f, const uint32_t **idx)
{
    if (!p->in_start || f >= p->nfuncs) {
        *idx = NULL;
        return 0;
    }
    *idx = p->in_idx + p->in_start[f];
    return p->in_start[f + 1] - p->in_start[f];
}

uint32_t kiln_profile_callees(const kiln_profile *p, kiln_func_id f, const uint32_t **idx)
{
    if (!p->out_start || f >= p->nfuncs) {
        *idx = NULL;
        return 0;
    }
    *idx = p->out_idx + p->out_start[f];
    return p->out_start[f + 1] - p->out_start[f];
}

int kiln_profile_graph_type(const kiln_profile *p)
{
    return p->graph_type;
}

void kiln_profile_set_graph_type(kiln_profile *p, int type)
{
    if (type >= 0 && type < KILN_MAX_SAMPLE_TYPES)
        p->graph_type = type;
}

int kiln_profile_graph_given(const kiln_profile *p)
{
    return p->graph_given;
}

void kiln_profile_set_graph_given(kiln_profile *p, int given)
{
    p->graph_given = given ? 1 : 0;
}

int kiln_profile_tree_approximate(const kiln_profile *p)
{
    return p->tree_approx;
}

void kiln_profile_set_rebuild_tree(kiln_profile *p, int on)
{
    p->no_tree_rebuild = !on;
}

void ki_profile_clear_graph(kiln_profile *p)
{
    p->nfuncs = 0;
    p->nedges = 0;
    if (p->func_of_frame)
        memset(p->func_of_frame, 0xff, (size_t)p->cap_fof * sizeof *p->func_of_frame);
    ki_map_release(&p->edge_map);
    ki_map_init(&p->edge_map);
}

/* Derived graph semantics (perf's children mode, pstats' recursion rule):
 * a node adds its self to its function's self; it adds its total to the
 * function's total only when the function is not already on the path above
 * it, so recursion is counted once. Edges follow the same rule for the
 * callee. Calls come from per-node counts when the profile has them. */
kiln_status ki_profile_derive_graph(kiln_profile *p, kiln_error *err)
{
    ki_profile_clear_graph(p);
    int t = p->graph_type < p->ntypes ? p->graph_type : 0;
    uint32_t *onpath = calloc(p->nframes ? p->nframes : 1, sizeof *onpath);
    if (!onpath)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory deriving the call graph");
    /* make funcs in frame order of first appearance in the tree */
    kiln_tree_iter it;
    kiln_node_id n;
    kiln_event ev;
    kiln_status st = KILN_OK;
    kiln_tree_iter_init(&it, p, KILN_ROOT);
    while ((ev = kiln_tree_iter_next(&it, &n)) != KILN_EVENT_DONE) {
        if (n == KILN_ROOT)
            continue;
        uint32_t fr = p->frame[n];
        if (ev == KILN_EVENT_EXIT) {
            onpath[fr]--;
            continue;
        }
        kiln_func_id f = kiln_profile_func(p, fr);
        if (f == KILN_NONE) {
            st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory deriving the call graph");
            break;
        }
        double self = p->ntypes ? p->self[(size_t)n * p->stride + t] : 0;
        double total = p->ntypes ? p->total[(size_t)n * p->stride + t] : 0;
        int64_t calls = p->calls ? (int64_t)p->calls[n] : 0;
        kiln_func *fn = &p->funcs[f];
        fn->self += self;
        fn->calls += calls;
        if (onpath[fr] == 0) {
            fn->total += total;
            fn->prim_calls += calls;
        }
        uint32_t par = p->parent[n];
        if (par != KILN_ROOT) {
            kiln_func_id cf = kiln_profile_func(p, p->frame[par]);
            kiln_edge *e = cf == KILN_NONE ? NULL : kiln_profile_edge(p, cf, f);
            if (!e) {
                st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory deriving the call graph");
                break;
            }
            e->self += self;
            e->calls += calls;
            if (onpath[fr] == 0) {
                e->total += total;
                e->prim_calls += calls;
            }
        }
        onpath[fr]++;
    }
    free(onpath);
    return st;
}

static int build_csr(uint32_t nfuncs, const kiln_edge *edges, uint32_t nedges, int by_callee,
                     uint32_t **start_out, uint32_t **idx_out)
{
    uint32_t *start = calloc((size_t)nfuncs + 1, sizeof *start);
    uint32_t *idx = malloc((size_t)(nedges ? nedges : 1) * sizeof *idx);
    if (!start || !idx) {
        free(start);
        free(idx);
        return -1;
    }
    for (uint32_t e = 0; e < nedges; e++)
        start[(by_callee ? edges[e].callee : edges[e].caller) + 1]++;
    for (uint32_t f = 0; f < nfuncs; f++)
        start[f + 1] += start[f];
    uint32_t *fill = malloc((size_t)(nfuncs ? nfuncs : 1) * sizeof *fill);
    if (!fill) {
        free(start);
        free(idx);
        return -1;
    }
    memcpy(fill, start, (size_t)nfuncs * sizeof *fill);
    for (uint32_t e = 0; e < nedges; e++)
        idx[fill[by_callee ? edges[e].callee : edges[e].caller]++] = e;
    free(fill);
    *start_out = start;
    *idx_out = idx;
    return 0;
}

kiln_status ki_profile_index_graph(kiln_profile *p, kiln_error *err)
{
    free(p->in_start);
    free(p->in_idx);
    free(p->out_start);
    free(p->out_idx);
    p->in_start = p->in_idx = p->out_start = p->out_idx = NULL;
    if (build_csr(p->nfuncs, p->edges, p->nedges, 1, &p->in_start, &p->in_idx) < 0 ||
        build_csr(p->nfuncs, p->edges, p->nedges, 0, &p->out_start, &p->out_idx) < 0)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory indexing the call graph");
    return KILN_OK;
}
