/* Merging profiles (kiln/merge.h). Owner: helper "interchange". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/buf.h"
#include "kiln/merge.h"

typedef struct gfunc {   /* one input function, in the output's frame ids */
    kiln_frame_id frame;
    int entry;           /* a pstats entry (not only named as a caller) */
    const kiln_func *f;
    double scale;
} gfunc;

typedef struct gedge {
    kiln_frame_id caller, callee;
    const kiln_edge *e;
    double scale;
} gedge;

static int cmp_frame(const kiln_profile *g_out, kiln_frame_id a, kiln_frame_id b)
{
    if (a == b)
        return 0;
    const kiln_frame *x = kiln_profile_frame_get(g_out, a), *y = kiln_profile_frame_get(g_out, b);
    int c = strcmp(kiln_profile_str(g_out, x->file, NULL), kiln_profile_str(g_out, y->file, NULL));
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    c = strcmp(kiln_profile_str(g_out, x->name, NULL), kiln_profile_str(g_out, y->name, NULL));
    if (c)
        return c;
    c = strcmp(kiln_profile_str(g_out, x->module, NULL), kiln_profile_str(g_out, y->module, NULL));
    if (c)
        return c;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->address < y->address ? -1 : x->address > y->address;
}

static int cmp_gfunc(const void *a, const void *b, void *ctx)
{
    const gfunc *x = a, *y = b;
    if (x->entry != y->entry)
        return x->entry ? -1 : 1; /* stats entries first, like the importer */
    return cmp_frame(ctx, x->frame, y->frame);
}

static int cmp_gedge(const void *a, const void *b, void *ctx)
{
    const gedge *x = a, *y = b;
    int c = cmp_frame(ctx, x->caller, y->caller);
    return c ? c : cmp_frame(ctx, x->callee, y->callee);
}

static kiln_str copy_str(kiln_profile *out, const kiln_profile *in, kiln_str s)
{
    if (s == 0)
        return 0;
    size_t n;
    const char *t = kiln_profile_str(in, s, &n);
    return kiln_profile_intern(out, t, n);
}

/* Output frame ids for every frame of in; NULL on OOM/limit. */
static kiln_frame_id *map_frames(kiln_profile *out, const kiln_profile *in)
{
    uint32_t n = kiln_profile_frame_count(in);
    kiln_frame_id *m = malloc((n ? n : 1) * sizeof *m);
    if (!m)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        kiln_frame f = *kiln_profile_frame_get(in, i);
        f.name = copy_str(out, in, f.name);
        f.file = copy_str(out, in, f.file);
        f.module = copy_str(out, in, f.module);
        m[i] = f.name == KILN_NONE || f.file == KILN_NONE || f.module == KILN_NONE ? KILN_NONE
                                                                                    : kiln_profile_frame(out, &f);
        if (m[i] == KILN_NONE) {
            free(m);
            return NULL;
        }
    }
    return m;
}

/* Number of "input.K." groups of a merged profile (0 when it is not one). */
static uint32_t sub_inputs(const kiln_profile *p)
{
    const char *fmt = kiln_profile_meta_get(p, KILN_META_FORMAT);
    if (!fmt || strcmp(fmt, "merge") != 0)
        return 0;
    uint32_t max = 0;
    for (uint32_t i = 0; i < kiln_profile_meta_count(p); i++) {
        const char *k, *v;
        kiln_profile_meta_at(p, i, &k, &v);
        unsigned idx;
        int used = 0;
        if (sscanf(k, "input.%u.%n", &idx, &used) == 1 && used && idx + 1 > max)
            max = idx + 1;
    }
    return max;
}

static kiln_status merge_meta(kiln_profile *out, const kiln_profile *const *in, size_t n)
{
    kiln_buf key = KILN_BUF_INIT;
    uint32_t base = 0;
    kiln_status st = KILN_OK;
    for (size_t i = 0; i < n && st == KILN_OK; i++) {
        uint32_t subs = sub_inputs(in[i]);
        for (uint32_t j = 0; j < kiln_profile_meta_count(in[i]) && st == KILN_OK; j++) {
            const char *k, *v;
            kiln_profile_meta_at(in[i], j, &k, &v);
            kiln_buf_reset(&key);
            unsigned idx;
            int used = 0;
            if (subs) {
                if (sscanf(k, "input.%u.%n", &idx, &used) != 1 || !used)
                    continue; /* a merge's own summary keys are recomputed */
                kiln_buf_printf(&key, "input.%u.%s", base + idx, k + used);
            } else {
                kiln_buf_printf(&key, "input.%u.%s", base, k);
            }
            st = key.failed ? KILN_ERR_NOMEM : kiln_profile_meta_set(out, key.data, v);
        }
        base += subs ? subs : 1;
    }
    /* keys every input agrees on are kept as they are */
    for (uint32_t j = 0; st == KILN_OK && j < kiln_profile_meta_count(out); j++) {
        const char *k, *v;
        kiln_profile_meta_at(out, j, &k, &v);
        if (strncmp(k, "input.0.", 8) != 0)
            break;
        const char *name = k + 8;
        if (strcmp(name, KILN_META_FORMAT) == 0 || strcmp(name, "pstats_entries") == 0)
            continue;
        int same = 1;
        for (uint32_t m = 1; m < base && same; m++) {
            kiln_buf_reset(&key);
            kiln_buf_printf(&key, "input.%u.%s", m, name);
            const char *o = key.failed ? NULL : kiln_profile_meta_get(out, key.data);
            same = o && strcmp(o, v) == 0;
        }
        if (same) {
            char *copy = strdup(name), *val = strdup(v);
            st = copy && val ? kiln_profile_meta_set(out, copy, val) : KILN_ERR_NOMEM;
            free(copy);
            free(val);
        }
    }
    kiln_buf_release(&key);
    if (st == KILN_OK)
        st = kiln_profile_meta_set(out, KILN_META_FORMAT, "merge");
    return st;
}

static kiln_status merge_graphs(kiln_profile *out, const kiln_profile *const *in, size_t n,
                                kiln_frame_id **fmap, double (*scale)[KILN_MAX_SAMPLE_TYPES])
{
    size_t nf = 0, ne = 0;
    for (size_t i = 0; i < n; i++) {
        nf += kiln_profile_func_count(in[i]);
        ne += kiln_profile_edge_count(in[i]);
    }
    gfunc *fs = malloc((nf ? nf : 1) * sizeof *fs);
    gedge *es = malloc((ne ? ne : 1) * sizeof *es);
    kiln_status st = KILN_ERR_NOMEM;
    if (!fs || !es)
        goto done;
    nf = ne = 0;
    for (size_t i = 0; i < n; i++) {
        const char *m = kiln_profile_meta_get(in[i], "pstats_entries");
        uint32_t entries = m ? (uint32_t)strtoul(m, NULL, 10) : kiln_profile_func_count(in[i]);
        int gt = kiln_profile_graph_type(in[i]);
        for (uint32_t k = 0; k < kiln_profile_func_count(in[i]); k++) {
            const kiln_func *f = kiln_profile_func_at(in[i], k);
            fs[nf++] = (gfunc){fmap[i][f->frame], k < entries, f, scale[i][gt]};
        }
        for (uint32_t k = 0; k < kiln_profile_edge_count(in[i]); k++) {
            const kiln_edge *e = kiln_profile_edge_at(in[i], k);
            es[ne++] = (gedge){fmap[i][kiln_profile_func_at(in[i], e->caller)->frame],
                               fmap[i][kiln_profile_func_at(in[i], e->callee)->frame], e, scale[i][gt]};
        }
    }
    qsort_r(fs, nf, sizeof *fs, cmp_gfunc, out);
    qsort_r(es, ne, sizeof *es, cmp_gedge, out);
    uint32_t entries = 0;
    for (size_t k = 0; k < nf; k++) {
        kiln_func_id id = kiln_profile_find_func(out, fs[k].frame);
        if (id == KILN_NONE) {
            id = kiln_profile_func(out, fs[k].frame);
            if (id == KILN_NONE)
                goto done;
            entries += fs[k].entry;
        }
        kiln_func *o = kiln_profile_func_get(out, id);
        o->calls += fs[k].f->calls;
        o->prim_calls += fs[k].f->prim_calls;
        o->self += fs[k].f->self * fs[k].scale;
        o->total += fs[k].f->total * fs[k].scale;
    }
    for (size_t k = 0; k < ne; k++) {
        kiln_func_id a = kiln_profile_func(out, es[k].caller), b = kiln_profile_func(out, es[k].callee);
        kiln_edge *o = a == KILN_NONE || b == KILN_NONE ? NULL : kiln_profile_edge(out, a, b);
        if (!o)
            goto done;
        o->calls += es[k].e->calls;
        o->prim_calls += es[k].e->prim_calls;
        o->self += es[k].e->self * es[k].scale;
        o->total += es[k].e->total * es[k].scale;
    }
    char num[32];
    snprintf(num, sizeof num, "%u", entries);
    st = kiln_profile_meta_set(out, "pstats_entries", num);
done:
    free(fs);
    free(es);
    return st;
}

static kiln_status merge_tree(kiln_profile *out, const kiln_profile *in, const kiln_frame_id *fmap,
                              const int *tmap, const double *scale)
{
    uint32_t nn = kiln_profile_node_count(in);
    kiln_node_id *nmap = malloc((nn ? nn : 1) * sizeof *nmap);
    if (!nmap)
        return KILN_ERR_NOMEM;
    nmap[0] = KILN_ROOT;
    int nt = kiln_profile_sample_type_count(in);
    for (kiln_node_id n = 1; n < nn; n++) { /* parents have smaller ids */
        nmap[n] = kiln_profile_child(out, nmap[kiln_profile_node_parent(in, n)],
                                     fmap[kiln_profile_node_frame(in, n)]);
        if (nmap[n] == KILN_NONE) {
            free(nmap);
            return KILN_ERR_LIMIT;
        }
        for (int t = 0; t < nt; t++) {
            double v = kiln_profile_node_self(in, n, t);
            if (v != 0)
                kiln_profile_add_self(out, nmap[n], tmap[t], v * scale[t]);
        }
        uint64_t c = kiln_profile_node_calls(in, n);
        if (c)
            kiln_profile_add_node_calls(out, nmap[n], c);
    }
    free(nmap);
    return KILN_OK;
}

kiln_status kiln_merge(const kiln_profile *const *in, size_t n, unsigned flags, kiln_profile **outp,
                       kiln_error *err)
{
    *outp = NULL;
    if (n == 0)
        return kiln_error_set(err, KILN_ERR_USAGE, "nothing to merge");
    kiln_profile *out = kiln_profile_new();
    int (*tmap)[KILN_MAX_SAMPLE_TYPES] = calloc(n, sizeof *tmap);
    double (*scale)[KILN_MAX_SAMPLE_TYPES] = calloc(n, sizeof *scale);
    kiln_frame_id **fmap = calloc(n, sizeof *fmap);
    kiln_status st = KILN_ERR_NOMEM;
    if (!out || !tmap || !scale || !fmap)
        goto fail;

    /* sample types: the union by name */
    for (size_t i = 0; i < n; i++) {
        for (int t = 0; t < kiln_profile_sample_type_count(in[i]); t++) {
            const char *name = kiln_profile_sample_type_name(in[i], t);
            int o = kiln_profile_sample_type_find(out, name);
            if (o < 0)
                o = kiln_profile_add_sample_type(out, name, kiln_profile_sample_type_unit(in[i], t));
            if (o < 0) {
                st = kiln_error_set(err, KILN_ERR_LIMIT, "the inputs have more than %d sample types",
                                    KILN_MAX_SAMPLE_TYPES);
                goto fail;
            }
            tmap[i][t] = o;
            scale[i][t] = 1;
        }
    }
    if (flags & KILN_MERGE_SCALE) {
        for (int o = 0; o < kiln_profile_sample_type_count(out); o++) {
            double sum = 0;
            size_t have = 0;
            for (size_t i = 0; i < n; i++)
                for (int t = 0; t < kiln_profile_sample_type_count(in[i]); t++)
                    if (tmap[i][t] == o && kiln_profile_total(in[i], t) != 0) {
                        sum += kiln_profile_total(in[i], t);
                        have++;
                    }
            for (size_t i = 0; i < n; i++)
                for (int t = 0; t < kiln_profile_sample_type_count(in[i]); t++)
                    if (tmap[i][t] == o && kiln_profile_total(in[i], t) != 0)
                        scale[i][t] = sum / (double)have / kiln_profile_total(in[i], t);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!(fmap[i] = map_frames(out, in[i]))) {
            st = kiln_error_set(err, KILN_ERR_LIMIT, "too many distinct frames (or out of memory)");
            goto fail;
        }

    int all_given = 1;
    for (size_t i = 0; i < n; i++)
        all_given &= kiln_profile_graph_given(in[i]);
    if (all_given) {
        /* the tree is reconstructed from the merged graph by finish */
        kiln_profile_set_graph_given(out, 1);
        kiln_profile_set_graph_type(out, tmap[0][kiln_profile_graph_type(in[0])]);
        if ((st = merge_graphs(out, in, n, fmap, scale)) != KILN_OK) {
            kiln_error_set(err, st, "out of memory");
            goto fail;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            if ((st = merge_tree(out, in[i], fmap[i], tmap[i], scale[i])) != KILN_OK) {
                kiln_error_set(err, st, st == KILN_ERR_LIMIT ? "more than %u tree nodes" : "out of memory",
                               KILN_MAX_NODES);
                goto fail;
            }
    }
    for (size_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < kiln_profile_mapping_count(in[i]); k++) {
            kiln_mapping m = *kiln_profile_mapping_at(in[i], k);
            m.path = copy_str(out, in[i], m.path);
            m.build_id = copy_str(out, in[i], m.build_id);
            int dup = 0;
            for (uint32_t j = 0; j < kiln_profile_mapping_count(out) && !dup; j++) {
                const kiln_mapping *o = kiln_profile_mapping_at(out, j);
                dup = o->start == m.start && o->end == m.end && o->offset == m.offset && o->path == m.path &&
                      o->build_id == m.build_id;
            }
            if (!dup && (st = kiln_profile_add_mapping(out, &m)) != KILN_OK) {
                kiln_error_set(err, st, "out of memory");
                goto fail;
            }
        }
    if ((st = merge_meta(out, in, n)) != KILN_OK) {
        kiln_error_set(err, st, "out of memory");
        goto fail;
    }
    if ((st = kiln_profile_finish(out, err)) != KILN_OK)
        goto fail;
    for (size_t i = 0; i < n; i++)
        free(fmap[i]);
    free(fmap);
    free(tmap);
    free(scale);
    *outp = out;
    return KILN_OK;
fail:
    if (st == KILN_ERR_NOMEM)
        kiln_error_set(err, st, "out of memory");
    for (size_t i = 0; fmap && i < n; i++)
        free(fmap[i]);
    free(fmap);
    free(tmap);
    free(scale);
    kiln_profile_free(out);
    return st;
}
