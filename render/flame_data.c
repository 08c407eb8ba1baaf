/* The flame graph's embedded data: a pre-order node table plus a string
 * table, laid out for typed arrays (format in flame_data.h). */
#include "flame_data.h"

#include "kiln/flame.h"
#include "md_escape.h"
#include "stable_sort.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void put_u32(kiln_buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    kiln_buf_add(b, c, 4);
}

static void put_f64(kiln_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put_u32(b, (uint32_t)u);
    put_u32(b, (uint32_t)(u >> 32));
}

static void pad8(kiln_buf *b)
{
    while (b->len % 8)
        kiln_buf_addch(b, 0);
}

void ki_flame_sanitize(kiln_buf *b, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned cp;
        size_t n = ki_md_utf8_decode(u + i, len - i, &cp);  /* invalid byte: U+FFFD, n = 1 */
        if (cp < 0x20)
            ki_md_utf8_encode(b, 0x2400 + cp);
        else if (cp == 0x7f)
            ki_md_utf8_encode(b, 0x2421);
        else if (cp == 0xfffd)
            ki_md_utf8_encode(b, 0xfffd);
        else
            kiln_buf_add(b, u + i, n);
        i += n;
    }
}

/* Local string table: only the strings frames refer to, id 0 = "". */
typedef struct strtab {
    uint32_t *local;   /* profile string id -> local id, or UINT32_MAX */
    uint32_t n;
    kiln_buf offsets;  /* u32 each */
    kiln_buf bytes;
} strtab;

static uint32_t strtab_add(strtab *t, const kiln_profile *p, kiln_str id)
{
    if (id >= kiln_profile_str_count(p))
        id = 0;
    if (t->local[id] != UINT32_MAX)
        return t->local[id];
    size_t len;
    const char *s = kiln_profile_str(p, id, &len);
    ki_flame_sanitize(&t->bytes, s, len);
    put_u32(&t->offsets, (uint32_t)t->bytes.len);
    t->local[id] = t->n;
    return t->n++;
}

/* Samples out of time order (perf script --no-sort ...) are sorted by time;
 * samples with equal times keep the input order. */
static int by_time(const void *x, const void *y, void *ctx)
{
    (void)ctx;
    double a = ((const kiln_timed_sample *)x)->t, b = ((const kiln_timed_sample *)y)->t;
    return (a > b) - (a < b);
}

kiln_status ki_flame_encode(const kiln_profile *p, int type, int base_type, const uint32_t *marks,
                            kiln_buf *blob, kiln_error *err)
{
    uint32_t nstr_all = kiln_profile_str_count(p);
    uint32_t nframes = kiln_profile_frame_count(p);
    uint32_t nnodes = kiln_profile_node_count(p);
    kiln_status st = KILN_OK;
    strtab t = {0};
    uint32_t *fcols = NULL, *order = NULL, *depth = NULL, *pre = NULL;
    kiln_timed_sample *tl = NULL;
    int has_calls = 0;

    if (nnodes == 0)
        return kiln_error_set(err, KILN_ERR_DATA, "the profile has no call tree");
    t.local = malloc((size_t)(nstr_all ? nstr_all : 1) * sizeof *t.local);
    fcols = malloc((size_t)(nframes ? nframes : 1) * 4 * sizeof *fcols);
    order = malloc((size_t)nnodes * sizeof *order);
    depth = malloc((size_t)nnodes * sizeof *depth);
    if (!t.local || !fcols || !order || !depth) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory encoding the flame graph");
        goto out;
    }
    memset(t.local, 0xff, (size_t)(nstr_all ? nstr_all : 1) * sizeof *t.local);
    kiln_buf_init(&t.offsets);
    kiln_buf_init(&t.bytes);
    put_u32(&t.offsets, 0);
    strtab_add(&t, p, 0);
    for (uint32_t f = 0; f < nframes; f++) {
        const kiln_frame *fr = kiln_profile_frame_get(p, f);
        fcols[4 * f + 0] = strtab_add(&t, p, fr->name);
        fcols[4 * f + 1] = strtab_add(&t, p, fr->file);
        fcols[4 * f + 2] = strtab_add(&t, p, fr->module);
        fcols[4 * f + 3] = fr->line;
    }

    /* Pre-order with depths; children in insertion order (the page sorts). */
    kiln_tree_iter it;
    kiln_node_id n;
    kiln_event ev;
    uint32_t cnt = 0, d = 0;
    kiln_tree_iter_init(&it, p, KILN_ROOT);
    while ((ev = kiln_tree_iter_next(&it, &n)) != KILN_EVENT_DONE && ev != KILN_EVENT_NONE) {
        if (ev == KILN_EVENT_ENTER) {
            if (cnt >= nnodes) {
                st = kiln_error_set(err, KILN_ERR_INTERNAL, "tree walk visits more nodes than exist");
                goto out;
            }
            order[cnt] = n;
            depth[cnt++] = d++;
            if (kiln_profile_node_calls(p, n))
                has_calls = 1;
        } else {
            d--;
        }
    }

    /* The timeline (single profiles only), in time order, nodes renumbered
     * to pre-order. */
    size_t tl_n = base_type < 0 ? kiln_profile_timeline_count(p) : 0;
    if (tl_n) {
        tl = malloc(tl_n * sizeof *tl);
        pre = malloc((size_t)nnodes * sizeof *pre);
        if (!tl || !pre) {
            st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory encoding the flame graph");
            goto out;
        }
        memcpy(tl, kiln_profile_timeline(p), tl_n * sizeof *tl);
        for (uint32_t i = 0; i < cnt; i++)
            pre[order[i]] = i;
        int sorted = 1;
        for (size_t i = 1; i < tl_n && sorted; i++)
            sorted = tl[i - 1].t <= tl[i].t;
        if (!sorted && ki_stable_sort(tl, tl_n, sizeof *tl, by_time, NULL) != 0) {
            st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory encoding the flame graph");
            goto out;
        }
    }
    /* Reserve everything once: the rest is appends of 4 and 8 bytes. */
    size_t need = 64 + 4 * ((size_t)t.n + 1) + t.bytes.len + 32 + 32 * (size_t)nframes +
                  (size_t)cnt * (8 + 8 * (2 + (base_type >= 0) + has_calls)) + 16 + 12 * tl_n;
    if (kiln_buf_grow(blob, need) != 0) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory encoding the flame graph");
        goto out;
    }
    put_u32(blob, KI_FLAME_MAGIC);
    put_u32(blob, 1);
    put_u32(blob, t.n);
    put_u32(blob, (uint32_t)t.bytes.len);
    put_u32(blob, nframes);
    put_u32(blob, cnt);
    put_u32(blob, (base_type >= 0 ? 1u : 0u) | (has_calls ? 2u : 0u) | (tl_n ? 4u : 0u));
    put_u32(blob, (uint32_t)tl_n);
    for (int i = 8; i < 16; i++)
        put_u32(blob, 0);
    kiln_buf_add(blob, t.offsets.data, t.offsets.len);
    pad8(blob);
    kiln_buf_add(blob, t.bytes.data ? t.bytes.data : "", t.bytes.len);
    pad8(blob);
    for (int c = 0; c < 4; c++)
        for (uint32_t f = 0; f < nframes; f++)
            put_u32(blob, fcols[4 * f + c]);
    for (uint32_t f = 0; f < nframes; f++)
        put_u32(blob, kiln_profile_frame_get(p, f)->kind);
    for (uint32_t f = 0; f < nframes; f++)
        put_u32(blob, marks ? marks[f] : 0);
    pad8(blob);
    for (uint32_t f = 0; f < nframes; f++) {
        kiln_func_id fn = kiln_profile_find_func(p, f);
        const kiln_func *fu = fn == KILN_NONE ? NULL : kiln_profile_func_at(p, fn);
        put_f64(blob, fu && fu->calls > 0 ? (double)fu->calls : 0.0);
    }
    for (uint32_t i = 0; i < cnt; i++)
        put_u32(blob, depth[i]);
    for (uint32_t i = 0; i < cnt; i++) {
        kiln_frame_id f = kiln_profile_node_frame(p, order[i]);
        put_u32(blob, f == KILN_NONE || f >= nframes ? UINT32_MAX : f);
    }
    pad8(blob);
    for (uint32_t i = 0; i < cnt; i++)
        put_f64(blob, kiln_profile_node_self(p, order[i], type));
    if (base_type >= 0)
        for (uint32_t i = 0; i < cnt; i++)
            put_f64(blob, kiln_profile_node_self(p, order[i], base_type));
    if (has_calls)
        for (uint32_t i = 0; i < cnt; i++)
            put_f64(blob, (double)kiln_profile_node_calls(p, order[i]));
    if (tl_n) {
        pad8(blob);
        put_f64(blob, tl[0].t);
        for (size_t i = 0; i < tl_n; i++) {
            double us = i ? (tl[i].t - tl[i - 1].t) * 1e6 : 0;
            put_u32(blob, us >= 4294967295.0 ? UINT32_MAX : (uint32_t)(us + 0.5));
        }
        for (size_t i = 0; i < tl_n; i++)
            put_u32(blob, tl[i].node < nnodes ? pre[tl[i].node] : 0);
        for (size_t i = 0; i < tl_n; i++) {
            uint32_t u;
            /* the timeline holds type 0's value; other types count samples */
            float v = type != 0 ? 1.0f : tl[i].value > 0 ? tl[i].value : 0;
            memcpy(&u, &v, 4);
            put_u32(blob, u);
        }
    }
    if (blob->failed || t.bytes.failed || t.offsets.failed)
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory encoding the flame graph");
out:
    free(tl);
    free(pre);
    kiln_buf_release(&t.offsets);
    kiln_buf_release(&t.bytes);
    free(t.local);
    free(fcols);
    free(order);
    free(depth);
    return st;
}

static kiln_str copy_str(kiln_profile *dst, const kiln_profile *src, kiln_str id)
{
    size_t len;
    const char *s = kiln_profile_str(src, id, &len);
    return kiln_profile_intern(dst, s, len);
}

/* Adds src's tree into u with values of src_type going to u's type u_type. */
static kiln_status merge_into(kiln_profile *u, const kiln_profile *src, int src_type, int u_type,
                              kiln_error *err)
{
    uint32_t nframes = kiln_profile_frame_count(src), nnodes = kiln_profile_node_count(src);
    kiln_frame_id *fmap = malloc((size_t)(nframes ? nframes : 1) * sizeof *fmap);
    kiln_node_id *nmap = malloc((size_t)(nnodes ? nnodes : 1) * sizeof *nmap);
    kiln_status st = KILN_OK;
    if (!fmap || !nmap) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory building the diff");
        goto out;
    }
    for (uint32_t f = 0; f < nframes; f++) {
        const kiln_frame *sf = kiln_profile_frame_get(src, f);
        /* Matched by name, file and module: line and address change
         * between two builds of the same function. */
        kiln_frame uf = {0};
        uf.name = copy_str(u, src, sf->name);
        uf.file = copy_str(u, src, sf->file);
        uf.module = copy_str(u, src, sf->module);
        uf.kind = sf->kind;
        fmap[f] = kiln_profile_frame(u, &uf);
        if (uf.name == KILN_NONE || fmap[f] == KILN_NONE) {
            st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory building the diff");
            goto out;
        }
    }
    /* Parents have smaller ids than children, so one pass in id order
     * finds every parent already mapped. */
    nmap[0] = KILN_ROOT;
    for (kiln_node_id n = 1; n < nnodes; n++) {
        kiln_node_id par = kiln_profile_node_parent(src, n);
        kiln_frame_id f = kiln_profile_node_frame(src, n);
        if (par >= n || f >= nframes) {
            st = kiln_error_set(err, KILN_ERR_INTERNAL, "node %u breaks the tree order", n);
            goto out;
        }
        nmap[n] = kiln_profile_child(u, nmap[par], fmap[f]);
        if (nmap[n] == KILN_NONE) {
            st = kiln_error_set(err, KILN_ERR_LIMIT, "the union of both trees exceeds the node cap");
            goto out;
        }
    }
    for (kiln_node_id n = 0; n < nnodes; n++) {
        double v = kiln_profile_node_self(src, n, src_type);
        if (v != 0)
            kiln_profile_add_self(u, nmap[n], u_type, v);
    }
out:
    free(fmap);
    free(nmap);
    return st;
}

kiln_status ki_flame_union(const kiln_profile *base, int base_type, const kiln_profile *cur,
                           int cur_type, kiln_profile **out, kiln_error *err)
{
    kiln_status st;
    kiln_profile *u = kiln_profile_new();
    *out = NULL;
    if (!u)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory building the diff");
    kiln_profile_add_sample_type(u, "base", kiln_profile_sample_type_unit(base, base_type));
    kiln_profile_add_sample_type(u, "new", kiln_profile_sample_type_unit(cur, cur_type));
    if ((st = merge_into(u, base, base_type, 0, err)) != KILN_OK ||
        (st = merge_into(u, cur, cur_type, 1, err)) != KILN_OK ||
        (st = kiln_profile_finish(u, err)) != KILN_OK) {
        kiln_profile_free(u);
        return st;
    }
    *out = u;
    return KILN_OK;
}

kiln_status kiln_flame_merge(const kiln_profile *const *ps, size_t n, int type, kiln_profile **out,
                             kiln_error *err)
{
    *out = NULL;
    if (n == 0 || type < 0 || type >= kiln_profile_sample_type_count(ps[0]))
        return kiln_error_set(err, KILN_ERR_USAGE, "nothing to merge");
    const char *name = kiln_profile_sample_type_name(ps[0], type);
    kiln_profile *u = kiln_profile_new();
    if (!u)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory merging profiles");
    kiln_profile_add_sample_type(u, name, kiln_profile_sample_type_unit(ps[0], type));
    kiln_status st = KILN_OK;
    for (size_t i = 0; i < n && st == KILN_OK; i++) {
        int t = kiln_profile_sample_type_find(ps[i], name);
        st = merge_into(u, ps[i], t >= 0 ? t : 0, 0, err);
    }
    for (size_t i = 0; i < n && st == KILN_OK; i++)
        for (uint32_t k = 0; k < kiln_profile_meta_count(ps[i]); k++) {
            const char *key, *value;
            kiln_profile_meta_at(ps[i], k, &key, &value);
            if (!kiln_profile_meta_get(u, key))
                kiln_profile_meta_set(u, key, value);
        }
    if (st == KILN_OK)
        st = kiln_profile_finish(u, err);
    if (st != KILN_OK) {
        kiln_profile_free(u);
        return st;
    }
    *out = u;
    return KILN_OK;
}
