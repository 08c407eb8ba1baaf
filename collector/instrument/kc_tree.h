/* collector/instrument/kc_tree.h: the per-thread calling-context tree shared
 * by the instrumentation runtime and the allocation tracker.
 *
 * One tree per thread, written only by its thread (so no lock on the hot
 * path) and read concurrently by the writer thread: a node is filled in
 * before the node count is published (release), and the counters are
 * touched with relaxed atomics so the snapshot reads whole values. Nodes
 * live in one big MAP_NORESERVE mapping made at thread attach: only touched
 * pages cost memory, nodes never move, the hook never calls malloc. Memory
 * grows with distinct contexts, not with calls. */
#ifndef KC_TREE_H
#define KC_TREE_H

#include <stdint.h>

#define KC_NOINST __attribute__((no_instrument_function))
#define KC_HIDDEN __attribute__((visibility("hidden")))
#define KC_LIKELY(x) __builtin_expect(!!(x), 1)
#define KC_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define KC_NVALUES 4
#define KC_NODE_CAP (1u << 20)  /* nodes per thread (56 MiB of address space) */

typedef struct kc_node {
    uint64_t addr;            /* function entry (calls) or call site (alloc) */
    uint32_t parent;          /* node index; the root (0) is its own parent */
    uint32_t first_child;     /* 0 = none (the root is never a child) */
    uint32_t next_sibling;
    uint32_t pad_;
    uint64_t calls;           /* exact number of entries into this context */
    uint64_t v[KC_NVALUES];   /* mode-defined counters (ticks, bytes...) */
} kc_node;

typedef struct kc_tree {
    kc_node *nodes;           /* KC_NODE_CAP slots, node 0 = root */
    uint32_t n;               /* published node count (atomic) */
    uint32_t dropped;         /* contexts not created because the tree was full */
} kc_tree;

static inline KC_NOINST uint64_t kc_load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline KC_NOINST void kc_add(uint64_t *p, uint64_t d)
{
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + d, __ATOMIC_RELAXED);
}

/* The existing child of `parent` for addr, moved to the front of the child
 * list (only this thread reads the links), or 0. */
static inline KC_NOINST uint32_t kc_find_child(kc_tree *t, uint32_t parent, uint64_t addr)
{
    kc_node *nodes = t->nodes;
    kc_node *p = &nodes[parent];
    uint32_t c = p->first_child;
    if (KC_LIKELY(c && nodes[c].addr == addr))
        return c;
    uint32_t prev = c;
    if (c)
        c = nodes[c].next_sibling;
    while (c) {
        if (nodes[c].addr == addr) {
            nodes[prev].next_sibling = nodes[c].next_sibling;
            nodes[c].next_sibling = p->first_child;
            p->first_child = c;
            return c;
        }
        prev = c;
        c = nodes[c].next_sibling;
    }
    return 0;
}

/* The child of `parent` for addr, created when missing; move-to-front keeps
 * the hot child first. When the tree is full the parent itself is returned
 * (its counts then include the lost context; tree->dropped says so). */
static inline KC_NOINST uint32_t kc_child(kc_tree *t, uint32_t parent, uint64_t addr)
{
    uint32_t c = kc_find_child(t, parent, addr);
    if (c)
        return c;
    kc_node *nodes = t->nodes;
    kc_node *p = &nodes[parent];
    uint32_t n = t->n;
    if (KC_UNLIKELY(n >= KC_NODE_CAP)) {
        t->dropped++;
        return parent;
    }
    kc_node *nn = &nodes[n];
    nn->addr = addr;
    nn->parent = parent;
    nn->first_child = 0;
    nn->next_sibling = p->first_child;
    p->first_child = n;
    __atomic_store_n(&t->n, n + 1, __ATOMIC_RELEASE);
    return n;
}

#endif
