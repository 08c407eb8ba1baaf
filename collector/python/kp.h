/* collector/python/kp.h: internals of the `_kiln_profiler` extension.
 *
 * The profile hook (kp_hook.c) grows one calling-context tree shared by all
 * threads (the hook runs with the GIL held, so no locks): a node is a
 * (parent node, frame) pair with an exact call count and a self time. Frames
 * are deduplicated by content (kp_frames.c), so two code objects with the
 * same name, file and line share a frame, like pstats merges their labels.
 * kp_write.c streams the tree into a `.kiln` file as it grows and, at the
 * end, derives the exact pstats call graph from it (kp_graph.c). */
#ifndef KP_H
#define KP_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <stdint.h>

#include "kfile_chunk.h"

enum { KP_KIND_PYTHON = 2, KP_KIND_BUILTIN = 3 };
#define KP_MAX_NODES (1u << 24) /* past it, calls are charged to the parent */
#define KP_NONE UINT32_MAX

/* A growable vector of strings: id 0 is "" and is never written. */
typedef struct kp_str {
    char *s;
    size_t n;
} kp_str;

typedef struct kp_frame {
    uint32_t name, file, module, line, kind;
    uint32_t pname; /* pstats' name: co_name (not qualname) or the built-in label */
} kp_frame;

typedef struct kp_node {
    uint32_t parent, frame;
    uint64_t calls, calls_flushed;
    int64_t self_ns, self_flushed;
    int dirty;
} kp_node;

/* Open-addressing map from a 64-bit key to a 32-bit value. */
typedef struct kp_map {
    uint64_t *keys; /* 0 = empty slot (keys are never 0) */
    uint32_t *vals;
    size_t cap, used;
} kp_map;

typedef struct kp_slot {
    uint32_t node;
    const void *key; /* code object or PyMethodDef */
} kp_slot;

typedef struct kp_thread {
    kp_slot *stack;
    size_t depth, cap;
    int64_t last; /* compensated time of this thread's previous event */
    struct kp_thread *next;
} kp_thread;

typedef struct kp_state {
    kp_str *strs;
    size_t n_strs, cap_strs;
    kp_map str_index;   /* hash of content -> first id with that hash (chained by probing) */
    kp_frame *frames;
    size_t n_frames, cap_frames;
    kp_map frame_index; /* hash of content -> frame id */
    kp_map key_frame;   /* code object / PyMethodDef address -> frame id */
    PyObject *held;     /* list keeping code objects alive, so addresses stay unique */
    kp_node *nodes;     /* node 0 is the root */
    size_t n_nodes, cap_nodes;
    kp_map child;       /* (parent << 32 | hashed key) -> node; see kp_hook.c */
    uint32_t *dirty;
    size_t n_dirty, cap_dirty;
    kp_thread *threads;
    int64_t overhead_ns; /* measured cost of one hook call, subtracted per event */
    int64_t flush_every_ns, last_flush;
    int nomem;
    /* output */
    int fd;
    char *path;
    ki_kfw w;
    size_t strs_written, frames_written, nodes_written;
    uint64_t samp_records;
    double samp_total;
    int finished;
} kp_state;

extern kp_state *kp_S;

/* kp_map.c */
int kp_map_init(kp_map *m, size_t cap);
void kp_map_free(kp_map *m);
uint32_t kp_map_get(const kp_map *m, uint64_t key);
int kp_map_put(kp_map *m, uint64_t key, uint32_t val);
uint64_t kp_hash_bytes(const void *p, size_t n);

/* kp_frames.c: strings and frames. Return KP_NONE when out of memory. */
uint32_t kp_intern(kp_state *s, const char *p, size_t n);
uint32_t kp_frame_for(kp_state *s, const kp_frame *f);
/* The frame of a code object (with its frame, for the module) or of a C
 * function object; registers it on first sight. Needs the GIL; keeps any
 * pending exception. */
uint32_t kp_frame_of_code(kp_state *s, PyObject *code, PyFrameObject *frame);
uint32_t kp_frame_of_cfunc(kp_state *s, PyObject *fn);

/* kp_hook.c */
int kp_state_init(kp_state *s);
void kp_state_free(kp_state *s);
int kp_hook(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg);
kp_thread *kp_thread_get(kp_state *s);
int64_t kp_now(void);
void kp_calibrate(kp_state *s);
/* Charges the time since the calling thread's last event to its running node. */
void kp_charge_pending(kp_state *s);

/* kp_write.c */
int kp_open_output(kp_state *s, const char *path, PyObject *meta);
/* Writes what changed since the last flush (strings, frames, nodes, values). */
int kp_flush(kp_state *s);
/* Flush, then the call graph and the end marker; closes the file. */
int kp_finish_file(kp_state *s);

/* kp_graph.c: the pstats call graph derived from the tree. */
typedef struct kp_func {
    uint32_t frame;
    uint64_t calls, prim;
    double self, total;
} kp_func;
typedef struct kp_edge {
    uint32_t caller, callee; /* kp_func indices */
    uint64_t calls, prim;
    double self, total;
} kp_edge;
typedef struct kp_graph {
    kp_func *funcs;
    size_t n_funcs;
    kp_edge *edges;
    size_t n_edges;
} kp_graph;
int kp_graph_build(const kp_state *s, kp_graph *g);
void kp_graph_free(kp_graph *g);

#endif
