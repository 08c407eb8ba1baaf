/* kiln top --pstats: Python's pstats print_stats output, byte for byte
 * (kiln/top.h). Mirrors CPython Lib/pstats.py: get_top_level_stats (sums
 * in dict order), sort_stats (TupleComp over (cc, nc, tt, ct, file, line,
 * name, std_string), Python's stable sort), eval_print_amount, print_line
 * and f8 ("%8.3f"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln/buf.h"
#include "kiln/top.h"
#include "stable_sort.h"
#include "term_escape.h"

/* pstats' sort_arg_dict_default, in its dict order (prefix expansion depends
 * on it). Field indices: 0 cc, 1 nc, 2 tt, 3 ct, 4 file, 5 line, 6 name,
 * 7 std string; direction -1 = descending. */
typedef struct sort_def {
    const char *word;
    int n;
    int field[3], dir[3];
    const char *desc;
} sort_def;

static const sort_def sort_defs[] = {
    {"calls", 1, {1}, {-1}, "call count"},
    {"ncalls", 1, {1}, {-1}, "call count"},
    {"cumtime", 1, {3}, {-1}, "cumulative time"},
    {"cumulative", 1, {3}, {-1}, "cumulative time"},
    {"filename", 1, {4}, {1}, "file name"},
    {"line", 1, {5}, {1}, "line number"},
    {"module", 1, {4}, {1}, "file name"},
    {"name", 1, {6}, {1}, "function name"},
    {"nfl", 3, {6, 4, 5}, {1, 1, 1}, "name/file/line"},
    {"pcalls", 1, {0}, {-1}, "primitive call count"},
    {"stdname", 1, {7}, {1}, "standard name"},
    {"time", 1, {2}, {-1}, "internal time"},
    {"tottime", 1, {2}, {-1}, "internal time"},
};
#define N_SORT_DEFS (sizeof sort_defs / sizeof sort_defs[0])

/* pstats.get_sort_arg_defs: every prefix of every word goes into a dict, in
 * table order; a word stops at its first prefix already present, which is
 * marked bad; bad prefixes are deleted at the end (so "cu" survives as
 * "cumtime" while "c" and "cum" are ambiguous). Replayed literally. */
static const sort_def *find_sort_def(const char *word)
{
    enum { MAXF = 128 };
    struct { char text[16]; int def; int bad; } frag[MAXF];
    int nf = 0;
    for (size_t i = 0; i < N_SORT_DEFS; i++) {
        const char *w = sort_defs[i].word;
        for (size_t fl = strlen(w); fl > 0; fl--) {
            int found = -1;
            for (int k = 0; k < nf; k++)
                if (strlen(frag[k].text) == fl && !memcmp(frag[k].text, w, fl))
                    found = k;
            if (found >= 0) {
                frag[found].bad = 1;
                break;
            }
            if (nf == MAXF)
                break;
            memcpy(frag[nf].text, w, fl);
            frag[nf].text[fl] = 0;
            frag[nf].def = (int)i;
            frag[nf].bad = 0;
            nf++;
        }
    }
    for (int k = 0; k < nf; k++)
        if (!frag[k].bad && !strcmp(frag[k].text, word))
            return &sort_defs[frag[k].def];
    return NULL;
}

int kiln_pstats_sort_valid(const char *word)
{
    return word && find_sort_def(word) != NULL;
}

void kiln_pstats_opts_default(kiln_pstats_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sort = "cumulative";
    o->limit = -1;
}

typedef struct entry {
    int64_t cc, nc;
    double tt, ct;
    const char *file, *name;
    size_t flen, nlen;
    int64_t line;
    char *std;
    size_t slen;
} entry;

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c < 0 ? -1 : 1;
    return al < bl ? -1 : al > bl;
}

static int cmp_num(double l, double r)
{
    return l < r ? -1 : l > r ? 1 : 0; /* NaN: neither less nor greater */
}

static int cmp_field(const entry *a, const entry *b, int field)
{
    switch (field) {
    case 0: return a->cc < b->cc ? -1 : a->cc > b->cc;
    case 1: return a->nc < b->nc ? -1 : a->nc > b->nc;
    case 2: return cmp_num(a->tt, b->tt);
    case 3: return cmp_num(a->ct, b->ct);
    case 4: return cmp_bytes(a->file, a->flen, b->file, b->flen);
    case 5: return a->line < b->line ? -1 : a->line > b->line;
    case 6: return cmp_bytes(a->name, a->nlen, b->name, b->nlen);
    default: return cmp_bytes(a->std, a->slen, b->std, b->slen);
    }
}

static int cmp_entries(const entry *a, const entry *b, const sort_def *d)
{
    for (int i = 0; i < d->n; i++) {
        int c = cmp_field(a, b, d->field[i]);
        if (c)
            return c * d->dir[i];
    }
    return 0;
}

typedef struct {
    const entry *e;
    const sort_def *d;
} sort_ctx;

/* Index order for ki_stable_sort: ties keep file order, as Python's sort. */
static int cmp_indices(const void *x, const void *y, void *ctx)
{
    const sort_ctx *c = ctx;
    return cmp_entries(&c->e[*(const uint32_t *)x], &c->e[*(const uint32_t *)y], c->d);
}

/* pstats.func_std_string. */
static int std_string(kiln_buf *b, const entry *e)
{
    if (e->flen == 1 && e->file[0] == '~' && e->line == 0) {
        if (e->nlen >= 1 && e->name[0] == '<' && e->name[e->nlen - 1] == '>') {
            kiln_buf_addch(b, '{');
            if (e->nlen >= 2)
                kiln_buf_add(b, e->name + 1, e->nlen - 2);
            kiln_buf_addch(b, '}');
        } else {
            kiln_buf_add(b, e->name, e->nlen);
        }
    } else {
        kiln_buf_add(b, e->file, e->flen);
        kiln_buf_printf(b, ":%lld(", (long long)e->line);
        kiln_buf_add(b, e->name, e->nlen);
        kiln_buf_addch(b, ')');
    }
    return b->failed ? -1 : 0;
}

/* Python's "%*.3f" (NaN prints without a sign). */
static void add_f(kiln_buf *b, int width, double x)
{
    if (isnan(x))
        kiln_buf_printf(b, "%*s", width, "nan");
    else
        kiln_buf_printf(b, "%*.3f", width, x);
}

static void add_i128(kiln_buf *b, __int128 v)
{
    char tmp[48];
    size_t n = 0;
    unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (v < 0)
        kiln_buf_addch(b, '-');
    while (n)
        kiln_buf_addch(b, tmp[--n]);
}

/* time.ctime(): "Sun Jun 20 23:21:05 1993" in local time. */
static void add_ctime(kiln_buf *b, double mtime)
{
    static const char *const wday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)floor(mtime);
    struct tm tm;
    if (!localtime_r(&t, &tm)) {
        kiln_buf_addstr(b, "???");
        return;
    }
    kiln_buf_printf(b, "%s %s%3d %02d:%02d:%02d %d", wday[tm.tm_wday % 7], mon[tm.tm_mon % 12], tm.tm_mday,
                    tm.tm_hour, tm.tm_min, tm.tm_sec, 1900 + tm.tm_year);
}

static void add_name(kiln_buf *b, const char *s, size_t n, int escape)
{
    if (escape)
        ki_term_escape(b, s, n);
    else
        kiln_buf_add(b, s, n);
}

/* Python 2.7 dicts are not ordered: marshal.load inserts the keys in file
 * order and pstats iterates them in hash-table slot order, which decides
 * ties in the sort and the order of the tt sum. Replayed here with 2.7's
 * hashes (str, int, tuple; hash randomization off, 2.7's default) and its
 * dict (8 slots, perturbed probing, resize to 4 x used at 2/3 fill). */
static uint64_t py2_str_hash(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    uint64_t x = (uint64_t)(unsigned char)s[0] << 7;
    for (size_t i = 0; i < n; i++)
        x = (1000003u * x) ^ (unsigned char)s[i];
    x ^= (uint64_t)n;
    return x == UINT64_MAX ? (uint64_t)-2 : x;
}

static uint64_t py2_key_hash(const entry *e)
{
    uint64_t item[3] = {py2_str_hash(e->file, e->flen), (uint64_t)e->line, py2_str_hash(e->name, e->nlen)};
    if (item[1] == UINT64_MAX)
        item[1] = (uint64_t)-2;
    uint64_t x = 0x345678, mult = 1000003;
    for (int i = 0, left = 3; i < 3; i++) {
        left--;
        x = (x ^ item[i]) * mult;
        mult += (uint64_t)(82520 + left + left);
    }
    x += 97531;
    return x == UINT64_MAX ? (uint64_t)-2 : x;
}

static void py2_place(uint32_t *slots, size_t mask, uint64_t h, uint32_t id)
{
    size_t i = (size_t)h & mask;
    for (size_t perturb = (size_t)h; slots[i & mask] != UINT32_MAX; perturb >>= 5)
        i = (i << 2) + i + perturb + 1;
    slots[i & mask] = id;
}

/* Writes the 2.7 iteration order of entries 0..n-1 into order. -1 on OOM. */
static int py2_dict_order(const entry *e, uint32_t n, uint32_t *order)
{
    uint64_t *h = malloc((n ? n : 1) * sizeof *h);
    size_t mask = 7, fill = 0;
    uint32_t *slots = malloc((mask + 1) * sizeof *slots);
    if (!h || !slots)
        goto oom;
    memset(slots, 0xff, (mask + 1) * sizeof *slots);
    for (uint32_t k = 0; k < n; k++) {
        h[k] = py2_key_hash(&e[k]);
        py2_place(slots, mask, h[k], k);
        fill++;
        if (fill * 3 >= (mask + 1) * 2) {
            size_t want = (fill > 50000 ? 2 : 4) * fill, size = 8;
            while (size <= want)
                size <<= 1;
            uint32_t *ns = malloc(size * sizeof *ns);
            if (!ns)
                goto oom;
            memset(ns, 0xff, size * sizeof *ns);
            for (size_t i = 0; i <= mask; i++)
                if (slots[i] != UINT32_MAX)
                    py2_place(ns, size - 1, h[slots[i]], slots[i]);
            free(slots);
            slots = ns;
            mask = size - 1;
        }
    }
    uint32_t k = 0;
    for (size_t i = 0; i <= mask; i++)
        if (slots[i] != UINT32_MAX)
            order[k++] = slots[i];
    free(h);
    free(slots);
    return 0;
oom:
    free(h);
    free(slots);
    return -1;
}

static int is_python2(const kiln_profile *p)
{
    const char *tool = kiln_profile_meta_get(p, KILN_META_TOOL);
    return tool && strstr(tool, "(Python 2)") != NULL;
}

static uint32_t entry_count(const kiln_profile *p)
{
    uint32_t n = kiln_profile_func_count(p);
    const char *m = kiln_profile_meta_get(p, "pstats_entries");
    if (m) {
        char *end;
        unsigned long v = strtoul(m, &end, 10);
        if (!*end && v <= n)
            n = (uint32_t)v;
    }
    return n;
}

static kiln_status flush(kiln_buf *b, kiln_sink *out, kiln_error *err)
{
    if (b->failed)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    if (b->len && kiln_sink_write(out, b->data, b->len) < 0)
        return kiln_error_set(err, KILN_ERR_WRITE, "write error");
    kiln_buf_reset(b);
    return KILN_OK;
}

kiln_status kiln_pstats_write(const kiln_profile *p, const kiln_pstats_opts *o, kiln_sink *out, kiln_error *err)
{
    kiln_pstats_opts defaults;
    if (!o) {
        kiln_pstats_opts_default(&defaults);
        o = &defaults;
    }
    const sort_def *sd = find_sort_def(o->sort ? o->sort : "cumulative");
    if (!sd)
        return kiln_error_set(err, KILN_ERR_USAGE, "unknown pstats sort key '%s'", o->sort);

    uint32_t n = entry_count(p);
    entry *e = calloc(n ? n : 1, sizeof *e);
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    kiln_buf b = KILN_BUF_INIT;
    kiln_status st = KILN_OK;
    if (!e || !idx) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < n && !st; i++) {
        const kiln_func *f = kiln_profile_func_at(p, i);
        const kiln_frame *fr = kiln_profile_frame_get(p, f->frame);
        entry *x = &e[i];
        x->cc = f->prim_calls;
        x->nc = f->calls;
        x->tt = f->self;
        x->ct = f->total;
        x->file = kiln_profile_str(p, fr->file, &x->flen);
        x->name = kiln_profile_str(p, fr->name, &x->nlen);
        x->line = fr->line;
        kiln_buf s = KILN_BUF_INIT;
        if (std_string(&s, x) < 0)
            st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        x->std = kiln_buf_detach(&s, &x->slen);
        if (!x->std)
            st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        idx[i] = i;
    }
    if (st)
        goto done;
    if (is_python2(p) && py2_dict_order(e, n, idx) < 0) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* pstats' totals, summed in its dict order. */
    __int128 total_calls = 0, prim_calls = 0;
    double total_tt = 0;
    for (uint32_t i = 0; i < n; i++) {
        total_calls += e[idx[i]].nc;
        prim_calls += e[idx[i]].cc;
        total_tt += e[idx[i]].tt;
    }
    sort_ctx sc = {e, sd};
    if (ki_stable_sort(idx, n, sizeof *idx, cmp_indices, &sc) < 0) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        goto done;
    }

    if (o->path) {
        add_ctime(&b, o->mtime);
        kiln_buf_addstr(&b, "    ");
        add_name(&b, o->path, strlen(o->path), o->escape);
        kiln_buf_addstr(&b, "\n\n");
    }
    kiln_buf_addstr(&b, "         ");
    add_i128(&b, total_calls);
    kiln_buf_addstr(&b, " function calls ");
    if (total_calls != prim_calls) {
        kiln_buf_addch(&b, '(');
        add_i128(&b, prim_calls);
        kiln_buf_addstr(&b, " primitive calls) ");
    }
    kiln_buf_addstr(&b, "in ");
    add_f(&b, 0, total_tt);
    kiln_buf_addstr(&b, " seconds\n\n");

    size_t shown = n;
    if (o->limit >= 0 && (unsigned long long)o->limit < n)
        shown = (size_t)o->limit;
    if (shown > 0) {
        kiln_buf_printf(&b, "   Ordered by: %s\n", sd->desc);
        if (shown != n)
            kiln_buf_printf(&b, "   List reduced from %u to %zu due to restriction <%lld>\n", n, shown, o->limit);
        kiln_buf_addstr(&b, "\n   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n");
        for (size_t r = 0; r < shown && !st; r++) {
            const entry *x = &e[idx[r]];
            char calls[64];
            if (x->nc != x->cc)
                snprintf(calls, sizeof calls, "%lld/%lld", (long long)x->nc, (long long)x->cc);
            else
                snprintf(calls, sizeof calls, "%lld", (long long)x->nc);
            kiln_buf_printf(&b, "%9s ", calls);
            add_f(&b, 8, x->tt);
            kiln_buf_addch(&b, ' ');
            if (x->nc == 0)
                kiln_buf_addstr(&b, "        ");
            else
                add_f(&b, 8, x->tt / (double)x->nc);
            kiln_buf_addch(&b, ' ');
            add_f(&b, 8, x->ct);
            kiln_buf_addch(&b, ' ');
            if (x->cc == 0)
                kiln_buf_addstr(&b, "        ");
            else
                add_f(&b, 8, x->ct / (double)x->cc);
            kiln_buf_addch(&b, ' ');
            add_name(&b, x->std, x->slen, o->escape);
            kiln_buf_addch(&b, '\n');
            if (b.len > (1u << 16))
                st = flush(&b, out, err);
        }
        if (!st)
            kiln_buf_addstr(&b, "\n\n");
    }
    if (!st)
        st = flush(&b, out, err);
done:
    if (e)
        for (uint32_t i = 0; i < n; i++)
            free(e[i].std);
    free(e);
    free(idx);
    kiln_buf_release(&b);
    return st;
}
