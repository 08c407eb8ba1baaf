/* complexity_growth.c: which function of the analysed profile a scaling
 * series speaks for (kiln_growth_match in kiln/complexity.h).
 *
 * Profile series are named by the pstats key "file:line(name)", so they
 * match exactly. A benchmark names its subject only by convention
 * (test_drop_resent_orders benchmarks drop_resent_orders), so benchmark
 * series match a function by name after the usual test prefixes and
 * suffixes are removed; the report prints which benchmark matched, so a
 * wrong guess is visible. */
#include <stdlib.h>
#include <string.h>

#include "complexity_internal.h"
#include "kiln/complexity.h"

typedef struct {
    char *key;
    kiln_func_id func;
} keyed_func;

static int keyed_cmp(const void *a, const void *b)
{
    return strcmp(((const keyed_func *)a)->key, ((const keyed_func *)b)->key);
}

/* The name a benchmark series gives its subject, into out. */
static void bench_subject(const char *series, char *out, size_t cap)
{
    size_t n = strlen(series);
    /* " (label)" added by kiln_scaling_add_bench */
    if (n && series[n - 1] == ')') {
        const char *open = strrchr(series, '(');
        if (open && open > series && open[-1] == ' ')
            n = (size_t)(open - 1 - series);
    }
    static const char *const prefixes[] = {"test_", "bench_", "benchmark_", NULL};
    static const char *const suffixes[] = {"_benchmark", "_bench", NULL};
    for (const char *const *pf = prefixes; *pf; pf++) {
        size_t k = strlen(*pf);
        if (n > k && strncmp(series, *pf, k) == 0) {
            series += k;
            n -= k;
            break;
        }
    }
    for (const char *const *sf = suffixes; *sf; sf++) {
        size_t k = strlen(*sf);
        if (n > k && strncmp(series + n - k, *sf, k) == 0) {
            n -= k;
            break;
        }
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(out, series, n);
    out[n] = 0;
}

/* The function of p named subject (whole name, or the part after the last
 * '.'), the one with the largest total when several are. */
static kiln_func_id by_name(const kiln_profile *p, const char *subject)
{
    size_t sl = strlen(subject);
    kiln_func_id best = KILN_NONE;
    double best_total = -1;
    if (!sl)
        return KILN_NONE;
    for (kiln_func_id f = 0; f < kiln_profile_func_count(p); f++) {
        const kiln_func *fn = kiln_profile_func_at(p, f);
        size_t len;
        const char *name = kiln_profile_str(p, kiln_profile_frame_get(p, fn->frame)->name, &len);
        const char *dot = memrchr(name, '.', len);
        const char *tail = dot ? dot + 1 : name;
        size_t tl = len - (size_t)(tail - name);
        int same = (len == sl && memcmp(name, subject, sl) == 0) || (tl == sl && memcmp(tail, subject, sl) == 0);
        if (same && fn->total > best_total) {
            best = f;
            best_total = fn->total;
        }
    }
    return best;
}

kiln_status kiln_growth_match(const kiln_profile *p, const kiln_scaling_set *set, size_t from, size_t to,
                              kiln_growth **out, size_t *n, kiln_error *err)
{
    *out = NULL;
    *n = 0;
    size_t count = kiln_scaling_count(set);
    if (to > count)
        to = count;
    if (!p || from >= to)
        return KILN_OK;
    uint32_t nf = kiln_profile_func_count(p);
    kiln_growth *g = calloc(to - from, sizeof *g);
    keyed_func *keys = calloc(nf ? nf : 1, sizeof *keys);
    unsigned char *taken = calloc(nf ? nf : 1, 1);
    kiln_status st = KILN_OK;
    size_t m = 0, nk = 0;
    if (!g || !keys || !taken) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = from; i < to; i++) {
        const kiln_scaling_series *s = kiln_scaling_at(set, i);
        if (s->calls && !nk) {
            /* the first profile series: index the profile's keys once */
            for (kiln_func_id f = 0; f < nf; f++) {
                char key[2048];
                ki_scaling_func_key(p, f, key, sizeof key);
                if (!(keys[nk].key = strdup(key))) {
                    st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
                    goto done;
                }
                keys[nk++].func = f;
            }
            qsort(keys, nk, sizeof *keys, keyed_cmp);
        }
        if (s->fit.cls == KILN_CX_UNKNOWN || s->n < 2)
            continue;
        kiln_func_id f = KILN_NONE;
        if (s->calls) {
            keyed_func probe = {(char *)s->name, 0};
            const keyed_func *hit = nk ? bsearch(&probe, keys, nk, sizeof *keys, keyed_cmp) : NULL;
            f = hit ? hit->func : KILN_NONE;
        } else {
            char subject[512];
            bench_subject(s->name, subject, sizeof subject);
            f = by_name(p, subject);
        }
        if (f == KILN_NONE || taken[f])
            continue;
        taken[f] = 1;
        memset(&g[m], 0, sizeof g[m]);
        g[m].func = f;
        g[m].fit = s->fit;
        if (s->calls) {
            g[m].calls_fit = s->calls_fit;
            g[m].calls_out_fit = s->calls_out_fit;
        }
        g[m].size_min = s->x[0];
        g[m].size_max = s->x[s->n - 1];
        g[m].series = i;
        g[m].from_bench = s->calls == NULL;
        m++;
    }
done:
    for (size_t i = 0; i < nk; i++)
        free(keys[i].key);
    free(keys);
    free(taken);
    if (st || !m) {
        free(g);
        return st;
    }
    *out = g;
    *n = m;
    return KILN_OK;
}
