/* kiln_profile_symbolize: a new profile in which every unresolved native
 * frame became its function (and inlined functions), see kiln/symbolize.h.
 *
 * Work is per frame, not per node: the frame table is hash-consed, so each
 * distinct address is resolved once. Nodes are then rebuilt in id order
 * (parents come before children), each node's frame replaced by its chain,
 * and its self values and call counts added to the node the chain ends in. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/symbolize.h"
#include "symbolize_internal.h"

#define META_SYMBOLIZED "symbolized"
#define META_PID "pid"

static int is_unresolved(const kiln_profile *p, const kiln_frame *f)
{
    size_t len = 0;
    if (f->kind != KILN_KIND_NATIVE)
        return 0;
    kiln_profile_str(p, f->name, &len);
    return len == 0;
}

int kiln_profile_has_unresolved(const kiln_profile *p)
{
    uint32_t n = kiln_profile_frame_count(p);
    for (uint32_t i = 0; i < n; i++)
        if (is_unresolved(p, kiln_profile_frame_get(p, i)))
            return 1;
    return 0;
}

typedef struct map_ref {
    uint64_t start;
    uint32_t idx;
} map_ref;

typedef struct sym_state {
    const kiln_profile *in;
    kiln_profile *out;
    const kiln_symbolize_opts *opts;
    map_ref *by_start;      /* mappings sorted by start */
    uint32_t nmaps;
    ki_symelf *elf;
    ki_perfmap *jit;
    int jit_tried;
    /* Chains per input frame: off[f] into flat (KILN_NONE = not yet done). */
    uint32_t *off, *len;
    ki_frame_vec flat;
    ki_frame_vec tmp;
    uint32_t addresses, resolved;
} sym_state;

static int map_cmp(const void *a, const void *b)
{
    const map_ref *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Index of the mapping holding addr, or KILN_NONE. */
static uint32_t find_mapping(const sym_state *s, uint64_t addr)
{
    size_t lo = 0, hi = s->nmaps;
    while (lo < hi) { /* first mapping with start > addr */
        size_t mid = lo + (hi - lo) / 2;
        if (s->by_start[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Mappings should not overlap; when they do, the latest-starting one
     * that holds addr wins. */
    for (size_t i = lo, k = 0; i-- > 0 && k < 8; k++) {
        const kiln_mapping *m = kiln_profile_mapping_at(s->in, s->by_start[i].idx);
        if (addr >= m->start && addr < m->end)
            return s->by_start[i].idx;
    }
    return KILN_NONE;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* A file that could hold code: an absolute path that is not a memfd. */
static int file_backed(const char *path)
{
    return path[0] == '/' && strncmp(path, "/memfd:", 7) != 0;
}

static kiln_frame_id simple_frame(kiln_profile *out, const char *name, const char *module,
                                  uint32_t kind, uint64_t address)
{
    kiln_frame f;
    memset(&f, 0, sizeof f);
    f.name = kiln_profile_intern_cstr(out, name);
    f.module = module && *module ? kiln_profile_intern_cstr(out, module) : 0;
    if (f.name == KILN_NONE || f.module == KILN_NONE)
        return KILN_NONE;
    f.kind = kind;
    f.address = address;
    return kiln_profile_frame(out, &f);
}

/* Resolves one address into s->tmp; -1 on OOM / limit. */
static int resolve_address(sym_state *s, uint64_t addr)
{
    s->addresses++;
    uint32_t mi = find_mapping(s, addr);
    const kiln_mapping *m = mi == KILN_NONE ? NULL : kiln_profile_mapping_at(s->in, mi);
    const char *path = m ? kiln_profile_str(s->in, m->path, NULL) : "";
    uint64_t rel = UINT64_MAX;
    if (m && file_backed(path)) {
        const char *bid = kiln_profile_str(s->in, m->build_id, NULL);
        int r = ki_symelf_resolve(s->elf, mi, m, path, bid, addr, s->out, &s->tmp, &rel);
        if (r < 0)
            return -1;
        if (r == 1) {
            s->resolved++;
            return 0;
        }
    }
    if (!s->jit_tried) {
        s->jit_tried = 1;
        s->jit = ki_perfmap_load(s->opts ? s->opts->perf_map_dir : NULL,
                                 kiln_profile_meta_get(s->in, META_PID));
    }
    uint64_t start;
    const char *jname = s->jit ? ki_perfmap_find(s->jit, addr, &start) : NULL;
    kiln_frame_id fid;
    if (jname) {
        s->resolved++;
        fid = simple_frame(s->out, jname, ki_perfmap_path(s->jit), KILN_KIND_JIT, start);
    } else if (m && *path) {
        if (rel == UINT64_MAX)
            rel = addr - m->start + m->offset;
        char name[512];
        snprintf(name, sizeof name, "%.400s+0x%" PRIx64, base_name(path), rel);
        fid = simple_frame(s->out, name, path, KILN_KIND_NATIVE, rel);
    } else {
        char name[64];
        snprintf(name, sizeof name, "[unknown]+0x%" PRIx64, addr);
        fid = simple_frame(s->out, name, NULL, KILN_KIND_NATIVE, addr);
    }
    if (fid == KILN_NONE)
        return -1;
    return ki_frame_vec_push(&s->tmp, fid);
}

/* A resolved frame copied into out (strings re-interned). */
static kiln_frame_id copy_frame(sym_state *s, const kiln_frame *f)
{
    kiln_frame g = *f;
    size_t n;
    const char *str;
    str = kiln_profile_str(s->in, f->name, &n);
    g.name = kiln_profile_intern(s->out, str, n);
    str = kiln_profile_str(s->in, f->file, &n);
    g.file = kiln_profile_intern(s->out, str, n);
    str = kiln_profile_str(s->in, f->module, &n);
    g.module = kiln_profile_intern(s->out, str, n);
    if (g.name == KILN_NONE || g.file == KILN_NONE || g.module == KILN_NONE)
        return KILN_NONE;
    return kiln_profile_frame(s->out, &g);
}

/* The chain of input frame fid (computed on first use). -1 on OOM. */
static int chain_of(sym_state *s, kiln_frame_id fid, const kiln_frame_id **ids, uint32_t *n)
{
    if (s->off[fid] == KILN_NONE) {
        const kiln_frame *f = kiln_profile_frame_get(s->in, fid);
        s->tmp.n = 0;
        if (is_unresolved(s->in, f)) {
            if (resolve_address(s, f->address) < 0)
                return -1;
        } else {
            kiln_frame_id g = copy_frame(s, f);
            if (g == KILN_NONE || ki_frame_vec_push(&s->tmp, g) < 0)
                return -1;
        }
        if (s->flat.n + s->tmp.n >= UINT32_MAX)
            return -1;
        s->off[fid] = (uint32_t)s->flat.n;
        s->len[fid] = (uint32_t)s->tmp.n;
        for (size_t i = 0; i < s->tmp.n; i++)
            if (ki_frame_vec_push(&s->flat, s->tmp.ids[i]) < 0)
                return -1;
    }
    *ids = s->flat.ids + s->off[fid];
    *n = s->len[fid];
    return 0;
}

static kiln_status copy_header(const kiln_profile *in, kiln_profile *out, kiln_error *err)
{
    for (uint32_t i = 0; i < kiln_profile_meta_count(in); i++) {
        const char *k, *v;
        kiln_profile_meta_at(in, i, &k, &v);
        if (kiln_profile_meta_set(out, k, v) != KILN_OK)
            return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    for (int t = 0; t < kiln_profile_sample_type_count(in); t++)
        if (kiln_profile_add_sample_type(out, kiln_profile_sample_type_name(in, t),
                                         kiln_profile_sample_type_unit(in, t)) < 0)
            return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    kiln_profile_set_graph_type(out, kiln_profile_graph_type(in));
    for (uint32_t i = 0; i < kiln_profile_mapping_count(in); i++) {
        const kiln_mapping *m = kiln_profile_mapping_at(in, i);
        kiln_mapping c = *m;
        size_t n;
        const char *str = kiln_profile_str(in, m->path, &n);
        c.path = kiln_profile_intern(out, str, n);
        str = kiln_profile_str(in, m->build_id, &n);
        c.build_id = kiln_profile_intern(out, str, n);
        if (c.path == KILN_NONE || c.build_id == KILN_NONE ||
            kiln_profile_add_mapping(out, &c) != KILN_OK)
            return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    return KILN_OK;
}

static kiln_status rebuild_tree(sym_state *s, kiln_error *err)
{
    const kiln_profile *in = s->in;
    uint32_t nn = kiln_profile_node_count(in);
    int nt = kiln_profile_sample_type_count(in);
    kiln_node_id *map = malloc((size_t)nn * sizeof *map);
    if (!map)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    kiln_status st = KILN_OK;
    map[KILN_ROOT] = KILN_ROOT;
    for (uint32_t n = 0; n < nn && st == KILN_OK; n++) {
        kiln_node_id cur = KILN_ROOT;
        if (n != KILN_ROOT) {
            kiln_node_id par = kiln_profile_node_parent(in, n);
            kiln_frame_id fid = kiln_profile_node_frame(in, n);
            const kiln_frame_id *ids;
            uint32_t len;
            if (par >= n || fid >= kiln_profile_frame_count(in)) {
                st = kiln_error_set(err, KILN_ERR_INTERNAL, "node %" PRIu32 ": bad parent or frame", n);
                break;
            }
            if (chain_of(s, fid, &ids, &len) < 0) {
                st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory or frame limit");
                break;
            }
            cur = map[par];
            for (uint32_t i = 0; i < len && cur != KILN_NONE; i++)
                cur = kiln_profile_child(s->out, cur, ids[i]);
            if (cur == KILN_NONE) {
                st = kiln_error_set(err, KILN_ERR_LIMIT, "symbolized tree exceeds %u nodes or "
                                    "memory", KILN_MAX_NODES);
                break;
            }
        }
        map[n] = cur;
        for (int t = 0; t < nt; t++) {
            double v = kiln_profile_node_self(in, n, t);
            if (v != 0.0)
                kiln_profile_add_self(s->out, cur, t, v);
        }
        uint64_t calls = kiln_profile_node_calls(in, n);
        if (calls)
            kiln_profile_add_node_calls(s->out, cur, calls);
    }
    free(map);
    return st;
}

kiln_profile *kiln_profile_symbolize(const kiln_profile *in, const kiln_symbolize_opts *opts,
                                     kiln_error *err)
{
    kiln_error local;
    if (!err)
        err = &local;
    if (!in) {
        kiln_error_set(err, KILN_ERR_USAGE, "symbolize: no profile");
        return NULL;
    }
    if (kiln_profile_graph_given(in)) {
        kiln_error_set(err, KILN_ERR_USAGE,
                       "symbolize: the profile's call graph is given (cProfile); nothing to resolve");
        return NULL;
    }
    sym_state s;
    memset(&s, 0, sizeof s);
    s.in = in;
    s.opts = opts;
    s.nmaps = kiln_profile_mapping_count(in);
    uint32_t nf = kiln_profile_frame_count(in);
    s.out = kiln_profile_new();
    s.by_start = malloc((s.nmaps ? s.nmaps : 1) * sizeof *s.by_start);
    s.off = malloc((nf ? nf : 1) * sizeof *s.off);
    s.len = malloc((nf ? nf : 1) * sizeof *s.len);
    s.elf = ki_symelf_new(s.nmaps, opts);
    kiln_status st = KILN_OK;
    if (!s.out || !s.by_start || !s.off || !s.len || !s.elf)
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    if (st == KILN_OK) {
        for (uint32_t i = 0; i < s.nmaps; i++) {
            s.by_start[i].start = kiln_profile_mapping_at(in, i)->start;
            s.by_start[i].idx = i;
        }
        qsort(s.by_start, s.nmaps, sizeof *s.by_start, map_cmp);
        for (uint32_t i = 0; i < nf; i++)
            s.off[i] = KILN_NONE;
        st = copy_header(in, s.out, err);
    }
    if (st == KILN_OK)
        st = rebuild_tree(&s, err);
    if (st == KILN_OK) {
        char msg[96];
        snprintf(msg, sizeof msg, "%" PRIu32 " of %" PRIu32 " addresses", s.resolved, s.addresses);
        st = kiln_profile_meta_set(s.out, META_SYMBOLIZED, msg);
        if (st != KILN_OK)
            kiln_error_set(err, st, "out of memory");
    }
    if (st == KILN_OK)
        st = kiln_profile_finish(s.out, err);
    ki_symelf_free(s.elf);
    ki_perfmap_free(s.jit);
    free(s.by_start);
    free(s.off);
    free(s.len);
    free(s.flat.ids);
    free(s.tmp.ids);
    if (st != KILN_OK) {
        kiln_profile_free(s.out);
        return NULL;
    }
    return s.out;
}
