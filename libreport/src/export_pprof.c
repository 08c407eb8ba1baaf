/* pprof export (kiln/export.h): profile.proto, gzip-compressed.
 * Owner: helper "interchange".
 *
 * Mapping of the model: every frame becomes one Function and one Location
 * (ids = frame id + 1), every distinct module one Mapping; every tree node
 * with a non-zero self value becomes one Sample whose location_ids run from
 * that node (leaf, index 0) up to the root. Sample types keep their names;
 * values are integers (seconds are written as nanoseconds, see
 * export_units.h). Metadata goes into `comment` as "kiln:key=value", which
 * the pprof importer reads back; the sampling period into period_type/period. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "export_units.h"
#include "hash.h"
#include "kiln/export.h"
#include "pb.h"

typedef struct strtab {
    kiln_buf table;       /* the encoded string_table fields */
    kiln_buf bytes;       /* every string, for comparing candidates */
    size_t *off;
    uint32_t *len;
    uint32_t n, cap;
    ki_map map;
    uint32_t *by_kstr;    /* kiln_str -> index, KI_MAP_EMPTY = not yet */
    uint32_t nkstr;
} strtab;

static int64_t st_add(strtab *t, const char *s, size_t n)
{
    uint64_t h = ki_hash_bytes(s, n);
    if (ki_map_reserve(&t->map) < 0)
        return -1;
    ki_probe pr = ki_map_probe(&t->map, h);
    for (;; ki_map_next(&t->map, &pr)) {
        uint32_t id = ki_map_get(&t->map, &pr);
        if (id == KI_MAP_EMPTY)
            break;
        if (t->len[id] == n && memcmp(t->bytes.data + t->off[id], s, n) == 0)
            return id;
    }
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 256;
        size_t *o = realloc(t->off, cap * sizeof *o);
        if (!o)
            return -1;
        t->off = o;
        uint32_t *l = realloc(t->len, cap * sizeof *l);
        if (!l)
            return -1;
        t->len = l;
        t->cap = cap;
    }
    t->off[t->n] = t->bytes.len;
    t->len[t->n] = (uint32_t)n;
    kiln_buf_add(&t->bytes, s, n);
    ki_pb_bytes(&t->table, 6, s, n);
    if (t->bytes.failed || t->table.failed)
        return -1;
    ki_map_put(&t->map, &pr, t->n);
    return t->n++;
}

static int64_t st_cstr(strtab *t, const char *s)
{
    return st_add(t, s ? s : "", s ? strlen(s) : 0);
}

static int64_t st_kstr(strtab *t, const kiln_profile *p, kiln_str id)
{
    if (id >= t->nkstr)
        return 0;
    if (t->by_kstr[id] == KI_MAP_EMPTY) {
        size_t n;
        const char *s = kiln_profile_str(p, id, &n);
        int64_t i = st_add(t, s, n);
        if (i < 0)
            return -1;
        t->by_kstr[id] = (uint32_t)i;
    }
    return t->by_kstr[id];
}

static void st_release(strtab *t)
{
    kiln_buf_release(&t->table);
    kiln_buf_release(&t->bytes);
    free(t->off);
    free(t->len);
    free(t->by_kstr);
    ki_map_release(&t->map);
}

/* Seconds since the epoch of an ISO 8601 UTC timestamp, or 0. */
static int64_t parse_timestamp(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    time_t t = timegm(&tm);
    return t > 0 ? (int64_t)t : 0;
}

kiln_status ki_pprof_encode(const kiln_profile *p, kiln_buf *out, kiln_error *err);

/* Builds the uncompressed Profile message into out. */
kiln_status ki_pprof_encode(const kiln_profile *p, kiln_buf *out, kiln_error *err)
{
    int ntypes = kiln_profile_sample_type_count(p);
    if (ntypes <= 0)
        return kiln_error_set(err, KILN_ERR_USAGE, "the profile has no sample types");
    strtab t;
    memset(&t, 0, sizeof t);
    ki_map_init(&t.map);
    kiln_buf msg = KILN_BUF_INIT, sub = KILN_BUF_INIT, sub2 = KILN_BUF_INIT, scratch = KILN_BUF_INIT;
    uint32_t nframes = kiln_profile_frame_count(p), nnodes = kiln_profile_node_count(p);
    t.nkstr = kiln_profile_str_count(p);
    t.by_kstr = malloc((t.nkstr ? t.nkstr : 1) * sizeof *t.by_kstr);
    uint32_t *map_of_module = malloc((t.nkstr ? t.nkstr : 1) * sizeof *map_of_module);
    uint64_t *locs = malloc((size_t)(kiln_profile_node_count(p) + 1) * sizeof *locs);
    int64_t vals[KILN_MAX_SAMPLE_TYPES];
    double scale[KILN_MAX_SAMPLE_TYPES];
    kiln_status st = KILN_ERR_NOMEM;
    if (!t.by_kstr || !map_of_module || !locs)
        goto done;
    memset(t.by_kstr, 0xff, (t.nkstr ? t.nkstr : 1) * sizeof *t.by_kstr);
    memset(map_of_module, 0, (t.nkstr ? t.nkstr : 1) * sizeof *map_of_module);
    if (st_add(&t, "", 0) != 0)
        goto done;

    /* sample types */
    for (int i = 0; i < ntypes; i++) {
        const char *unit;
        scale[i] = ki_int_scale(p, i, &unit);
        kiln_buf_reset(&sub);
        ki_pb_int(&sub, 1, st_cstr(&t, kiln_profile_sample_type_name(p, i)));
        ki_pb_int(&sub, 2, st_cstr(&t, unit));
        ki_pb_bytes(&msg, 1, sub.data, sub.len);
    }

    /* go tool pprof shows the last type unless told: show the first */
    ki_pb_int(&msg, 14, st_cstr(&t, kiln_profile_sample_type_name(p, 0)));

    /* samples: every node with a self value, leaf first */
    for (kiln_node_id n = 1; n < nnodes; n++) {
        int any = 0;
        for (int i = 0; i < ntypes; i++) {
            vals[i] = ki_int_value(kiln_profile_node_self(p, n, i), scale[i]);
            any |= vals[i] != 0;
        }
        if (!any)
            continue;
        size_t depth = 0;
        for (kiln_node_id m = n; m != KILN_ROOT && m != KILN_NONE; m = kiln_profile_node_parent(p, m))
            locs[depth++] = (uint64_t)kiln_profile_node_frame(p, m) + 1;
        kiln_buf_reset(&sub);
        ki_pb_packed_u64(&sub, 1, locs, depth, &scratch);
        ki_pb_packed_i64(&sub, 2, vals, (size_t)ntypes, &scratch);
        ki_pb_bytes(&msg, 2, sub.data, sub.len);
        if (msg.failed)
            goto done;
    }

    /* mappings: one per module named by a frame, with the memory map's
     * addresses and build-id when the profile has one for that path */
    uint32_t nmaps = 0;
    for (kiln_frame_id f = 0; f < nframes; f++) {
        const kiln_frame *fr = kiln_profile_frame_get(p, f);
        if (!fr->module || fr->module >= t.nkstr || map_of_module[fr->module])
            continue;
        map_of_module[fr->module] = ++nmaps;
        const kiln_mapping *mm = NULL;
        const char *path = kiln_profile_str(p, fr->module, NULL);
        for (uint32_t i = 0; i < kiln_profile_mapping_count(p) && !mm; i++) {
            const kiln_mapping *c = kiln_profile_mapping_at(p, i);
            if (strcmp(kiln_profile_str(p, c->path, NULL), path) == 0)
                mm = c;
        }
        kiln_buf_reset(&sub);
        ki_pb_uint(&sub, 1, nmaps);
        if (mm) {
            ki_pb_uint(&sub, 2, mm->start);
            ki_pb_uint(&sub, 3, mm->end);
            ki_pb_uint(&sub, 4, mm->offset);
            ki_pb_int(&sub, 6, st_kstr(&t, p, mm->build_id));
        }
        ki_pb_int(&sub, 5, st_kstr(&t, p, fr->module));
        ki_pb_uint(&sub, 7, 1); /* has_functions: names are resolved already */
        ki_pb_bytes(&msg, 3, sub.data, sub.len);
    }

    /* locations and functions: one each per frame */
    for (kiln_frame_id f = 0; f < nframes; f++) {
        const kiln_frame *fr = kiln_profile_frame_get(p, f);
        int64_t name = st_kstr(&t, p, fr->name), file = st_kstr(&t, p, fr->file);
        if (name < 0 || file < 0)
            goto done;
        kiln_buf_reset(&sub2);
        ki_pb_uint(&sub2, 1, (uint64_t)f + 1);
        ki_pb_uint(&sub2, 2, fr->line);
        kiln_buf_reset(&sub);
        ki_pb_uint(&sub, 1, (uint64_t)f + 1);
        if (fr->module < t.nkstr)
            ki_pb_uint(&sub, 2, map_of_module[fr->module]);
        ki_pb_uint(&sub, 3, fr->address);
        ki_pb_bytes(&sub, 4, sub2.data, sub2.len);
        ki_pb_bytes(&msg, 4, sub.data, sub.len);
        kiln_buf_reset(&sub);
        ki_pb_uint(&sub, 1, (uint64_t)f + 1);
        ki_pb_int(&sub, 2, name);
        ki_pb_int(&sub, 3, name);
        ki_pb_int(&sub, 4, file);
        ki_pb_uint(&sub, 5, fr->line);
        ki_pb_bytes(&msg, 5, sub.data, sub.len);
        if (msg.failed)
            goto done;
    }

    /* metadata */
    int64_t secs = parse_timestamp(kiln_profile_meta_get(p, KILN_META_TIMESTAMP));
    if (secs)
        ki_pb_int(&msg, 9, secs * 1000000000);
    const char *period = kiln_profile_meta_get(p, KILN_META_PERIOD);
    if (period && atoll(period) > 0) {
        kiln_buf_reset(&sub);
        ki_pb_int(&sub, 1, st_cstr(&t, "cpu"));
        ki_pb_int(&sub, 2, st_cstr(&t, "nanoseconds"));
        ki_pb_bytes(&msg, 11, sub.data, sub.len);
        ki_pb_int(&msg, 12, atoll(period));
    }
    kiln_buf kv = KILN_BUF_INIT;
    for (uint32_t i = 0; i < kiln_profile_meta_count(p); i++) {
        const char *k, *v;
        kiln_profile_meta_at(p, i, &k, &v);
        kiln_buf_reset(&kv);
        kiln_buf_printf(&kv, "kiln:%s=%s", k, v);
        int64_t idx = kv.failed ? -1 : st_add(&t, kv.data, kv.len);
        if (idx < 0) {
            kiln_buf_release(&kv);
            goto done;
        }
        ki_pb_int(&msg, 13, idx);
    }
    kiln_buf_release(&kv);
    kiln_buf_add(&msg, t.table.data, t.table.len);
    if (msg.failed || t.table.failed)
        goto done;
    kiln_buf_add(out, msg.data, msg.len);
    st = out->failed ? KILN_ERR_NOMEM : KILN_OK;
done:
    if (st == KILN_ERR_NOMEM)
        kiln_error_set(err, st, "out of memory");
    st_release(&t);
    free(map_of_module);
    free(locs);
    kiln_buf_release(&msg);
    kiln_buf_release(&sub);
    kiln_buf_release(&sub2);
    kiln_buf_release(&scratch);
    return st;
}

kiln_status kiln_export_pprof(const kiln_profile *p, int gzip, kiln_sink *out, kiln_error *err)
{
    kiln_buf raw = KILN_BUF_INIT;
    kiln_status st = ki_pprof_encode(p, &raw, err);
    if (st != KILN_OK) {
        kiln_buf_release(&raw);
        return st;
    }
    if (!gzip) {
        kiln_sink_write(out, raw.data, raw.len);
        kiln_buf_release(&raw);
        return out->failed ? kiln_error_set(err, KILN_ERR_WRITE, "write failed") : KILN_OK;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        kiln_buf_release(&raw);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory (zlib)");
    }
    unsigned char chunk[65536];
    z.next_in = (unsigned char *)raw.data;
    size_t left = raw.len;
    int zr;
    do {
        uInt take = left > (1u << 30) ? (1u << 30) : (uInt)left;
        z.avail_in = take;
        left -= take;
        int flush = left ? Z_NO_FLUSH : Z_FINISH;
        do {
            z.next_out = chunk;
            z.avail_out = sizeof chunk;
            zr = deflate(&z, flush);
            if (zr == Z_STREAM_ERROR)
                break;
            kiln_sink_write(out, chunk, sizeof chunk - z.avail_out);
        } while (z.avail_out == 0);
    } while (left && zr != Z_STREAM_ERROR);
    deflateEnd(&z);
    kiln_buf_release(&raw);
    if (zr != Z_STREAM_END)
        return kiln_error_set(err, KILN_ERR_INTERNAL, "zlib deflate failed");
    return out->failed ? kiln_error_set(err, KILN_ERR_WRITE, "write failed") : KILN_OK;
}
