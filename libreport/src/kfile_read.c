/* The `.kiln` reader (docs/format.md): streams chunks from a ki_reader,
 * checks every length against the caps before reading or inflating, inflates
 * each chunk into a buffer of exactly its declared size, and applies the
 * records to the model through its public API, checking every id against
 * the tables read so far.
 *
 * Damage (a torn tail, a CRC mismatch) stops reading: what came before is
 * kept and one warning names the offset (an error when strict). A chunk
 * whose CRC is right but whose content is wrong was written wrongly, not
 * damaged: that is always an error. */
#include "kiln/kfile.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kfile_chunk.h"
#include "import_internal.h"

typedef struct idvec {
    uint32_t *v;
    size_t n, cap;
} idvec;

typedef struct kread {
    ki_reader *r;
    kiln_profile *p;
    kiln_error *err;
    int strict;
    kiln_warn_fn warn;
    void *warn_ctx;
    kiln_status st;            /* first failure */

    idvec strs;                /* file id -> model id, for each table */
    idvec frames;
    idvec nodes;
    idvec depth;               /* depth of each file node */
    idvec funcs;
    uint64_t edges, samples;
    int ntypes, have_types, have_flags;
    uint32_t flags;
    double sums[KILN_MAX_SAMPLE_TYPES];

    uint64_t chunk_index;      /* index of the current chunk (0 = first) */
    uint64_t chunk_off;        /* file offset of its header */
    uint32_t chunk_type;
    uint64_t unknown_chunks, unknown_first_off;
    uint32_t unknown_type;
    int damage_warned;         /* damaged() gave its one warning */

    unsigned char *zin;        /* compressed payload (owned) */
    size_t zin_cap;
    unsigned char *out;        /* decompressed payload (owned) */
    size_t out_cap;
    uint64_t inflated;         /* decompressed bytes so far (KI_KF_MAX_TOTAL) */
} kread;

/* A cursor over one decompressed payload. */
typedef struct cur {
    const unsigned char *base, *p, *end;
    const unsigned char *item;  /* start of the item being decoded (for errors) */
} cur;

/* ---- small helpers ------------------------------------------------------------- */

static int idvec_push(kread *k, idvec *a, uint32_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        uint32_t *nv = realloc(a->v, cap * sizeof *nv);
        if (!nv) {
            k->st = kiln_error_set(k->err, KILN_ERR_NOMEM, "out of memory reading .kiln");
            return -1;
        }
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

static void fourcc_text(uint32_t type, char out[20])
{
    char *o = out;
    for (int i = 0; i < 4; i++) {
        unsigned c = (type >> (8 * i)) & 0xff;
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
            *o++ = (char)c;
        else
            o += sprintf(o, "\\x%02x", c);
    }
    *o = 0;
}

/* Records an error at a file offset: "offset N (0xN): chunk K ('TYPE'): what". */
static int __attribute__((format(printf, 4, 5)))
file_err(kread *k, kiln_status st, uint64_t off, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int fresh = k->err && k->err->status == KILN_OK;
    k->st = kiln_error_set(k->err, st, "offset %llu (0x%llx): %s", (unsigned long long)off,
                           (unsigned long long)off, what);
    if (fresh)
        k->err->offset = off;
    return -1;
}

/* Records an error inside the current chunk's decompressed payload, at the
 * start of the item being decoded. */
static int __attribute__((format(printf, 4, 5)))
payload_err(kread *k, const cur *c, kiln_status st, const char *fmt, ...)
{
    char what[768], type[20];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fourcc_text(k->chunk_type, type);
    int fresh = k->err && k->err->status == KILN_OK;
    k->st = kiln_error_set(k->err, st,
                           "offset %llu (chunk %llu, +%llu in decompressed data): '%s' chunk: %s",
                           (unsigned long long)k->chunk_off, (unsigned long long)k->chunk_index,
                           (unsigned long long)(c->item - c->base), type, what);
    if (fresh)
        k->err->offset = k->chunk_off;
    return -1;
}

static void __attribute__((format(printf, 3, 4))) warnf(kread *k, uint64_t off, const char *fmt, ...)
{
    if (!k->warn)
        return;
    char what[768], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "offset %llu (0x%llx): %s", (unsigned long long)off,
             (unsigned long long)off, what);
    k->warn(k->warn_ctx, msg);
}

static int reader_failed(kread *k)
{
    if (k->err && k->err->status != KILN_OK)
        k->st = k->err->status;
    else
        k->st = kiln_error_set(k->err, KILN_ERR_READ, "read error");
    return -1;
}

/* ---- payload decoding ------------------------------------------------------------ */

static int get_varint(kread *k, cur *c, uint64_t *v, const char *what)
{
    c->item = c->p;
    uint64_t x = 0;
    for (int shift = 0;; shift += 7) {
        if (c->p >= c->end)
            return payload_err(k, c, KILN_ERR_DATA, "truncated varint (%s)", what);
        unsigned b = *c->p++;
        if (shift == 63 && b > 1)
            return payload_err(k, c, KILN_ERR_DATA, "varint (%s) overflows 64 bits", what);
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *v = x;
    return 0;
}

static int get_u32(kread *k, cur *c, uint32_t *v, const char *what)
{
    uint64_t x;
    if (get_varint(k, c, &x, what) < 0)
        return -1;
    if (x > UINT32_MAX)
        return payload_err(k, c, KILN_ERR_DATA, "%s %llu does not fit 32 bits", what,
                           (unsigned long long)x);
    *v = (uint32_t)x;
    return 0;
}

static int get_i64(kread *k, cur *c, int64_t *v, const char *what)
{
    uint64_t x;
    if (get_varint(k, c, &x, what) < 0)
        return -1;
    *v = ki_kf_unzigzag(x);
    return 0;
}

/* An IEEE double, which must be finite. */
static int get_double(kread *k, cur *c, double *v, const char *what)
{
    c->item = c->p;
    if (c->end - c->p < 8)
        return payload_err(k, c, KILN_ERR_DATA, "truncated double (%s)", what);
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits |= (uint64_t)c->p[i] << (8 * i);
    c->p += 8;
    memcpy(v, &bits, sizeof *v);
    if (!isfinite(*v))
        return payload_err(k, c, KILN_ERR_DATA, "%s is not a finite number", what);
    return 0;
}

/* A length-prefixed byte string (borrowed from the payload). */
static int get_bytes(kread *k, cur *c, const unsigned char **s, size_t *len, const char *what)
{
    uint64_t n;
    if (get_varint(k, c, &n, what) < 0)
        return -1;
    if (n > KILN_MAX_STRING_LEN)
        return payload_err(k, c, KILN_ERR_LIMIT, "%s of %llu bytes exceeds the cap of %u bytes",
                           what, (unsigned long long)n, KILN_MAX_STRING_LEN);
    if (n > (uint64_t)(c->end - c->p))
        return payload_err(k, c, KILN_ERR_DATA, "%s of %llu bytes runs past the end of the chunk",
                           what, (unsigned long long)n);
    *s = c->p;
    *len = (size_t)n;
    c->p += n;
    return 0;
}

/* A string without NUL, copied NUL-terminated into a new buffer (caller frees). */
static int get_cstr(kread *k, cur *c, char **out, const char *what)
{
    const unsigned char *s;
    size_t n;
    if (get_bytes(k, c, &s, &n, what) < 0)
        return -1;
    if (memchr(s, 0, n))
        return payload_err(k, c, KILN_ERR_DATA, "%s contains a NUL byte", what);
    char *t = malloc(n + 1);
    if (!t) {
        k->st = kiln_error_set(k->err, KILN_ERR_NOMEM, "out of memory reading .kiln");
        return -1;
    }
    memcpy(t, s, n);
    t[n] = 0;
    *out = t;
    return 0;
}

/* A reference to a record of table `a` read earlier; yields its model id. */
static int get_ref(kread *k, cur *c, const idvec *a, uint32_t *model, const char *what)
{
    uint64_t x;
    if (get_varint(k, c, &x, what) < 0)
        return -1;
    if (x >= a->n)
        return payload_err(k, c, KILN_ERR_DATA, "%s %llu out of range (%zu defined so far)", what,
                           (unsigned long long)x, a->n);
    *model = a->v[x];
    return 0;
}

/* Table chunks begin with the id of their first record, which must continue
 * the table: a gap means a chunk was lost or reordered. */
static int get_first_id(kread *k, cur *c, const idvec *a, const char *table)
{
    uint64_t first;
    if (get_varint(k, c, &first, "first id") < 0)
        return -1;
    if (first != a->n)
        return payload_err(k, c, KILN_ERR_DATA, "%s ids start at %llu, expected %zu", table,
                           (unsigned long long)first, a->n);
    return 0;
}

static int nomem_or_limit(kread *k, cur *c, int at_limit, const char *what, unsigned long long cap)
{
    if (at_limit)
        return payload_err(k, c, KILN_ERR_LIMIT, "more than %llu %s (the cap)", cap, what);
    k->st = kiln_error_set(k->err, KILN_ERR_NOMEM, "out of memory reading .kiln");
    return -1;
}

/* ---- chunk parsers (each consumes the whole payload) ---------------------------- */

static int parse_meta(kread *k, cur *c)
{
    while (c->p < c->end) {
        char *key = NULL, *val = NULL;
        if (get_cstr(k, c, &key, "metadata key") < 0)
            return -1;
        if (get_cstr(k, c, &val, "metadata value") < 0) {
            free(key);
            return -1;
        }
        kiln_status st = kiln_profile_meta_set(k->p, key, val);
        free(key);
        free(val);
        if (st != KILN_OK)
            return nomem_or_limit(k, c, 0, "", 0);
    }
    return 0;
}

static int parse_styp(kread *k, cur *c)
{
    if (k->have_types)
        return payload_err(k, c, KILN_ERR_DATA, "a second sample-type chunk");
    if (k->samples || k->have_flags || k->funcs.n)
        return payload_err(k, c, KILN_ERR_DATA, "sample types after samples, flags or functions");
    k->have_types = 1;
    while (c->p < c->end) {
        const unsigned char *rec = c->p;
        char *name = NULL, *unit = NULL;
        if (get_cstr(k, c, &name, "sample type name") < 0)
            return -1;
        if (get_cstr(k, c, &unit, "sample type unit") < 0) {
            free(name);
            return -1;
        }
        int t = k->ntypes < KILN_MAX_SAMPLE_TYPES ? kiln_profile_add_sample_type(k->p, name, unit) : -1;
        free(name);
        free(unit);
        c->item = rec;
        if (t < 0)
            return payload_err(k, c, KILN_ERR_LIMIT, "more than %d sample types (the cap)",
                               KILN_MAX_SAMPLE_TYPES);
        k->ntypes++;
    }
    return 0;
}

static int parse_flag(kread *k, cur *c)
{
    if (k->have_flags)
        return payload_err(k, c, KILN_ERR_DATA, "a second flags chunk");
    k->have_flags = 1;
    uint64_t flags, gtype;
    if (get_varint(k, c, &flags, "flags") < 0 || get_varint(k, c, &gtype, "graph sample type") < 0)
        return -1;
    if (gtype >= (uint64_t)(k->ntypes ? k->ntypes : 1))
        return payload_err(k, c, KILN_ERR_DATA, "graph sample type %llu out of range (%d types)",
                           (unsigned long long)gtype, k->ntypes);
    if ((flags & KI_KF_FLAG_TREE_APPROX) && k->nodes.n > 1)
        return payload_err(k, c, KILN_ERR_DATA, "tree marked approximate after tree nodes");
    k->flags = (uint32_t)(flags & KI_KF_FLAG_KNOWN);   /* other bits: reserved, ignored */
    kiln_profile_set_graph_given(k->p, (flags & KI_KF_FLAG_GRAPH_GIVEN) != 0);
    kiln_profile_set_graph_type(k->p, (int)gtype);
    return 0;   /* bytes after the defined fields are reserved and ignored */
}

static int parse_strs(kread *k, cur *c)
{
    if (get_first_id(k, c, &k->strs, "string") < 0)
        return -1;
    while (c->p < c->end) {
        const unsigned char *s;
        size_t n;
        if (get_bytes(k, c, &s, &n, "string") < 0)
            return -1;
        kiln_str id = kiln_profile_intern(k->p, (const char *)s, n);
        if (id == KILN_NONE)
            return nomem_or_limit(k, c, 0, "", 0);
        if (idvec_push(k, &k->strs, id) < 0)
            return -1;
    }
    return 0;
}

static int parse_frms(kread *k, cur *c)
{
    if (get_first_id(k, c, &k->frames, "frame") < 0)
        return -1;
    while (c->p < c->end) {
        kiln_frame f;
        uint64_t kind;
        memset(&f, 0, sizeof f);
        if (get_ref(k, c, &k->strs, &f.name, "frame name string id") < 0 ||
            get_ref(k, c, &k->strs, &f.file, "frame file string id") < 0 ||
            get_ref(k, c, &k->strs, &f.module, "frame module string id") < 0 ||
            get_u32(k, c, &f.line, "frame line") < 0 || get_varint(k, c, &kind, "frame kind") < 0 ||
            get_varint(k, c, &f.address, "frame address") < 0)
            return -1;
        f.kind = kind < KILN_KIND_COUNT_ ? (uint32_t)kind : KILN_KIND_UNKNOWN;
        if (k->frames.n >= KILN_MAX_FRAMES)
            return nomem_or_limit(k, c, 1, "frames", KILN_MAX_FRAMES);
        kiln_frame_id id = kiln_profile_frame(k->p, &f);
        if (id == KILN_NONE)
            return nomem_or_limit(k, c, kiln_profile_frame_count(k->p) >= KILN_MAX_FRAMES, "frames",
                                  KILN_MAX_FRAMES);
        if (idvec_push(k, &k->frames, id) < 0)
            return -1;
    }
    return 0;
}

static int parse_maps(kread *k, cur *c)
{
    while (c->p < c->end) {
        kiln_mapping m;
        memset(&m, 0, sizeof m);
        if (get_varint(k, c, &m.start, "mapping start") < 0 ||
            get_varint(k, c, &m.end, "mapping end") < 0 ||
            get_varint(k, c, &m.offset, "mapping offset") < 0 ||
            get_ref(k, c, &k->strs, &m.path, "mapping path string id") < 0 ||
            get_ref(k, c, &k->strs, &m.build_id, "mapping build-id string id") < 0)
            return -1;
        if (kiln_profile_add_mapping(k->p, &m) != KILN_OK)
            return nomem_or_limit(k, c, 0, "", 0);
    }
    return 0;
}

static int tree_allowed(kread *k, cur *c)
{
    if (k->flags & KI_KF_FLAG_TREE_APPROX)
        return payload_err(k, c, KILN_ERR_DATA,
                           "tree data in a file whose tree is marked approximate (not stored)");
    return 0;
}

/* With the tree not stored (approximate), values and call counts may
 * still name the root: they were measured there, not rebuilt. */
static int root_only_check(kread *k, cur *c, uint32_t file_node)
{
    if ((k->flags & KI_KF_FLAG_TREE_APPROX) && file_node != 0)
        return payload_err(k, c, KILN_ERR_DATA,
                           "node %u named in a file whose tree is marked approximate (not stored)",
                           file_node);
    return 0;
}

static int parse_node(kread *k, cur *c)
{
    if (tree_allowed(k, c) < 0 || get_first_id(k, c, &k->nodes, "node") < 0)
        return -1;
    while (c->p < c->end) {
        uint64_t id = k->nodes.n, delta;
        uint32_t frame;
        if (get_varint(k, c, &delta, "parent delta") < 0)
            return -1;
        if (delta == 0)
            return payload_err(k, c, KILN_ERR_DATA, "node %llu is its own parent (a cycle)",
                               (unsigned long long)id);
        if (delta > id)
            return payload_err(k, c, KILN_ERR_DATA,
                               "node %llu: parent delta %llu points before the root (parents must "
                               "precede their children)",
                               (unsigned long long)id, (unsigned long long)delta);
        uint64_t parent = id - delta;
        if (get_ref(k, c, &k->frames, &frame, "node frame id") < 0)
            return -1;
        uint32_t depth = k->depth.v[parent] + 1;
        if (depth > KILN_MAX_DEPTH)
            return payload_err(k, c, KILN_ERR_LIMIT, "stack deeper than %u frames (the cap)",
                               KILN_MAX_DEPTH);
        if (id >= KILN_MAX_NODES)
            return nomem_or_limit(k, c, 1, "tree nodes", KILN_MAX_NODES);
        kiln_node_id n = kiln_profile_child(k->p, k->nodes.v[parent], frame);
        if (n == KILN_NONE)
            return nomem_or_limit(k, c, kiln_profile_node_count(k->p) >= KILN_MAX_NODES,
                                  "tree nodes", KILN_MAX_NODES);
        if (idvec_push(k, &k->nodes, n) < 0 || idvec_push(k, &k->depth, depth) < 0)
            return -1;
    }
    return 0;
}

static int parse_samp(kread *k, cur *c)
{
    if (k->ntypes == 0)
        return payload_err(k, c, KILN_ERR_DATA, "samples but no sample types were declared");
    while (c->p < c->end) {
        uint32_t node;
        double v[KILN_MAX_SAMPLE_TYPES];
        if (get_ref(k, c, &k->nodes, &node, "sample node id") < 0 || root_only_check(k, c, node) < 0)
            return -1;
        for (int t = 0; t < k->ntypes; t++)
            if (get_double(k, c, &v[t], "sample value") < 0)
                return -1;
        for (int t = 0; t < k->ntypes; t++) {
            kiln_profile_add_self(k->p, node, t, v[t]);
            k->sums[t] += v[t];
        }
        k->samples++;
    }
    return 0;
}

static int parse_call(kread *k, cur *c)
{
    while (c->p < c->end) {
        uint32_t node;
        uint64_t calls;
        if (get_ref(k, c, &k->nodes, &node, "call-count node id") < 0 || root_only_check(k, c, node) < 0 ||
            get_varint(k, c, &calls, "call count") < 0)
            return -1;
        kiln_profile_add_node_calls(k->p, node, calls);
    }
    return 0;
}

static int graph_allowed(kread *k, cur *c)
{
    if (!(k->flags & KI_KF_FLAG_GRAPH_GIVEN))
        return payload_err(k, c, KILN_ERR_DATA,
                           "call-graph data but the flags chunk does not mark the graph as given");
    return 0;
}

static int parse_func(kread *k, cur *c)
{
    if (graph_allowed(k, c) < 0 || get_first_id(k, c, &k->funcs, "function") < 0)
        return -1;
    while (c->p < c->end) {
        const unsigned char *rec = c->p;
        uint32_t frame;
        int64_t calls, prim;
        double self, total;
        if (get_ref(k, c, &k->frames, &frame, "function frame id") < 0 ||
            get_i64(k, c, &calls, "function calls") < 0 ||
            get_i64(k, c, &prim, "function primitive calls") < 0 ||
            get_double(k, c, &self, "function self") < 0 ||
            get_double(k, c, &total, "function total") < 0)
            return -1;
        c->item = rec;
        if (kiln_profile_find_func(k->p, frame) != KILN_NONE)
            return payload_err(k, c, KILN_ERR_DATA, "function %zu repeats the frame of an earlier one",
                               k->funcs.n);
        kiln_func_id f = kiln_profile_func(k->p, frame);
        kiln_func *fp = f == KILN_NONE ? NULL : kiln_profile_func_get(k->p, f);
        if (!fp)
            return nomem_or_limit(k, c, 0, "", 0);
        fp->calls = calls;
        fp->prim_calls = prim;
        fp->self = self;
        fp->total = total;
        if (idvec_push(k, &k->funcs, f) < 0)
            return -1;
    }
    return 0;
}

static int parse_edge(kread *k, cur *c)
{
    if (graph_allowed(k, c) < 0)
        return -1;
    while (c->p < c->end) {
        const unsigned char *rec = c->p;
        uint32_t caller, callee;
        int64_t calls, prim;
        double self, total;
        if (get_ref(k, c, &k->funcs, &caller, "edge caller function id") < 0 ||
            get_ref(k, c, &k->funcs, &callee, "edge callee function id") < 0 ||
            get_i64(k, c, &calls, "edge calls") < 0 || get_i64(k, c, &prim, "edge primitive calls") < 0 ||
            get_double(k, c, &self, "edge self") < 0 || get_double(k, c, &total, "edge total") < 0)
            return -1;
        c->item = rec;
        uint32_t before = kiln_profile_edge_count(k->p);
        kiln_edge *e = kiln_profile_edge(k->p, caller, callee);
        if (!e)
            return nomem_or_limit(k, c, 0, "", 0);
        if (kiln_profile_edge_count(k->p) == before)
            return payload_err(k, c, KILN_ERR_DATA, "edge %llu repeats an earlier caller->callee pair",
                               (unsigned long long)k->edges);
        e->calls = calls;
        e->prim_calls = prim;
        e->self = self;
        e->total = total;
        k->edges++;
    }
    return 0;
}

static int check_count(kread *k, cur *c, const char *what, uint64_t have)
{
    uint64_t said;
    if (get_varint(k, c, &said, what) < 0)
        return -1;
    if (said != have)
        return payload_err(k, c, KILN_ERR_DATA,
                           "end marker counts %llu %s but the file has %llu (data lost?)",
                           (unsigned long long)said, what, (unsigned long long)have);
    return 0;
}

static int parse_end(kread *k, cur *c)
{
    if (check_count(k, c, "chunks", k->chunk_index) < 0 ||
        check_count(k, c, "strings", k->strs.n) < 0 || check_count(k, c, "frames", k->frames.n) < 0 ||
        check_count(k, c, "nodes", k->nodes.n) < 0 || check_count(k, c, "functions", k->funcs.n) < 0 ||
        check_count(k, c, "edges", k->edges) < 0 || check_count(k, c, "samples", k->samples) < 0)
        return -1;
    for (int t = 0; t < k->ntypes; t++) {
        double said;
        if (get_double(k, c, &said, "total") < 0)
            return -1;
        double have = k->sums[t], tol = 1e-9 * fmax(fabs(said), fabs(have));
        if (fabs(said - have) > tol)
            return payload_err(k, c, KILN_ERR_DATA,
                               "end marker total %.17g for sample type %d but the samples sum to %.17g",
                               said, t, have);
    }
    return 0;   /* bytes after the defined fields are reserved and ignored */
}

typedef int (*chunk_parser)(kread *k, cur *c);

static chunk_parser parser_for(uint32_t type)
{
    switch (type) {
    case KI_CHUNK_META: return parse_meta;
    case KI_CHUNK_STYP: return parse_styp;
    case KI_CHUNK_FLAG: return parse_flag;
    case KI_CHUNK_STRS: return parse_strs;
    case KI_CHUNK_FRMS: return parse_frms;
    case KI_CHUNK_MAPS: return parse_maps;
    case KI_CHUNK_NODE: return parse_node;
    case KI_CHUNK_SAMP: return parse_samp;
    case KI_CHUNK_CALL: return parse_call;
    case KI_CHUNK_FUNC: return parse_func;
    case KI_CHUNK_EDGE: return parse_edge;
    case KI_CHUNK_END: return parse_end;
    default: return NULL;
    }
}

/* ---- chunk framing ----------------------------------------------------------------- */

enum { STEP_OK = 0, STEP_FAIL = -1, STEP_STOP = 1 };

/* Damage: keep what was read and warn once, unless strict or nothing was read. */
static int __attribute__((format(printf, 3, 4))) damaged(kread *k, uint64_t off, const char *fmt, ...)
{
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (k->strict || k->chunk_index == 0) {
        file_err(k, KILN_ERR_DATA, off, "chunk %llu: %s%s", (unsigned long long)k->chunk_index, what,
                 k->chunk_index == 0 ? " (no complete chunk to recover)" : "");
        return STEP_FAIL;
    }
    k->damage_warned = 1;
    warnf(k, off, "chunk %llu: %s; kept the %llu chunks before it and ignored the rest",
          (unsigned long long)k->chunk_index, what, (unsigned long long)k->chunk_index);
    return STEP_STOP;
}

/* Reads exactly n payload bytes into k->zin, growing it only as bytes
 * arrive. Returns the number read (< n when the input ends), or -1. */
static long read_payload(kread *k, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t want = n - got;
        if (want > (1u << 20))
            want = 1u << 20;
        const unsigned char *src;
        long a = ki_reader_peek(k->r, want, &src);
        if (a < 0)
            return reader_failed(k);
        if (a == 0)
            break;
        if ((size_t)a > want)
            a = (long)want;
        if (got + (size_t)a > k->zin_cap) {
            size_t cap = k->zin_cap ? k->zin_cap : 65536;
            while (cap < got + (size_t)a)
                cap *= 2;
            if (cap > n)
                cap = n;
            unsigned char *nz = realloc(k->zin, cap);
            if (!nz) {
                k->st = kiln_error_set(k->err, KILN_ERR_NOMEM, "out of memory reading .kiln");
                return -1;
            }
            k->zin = nz;
            k->zin_cap = cap;
        }
        memcpy(k->zin + got, src, (size_t)a);
        ki_reader_skip(k->r, (size_t)a);
        got += (size_t)a;
    }
    return (long)got;
}

/* Inflates zin[0..clen) into out, which must come to exactly ulen bytes:
 * inflate never gets room for more than ulen + 1. */
static int inflate_payload(kread *k, uint32_t clen, uint32_t ulen)
{
    if ((size_t)ulen + 1 > k->out_cap) {
        unsigned char *no = realloc(k->out, (size_t)ulen + 1);
        if (!no) {
            k->st = kiln_error_set(k->err, KILN_ERR_NOMEM, "out of memory reading .kiln");
            return -1;
        }
        k->out = no;
        k->out_cap = (size_t)ulen + 1;
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK) {
        k->st = kiln_error_set(k->err, KILN_ERR_NOMEM, "out of memory reading .kiln");
        return -1;
    }
    zs.next_in = k->zin;
    zs.avail_in = clen;
    zs.next_out = k->out;
    zs.avail_out = ulen + 1;
    int zr = inflate(&zs, Z_FINISH);
    uLong produced = zs.total_out;
    uInt left = zs.avail_in;
    char zmsg[200];
    snprintf(zmsg, sizeof zmsg, "%s", zs.msg ? zs.msg : "invalid data");
    inflateEnd(&zs);

    cur c = {k->out, k->out, k->out + ulen, k->out + (produced > ulen ? ulen : produced)};
    if (zr == Z_MEM_ERROR) {
        k->st = kiln_error_set(k->err, KILN_ERR_NOMEM, "out of memory reading .kiln");
        return -1;
    }
    if (zr == Z_NEED_DICT)
        return payload_err(k, &c, KILN_ERR_DATA, "zlib stream asks for a preset dictionary");
    if (zr == Z_DATA_ERROR)
        return payload_err(k, &c, KILN_ERR_DATA, "zlib: %s", zmsg);
    if (produced > ulen)
        return payload_err(k, &c, KILN_ERR_DATA,
                           "decompressed data is longer than the declared %u bytes", ulen);
    if (zr != Z_STREAM_END)
        return payload_err(k, &c, KILN_ERR_DATA, "zlib stream is cut short");
    if (produced != ulen)
        return payload_err(k, &c, KILN_ERR_DATA, "decompressed %lu bytes, the header declares %u",
                           (unsigned long)produced, ulen);
    if (left)
        return payload_err(k, &c, KILN_ERR_DATA, "%u bytes after the end of the zlib stream",
                           (unsigned)left);
    return 0;
}

/* One chunk: header, caps, payload, CRC, inflate, parse. */
static int read_chunk(kread *k, int *saw_end)
{
    uint64_t off = ki_reader_offset(k->r);
    const unsigned char *h;
    long n = ki_reader_peek(k->r, KI_KF_CHUNK_HEADER_LEN, &h);
    if (n < 0)
        return reader_failed(k);
    if (n == 0)
        return STEP_STOP;
    if (n < KI_KF_CHUNK_HEADER_LEN)
        return damaged(k, off, "torn chunk header (%ld of %d bytes): incomplete (process ended abnormally?)",
                       n, KI_KF_CHUNK_HEADER_LEN);
    k->chunk_off = off;
    k->chunk_type = ki_kf_get_u32(h);
    uint32_t clen = ki_kf_get_u32(h + 4), ulen = ki_kf_get_u32(h + 8), crc = ki_kf_get_u32(h + 12);
    ki_reader_skip(k->r, KI_KF_CHUNK_HEADER_LEN);
    char type[20];
    fourcc_text(k->chunk_type, type);

    if (clen == 0)
        return file_err(k, KILN_ERR_DATA, off, "chunk %llu ('%s'): compressed length is 0",
                        (unsigned long long)k->chunk_index, type);
    if (clen > KI_KF_MAX_COMPRESSED)
        return file_err(k, KILN_ERR_LIMIT, off,
                        "chunk %llu ('%s'): compressed length %u exceeds the cap of %u bytes",
                        (unsigned long long)k->chunk_index, type, clen, KI_KF_MAX_COMPRESSED);
    if (ulen > KI_KF_MAX_PAYLOAD)
        return file_err(k, KILN_ERR_LIMIT, off,
                        "chunk %llu ('%s'): uncompressed length %u exceeds the cap of %u bytes",
                        (unsigned long long)k->chunk_index, type, ulen, KI_KF_MAX_PAYLOAD);
    if ((uint64_t)ulen > (uint64_t)clen * KI_KF_MAX_RATIO)
        return file_err(k, KILN_ERR_LIMIT, off,
                        "chunk %llu ('%s'): compression ratio %u:%u exceeds the cap of %u:1",
                        (unsigned long long)k->chunk_index, type, ulen, clen, KI_KF_MAX_RATIO);

    long got = read_payload(k, clen);
    if (got < 0)
        return STEP_FAIL;
    if ((uint32_t)got < clen)
        return damaged(k, off, "torn chunk ('%s'): the file ends after %ld of its %u bytes: "
                       "incomplete (process ended abnormally?)", type, got, clen);
    uint32_t have = (uint32_t)crc32(0L, k->zin, clen);
    if (have != crc)
        return damaged(k, off, "CRC mismatch in chunk '%s' (stored 0x%08x, computed 0x%08x): damaged data",
                       type, crc, have);

    chunk_parser parse = parser_for(k->chunk_type);
    if (!parse) {
        if (!k->unknown_chunks++) {
            k->unknown_type = k->chunk_type;
            k->unknown_first_off = off;
        }
        return STEP_OK;
    }
    if (k->inflated + ulen > KI_KF_MAX_TOTAL)
        return file_err(k, KILN_ERR_LIMIT, off, "more than %llu bytes of decompressed data (the cap)",
                        (unsigned long long)KI_KF_MAX_TOTAL);
    k->inflated += ulen;
    if (inflate_payload(k, clen, ulen) < 0)
        return STEP_FAIL;
    cur c = {k->out, k->out, k->out + ulen, k->out};
    if (parse(k, &c) < 0)
        return STEP_FAIL;
    if (k->chunk_type == KI_CHUNK_END)
        *saw_end = 1;
    return STEP_OK;
}

static int read_file_header(kread *k)
{
    const unsigned char *h;
    long n = ki_reader_peek(k->r, KI_KF_FILE_HEADER_LEN, &h);
    if (n < 0)
        return reader_failed(k);
    if (n == 0)
        return file_err(k, KILN_ERR_DATA, 0, "empty file");
    size_t cmp = (size_t)n < KI_KF_MAGIC_LEN ? (size_t)n : KI_KF_MAGIC_LEN;
    if (memcmp(h, KI_KF_MAGIC, cmp) != 0)
        return file_err(k, KILN_ERR_DATA, 0, "not a .kiln file (bad magic)");
    if (n < KI_KF_FILE_HEADER_LEN)
        return file_err(k, KILN_ERR_DATA, (uint64_t)n, "truncated file header (%ld of %d bytes)", n,
                        KI_KF_FILE_HEADER_LEN);
    unsigned version = ki_kf_get_u16(h + 8), oldest = ki_kf_get_u16(h + 10);
    if (version == 0 || oldest == 0 || oldest > version)
        return file_err(k, KILN_ERR_DATA, 8, "invalid format version %u (oldest readable %u)", version,
                        oldest);
    if (oldest > KI_KF_VERSION)
        return file_err(k, KILN_ERR_DATA, 8,
                        "format version %u needs a reader of version %u or later; this kiln reads "
                        "version %u",
                        version, oldest, KI_KF_VERSION);
    ki_reader_skip(k->r, KI_KF_FILE_HEADER_LEN);   /* header flags: reserved, ignored */
    return 0;
}

static kiln_status read_all(kread *k)
{
    if (idvec_push(k, &k->strs, 0) < 0 || idvec_push(k, &k->nodes, KILN_ROOT) < 0 ||
        idvec_push(k, &k->depth, 0) < 0)
        return k->st;
    if (read_file_header(k) < 0)
        return k->st;
    int saw_end = 0, step = STEP_OK;
    while (!saw_end && (step = read_chunk(k, &saw_end)) == STEP_OK)
        k->chunk_index++;
    if (!saw_end && step == STEP_FAIL)
        return k->st;
    if (k->unknown_chunks) {
        char type[20];
        fourcc_text(k->unknown_type, type);
        warnf(k, k->unknown_first_off,
              "skipped %llu chunk(s) of unknown type (first: '%s'; written by a newer kiln?)",
              (unsigned long long)k->unknown_chunks, type);
    }
    uint64_t off = ki_reader_offset(k->r);
    if (saw_end) {
        const unsigned char *rest;
        long n = ki_reader_peek(k->r, 1, &rest);
        if (n < 0)
            return reader_failed(k), k->st;
        if (n > 0) {
            if (k->strict)
                return file_err(k, KILN_ERR_DATA, off, "data after the end marker"), k->st;
            warnf(k, off, "data after the end marker ignored");
        }
        return KILN_OK;
    }
    if (k->damage_warned)
        return KILN_OK;
    /* The input ended cleanly between chunks, but before the end marker. */
    if (k->strict || k->chunk_index == 0) {
        file_err(k, KILN_ERR_DATA, off, "incomplete (process ended abnormally?): no end marker after %llu chunks",
                 (unsigned long long)k->chunk_index);
        return k->st;
    }
    warnf(k, off, "incomplete (process ended abnormally?): no end marker after %llu chunks",
          (unsigned long long)k->chunk_index);
    return KILN_OK;
}

kiln_status ki_import_kiln(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p, kiln_error *err)
{
    kread k;
    memset(&k, 0, sizeof k);
    k.r = r;
    k.p = p;
    k.err = err;
    if (opts) {
        k.strict = opts->strict;
        k.warn = opts->warn;
        k.warn_ctx = opts->warn_ctx;
    }
    kiln_status st = read_all(&k);
    free(k.strs.v);
    free(k.frames.v);
    free(k.nodes.v);
    free(k.depth.v);
    free(k.funcs.v);
    free(k.zin);
    free(k.out);
    return st;
}

int ki_sniff_kiln(const unsigned char *head, size_t len)
{
    if (len >= KI_KF_MAGIC_LEN)
        return memcmp(head, KI_KF_MAGIC, KI_KF_MAGIC_LEN) == 0 ? 100 : 0;
    if (len >= 2 && memcmp(head, KI_KF_MAGIC, len) == 0)
        return 50;
    return 0;
}

kiln_status kiln_kfile_read_memory(const void *data, size_t len, kiln_profile *into, int strict,
                                   kiln_warn_fn warn, void *warn_ctx, kiln_error *err)
{
    kiln_error local;
    if (!err) {
        kiln_error_clear(&local);
        err = &local;
    }
    if (!into || (!data && len))
        return kiln_error_set(err, KILN_ERR_USAGE, "kiln_kfile_read_memory: NULL argument");
    ki_reader r;
    if (ki_reader_init_mem(&r, data, len, err) < 0)
        return err->status != KILN_OK ? err->status : KILN_ERR_READ;
    kiln_import_opts o;
    memset(&o, 0, sizeof o);
    o.strict = strict;
    o.warn = warn;
    o.warn_ctx = warn_ctx;
    kiln_status st = ki_import_kiln(&r, &o, into, err);
    ki_reader_release(&r);
    return st;
}
