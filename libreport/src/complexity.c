/* complexity.c: power-law fits on log-log axes and scaling series from
 * benchmark runs or from profiles at several sizes (kiln/complexity.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complexity_internal.h"
#include "kiln/complexity.h"

struct kiln_scaling_set {
    kiln_scaling_series *v;
    size_t n, cap;
};

const char *kiln_complexity_name(kiln_complexity c)
{
    static const char *const names[] = {"unknown", "constant", "logarithmic", "sublinear", "linear",
                                        "superlinear", "quadratic", "cubic", "worse than cubic"};
    return (unsigned)c <= KILN_CX_WORSE ? names[c] : "unknown";
}

kiln_status kiln_fit_power(const double *x, const double *y, size_t n, kiln_powerfit *out)
{
    memset(out, 0, sizeof *out);
    out->r2 = NAN;
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, xmin = INFINITY, xmax = -INFINITY;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0) || !(y[i] > 0) || !isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double lx = log(x[i]), ly = log(y[i]);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, syy += ly * ly;
        if (x[i] < xmin)
            xmin = x[i];
        if (x[i] > xmax)
            xmax = x[i];
        m++;
    }
    out->points = m;
    double mx = m ? sx / (double)m : 0, my = m ? sy / (double)m : 0;
    double vxx = sxx - (double)m * mx * mx, vxy = sxy - (double)m * mx * my,
           vyy = syy - (double)m * my * my;
    if (m < 2 || !(xmax > xmin) || !(vxx > 0))
        return KILN_ERR_DATA;
    double k = vxy / vxx;
    out->exponent = k;
    out->coefficient = exp(my - k * mx);
    size_t distinct = 0; /* >= 3 distinct sizes for a meaningful R^2 */
    for (size_t i = 0; i < n && distinct < 3; i++) {
        if (!(x[i] > 0) || !(y[i] > 0))
            continue;
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= x[j] == x[i] && y[j] > 0;
        distinct += !seen;
    }
    if (distinct >= 3)
        out->r2 = vyy > 0 ? 1 - (vyy - k * vxy) / vyy : 1;
    if (out->r2 < 0)
        out->r2 = 0;

    if (k < 0.35) {
        /* constant vs c*log(x): residual sum of squares of log y */
        double rss_const = vyy, rss_log = 0, mlog = 0;
        size_t q = 0;
        for (size_t i = 0; i < n; i++)
            if (x[i] > 1 && y[i] > 0 && isfinite(y[i]))
                mlog += log(y[i]) - log(log(x[i])), q++;
        if (q == m) {
            mlog /= (double)q;
            for (size_t i = 0; i < n; i++)
                if (x[i] > 1 && y[i] > 0 && isfinite(y[i])) {
                    double r = log(y[i]) - log(log(x[i])) - mlog;
                    rss_log += r * r;
                }
            out->cls = rss_log < rss_const && k > 0.05 ? KILN_CX_LOG : KILN_CX_CONSTANT;
        } else {
            out->cls = KILN_CX_CONSTANT;
        }
    } else if (k < 0.75) {
        out->cls = KILN_CX_SUBLINEAR;
    } else if (k < 1.25) {
        out->cls = KILN_CX_LINEAR;
        out->or_nlogn = k >= 1.08;
    } else if (k < 1.6) {
        out->cls = KILN_CX_NLOGN;
    } else if (k < 2.5) {
        out->cls = KILN_CX_QUADRATIC;
    } else if (k < 3.5) {
        out->cls = KILN_CX_CUBIC;
    } else {
        out->cls = KILN_CX_WORSE;
    }
    return KILN_OK;
}

char *kiln_powerfit_describe(const kiln_powerfit *f, const char *what, char *buf, size_t cap)
{
    if (f->cls == KILN_CX_UNKNOWN) {
        snprintf(buf, cap, "%s: not enough sizes to fit", what);
        return buf;
    }
    char r2[32];
    if (isnan(f->r2))
        snprintf(r2, sizeof r2, "R\xC2\xB2 n/a (%zu sizes)", f->points);
    else
        snprintf(r2, sizeof r2, "R\xC2\xB2 %.3f", f->r2);
    snprintf(buf, cap, "%s \xE2\x88\x9D n^%.2f, %s: %s%s%s", what, f->exponent, r2,
             kiln_complexity_name(f->cls), f->or_nlogn ? " (or n log n)" : "",
             !isnan(f->r2) && f->r2 < 0.9 ? " (poor fit)" : "");
    return buf;
}

/* ---- the set ------------------------------------------------------------ */

static kiln_scaling_series *set_push(kiln_scaling_set *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        kiln_scaling_series *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return NULL;
        s->v = v;
        s->cap = cap;
    }
    kiln_scaling_series *r = &s->v[s->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static void series_release(kiln_scaling_series *r)
{
    free((char *)r->name);
    free((double *)r->x);
    free((double *)r->y);
    free((double *)r->calls);
    free((double *)r->calls_out);
}

void kiln_scaling_free(kiln_scaling_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        series_release(&s->v[i]);
    free(s->v);
    free(s);
}

size_t kiln_scaling_count(const kiln_scaling_set *s) { return s ? s->n : 0; }

const kiln_scaling_series *kiln_scaling_at(const kiln_scaling_set *s, size_t i)
{
    return s && i < s->n ? &s->v[i] : NULL;
}

const kiln_scaling_series *kiln_scaling_series_array(const kiln_scaling_set *s)
{
    return s ? s->v : NULL;
}

/* Sort the points of a series by size (insertion sort: few points). */
static void sort_points(double *x, double *y, double *c, double *o, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double t = x[j]; x[j] = x[j - 1]; x[j - 1] = t;
            t = y[j]; y[j] = y[j - 1]; y[j - 1] = t;
            if (c) { t = c[j]; c[j] = c[j - 1]; c[j - 1] = t; }
            if (o) { t = o[j]; o[j] = o[j - 1]; o[j - 1] = t; }
        }
}

/* Calls f makes to other functions (self-recursion left out). */
static double calls_out(const kiln_profile *p, kiln_func_id f)
{
    const uint32_t *idx;
    uint32_t n = kiln_profile_callees(p, f, &idx);
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        const kiln_edge *e = kiln_profile_edge_at(p, idx[i]);
        if (e->callee != f && e->calls > 0)
            sum += (double)e->calls;
    }
    return sum;
}

/* ---- from a benchmark run ------------------------------------------------- */

typedef struct {
    char key[512];
    size_t idx;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

kiln_status kiln_scaling_add_bench(kiln_scaling_set **setp, const kiln_bench_run *run,
                                   kiln_bench_field metric, const char *param, const char *label,
                                   kiln_error *err)
{
    if (!*setp && !(*setp = calloc(1, sizeof **setp)))
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    kiln_scaling_set *set = *setp;
    size_t n = kiln_bench_run_count(run), m = 0;
    keyed *ks = malloc((n ? n : 1) * sizeof *ks);
    if (!ks)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const kiln_bench *b = kiln_bench_run_at(run, i);
        double size;
        if (!kiln_bench_size_param(b, param, &size))
            continue;
        char base[256];
        kiln_bench_base_name(b, base, sizeof base);
        snprintf(ks[m].key, sizeof ks[m].key, "%s\x1f%s", base, b->group ? b->group : "");
        ks[m++].idx = i;
    }
    /* keep first-seen order of series: sort, then emit groups by first index */
    if (m > 1)
        qsort(ks, m, sizeof *ks, keyed_cmp);
    size_t first_series = set->n;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && strcmp(ks[j].key, ks[i].key) == 0)
            j++;
        size_t cnt = j - i;
        double *x = malloc(cnt * sizeof *x), *y = malloc(cnt * sizeof *y);
        kiln_scaling_series *r = x && y ? set_push(set) : NULL;
        if (!r) {
            free(x);
            free(y);
            free(ks);
            return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        }
        for (size_t k = 0; k < cnt; k++) {
            const kiln_bench *b = kiln_bench_run_at(run, ks[i + k].idx);
            kiln_bench_size_param(b, param, &x[k]);
            y[k] = kiln_bench_field_value(&b->stats, metric);
        }
        sort_points(x, y, NULL, NULL, cnt);
        char name[600];
        size_t bl = strcspn(ks[i].key, "\x1f");
        snprintf(name, sizeof name, "%.*s%s%s%s", (int)bl, ks[i].key, label ? " (" : "",
                 label ? label : "", label ? ")" : "");
        r->name = strdup(name);
        r->x = x;
        r->y = y;
        r->n = cnt;
        r->share = (double)ks[i].idx; /* temporary: first index, for ordering */
        if (!r->name) {
            free(ks);
            return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        }
        if (kiln_fit_power(x, y, cnt, &r->fit) != KILN_OK) {
            series_release(r); /* a single size (or all equal): no series */
            set->n--;
        }
        i = j;
    }
    free(ks);
    /* restore the file order among the new series */
    for (size_t a = first_series + 1; a < set->n; a++)
        for (size_t b = a; b > first_series && set->v[b - 1].share > set->v[b].share; b--) {
            kiln_scaling_series t = set->v[b];
            set->v[b] = set->v[b - 1];
            set->v[b - 1] = t;
        }
    for (size_t a = first_series; a < set->n; a++)
        set->v[a].share = 0;
    return KILN_OK;
}

/* ---- from profiles ------------------------------------------------------------ */

/* "file:line(name)" like pstats, the key that matches a function across runs. */
static void func_key(const kiln_profile *p, kiln_func_id f, char *buf, size_t cap)
{
    const kiln_func *fn = kiln_profile_func_at(p, f);
    const kiln_frame *fr = kiln_profile_frame_get(p, fn->frame);
    snprintf(buf, cap, "%s:%u(%s)", kiln_profile_str(p, fr->file, NULL), fr->line,
             kiln_profile_str(p, fr->name, NULL));
}

void ki_scaling_func_key(const kiln_profile *p, kiln_func_id f, char *buf, size_t cap)
{
    func_key(p, f, buf, cap);
}

typedef struct {
    char *key;
    size_t prof;
    kiln_func_id func;
} fkey;

static int fkey_cmp(const void *a, const void *b)
{
    const fkey *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->prof > y->prof) - (x->prof < y->prof);
}

static int share_desc(const void *a, const void *b)
{
    double x = ((const kiln_scaling_series *)a)->share, y = ((const kiln_scaling_series *)b)->share;
    return (x < y) - (x > y);
}

kiln_status kiln_scaling_from_profiles(const kiln_profile *const *profiles, const double *sizes,
                                       size_t n, kiln_scaling_set **out, kiln_error *err)
{
    *out = NULL;
    if (n < 2)
        return kiln_error_set(err, KILN_ERR_USAGE, "scaling needs profiles at two or more sizes");
    size_t total = 0, largest = 0;
    for (size_t i = 0; i < n; i++) {
        total += kiln_profile_func_count(profiles[i]);
        if (sizes[i] > sizes[largest])
            largest = i;
    }
    kiln_scaling_set *set = calloc(1, sizeof *set);
    fkey *ks = calloc(total ? total : 1, sizeof *ks);
    if (!set || !ks) {
        free(set);
        free(ks);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    size_t m = 0;
    kiln_status st = KILN_OK;
    for (size_t i = 0; i < n && !st; i++) {
        for (kiln_func_id f = 0; f < kiln_profile_func_count(profiles[i]); f++) {
            char key[2048];
            func_key(profiles[i], f, key, sizeof key);
            ks[m] = (fkey){strdup(key), i, f};
            if (!ks[m].key) {
                st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
                break;
            }
            m++;
        }
    }
    if (m > 1)
        qsort(ks, m, sizeof *ks, fkey_cmp);
    double big_total = 0;
    {
        const kiln_profile *p = profiles[largest];
        int t = kiln_profile_graph_type(p);
        big_total = kiln_profile_total(p, t);
    }
    for (size_t i = 0; i < m && !st;) {
        size_t j = i;
        while (j < m && strcmp(ks[j].key, ks[i].key) == 0)
            j++;
        size_t cnt = j - i;
        if (cnt >= 2) {
            double *x = malloc(cnt * sizeof *x), *y = malloc(cnt * sizeof *y),
                   *c = malloc(cnt * sizeof *c), *o = malloc(cnt * sizeof *o);
            kiln_scaling_series *r = x && y && c && o ? set_push(set) : NULL;
            if (!r) {
                free(x), free(y), free(c), free(o);
                st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
                break;
            }
            for (size_t k = 0; k < cnt; k++) {
                const kiln_func *fn = kiln_profile_func_at(profiles[ks[i + k].prof], ks[i + k].func);
                x[k] = sizes[ks[i + k].prof];
                y[k] = fn->total;
                c[k] = (double)fn->calls;
                o[k] = calls_out(profiles[ks[i + k].prof], ks[i + k].func);
                if (ks[i + k].prof == largest && big_total > 0)
                    r->share = fn->total / big_total;
            }
            sort_points(x, y, c, o, cnt);
            r->name = strdup(ks[i].key);
            r->x = x, r->y = y, r->calls = c, r->calls_out = o, r->n = cnt;
            kiln_fit_power(x, o, cnt, &r->calls_out_fit);  /* no calls made: UNKNOWN */
            if (!r->name) {
                st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
                break;
            }
            int ok_t = kiln_fit_power(x, y, cnt, &r->fit) == KILN_OK;
            int ok_c = kiln_fit_power(x, c, cnt, &r->calls_fit) == KILN_OK;
            if (!ok_t && !ok_c) {
                series_release(r);
                set->n--;
            }
        }
        i = j;
    }
    for (size_t i = 0; i < m; i++)
        free(ks[i].key);
    free(ks);
    if (st) {
        kiln_scaling_free(set);
        return st;
    }
    if (set->n > 1)
        qsort(set->v, set->n, sizeof *set->v, share_desc);
    *out = set;
    return KILN_OK;
}
