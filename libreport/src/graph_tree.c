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
    uint32_t next_edge; /* position in the callee list still to visit */
    double amount;      /* inclusive time of this context */
    double ct;          /* the function's cumulative time (ratio base) */
    double given;       /* time handed to children so far */
} frame_t;

static int is_finite_pos(double x)
{
    return isfinite(x) && x > 0;
}

/* Marks funcs reachable from the chosen roots. */
static void mark_reachable(const kiln_profile *p, uint32_t root, unsigned char *seen, uint32_t *queue)
{
    uint32_t head = 0, tail = 0;
    if (seen[root])
        return;
    seen[root] = 1;
    queue[tail++] = root;
    while (head < tail) {
        uint32_t f = queue[head++];
        for (uint32_t k = p->out_start[f]; k < p->out_start[f + 1]; k++) {
            uint32_t g = p->edges[p->out_idx[k]].callee;
            if (!seen[g]) {
                seen[g] = 1;
                queue[tail++] = g;
            }
        }
    }
}

kiln_status ki_profile_tree_from_graph(kiln_profile *p, kiln_error *err)
{
    kiln_status st = ki_profile_index_graph(p, err);
    if (st != KILN_OK)
        return st;
    int t = p->graph_type < p->ntypes ? p->graph_type : 0;
    if (p->ntypes == 0 || p->nfuncs == 0)
        return KILN_OK;
    uint32_t nf = p->nfuncs;
    unsigned char *seen = calloc(nf, 1);
    uint32_t *queue = malloc(nf * sizeof *queue);
    uint32_t *onpath = calloc(nf, sizeof *onpath);
    uint32_t *roots = malloc(nf * sizeof *roots);
    frame_t *stack = NULL;
    uint32_t nroots = 0, cap_stack = 0, sp = 0;
    if (!seen || !queue || !onpath || !roots) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory rebuilding the call tree");
        goto out;
    }
    /* roots: functions nobody calls, then (for graphs that are all cycles,
     * like `python -m cProfile` runs through builtins.exec) the costliest
     * function not yet reachable, until everything with time is covered. */
    for (uint32_t f = 0; f < nf; f++)
        if (p->in_start[f + 1] == p->in_start[f]) {
            roots[nroots++] = f;
            mark_reachable(p, f, seen, queue);
        }
    for (;;) {
        uint32_t best = KILN_NONE;
        for (uint32_t f = 0; f < nf; f++)
            if (!seen[f] && is_finite_pos(p->funcs[f].total) &&
                (best == KILN_NONE || p->funcs[f].total > p->funcs[best].total))
                best = f;
        if (best == KILN_NONE)
            break;
        roots[nroots++] = best;
        mark_reachable(p, best, seen, queue);
    }
    double grand = 0;
    for (uint32_t i = 0; i < nroots; i++)
        if (is_finite_pos(p->funcs[roots[i]].total))
            grand += p->funcs[roots[i]].total;
    double prune = grand * PRUNE_FRACTION;

    for (uint32_t i = 0; i < nroots && st == KILN_OK; i++) {
        const kiln_func *rf = &p->funcs[roots[i]];
        double amount = is_finite_pos(rf->total) ? rf->total : 0;
        if (amount <= 0 && !(is_finite_pos(rf->self)))
            continue;
        if (amount <= 0)
            amount = rf->self;
        uint32_t node = kiln_profile_child(p, KILN_ROOT, rf->frame);
        if (node == KILN_NONE) {
            st = kiln_error_set(err, KILN_ERR_LIMIT, "call tree reconstruction exceeded its node cap");
            break;
        }
        if (ki_grow((void **)&stack, &cap_stack, 1, sizeof *stack) < 0) {
            st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory rebuilding the call tree");
            break;
        }
        stack[0] = (frame_t){node, roots[i], p->out_start[roots[i]], amount,
                             is_finite_pos(rf->total) ? rf->total : amount, 0};
        onpath[roots[i]]++;
        sp = 1;
        while (sp > 0) {
            frame_t *fr = &stack[sp - 1];
            uint32_t end = p->out_start[fr->func + 1];
            if (fr->next_edge >= end) {
                /* done with this context: what the callees did not take is self */
                double self = fr->amount - fr->given;
                kiln_profile_add_self(p, fr->node, t, self > 0 ? self : 0);
                onpath[fr->func]--;
                sp--;
                continue;
            }
            const kiln_edge *e = &p->edges[p->out_idx[fr->next_edge++]];
            uint32_t g = e->callee;
            if (onpath[g] || !is_finite_pos(e->total) || fr->ct <= 0)
                continue;
            double share = fr->amount * (e->total / fr->ct);
            if (share > fr->amount - fr->given)
                share = fr->amount - fr->given;
            if (share <= 0)
                continue;
            fr->given += share;
            uint32_t child = p->nnodes < MAX_TREE_NODES
                                 ? kiln_profile_child(p, fr->node, p->funcs[g].frame)
                                 : KILN_NONE;
            if (child == KILN_NONE) {
                fr->given -= share; /* keep the time in the parent */
                continue;
            }
            const kiln_func *gf = &p->funcs[g];
            if (share < prune || !is_finite_pos(gf->total)) {
                kiln_profile_add_self(p, child, t, share);
                continue;
            }
            if (ki_grow((void **)&stack, &cap_stack, sp + 1, sizeof *stack) < 0) {
                st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory rebuilding the call tree");
                break;
            }
            stack[sp++] = (frame_t){child, g, p->out_start[g], share, gf->total, 0};
            onpath[g]++;
        }
    }
    p->tree_approx = 1;
    p->tree_from_graph = 1;
out:
    free(seen);
    free(queue);
    free(onpath);
    free(roots);
    free(stack);
    return st;
}
