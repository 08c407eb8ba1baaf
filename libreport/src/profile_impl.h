/* Internal: the layout of kiln_profile, shared by the model's own files
 * (profile.c, callgraph.c, graph_tree.c). Nothing outside the model should
 * include this: use the accessors of kiln/profile.h. */
#ifndef KI_PROFILE_IMPL_H
#define KI_PROFILE_IMPL_H

#include "hash.h"
#include "kiln/profile.h"

typedef struct ki_str_block ki_str_block;

struct kiln_profile {
    /* strings: bytes live in blocks; id -> (ptr, len) */
    const char **str_ptr;
    uint32_t *str_len;
    uint32_t nstr, cap_str;
    ki_str_block *blocks;
    ki_map str_map;

    /* frames */
    kiln_frame *frames;
    uint32_t nframes, cap_frames;
    ki_map frame_map;

    /* sample types */
    int ntypes;
    char *type_name[KILN_MAX_SAMPLE_TYPES];
    char *type_unit[KILN_MAX_SAMPLE_TYPES];

    /* tree: parallel arrays indexed by node id */
    uint32_t *parent, *frame, *first_child, *last_child, *next_sibling, *depth;
    double *self;    /* nnodes * ntypes_alloc */
    double *total;   /* computed by finish */
    uint64_t *calls; /* NULL until a call count is added */
    uint32_t nnodes, cap_nodes;
    uint32_t stride;  /* values per node in self/total (see profile.c) */
    ki_map node_map;

    /* call graph */
    kiln_func *funcs;
    uint32_t nfuncs, cap_funcs;
    uint32_t *func_of_frame; /* frame id -> func id (KILN_NONE), sized cap_fof */
    uint32_t cap_fof;
    kiln_edge *edges;
    uint32_t nedges, cap_edges;
    ki_map edge_map;
    uint32_t *in_start, *in_idx, *out_start, *out_idx; /* CSR, built by finish */
    int graph_given;
    int graph_type;
    int tree_approx;
    int tree_from_graph; /* the current tree was built by graph_tree.c */
    int no_tree_rebuild; /* kiln_profile_set_rebuild_tree(p, 0) */

    /* metadata */
    char **meta_key, **meta_val;
    uint32_t nmeta, cap_meta;

    kiln_mapping *maps;
    uint32_t nmaps, cap_maps;

    /* timeline (profile_timeline.c) */
    kiln_timed_sample *timeline;
    uint32_t ntimeline, cap_timeline;
    uint64_t timeline_dropped;
};

/* Grow an array of elem-sized items so that index `need - 1` fits. */
int ki_grow(void **arr, uint32_t *cap, uint32_t need, size_t elem);

/* callgraph.c: derive funcs/edges from the tree (graph not given). */
kiln_status ki_profile_derive_graph(kiln_profile *p, kiln_error *err);
/* callgraph.c: (re)build the caller/callee indices. */
kiln_status ki_profile_index_graph(kiln_profile *p, kiln_error *err);
/* graph_tree.c: reconstruct an approximate tree from a given graph. */
kiln_status ki_profile_tree_from_graph(kiln_profile *p, kiln_error *err);
/* profile.c: drop every node but the root. */
void ki_profile_clear_tree(kiln_profile *p);
/* profile.c: drop funcs and edges. */
void ki_profile_clear_graph(kiln_profile *p);

#endif
