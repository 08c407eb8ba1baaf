/* kiln/profile.h: the profile model.
 *
 * One kiln_profile holds everything an importer or collector produced:
 *
 *   strings      interned once; everything else refers to them by kiln_str id.
 *                Id 0 is always the empty string.
 *   frames       (name, file, line, module, address, kind), hash-consed: adding
 *                an equal frame returns the existing id.
 *   sample types what each value means ("cpu" in "nanoseconds", "samples" in
 *                "count", ...). Every node carries one value per type.
 *   tree         the calling-context tree. Node 0 is the synthetic root; every
 *                other node is (parent, frame), hash-consed, and its id is
 *                always greater than its parent's (so a reverse walk over ids
 *                visits children before parents). self[] is what was measured
 *                in the node itself; total[] = self + children's totals,
 *                computed by kiln_profile_finish.
 *   call graph   function level: one kiln_func per frame with calls, primitive
 *                (non-recursive) calls, self and total, and caller->callee
 *                kiln_edge records, exactly as pstats reports them. A cProfile
 *                file carries only this graph (the graph is then "given" and
 *                exact, the tree is reconstructed and flagged approximate);
 *                sampled profiles carry the tree and the graph is derived from
 *                it, with recursion counted once in totals.
 *   metadata     ordered key/value strings (see KILN_META_* below).
 *   mappings     memory maps with build-ids, for later symbolization.
 *
 * Ids are 32-bit indices into tables, not pointers: they serialize directly
 * and stay valid as tables grow. Pointers returned by accessors are borrowed
 * and valid until the next call that adds to the same table.
 *
 * Values are doubles: counts, nanoseconds and cProfile's seconds all fit, and
 * sums cannot wrap (they lose precision past 2^53 instead). */
#ifndef KILN_PROFILE_H
#define KILN_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t kiln_str;
typedef uint32_t kiln_frame_id;
typedef uint32_t kiln_node_id;
typedef uint32_t kiln_func_id;

#define KILN_NONE UINT32_MAX
#define KILN_ROOT 0u

/* Documented caps (the reader and importers enforce them before allocating). */
#define KILN_MAX_SAMPLE_TYPES 8
#define KILN_MAX_STRING_LEN (64u * 1024u)   /* longer names are cut, marked "…" */
#define KILN_MAX_FRAMES (1u << 24)
#define KILN_MAX_NODES (1u << 27)
#define KILN_MAX_DEPTH 1000000u

typedef enum kiln_frame_kind {
    KILN_KIND_UNKNOWN = 0,
    KILN_KIND_NATIVE = 1,   /* machine code with a symbol */
    KILN_KIND_PYTHON = 2,   /* a Python function */
    KILN_KIND_BUILTIN = 3,  /* a C built-in called from Python */
    KILN_KIND_KERNEL = 4,
    KILN_KIND_JIT = 5,
    KILN_KIND_INLINED = 6,  /* a native frame inlined into its caller */
    KILN_KIND_PROCESS = 7,  /* a synthetic frame naming a process/thread */
    KILN_KIND_COUNT_
} kiln_frame_kind;

const char *kiln_frame_kind_name(kiln_frame_kind k); /* "native", "python", ... */

typedef struct kiln_frame {
    kiln_str name;      /* function name (as the source tool spelled it) */
    kiln_str file;      /* source file, or 0 */
    kiln_str module;    /* binary or library path, or 0 */
    uint32_t line;      /* first line of the function, or 0 */
    uint32_t kind;      /* kiln_frame_kind */
    uint64_t address;   /* native address (module-relative when known), or 0 */
} kiln_frame;

typedef struct kiln_func {
    kiln_frame_id frame;
    int64_t calls;       /* total calls (pstats nc); 0 when unknown */
    int64_t prim_calls;  /* primitive calls (pstats cc) */
    double self;         /* pstats tottime, in the graph's sample type */
    double total;        /* pstats cumtime; recursion counted once */
} kiln_func;

typedef struct kiln_edge {
    kiln_func_id caller;
    kiln_func_id callee;
    int64_t calls;       /* calls along this edge (pstats caller nc) */
    int64_t prim_calls;  /* (pstats caller cc) */
    double self;         /* callee's self time on behalf of this caller */
    double total;        /* callee's total time on behalf of this caller */
} kiln_edge;

typedef struct kiln_mapping {
    uint64_t start, end, offset;
    kiln_str path;
    kiln_str build_id;   /* hex text, or 0 */
} kiln_mapping;

typedef struct kiln_profile kiln_profile;

/* ---- lifecycle ---------------------------------------------------------- */

/* Returns a new empty profile (free with kiln_profile_free), or NULL on OOM. */
kiln_profile *kiln_profile_new(void);
void kiln_profile_free(kiln_profile *p);

/* ---- strings ------------------------------------------------------------ */

/* Interns len bytes (may contain NUL and invalid UTF-8: bytes are kept as
 * they are; renderers sanitize). Strings longer than KILN_MAX_STRING_LEN are
 * cut at a UTF-8 boundary and end in "…". Returns KILN_NONE on OOM. */
kiln_str kiln_profile_intern(kiln_profile *p, const char *s, size_t len);
kiln_str kiln_profile_intern_cstr(kiln_profile *p, const char *s);
/* Borrowed, NUL-terminated; *len (if non-NULL) gets the length. An invalid
 * id yields "". */
const char *kiln_profile_str(const kiln_profile *p, kiln_str id, size_t *len);
uint32_t kiln_profile_str_count(const kiln_profile *p);

/* ---- frames ------------------------------------------------------------- */

/* Hash-consed: an equal frame returns the same id. KILN_NONE on OOM or when
 * KILN_MAX_FRAMES is reached. */
kiln_frame_id kiln_profile_frame(kiln_profile *p, const kiln_frame *f);
const kiln_frame *kiln_profile_frame_get(const kiln_profile *p, kiln_frame_id id);
uint32_t kiln_profile_frame_count(const kiln_profile *p);
/* Convenience: the frame's name as a C string. */
const char *kiln_profile_frame_name(const kiln_profile *p, kiln_frame_id id);

/* ---- sample types ------------------------------------------------------- */

/* Adds a sample type and returns its index (0-based), or -1 when there are
 * already KILN_MAX_SAMPLE_TYPES. Must be called before the first node value
 * is added. Units in use: "nanoseconds", "seconds", "count", "bytes". */
int kiln_profile_add_sample_type(kiln_profile *p, const char *name, const char *unit);
int kiln_profile_sample_type_count(const kiln_profile *p);
const char *kiln_profile_sample_type_name(const kiln_profile *p, int type);
const char *kiln_profile_sample_type_unit(const kiln_profile *p, int type);
/* Index of the type with this name, or -1. */
int kiln_profile_sample_type_find(const kiln_profile *p, const char *name);

/* ---- calling-context tree ----------------------------------------------- */

/* The child of parent for frame, created when missing. KILN_NONE on OOM or
 * at KILN_MAX_NODES. */
kiln_node_id kiln_profile_child(kiln_profile *p, kiln_node_id parent, kiln_frame_id frame);
/* The child if it exists, else KILN_NONE. */
kiln_node_id kiln_profile_find_child(const kiln_profile *p, kiln_node_id parent, kiln_frame_id frame);
/* Adds one stack, frames[0] being the outermost (root side) and
 * frames[depth-1] the leaf, with one value per sample type added to the
 * leaf's self. Returns the leaf node, or KILN_NONE on OOM or limit. */
kiln_node_id kiln_profile_add_stack(kiln_profile *p, const kiln_frame_id *frames, size_t depth,
                                    const double *values);
void kiln_profile_add_self(kiln_profile *p, kiln_node_id node, int type, double value);
/* Exact call counts per context (instrumented profiles); 0 = unknown. */
void kiln_profile_add_node_calls(kiln_profile *p, kiln_node_id node, uint64_t calls);

uint32_t kiln_profile_node_count(const kiln_profile *p); /* including the root */
kiln_node_id kiln_profile_node_parent(const kiln_profile *p, kiln_node_id n); /* KILN_NONE for root */
kiln_frame_id kiln_profile_node_frame(const kiln_profile *p, kiln_node_id n); /* KILN_NONE for root */
kiln_node_id kiln_profile_node_first_child(const kiln_profile *p, kiln_node_id n); /* KILN_NONE if leaf */
kiln_node_id kiln_profile_node_next_sibling(const kiln_profile *p, kiln_node_id n);
uint32_t kiln_profile_node_depth(const kiln_profile *p, kiln_node_id n); /* root = 0 */
double kiln_profile_node_self(const kiln_profile *p, kiln_node_id n, int type);
double kiln_profile_node_total(const kiln_profile *p, kiln_node_id n, int type); /* after finish */
uint64_t kiln_profile_node_calls(const kiln_profile *p, kiln_node_id n);
/* Sum of self over all nodes (= root total after finish). */
double kiln_profile_total(const kiln_profile *p, int type);

/* ---- timeline -------------------------------------------------------------- */

/* The samples in the order they were taken, for the time-ordered flame chart:
 * kept only when an importer is asked to (kiln_import_opts.keep_timeline) and
 * the input has timestamps (perf script). Bounded: after KILN_TIMELINE_MAX
 * samples, further ones still count in the tree but are not kept, and
 * kiln_profile_timeline_dropped() counts them. Node ids refer to this
 * profile's tree; a tree rebuild (cProfile graph) clears the timeline. */
#define KILN_TIMELINE_MAX (1u << 20)
typedef struct kiln_timed_sample {
    double t;            /* seconds, the input's clock */
    kiln_node_id node;   /* the leaf */
    float value;         /* its value in sample type 0 */
} kiln_timed_sample;

/* Appends one sample; 0, or -1 on OOM (the timeline is then dropped). */
int kiln_profile_timeline_add(kiln_profile *p, double t, kiln_node_id node, double value);
size_t kiln_profile_timeline_count(const kiln_profile *p);
/* Borrowed, valid until the profile changes; NULL when empty. */
const kiln_timed_sample *kiln_profile_timeline(const kiln_profile *p);
uint64_t kiln_profile_timeline_dropped(const kiln_profile *p);

/* Pre-order walk with ENTER/EXIT events, children in insertion order
 * (cmark's iterator shape). Iterative: depth is unbounded. */
typedef enum { KILN_EVENT_NONE = 0, KILN_EVENT_ENTER, KILN_EVENT_EXIT, KILN_EVENT_DONE } kiln_event;
typedef struct kiln_tree_iter {
    const kiln_profile *p;
    kiln_node_id cur;
    kiln_event ev;
    kiln_node_id start;
} kiln_tree_iter;
void kiln_tree_iter_init(kiln_tree_iter *it, const kiln_profile *p, kiln_node_id start);
/* Advances; returns the event and sets *node. */
kiln_event kiln_tree_iter_next(kiln_tree_iter *it, kiln_node_id *node);

/* ---- call graph ----------------------------------------------------------- */

/* Importers with an exact graph (cProfile) add functions and edges directly,
 * in file order (pstats order depends on it). Returns the func id for frame,
 * creating it (zeroed) when missing; KILN_NONE on OOM. */
kiln_func_id kiln_profile_func(kiln_profile *p, kiln_frame_id frame);
kiln_func_id kiln_profile_find_func(const kiln_profile *p, kiln_frame_id frame);
kiln_func *kiln_profile_func_get(kiln_profile *p, kiln_func_id id);
const kiln_func *kiln_profile_func_at(const kiln_profile *p, kiln_func_id id);
uint32_t kiln_profile_func_count(const kiln_profile *p);
/* The edge caller->callee, created (zeroed) when missing, in insertion order. */
kiln_edge *kiln_profile_edge(kiln_profile *p, kiln_func_id caller, kiln_func_id callee);
const kiln_edge *kiln_profile_edge_at(const kiln_profile *p, uint32_t idx);
uint32_t kiln_profile_edge_count(const kiln_profile *p);
/* Edges into / out of a function, in insertion order (valid after finish).
 * Returns the count and sets *idx to a borrowed array of edge indices. */
uint32_t kiln_profile_callers(const kiln_profile *p, kiln_func_id f, const uint32_t **idx);
uint32_t kiln_profile_callees(const kiln_profile *p, kiln_func_id f, const uint32_t **idx);
/* Which sample type the graph measures (default 0). */
int kiln_profile_graph_type(const kiln_profile *p);
void kiln_profile_set_graph_type(kiln_profile *p, int type);
/* 1 when the graph came from the input (cProfile), 0 when derived. */
int kiln_profile_graph_given(const kiln_profile *p);
void kiln_profile_set_graph_given(kiln_profile *p, int given);
/* 1 when the tree was reconstructed from a call graph and is approximate. */
int kiln_profile_tree_approximate(const kiln_profile *p);
/* Whether kiln_profile_finish reconstructs that approximate tree when the
 * graph is given and the tree empty (default 1). Consumers that read only
 * the call graph (kiln top) turn it off and save the time and memory. */
void kiln_profile_set_rebuild_tree(kiln_profile *p, int on);

/* ---- metadata ----------------------------------------------------------- */

#define KILN_META_TIMESTAMP "timestamp"        /* ISO 8601 UTC */
#define KILN_META_COMMAND "command"            /* the profiled command line */
#define KILN_META_HOST "host"
#define KILN_META_CPU "cpu"
#define KILN_META_KERNEL "kernel"
#define KILN_META_TOOL "tool"                  /* who wrote the data, with version */
#define KILN_META_TARGET_VERSION "target_version" /* e.g. git commit of the target */
#define KILN_META_PERIOD "sampling_period_ns"
#define KILN_META_RATE "sampling_rate_hz"      /* the rate actually delivered */
#define KILN_META_FORMAT "source_format"       /* importer name: prof, perf, folded, kiln */
#define KILN_META_PYTHON "python_version"

/* Sets key (replacing an earlier value, keeping its position). */
kiln_status kiln_profile_meta_set(kiln_profile *p, const char *key, const char *value);
const char *kiln_profile_meta_get(const kiln_profile *p, const char *key); /* borrowed or NULL */
uint32_t kiln_profile_meta_count(const kiln_profile *p);
void kiln_profile_meta_at(const kiln_profile *p, uint32_t i, const char **key, const char **value);

/* ---- memory maps -------------------------------------------------------- */

kiln_status kiln_profile_add_mapping(kiln_profile *p, const kiln_mapping *m);
uint32_t kiln_profile_mapping_count(const kiln_profile *p);
const kiln_mapping *kiln_profile_mapping_at(const kiln_profile *p, uint32_t i);

/* ---- finishing ------------------------------------------------------------ */

/* Computes node totals; derives the call graph from the tree when it was not
 * given; reconstructs an (approximate) tree from a given graph when the tree
 * is empty; builds caller/callee indices. Idempotent; call again after
 * adding more data. In debug builds (KILN_CHECK_INVARIANTS) it also runs
 * kiln_profile_check. */
kiln_status kiln_profile_finish(kiln_profile *p, kiln_error *err);
/* Verifies the invariants (parent < child, total == self + sum(children
 * totals) within rounding, every id in range). KILN_ERR_INTERNAL on failure. */
kiln_status kiln_profile_check(const kiln_profile *p, kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
