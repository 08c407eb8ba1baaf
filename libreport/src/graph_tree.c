/* Reconstructs an approximate calling-context tree from a given call graph
 * (cProfile keeps only caller->callee pairs). Starting at the roots, a
 * function's time in one context is split over its callees in proportion
 * to each edge's cumulative time; whatever the callees do not account for
 * is the node's self time. A callee already on the path (recursion) is not
 * expanded again: its time is inside the outer activation already.
 *
 * The result is flagged approximate: when a function is called from several
 * places at different costs, the split is a guess (the `kiln record
 * --python` collector records exact contexts instead). Expansion stops below
 * a small fraction of the whole run so that a DAG cannot explode. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "profile_impl.h"

#define PRUNE_FRACTION 1e-6      /* don't expand contexts below this share */
#define MAX_TREE_NODES 2000000u  /* hard cap on reconstructed nodes */

typedef struct {
    uint32_t node;      /* tree node of this context */
    uint32_t func;
    uint32_t via;       /* the edge that entered this context, or KILN_NONE */
    uint32_t next_edge; /* position in the callee list still to visit */
    double amount;      /* inclusive time of this context */
    double base;        /* what the callee edges' totals are shares of */
    double given;       /* time handed to children so far */
} frame_t;

static int is_finite_pos(double x)
{
    return isfinite(x) && x > 0;
}

/* One root expansion: a depth-first walk from function `root` with
 * `amount` of inclusive time, adding nodes under the tree root. covered[f]
 * collects how much of f's total the walks have placed so far.
 *
 * Recursion: an edge already on the path is not taken again (a function
 * may reappear, as `exec` does when a script run through runpy is exec'd
 * from inside the first exec, but no caller->callee step repeats).
 * Callees are visited costliest edge first and each takes at most what is
 * left, so a context's time is partitioned, never duplicated; the base of
 * the shares is the function's cumulative time, or less when the edges
 * still open are all that remains (the inner exec above). */
typedef struct {
    kiln_profile *p;
    int t;
    double prune;
    uint32_t *edge_onpath;
    double *covered;
    uint32_t *sorted;   /* out-edge indices per function, costliest first (CSR of out_start) */
    frame_t *stack;
    uint32_t cap_stack;
} walk_t;

/* How much of the callee's time an edge carries. cProfile records it; the
 * pure-Python `profile` module records only call counts, so there the
 * callee's cumulative time is split by the share of its calls. */
static double edge_weight(const kiln_profile *p, const kiln_edge *e)
{
    if (is_finite_pos(e->total))
        return e->total;
    const kiln_func *g = &p->funcs[e->callee];
    if (e->calls > 0 && g->calls > 0 && is_finite_pos(g->total))
        return g->total * ((double)e->calls / (double)g->calls);
    return 0;
}

static double share_base(const walk_t *w, uint32_t f)
{
    const kiln_profile *p = w->p;
    const kiln_func *fn = &p->funcs[f];
    double open = is_finite_pos(fn->self) ? fn->self : 0;
    for (uint32_t k = p->out_start[f]; k < p->out_start[f + 1]; k++) {
        uint32_t e = w->sorted[k];
        if (!w->edge_onpath[e])
            open += edge_weight(p, &p->edges[e]);
    }
    double ct = is_finite_pos(fn->total) ? fn->total : open;
    return open < ct ? open : ct;
}

static kiln_status push(walk_t *w, uint32_t *sp, uint32_t node, uint32_t f, uint32_t via, double amount,
                        kiln_error *err)
{
    if (ki_grow((void **)&w->stack, &w->cap_stack, *sp + 1, sizeof *w->stack) < 0)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory rebuilding the call tree");
    if (via != KILN_NONE)
        w->edge_onpath[via]++;
    w->stack[(*sp)++] = (frame_t){node, f, via, w->p->out_start[f], amount, share_base(w, f), 0};
    return KILN_OK;
}

static kiln_status expand_root(walk_t *w, uint32_t root, double amount, kiln_error *err)
{
    kiln_profile *p = w->p;
    uint32_t node = kiln_profile_child(p, KILN_ROOT, p->funcs[root].frame);
    if (node == KILN_NONE)
        return kiln_error_set(err, KILN_ERR_LIMIT, "call tree reconstruction exceeded its node cap");
    w->covered[root] += amount;
    uint32_t sp = 0;
    kiln_status st = push(w, &sp, node, root, KILN_NONE, amount, err);
    while (sp > 0 && st == KILN_OK) {
        frame_t *fr = &w->stack[sp - 1];
        uint32_t end = p->out_start[fr->func + 1];
        if (fr->next_edge >= end) {
            /* done with this context: what the callees did not take is self */
            double self = fr->amount - fr->given;
            kiln_profile_add_self(p, fr->node, w->t, self > 0 ? self : 0);
            if (fr->via != KILN_NONE)
                w->edge_onpath[fr->via]--;
            sp--;
            continue;
        }
        uint32_t ei = w->sorted[fr->next_edge++];
        const kiln_edge *e = &p->edges[ei];
        uint32_t g = e->callee;
        double weight = edge_weight(p, e);
        if (w->edge_onpath[ei] || weight <= 0 || fr->base <= 0)
            continue;
        double share = fr->amount * (weight / fr->base);
        if (share > fr->amount - fr->given)
            share = fr->amount - fr->given;
        if (share <= 0)
            continue;
        fr->given += share;
        uint32_t child = p->nnodes < MAX_TREE_NODES ? kiln_profile_child(p, fr->node, p->funcs[g].frame)
                                                    : KILN_NONE;
        if (child == KILN_NONE) {
            fr->given -= share; /* keep the time in the parent */
            continue;
        }
        w->covered[g] += share;
        if (share < w->prune || !is_finite_pos(p->funcs[g].total)) {
            kiln_profile_add_self(p, child, w->t, share);
            continue;
        }
        st = push(w, &sp, child, g, ei, share, err);
    }
    return st;
}

static int by_edge_total_desc(const void *a, const void *b, void *profile)
{
    const kiln_profile *p = profile;
    double x = edge_weight(p, &p->edges[*(const uint32_t *)a]);
    double y = edge_weight(p, &p->edges[*(const uint32_t *)b]);
    if (!(x == x))
        x = -1;
    if (!(y == y))
        y = -1;
    if (x != y)
        return x > y ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : *(const uint32_t *)a > *(const uint32_t *)b;
}

kiln_status ki_profile_tree_from_graph(kiln_profile *p, kiln_error *err)
{
    kiln_status st = ki_profile_index_graph(p, err);
    if (st != KILN_OK)
        return st;
    if (p->ntypes == 0 || p->nfuncs == 0)
        return KILN_OK;
    p->ntimeline = 0;   /* its node ids belong to the old tree */
    uint32_t nf = p->nfuncs;
    walk_t w = {p, p->graph_type < p->ntypes ? p->graph_type : 0, 0, NULL, NULL, NULL, NULL, 0};
    w.edge_onpath = calloc(p->nedges ? p->nedges : 1, sizeof *w.edge_onpath);
    w.covered = calloc(nf, sizeof *w.covered);
    w.sorted = malloc((p->nedges ? p->nedges : 1) * sizeof *w.sorted);
    if (!w.edge_onpath || !w.covered || !w.sorted) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory rebuilding the call tree");
        goto out;
    }
    memcpy(w.sorted, p->out_idx, p->nedges * sizeof *w.sorted);
    for (uint32_t f = 0; f < nf; f++) {
        uint32_t n = p->out_start[f + 1] - p->out_start[f];
        if (n > 1)
            qsort_r(w.sorted + p->out_start[f], n, sizeof *w.sorted, by_edge_total_desc, p);
    }
    /* The run's time is the sum of self times (pstats' "in X seconds"). */
    double run = 0;
    for (uint32_t f = 0; f < nf; f++)
        if (is_finite_pos(p->funcs[f].self))
            run += p->funcs[f].self;
    w.prune = run * PRUNE_FRACTION;

    /* Roots: first the functions nobody calls, with their whole time. */
    double placed = 0;
    for (uint32_t f = 0; f < nf && st == KILN_OK; f++) {
        const kiln_func *fn = &p->funcs[f];
        if (p->in_start[f + 1] != p->in_start[f])
            continue;
        double amount = is_finite_pos(fn->total) ? fn->total : is_finite_pos(fn->self) ? fn->self : 0;
        if (amount > 0) {
            st = expand_root(&w, f, amount, err);
            placed += amount;
        }
    }
    /* Then, for graphs whose entry lies inside a cycle (`python -m cProfile`
     * runs go through builtins.exec, which the import machinery also calls),
     * the function whose total is least explained by the walks so far
     * becomes a root with the unexplained part, until what is left is
     * small. Reachability alone is not enough: a tiny import can reach the
     * cycle and would then hand it only its own tiny share. */
    /* The roots together never hold more than the run's time. */
    for (int round = 0; round < 64 && st == KILN_OK && placed < run * 0.999; round++) {
        uint32_t best = KILN_NONE;
        double best_gap = run * 1e-3;
        for (uint32_t f = 0; f < nf; f++) {
            double gap = is_finite_pos(p->funcs[f].total) ? p->funcs[f].total - w.covered[f] : 0;
            if (gap > best_gap) {
                best_gap = gap;
                best = f;
            }
        }
        if (best == KILN_NONE)
            break;
        if (best_gap > run - placed)
            best_gap = run - placed;
        st = expand_root(&w, best, best_gap, err);
        placed += best_gap;
    }
    p->tree_approx = 1;
    p->tree_from_graph = 1;
out:
    free(w.edge_onpath);
    free(w.covered);
    free(w.sorted);
    free(w.stack);
    return st;
}
