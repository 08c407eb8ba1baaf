/* Callgrind export (kiln/export.h). Owner: helper "interchange".
 *
 * Functions are kiln frames. Self costs are summed per frame over the tree
 * (or taken from a given cProfile graph). Inclusive edge costs from the tree
 * follow the rule "once per stack per edge": a node's total is added to the
 * edge (parent frame -> node frame) only when that edge is not already open
 * on the path above, so recursion is not counted twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_units.h"
#include "hash.h"
#include "kiln/export.h"

typedef struct cg_edge {
    kiln_frame_id caller, callee;
    uint64_t calls;
    uint32_t open;     /* how many times the edge is on the current path */
    double cost[KILN_MAX_SAMPLE_TYPES];
} cg_edge;

typedef struct cg_state {
    const kiln_profile *p;
    kiln_buf b;
    kiln_sink *out;
    int ntypes;
    double scale[KILN_MAX_SAMPLE_TYPES];
    uint32_t *fl_id, *fn_id; /* by kiln_str / frame: compressed id, 0 = not yet */
    uint32_t next_fl, next_fn;
    uint32_t cur_fl;         /* file string of the last fl=/cfl= context */
} cg_state;

/* Name compression: "(id) name" the first time, "(id)" afterwards. */
static void put_name(cg_state *s, const char *key, uint32_t *slot, uint32_t *next, const char *name,
                     size_t n)
{
    kiln_buf_addstr(&s->b, key);
    if (*slot) {
        kiln_buf_printf(&s->b, "(%u)\n", *slot);
        return;
    }
    *slot = ++*next;
    kiln_buf_printf(&s->b, "(%u) ", *slot);
    if (!n) {
        kiln_buf_addstr(&s->b, "???");
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)name[i];
            kiln_buf_addch(&s->b, c < 0x20 || c == 0x7f ? '?' : c); /* one line per spec */
        }
    }
    kiln_buf_addch(&s->b, '\n');
}

static void put_file(cg_state *s, const char *key, const kiln_frame *fr)
{
    size_t n;
    kiln_str f = fr->file ? fr->file : fr->module;
    const char *name = kiln_profile_str(s->p, f, &n);
    put_name(s, key, &s->fl_id[f], &s->next_fl, name, n);
}

static void put_fn(cg_state *s, const char *key, kiln_frame_id f)
{
    const kiln_frame *fr = kiln_profile_frame_get(s->p, f);
    size_t n;
    const char *name = kiln_profile_str(s->p, fr->name, &n);
    put_name(s, key, &s->fn_id[f], &s->next_fn, name, n);
}

static void put_costs(cg_state *s, uint32_t line, const double *v)
{
    kiln_buf_printf(&s->b, "%u", line);
    for (int t = 0; t < s->ntypes; t++)
        kiln_buf_printf(&s->b, " %lld", (long long)ki_int_value(v[t], s->scale[t]));
    kiln_buf_addch(&s->b, '\n');
}

static int flush(cg_state *s, int force)
{
    if (s->b.failed)
        return -1;
    if (force || s->b.len > (1u << 16)) {
        kiln_sink_write(s->out, s->b.data, s->b.len);
        kiln_buf_reset(&s->b);
    }
    return s->out->failed ? -1 : 0;
}

static int cmp_edge(const void *a, const void *b)
{
    const cg_edge *x = a, *y = b;
    if (x->caller != y->caller)
        return x->caller < y->caller ? -1 : 1;
    return x->callee < y->callee ? -1 : x->callee > y->callee;
}

static cg_edge *edge_get(ki_map *m, cg_edge **edges, size_t *n, size_t *cap, kiln_frame_id a,
                         kiln_frame_id b)
{
    uint64_t h = ki_hash_u64(((uint64_t)a << 32) | b);
    if (ki_map_reserve(m) < 0)
        return NULL;
    ki_probe pr = ki_map_probe(m, h);
    for (;; ki_map_next(m, &pr)) {
        uint32_t id = ki_map_get(m, &pr);
        if (id == KI_MAP_EMPTY)
            break;
        if ((*edges)[id].caller == a && (*edges)[id].callee == b)
            return &(*edges)[id];
    }
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        cg_edge *e = realloc(*edges, nc * sizeof *e);
        if (!e)
            return NULL;
        *edges = e;
        *cap = nc;
    }
    cg_edge *e = &(*edges)[*n];
    memset(e, 0, sizeof *e);
    e->caller = a;
    e->callee = b;
    ki_map_put(m, &pr, (uint32_t)*n);
    ++*n;
    return e;
}

kiln_status kiln_export_callgrind(const kiln_profile *p, kiln_sink *out, kiln_error *err)
{
    int ntypes = kiln_profile_sample_type_count(p);
    if (ntypes <= 0)
        return kiln_error_set(err, KILN_ERR_USAGE, "the profile has no sample types");
    int given = kiln_profile_graph_given(p);
    if (given)
        ntypes = 1; /* a cProfile graph measures one type */
    int gtype = given ? kiln_profile_graph_type(p) : 0;
    cg_state s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.out = out;
    s.ntypes = ntypes;
    uint32_t nframes = kiln_profile_frame_count(p), nstr = kiln_profile_str_count(p);
    s.fl_id = calloc(nstr + 1, sizeof *s.fl_id);
    s.fn_id = calloc(nframes + 1, sizeof *s.fn_id);
    double *self = calloc((size_t)nframes * (size_t)ntypes + 1, sizeof *self);
    unsigned char *seen = calloc(nframes + 1, 1);
    cg_edge *edges = NULL;
    size_t nedges = 0, cap = 0;
    ki_map m;
    ki_map_init(&m);
    kiln_status st = KILN_ERR_NOMEM;
    if (!s.fl_id || !s.fn_id || !self || !seen)
        goto done;

    if (given) {
        for (uint32_t i = 0; i < kiln_profile_func_count(p); i++) {
            const kiln_func *fn = kiln_profile_func_at(p, i);
            self[fn->frame] += fn->self;
            seen[fn->frame] = 1;
        }
        for (uint32_t i = 0; i < kiln_profile_edge_count(p); i++) {
            const kiln_edge *ed = kiln_profile_edge_at(p, i);
            kiln_frame_id a = kiln_profile_func_at(p, ed->caller)->frame;
            kiln_frame_id b = kiln_profile_func_at(p, ed->callee)->frame;
            cg_edge *e = edge_get(&m, &edges, &nedges, &cap, a, b);
            if (!e)
                goto done;
            e->calls += ed->calls > 0 ? (uint64_t)ed->calls : 0;
            e->cost[0] += ed->total;
        }
    } else {
        /* iterative walk with "open" counts for the once-per-stack rule */
        kiln_tree_iter it;
        kiln_tree_iter_init(&it, p, KILN_ROOT);
        kiln_node_id n;
        kiln_event ev;
        while ((ev = kiln_tree_iter_next(&it, &n)) != KILN_EVENT_DONE) {
            if (n == KILN_ROOT)
                continue;
            kiln_frame_id f = kiln_profile_node_frame(p, n);
            kiln_node_id par = kiln_profile_node_parent(p, n);
            cg_edge *e = NULL;
            if (par != KILN_ROOT) {
                e = edge_get(&m, &edges, &nedges, &cap, kiln_profile_node_frame(p, par), f);
                if (!e)
                    goto done;
            }
            if (ev == KILN_EVENT_ENTER) {
                seen[f] = 1;
                for (int t = 0; t < ntypes; t++)
                    self[(size_t)f * ntypes + t] += kiln_profile_node_self(p, n, t);
                if (e) {
                    if (e->open++ == 0)
                        for (int t = 0; t < ntypes; t++)
                            e->cost[t] += kiln_profile_node_total(p, n, t);
                    uint64_t c = kiln_profile_node_calls(p, n);
                    e->calls += c ? c : 1;
                }
            } else if (ev == KILN_EVENT_EXIT && e) {
                e->open--;
            }
        }
    }
    if (nedges)
        qsort(edges, nedges, sizeof *edges, cmp_edge);

    kiln_buf_addstr(&s.b, "# callgrind format\nversion: 1\ncreator: kiln\n");
    const char *cmd = kiln_profile_meta_get(p, KILN_META_COMMAND);
    if (cmd) {
        kiln_buf_addstr(&s.b, "cmd: ");
        for (const char *c = cmd; *c; c++)
            kiln_buf_addch(&s.b, (unsigned char)*c < 0x20 ? ' ' : *c);
        kiln_buf_addch(&s.b, '\n');
    }
    kiln_buf_addstr(&s.b, "positions: line\nevents:");
    for (int t = 0; t < ntypes; t++) {
        const char *unit;
        s.scale[t] = ki_int_scale(p, given ? gtype : t, &unit);
        const char *name = kiln_profile_sample_type_name(p, given ? gtype : t);
        kiln_buf_addch(&s.b, ' ');
        if (!*name || (*name >= '0' && *name <= '9'))
            kiln_buf_addch(&s.b, 'E');
        for (const char *c = name; *c; c++) {
            char ch = *c;
            int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
            kiln_buf_addch(&s.b, ok ? ch : '_');
        }
    }
    kiln_buf_addch(&s.b, '\n');
    for (int t = 0; t < ntypes; t++) {
        const char *unit;
        ki_int_scale(p, given ? gtype : t, &unit);
        kiln_buf_printf(&s.b, "# event %d is in %s\n", t + 1, unit);
    }
    kiln_buf_addch(&s.b, '\n');

    size_t ei = 0;
    for (kiln_frame_id f = 0; f < nframes; f++) {
        while (ei < nedges && edges[ei].caller < f)
            ei++;
        int has_edges = ei < nedges && edges[ei].caller == f;
        if (!seen[f] && !has_edges)
            continue;
        const kiln_frame *fr = kiln_profile_frame_get(p, f);
        put_file(&s, "fl=", fr);
        put_fn(&s, "fn=", f);
        put_costs(&s, fr->line, given ? &self[f] : &self[(size_t)f * ntypes]);
        for (; ei < nedges && edges[ei].caller == f; ei++) {
            const kiln_frame *cf = kiln_profile_frame_get(p, edges[ei].callee);
            kiln_str cfile = cf->file ? cf->file : cf->module;
            kiln_str ffile = fr->file ? fr->file : fr->module;
            if (cfile != ffile)
                put_file(&s, "cfi=", cf);
            put_fn(&s, "cfn=", edges[ei].callee);
            kiln_buf_printf(&s.b, "calls=%llu %u\n", (unsigned long long)edges[ei].calls, cf->line);
            put_costs(&s, fr->line, edges[ei].cost);
        }
        kiln_buf_addch(&s.b, '\n');
        if (flush(&s, 0) < 0)
            goto io;
    }
    if (flush(&s, 1) < 0)
        goto io;
    st = KILN_OK;
    goto done;
io:
    st = s.b.failed ? KILN_ERR_NOMEM : kiln_error_set(err, KILN_ERR_WRITE, "write failed");
done:
    if (st == KILN_ERR_NOMEM)
        kiln_error_set(err, st, "out of memory");
    kiln_buf_release(&s.b);
    free(s.fl_id);
    free(s.fn_id);
    free(self);
    free(seen);
    free(edges);
    ki_map_release(&m);
    return st;
}
