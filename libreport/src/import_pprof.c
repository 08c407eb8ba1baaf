/* Importer for pprof's profile.proto (gzip-compressed or raw; the reader
 * gunzips transparently). Owner: helper "interchange".
 *
 * Two passes over the Profile message with the bounded decoder of pb.h:
 * the first collects the string table, sample types, mappings, locations
 * and functions (each element costs at least two input bytes, and counts are
 * capped below, so memory is bounded by the input); the second turns every
 * Sample into a stack (location_ids leaf first, each Location's lines
 * innermost first) added to the tree. Unknown fields are skipped; packed and
 * unpacked repeated scalars are both accepted.
 *
 * Frames: name = Function.name (else system_name), file = filename, line =
 * start_line (else the Line's line), module = the Mapping's file, address =
 * the Location's. All lines but the last of a Location are inlined frames;
 * others are native when they have a mapping file, else unknown. A Location
 * without lines is named by its address ("0x1234"). Comments written by
 * kiln ("kiln:key=value") become metadata again. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "import_internal.h"
#include "pb.h"

#define PPROF_MAX_INPUT ((uint64_t)1 << 30) /* decompressed bytes */
#define PPROF_MAX_ITEMS (1u << 25)          /* strings, locations, lines, functions, mappings */

typedef struct pslice {
    const unsigned char *s;
    uint32_t n;
} pslice;

typedef struct ploc {
    uint64_t id, mapping_id, address;
    uint32_t line0, nlines;
    uint32_t frame0; /* first kiln frame of this location, KILN_NONE = not built yet */
} ploc;

typedef struct pline {
    uint64_t function_id;
    int64_t line;
} pline;

typedef struct pfunc {
    uint64_t id;
    int64_t name, system_name, filename, start_line;
} pfunc;

typedef struct pmap {
    uint64_t id, start, limit, offset;
    int64_t filename, build_id;
} pmap;

typedef struct pstate {
    kiln_profile *p;
    kiln_error *err;
    const kiln_import_opts *opts;
    pslice *str;
    size_t nstr, capstr;
    ploc *loc;
    size_t nloc, caploc;
    pline *line;
    size_t nline, capline;
    pfunc *fn;
    size_t nfn, capfn;
    pmap *map;
    size_t nmap, capmap;
    int64_t types[KILN_MAX_SAMPLE_TYPES][2];
    int ntypes, types_seen;
    int64_t period_unit, period, time_nanos, duration;
    int64_t *comments;
    size_t ncomments, capcomments;
    kiln_frame_id *frames; /* built frames of all locations */
    size_t nframes, capframes;
} pstate;

static kiln_status bad(pstate *s, size_t at, const char *why)
{
    kiln_status st = kiln_error_set(s->err, KILN_ERR_DATA, "offset %zu (0x%zx): %s", at, at, why);
    if (s->err && s->err->offset == KILN_NO_OFFSET)
        s->err->offset = at;
    return st;
}

/* Grows *arr (elements of size sz) to hold one more; -1 on OOM or cap. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    if (n >= PPROF_MAX_ITEMS)
        return -1;
    size_t nc = *cap ? *cap * 2 : 64;
    void *a = realloc(*arr, nc * sz);
    if (!a)
        return -1;
    *arr = a;
    *cap = nc;
    return 0;
}
#define GROW(s, arr, n, cap)                                                                  \
    (grow((void **)&(s)->arr, &(s)->cap, (s)->n, sizeof *(s)->arr) < 0                          \
         ? ((s)->n >= PPROF_MAX_ITEMS ? kiln_error_set((s)->err, KILN_ERR_LIMIT,                 \
                                                       "more than %u entries of one kind",        \
                                                       PPROF_MAX_ITEMS)                          \
                                      : kiln_error_set((s)->err, KILN_ERR_NOMEM, "out of memory")) \
         : KILN_OK)

/* Iterates the fields of in; on malformed data reports and returns -1. */
static int next(pstate *s, ki_pb_in *in, ki_pb_field *f)
{
    const char *why;
    size_t at;
    int r = ki_pb_next(in, f, &why, &at);
    if (r < 0)
        bad(s, at, why);
    return r;
}

static int want(pstate *s, const ki_pb_field *f, int wire)
{
    if (f->wire == wire)
        return 0;
    bad(s, f->at, "field has the wrong wire type");
    return -1;
}

static kiln_status parse_value_type(pstate *s, ki_pb_in in, int64_t out[2])
{
    ki_pb_field f;
    int r;
    out[0] = out[1] = 0;
    while ((r = next(s, &in, &f)) == 1) {
        if ((f.num == 1 || f.num == 2) && !want(s, &f, KI_PB_VARINT))
            out[f.num - 1] = (int64_t)f.v;
        else if (f.num == 1 || f.num == 2)
            return s->err->status;
    }
    return r < 0 ? s->err->status : KILN_OK;
}

static kiln_status parse_location(pstate *s, ki_pb_in in)
{
    kiln_status st = GROW(s, loc, nloc, caploc);
    if (st)
        return st;
    ploc *l = &s->loc[s->nloc];
    memset(l, 0, sizeof *l);
    l->line0 = (uint32_t)s->nline;
    l->frame0 = KILN_NONE;
    ki_pb_field f;
    int r;
    while ((r = next(s, &in, &f)) == 1) {
        if (f.num >= 1 && f.num <= 3) {
            if (want(s, &f, KI_PB_VARINT))
                return s->err->status;
            if (f.num == 1)
                l->id = f.v;
            else if (f.num == 2)
                l->mapping_id = f.v;
            else
                l->address = f.v;
        } else if (f.num == 4) {
            if (want(s, &f, KI_PB_LEN))
                return s->err->status;
            if ((st = GROW(s, line, nline, capline)))
                return st;
            pline *ln = &s->line[s->nline++];
            memset(ln, 0, sizeof *ln);
            ki_pb_field g;
            ki_pb_in sub = f.sub;
            while ((r = next(s, &sub, &g)) == 1) {
                if (g.num == 1 && g.wire == KI_PB_VARINT)
                    ln->function_id = g.v;
                else if (g.num == 2 && g.wire == KI_PB_VARINT)
                    ln->line = (int64_t)g.v;
            }
            if (r < 0)
                return s->err->status;
            l->nlines++;
        }
    }
    if (r < 0)
        return s->err->status;
    s->nloc++;
    return KILN_OK;
}

static kiln_status parse_function(pstate *s, ki_pb_in in)
{
    kiln_status st = GROW(s, fn, nfn, capfn);
    if (st)
        return st;
    pfunc *fn = &s->fn[s->nfn];
    memset(fn, 0, sizeof *fn);
    ki_pb_field f;
    int r;
    while ((r = next(s, &in, &f)) == 1) {
        if (f.num < 1 || f.num > 5)
            continue;
        if (want(s, &f, KI_PB_VARINT))
            return s->err->status;
        switch (f.num) {
        case 1: fn->id = f.v; break;
        case 2: fn->name = (int64_t)f.v; break;
        case 3: fn->system_name = (int64_t)f.v; break;
        case 4: fn->filename = (int64_t)f.v; break;
        default: fn->start_line = (int64_t)f.v; break;
        }
    }
    if (r < 0)
        return s->err->status;
    s->nfn++;
    return KILN_OK;
}

static kiln_status parse_mapping(pstate *s, ki_pb_in in)
{
    kiln_status st = GROW(s, map, nmap, capmap);
    if (st)
        return st;
    pmap *m = &s->map[s->nmap];
    memset(m, 0, sizeof *m);
    ki_pb_field f;
    int r;
    while ((r = next(s, &in, &f)) == 1) {
        if (f.num < 1 || f.num > 6)
            continue;
        if (want(s, &f, KI_PB_VARINT))
            return s->err->status;
        switch (f.num) {
        case 1: m->id = f.v; break;
        case 2: m->start = f.v; break;
        case 3: m->limit = f.v; break;
        case 4: m->offset = f.v; break;
        case 5: m->filename = (int64_t)f.v; break;
        default: m->build_id = (int64_t)f.v; break;
        }
    }
    if (r < 0)
        return s->err->status;
    s->nmap++;
    return KILN_OK;
}

static kiln_status add_comment(pstate *s, uint64_t v)
{
    kiln_status st = GROW(s, comments, ncomments, capcomments);
    if (!st)
        s->comments[s->ncomments++] = (int64_t)v;
    return st;
}

/* Pass 1: everything but samples. */
static kiln_status pass1(pstate *s, ki_pb_in in)
{
    ki_pb_field f;
    int r;
    kiln_status st = KILN_OK;
    while ((r = next(s, &in, &f)) == 1) {
        switch (f.num) {
        case 1:
            if (want(s, &f, KI_PB_LEN))
                return s->err->status;
            if (s->ntypes < KILN_MAX_SAMPLE_TYPES)
                st = parse_value_type(s, f.sub, s->types[s->ntypes++]);
            s->types_seen++;
            break;
        case 3:
            st = want(s, &f, KI_PB_LEN) ? s->err->status : parse_mapping(s, f.sub);
            break;
        case 4:
            st = want(s, &f, KI_PB_LEN) ? s->err->status : parse_location(s, f.sub);
            break;
        case 5:
            st = want(s, &f, KI_PB_LEN) ? s->err->status : parse_function(s, f.sub);
            break;
        case 6:
            if (want(s, &f, KI_PB_LEN))
                return s->err->status;
            if ((st = GROW(s, str, nstr, capstr)))
                return st;
            s->str[s->nstr].s = f.sub.p;
            s->str[s->nstr++].n = (uint32_t)(f.sub.end - f.sub.p);
            break;
        case 9: s->time_nanos = (int64_t)f.v; break;
        case 10: s->duration = (int64_t)f.v; break;
        case 11: {
            int64_t vt[2];
            if (want(s, &f, KI_PB_LEN) || (st = parse_value_type(s, f.sub, vt)))
                return s->err->status;
            s->period_unit = vt[1];
            break;
        }
        case 12: s->period = (int64_t)f.v; break;
        case 13:
            if (f.wire == KI_PB_VARINT) {
                st = add_comment(s, f.v);
            } else if (f.wire == KI_PB_LEN) {
                uint64_t v;
                int rr;
                while (st == KILN_OK && (rr = ki_pb_read_varint(&f.sub, &v)) == 1)
                    st = add_comment(s, v);
                if (st == KILN_OK && rr < 0)
                    return bad(s, f.at, "malformed packed comment list");
            }
            break;
        default: break;
        }
        if (st)
            return st;
    }
    if (r < 0)
        return s->err->status;
    if (s->nstr == 0 || s->str[0].n != 0)
        return bad(s, 0, "string_table[0] must be the empty string");
    return KILN_OK;
}

static int str_ok(pstate *s, int64_t i)
{
    return i >= 0 && (uint64_t)i < s->nstr;
}

/* The string at i (validated), as a NUL-free slice. */
static pslice str_at(pstate *s, int64_t i)
{
    pslice z = {(const unsigned char *)"", 0};
    return str_ok(s, i) ? s->str[i] : z;
}

static int cmp_loc(const void *a, const void *b)
{
    const ploc *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}
static int cmp_fn(const void *a, const void *b)
{
    const pfunc *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}
static int cmp_map(const void *a, const void *b)
{
    const pmap *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

#define FIND(arr, n, want_id)                                                   \
    ({                                                                          \
        size_t lo_ = 0, hi_ = (n);                                             \
        __typeof__(&(arr)[0]) hit_ = NULL;                                      \
        while (lo_ < hi_) {                                                    \
            size_t mid_ = lo_ + (hi_ - lo_) / 2;                               \
            if ((arr)[mid_].id < (want_id))                                    \
                lo_ = mid_ + 1;                                                \
            else                                                               \
                hi_ = mid_;                                                    \
        }                                                                      \
        if (lo_ < (n) && (arr)[lo_].id == (want_id))                           \
            hit_ = &(arr)[lo_];                                                \
        hit_;                                                                  \
    })

static kiln_str intern(pstate *s, pslice sl)
{
    return kiln_profile_intern(s->p, (const char *)sl.s, sl.n);
}

/* Builds the kiln frames of a location (once). */
static kiln_status build_location(pstate *s, ploc *l)
{
    if (l->frame0 != KILN_NONE)
        return KILN_OK;
    pmap *m = l->mapping_id ? FIND(s->map, s->nmap, l->mapping_id) : NULL;
    pslice mfile = m ? str_at(s, m->filename) : str_at(s, 0);
    uint32_t count = l->nlines ? l->nlines : 1;
    while (s->nframes + count > s->capframes) {
        size_t nc = s->capframes ? s->capframes * 2 : 256;
        kiln_frame_id *a = realloc(s->frames, nc * sizeof *a);
        if (!a)
            return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
        s->frames = a;
        s->capframes = nc;
    }
    kiln_str module = intern(s, mfile);
    for (uint32_t i = 0; i < count; i++) {
        kiln_frame fr;
        memset(&fr, 0, sizeof fr);
        fr.module = module;
        fr.address = l->address;
        if (l->nlines == 0) {
            char name[32];
            snprintf(name, sizeof name, "0x%" PRIx64, l->address);
            fr.name = kiln_profile_intern_cstr(s->p, name);
            fr.kind = KILN_KIND_NATIVE;
        } else {
            pline *ln = &s->line[l->line0 + i];
            pfunc *fn = FIND(s->fn, s->nfn, ln->function_id);
            if (!fn)
                return bad(s, 0, "a location's line names a function id that does not exist");
            pslice nm = str_at(s, fn->name);
            if (!nm.n)
                nm = str_at(s, fn->system_name);
            fr.name = intern(s, nm);
            fr.file = intern(s, str_at(s, fn->filename));
            int64_t line = fn->start_line > 0 ? fn->start_line : ln->line;
            fr.line = line > 0 && line < UINT32_MAX ? (uint32_t)line : 0;
            fr.kind = i + 1 < count ? KILN_KIND_INLINED : mfile.n ? KILN_KIND_NATIVE : KILN_KIND_UNKNOWN;
        }
        if (fr.name == KILN_NONE || fr.file == KILN_NONE || module == KILN_NONE)
            return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
        kiln_frame_id id = kiln_profile_frame(s->p, &fr);
        if (id == KILN_NONE)
            return kiln_error_set(s->err, KILN_ERR_LIMIT, "more than %u distinct frames", KILN_MAX_FRAMES);
        s->frames[s->nframes + i] = id;
    }
    l->frame0 = (uint32_t)s->nframes;
    s->nframes += count;
    return KILN_OK;
}

/* Pass 2: samples. stack/values are scratch arrays owned by the caller. */
static kiln_status add_sample(pstate *s, ki_pb_field *sf, kiln_frame_id **stack, size_t *cap)
{
    double values[KILN_MAX_SAMPLE_TYPES] = {0};
    size_t nvalues = 0, depth = 0;
    ki_pb_in in = sf->sub;
    ki_pb_field f;
    int r;
    kiln_status st;
    while ((r = next(s, &in, &f)) == 1) {
        if (f.num != 1 && f.num != 2)
            continue;
        ki_pb_in packed = f.sub;
        uint64_t v = f.v;
        int single = f.wire == KI_PB_VARINT;
        if (!single && f.wire != KI_PB_LEN)
            return bad(s, f.at, "field has the wrong wire type");
        for (;;) {
            if (!single) {
                int rr = ki_pb_read_varint(&packed, &v);
                if (rr == 0)
                    break;
                if (rr < 0)
                    return bad(s, f.at, "malformed packed list");
            }
            if (f.num == 2) {
                if (nvalues < (size_t)s->ntypes)
                    values[nvalues] = (double)(int64_t)v;
                nvalues++;
            } else {
                ploc *l = FIND(s->loc, s->nloc, v);
                if (!l)
                    return bad(s, f.at, "a sample names a location id that does not exist");
                if ((st = build_location(s, l)))
                    return st;
                uint32_t count = l->nlines ? l->nlines : 1;
                if (depth + count > KILN_MAX_DEPTH)
                    return kiln_error_set(s->err, KILN_ERR_LIMIT,
                                          "offset %zu (0x%zx): a stack deeper than %u frames", f.at,
                                          f.at, KILN_MAX_DEPTH);
                if (depth + count > *cap) {
                    size_t nc = (*cap ? *cap * 2 : 256) + count;
                    kiln_frame_id *a = realloc(*stack, nc * sizeof *a);
                    if (!a)
                        return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
                    *stack = a;
                    *cap = nc;
                }
                memcpy(*stack + depth, s->frames + l->frame0, count * sizeof **stack);
                depth += count;
            }
            if (single)
                break;
        }
    }
    if (r < 0)
        return s->err->status;
    if (nvalues != (size_t)s->types_seen)
        return bad(s, sf->at, "a sample's value count differs from the number of sample types");
    /* leaf first in pprof, root first in kiln */
    for (size_t i = 0, j = depth; i + 1 < j--; i++) {
        kiln_frame_id t = (*stack)[i];
        (*stack)[i] = (*stack)[j];
        (*stack)[j] = t;
    }
    if (kiln_profile_add_stack(s->p, *stack, depth, values) == KILN_NONE)
        return kiln_error_set(s->err, KILN_ERR_LIMIT, "more than %u tree nodes", KILN_MAX_NODES);
    return KILN_OK;
}

static kiln_status set_meta(pstate *s)
{
    kiln_status st = KILN_OK;
    char key[256];
    char *val = NULL;
    for (size_t i = 0; i < s->ncomments && st == KILN_OK; i++) {
        pslice c = str_at(s, s->comments[i]);
        const char *eq = c.n > 5 ? memchr(c.s, '=', c.n) : NULL;
        free(val);
        val = NULL;
        if (c.n > 5 && memcmp(c.s, "kiln:", 5) == 0 && eq && (size_t)((const unsigned char *)eq - c.s) - 5 < sizeof key) {
            size_t kl = (size_t)((const unsigned char *)eq - c.s) - 5;
            memcpy(key, c.s + 5, kl);
            key[kl] = 0;
            if (strcmp(key, KILN_META_FORMAT) == 0 || strcmp(key, "pstats_entries") == 0)
                continue; /* describe the original import, not this one */
            val = strndup(eq + 1, c.n - kl - 6);
        } else {
            snprintf(key, sizeof key, "pprof_comment.%zu", i);
            val = strndup((const char *)c.s, c.n);
        }
        if (!val)
            return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
        if (strlen(key) == strnlen(key, sizeof key))
            st = kiln_profile_meta_set(s->p, key, val);
    }
    free(val);
    if (st)
        return st;
    char tmp[64];
    if (s->time_nanos > 0 && !kiln_profile_meta_get(s->p, KILN_META_TIMESTAMP)) {
        time_t t = (time_t)(s->time_nanos / 1000000000);
        struct tm tm;
        if (gmtime_r(&t, &tm) && strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%SZ", &tm))
            st = kiln_profile_meta_set(s->p, KILN_META_TIMESTAMP, tmp);
    }
    pslice u = str_at(s, s->period_unit);
    if (st == KILN_OK && s->period > 0 && u.n == 11 && memcmp(u.s, "nanoseconds", 11) == 0) {
        snprintf(tmp, sizeof tmp, "%" PRId64, s->period);
        st = kiln_profile_meta_set(s->p, KILN_META_PERIOD, tmp);
    }
    if (st == KILN_OK && s->duration > 0) {
        snprintf(tmp, sizeof tmp, "%" PRId64, s->duration);
        st = kiln_profile_meta_set(s->p, "duration_ns", tmp);
    }
    if (st == KILN_OK)
        st = kiln_profile_meta_set(s->p, KILN_META_FORMAT, "pprof");
    return st;
}

static kiln_status import(pstate *s, ki_pb_in in)
{
    kiln_status st = pass1(s, in);
    if (st)
        return st;
    if (s->types_seen == 0)
        return bad(s, 0, "no sample_type");
    if (s->types_seen > KILN_MAX_SAMPLE_TYPES)
        ki_warn(s->opts, "%d sample types: only the first %d are kept", s->types_seen,
                KILN_MAX_SAMPLE_TYPES);
    for (int i = 0; i < s->ntypes; i++) {
        if (!str_ok(s, s->types[i][0]) || !str_ok(s, s->types[i][1]))
            return bad(s, 0, "a sample type names a string that does not exist");
        char name[256], unit[256];
        pslice a = str_at(s, s->types[i][0]), b = str_at(s, s->types[i][1]);
        snprintf(name, sizeof name, "%.*s", (int)(a.n < 255 ? a.n : 255), (const char *)a.s);
        snprintf(unit, sizeof unit, "%.*s", (int)(b.n < 255 ? b.n : 255), (const char *)b.s);
        if (kiln_profile_add_sample_type(s->p, name[0] ? name : "value", unit[0] ? unit : "count") != i)
            return kiln_error_set(s->err, KILN_ERR_INTERNAL, "cannot add a sample type");
    }
    for (size_t i = 0; i < s->nfn; i++)
        if (!str_ok(s, s->fn[i].name) || !str_ok(s, s->fn[i].system_name) || !str_ok(s, s->fn[i].filename))
            return bad(s, 0, "a function names a string that does not exist");
    for (size_t i = 0; i < s->nmap; i++)
        if (!str_ok(s, s->map[i].filename) || !str_ok(s, s->map[i].build_id))
            return bad(s, 0, "a mapping names a string that does not exist");
    if (s->nloc) /* qsort's pointer must not be NULL, even for 0 items */
        qsort(s->loc, s->nloc, sizeof *s->loc, cmp_loc);
    if (s->nfn)
        qsort(s->fn, s->nfn, sizeof *s->fn, cmp_fn);
    if (s->nmap)
        qsort(s->map, s->nmap, sizeof *s->map, cmp_map);
    for (size_t i = 0; i < s->nmap; i++) {
        kiln_mapping km = {s->map[i].start, s->map[i].limit, s->map[i].offset,
                           intern(s, str_at(s, s->map[i].filename)), intern(s, str_at(s, s->map[i].build_id))};
        if ((st = kiln_profile_add_mapping(s->p, &km)))
            return kiln_error_set(s->err, st, "out of memory");
    }
    kiln_frame_id *stack = NULL;
    size_t cap = 0;
    ki_pb_field f;
    int r;
    while ((r = next(s, &in, &f)) == 1) {
        if (f.num != 2)
            continue;
        if (f.wire != KI_PB_LEN) {
            st = bad(s, f.at, "field has the wrong wire type");
            break;
        }
        if ((st = add_sample(s, &f, &stack, &cap)))
            break;
    }
    free(stack);
    if (st)
        return st;
    if (r < 0)
        return s->err->status;
    return set_meta(s);
}

kiln_status ki_import_pprof(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p, kiln_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    if (ki_reader_slurp(r, PPROF_MAX_INPUT, &data, &len) < 0)
        return err->status;
    pstate s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.err = err;
    s.opts = opts;
    ki_pb_in in = {data, data + len, data};
    kiln_status st = import(&s, in);
    free(s.str);
    free(s.loc);
    free(s.line);
    free(s.fn);
    free(s.map);
    free(s.comments);
    free(s.frames);
    free(data);
    return st;
}

/* Sniffing: a decompressed Profile starts with field 1..14 tags of the
 * right wire types; parse what the head holds (a cut last field is fine). */
int ki_sniff_pprof(const unsigned char *head, size_t len)
{
    if (len < 4 || head[0] != 0x0a)
        return 0;
    ki_pb_in in = {head, head + len, head};
    ki_pb_field f;
    const char *why;
    size_t at;
    int fields = 0, r;
    while ((r = ki_pb_next(&in, &f, &why, &at)) == 1) {
        int len_field = f.num <= 6 || f.num == 11;
        if (f.num > 15 || (len_field && f.wire != KI_PB_LEN) ||
            (!len_field && f.num != 13 && f.wire != KI_PB_VARINT))
            return 0;
        if (f.num == 1) { /* a ValueType: fields 1 and 2, varints */
            ki_pb_in sub = f.sub;
            ki_pb_field g;
            int rr;
            while ((rr = ki_pb_next(&sub, &g, &why, &at)) == 1)
                if (g.wire != KI_PB_VARINT || g.num > 2)
                    return 0;
            if (rr < 0)
                return 0;
        }
        fields++;
    }
    if (r < 0 && (size_t)(in.end - in.p) > 0 && fields == 0)
        return 0;
    return fields >= 1 ? 70 : 0;
}
