/* kiln top: the flat function table in kiln's own layout (kiln/top.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/analysis.h"
#include "kiln/buf.h"
#include "kiln/top.h"
#include "term_escape.h"

void kiln_top_opts_default(kiln_top_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sort = KILN_TOP_BY_TOTAL;
    o->limit = 25;
    o->marks = 1;
}

int kiln_top_sort_parse(const char *w, kiln_top_sort *out)
{
    static const struct { const char *word; kiln_top_sort sort; } words[] = {
        {"cumulative", KILN_TOP_BY_TOTAL}, {"cumtime", KILN_TOP_BY_TOTAL}, {"total", KILN_TOP_BY_TOTAL},
        {"self", KILN_TOP_BY_SELF},        {"tottime", KILN_TOP_BY_SELF},  {"time", KILN_TOP_BY_SELF},
        {"calls", KILN_TOP_BY_CALLS},      {"ncalls", KILN_TOP_BY_CALLS},  {"name", KILN_TOP_BY_NAME},
    };
    for (size_t i = 0; w && i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(w, words[i].word)) {
            *out = words[i].sort;
            return 0;
        }
    return -1;
}

typedef struct row {
    kiln_func_id id;
    const kiln_func *f;
    const char *name;
    size_t nlen;
} row;

static int cmp_double_desc(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b); /* NaN last */
    return a > b ? -1 : a < b;
}

static int cmp_rows(const void *pa, const void *pb, void *ctx)
{
    const row *a = pa, *b = pb;
    int c = 0;
    switch (*(const kiln_top_sort *)ctx) {
    case KILN_TOP_BY_TOTAL:
        c = cmp_double_desc(a->f->total, b->f->total);
        if (!c)
            c = cmp_double_desc(a->f->self, b->f->self);
        break;
    case KILN_TOP_BY_SELF:
        c = cmp_double_desc(a->f->self, b->f->self);
        if (!c)
            c = cmp_double_desc(a->f->total, b->f->total);
        break;
    case KILN_TOP_BY_CALLS:
        c = a->f->calls > b->f->calls ? -1 : a->f->calls < b->f->calls;
        if (!c)
            c = cmp_double_desc(a->f->total, b->f->total);
        break;
    case KILN_TOP_BY_NAME: {
        size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
        c = memcmp(a->name, b->name, n);
        if (!c)
            c = a->nlen < b->nlen ? -1 : a->nlen > b->nlen;
        break;
    }
    }
    if (!c) /* file order breaks every tie: deterministic output */
        c = a->id < b->id ? -1 : a->id > b->id;
    return c;
}

/* A value of the graph's sample type in human units, right-aligned in w. */
static void add_value(kiln_buf *b, int w, double v, const char *unit)
{
    char t[48];
    double a = fabs(v);
    if (!strcmp(unit, "seconds") || !strcmp(unit, "nanoseconds")) {
        double s = !strcmp(unit, "seconds") ? v : v * 1e-9;
        a = fabs(s);
        if (a >= 100 || a == 0)
            snprintf(t, sizeof t, "%.1f s", s);
        else if (a >= 1)
            snprintf(t, sizeof t, "%.3f s", s);
        else if (a >= 1e-3)
            snprintf(t, sizeof t, "%.2f ms", s * 1e3);
        else if (a >= 1e-6)
            snprintf(t, sizeof t, "%.2f us", s * 1e6);
        else
            snprintf(t, sizeof t, "%.0f ns", s * 1e9);
    } else if (!strcmp(unit, "bytes")) {
        static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        int k = 0;
        while (a >= 1024 && k < 4)
            a /= 1024, v /= 1024, k++;
        snprintf(t, sizeof t, k ? "%.1f %s" : "%.0f %s", v, u[k]);
    } else {
        static const char *const u[] = {"", "k", "M", "G", "T"};
        int k = 0;
        while (a >= 1000 && k < 4)
            a /= 1000, v /= 1000, k++;
        snprintf(t, sizeof t, k ? "%.1f%s" : "%.0f%s", v, u[k]);
    }
    kiln_buf_printf(b, "%*s", w, t);
}

static void add_pct(kiln_buf *b, double part, double whole)
{
    if (whole > 0 && isfinite(part))
        kiln_buf_printf(b, "%6.1f%%", 100.0 * part / whole);
    else
        kiln_buf_addstr(b, "      -");
}

static void add_calls(kiln_buf *b, const kiln_func *f, int given)
{
    char t[48];
    if (!given && f->calls == 0)
        snprintf(t, sizeof t, "-");
    else if (f->calls != f->prim_calls && f->prim_calls != 0)
        snprintf(t, sizeof t, "%lld/%lld", (long long)f->calls, (long long)f->prim_calls);
    else
        snprintf(t, sizeof t, "%lld", (long long)f->calls);
    kiln_buf_printf(b, "%12s", t);
}

static uint32_t listed_funcs(const kiln_profile *p)
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

/* 'L' slow leaf, 'J' busy junction, per function (marks[] sized nfuncs). */
static void fill_marks(const kiln_profile *p, char *marks, uint32_t nf)
{
    kiln_analysis *a = NULL;
    kiln_error e;
    kiln_error_clear(&e);
    if (kiln_analyze(p, NULL, &a, &e) != KILN_OK || !a)
        return;
    for (size_t i = 0; i < a->n_leaves; i++)
        if (a->leaves[i].func < nf)
            marks[a->leaves[i].func] = 'L';
    for (size_t i = 0; i < a->n_junctions; i++)
        if (a->junctions[i].func < nf)
            marks[a->junctions[i].func] = 'J';
    kiln_analysis_free(a);
}

kiln_status kiln_top_write(const kiln_profile *p, const kiln_top_opts *o, kiln_sink *out, kiln_error *err)
{
    kiln_top_opts defaults;
    if (!o) {
        kiln_top_opts_default(&defaults);
        o = &defaults;
    }
    uint32_t nf = kiln_profile_func_count(p);
    uint32_t n = listed_funcs(p);
    row *rows = calloc(n ? n : 1, sizeof *rows);
    char *marks = calloc(nf ? nf : 1, 1);
    kiln_buf b = KILN_BUF_INIT;
    kiln_status st = KILN_OK;
    if (!rows || !marks) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        goto done;
    }
    int type = kiln_profile_graph_type(p);
    const char *unit = kiln_profile_sample_type_unit(p, type);
    const char *tname = kiln_profile_sample_type_name(p, type);
    int given = kiln_profile_graph_given(p);
    double run = 0;
    for (uint32_t i = 0; i < nf; i++) {
        double s = kiln_profile_func_at(p, i)->self;
        if (isfinite(s))
            run += s;
    }
    for (uint32_t i = 0; i < n; i++) {
        rows[i].id = i;
        rows[i].f = kiln_profile_func_at(p, i);
        rows[i].name = kiln_profile_str(p, kiln_profile_frame_get(p, rows[i].f->frame)->name, &rows[i].nlen);
    }
    kiln_top_sort sort = o->sort;
    qsort_r(rows, n, sizeof *rows, cmp_rows, &sort);
    if (o->marks)
        fill_marks(p, marks, nf);

    static const char *const sort_words[] = {"total", "self", "calls", "name"};
    const char *fmt = kiln_profile_meta_get(p, KILN_META_FORMAT);
    const char *tool = kiln_profile_meta_get(p, KILN_META_TOOL);
    kiln_buf_printf(&b, "%u functions, ", nf);
    add_value(&b, 0, run, unit);
    kiln_buf_addstr(&b, " ");
    ki_term_escape(&b, tname, strlen(tname));
    kiln_buf_addstr(&b, " in all, from ");
    ki_term_escape(&b, fmt ? fmt : "?", strlen(fmt ? fmt : "?"));
    if (tool) {
        kiln_buf_addstr(&b, " (");
        ki_term_escape(&b, tool, strlen(tool));
        kiln_buf_addch(&b, ')');
    }
    size_t shown = o->limit >= 0 && (unsigned long long)o->limit < n ? (size_t)o->limit : n;
    kiln_buf_printf(&b, "; %zu of %u by %s%s\n\n", shown, n, sort_words[o->sort & 3],
                    o->marks ? "; L = slow leaf, J = busy junction" : "");
    kiln_buf_printf(&b, "%s%7s %7s %10s %10s %12s  %s\n", o->marks ? "  " : "", "total", "self", "total", "self",
                    "calls", "function  file:line");
    for (size_t r = 0; r < shown; r++) {
        const row *x = &rows[r];
        const kiln_frame *fr = kiln_profile_frame_get(p, x->f->frame);
        if (o->marks)
            kiln_buf_printf(&b, "%c ", marks[x->id] ? marks[x->id] : ' ');
        add_pct(&b, x->f->total, run);
        kiln_buf_addch(&b, ' ');
        add_pct(&b, x->f->self, run);
        kiln_buf_addch(&b, ' ');
        add_value(&b, 10, x->f->total, unit);
        kiln_buf_addch(&b, ' ');
        add_value(&b, 10, x->f->self, unit);
        kiln_buf_addch(&b, ' ');
        add_calls(&b, x->f, given);
        kiln_buf_addstr(&b, "  ");
        ki_term_escape(&b, x->name, x->nlen);
        size_t flen;
        const char *file = kiln_profile_str(p, fr->file, &flen);
        if (!flen || (flen == 1 && file[0] == '~'))
            file = kiln_profile_str(p, fr->module, &flen);
        if (flen) {
            kiln_buf_addstr(&b, "  ");
            ki_term_escape(&b, file, flen);
            if (fr->line)
                kiln_buf_printf(&b, ":%u", fr->line);
        }
        kiln_buf_addch(&b, '\n');
        if (b.len > (1u << 16)) {
            if (b.failed || kiln_sink_write(out, b.data, b.len) < 0)
                break;
            kiln_buf_reset(&b);
        }
    }
    if (b.failed)
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    else if ((b.len && kiln_sink_write(out, b.data, b.len) < 0) || out->failed)
        st = kiln_error_set(err, KILN_ERR_WRITE, "write error");
done:
    free(rows);
    free(marks);
    kiln_buf_release(&b);
    return st;
}
