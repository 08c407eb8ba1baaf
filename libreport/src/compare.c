/* compare.c: matching two benchmark runs by fullname, the change of one
 * metric, the noise verdict and pytest-benchmark's regression gates
 * (kiln/compare.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/compare.h"

struct kiln_compare {
    const kiln_bench_run *base, *head;
    kiln_bench_field metric;
    kiln_gate gates[KILN_MAX_GATES];
    size_t ngates;
    kiln_compare_row *rows;
    size_t count;
    double *gate_values;   /* count * ngates */
};

/* ---- fields and gates -------------------------------------------------- */

static const char *const field_names[KILN_FIELD_COUNT_] = {"mean", "min", "max", "stddev",
                                                           "median", "iqr", "ops"};

const char *kiln_bench_field_name(kiln_bench_field f)
{
    return (unsigned)f < KILN_FIELD_COUNT_ ? field_names[f] : "?";
}

int kiln_bench_field_parse(const char *name, kiln_bench_field *out)
{
    for (int i = 0; i < KILN_FIELD_COUNT_; i++)
        if (strcmp(name, field_names[i]) == 0) {
            *out = (kiln_bench_field)i;
            return 1;
        }
    return 0;
}

double kiln_bench_field_value(const kiln_bench_stats *s, kiln_bench_field f)
{
    switch (f) {
    case KILN_FIELD_MEAN: return s->mean;
    case KILN_FIELD_MIN: return s->min;
    case KILN_FIELD_MAX: return s->max;
    case KILN_FIELD_STDDEV: return s->stddev;
    case KILN_FIELD_MEDIAN: return s->median;
    case KILN_FIELD_IQR: return s->iqr;
    case KILN_FIELD_OPS: return s->ops;
    default: return NAN;
    }
}

kiln_status kiln_gate_parse(const char *expr, kiln_gate *out, kiln_error *err)
{
    const char *colon = strchr(expr, ':');
    char field[16];
    if (!colon || (size_t)(colon - expr) >= sizeof field)
        return kiln_error_set(err, KILN_ERR_USAGE, "'%s': expected FIELD:P%% or FIELD:SECONDS "
                              "(e.g. mean:5%% or min:0.001)", expr);
    memcpy(field, expr, (size_t)(colon - expr));
    field[colon - expr] = '\0';
    if (!kiln_bench_field_parse(field, &out->field) || out->field == KILN_FIELD_OPS)
        return kiln_error_set(err, KILN_ERR_USAGE, "'%s': unknown field '%s' (one of min, max, "
                              "mean, median, stddev, iqr)", expr, field);
    const char *num = colon + 1;
    char *end;
    double v = strtod(num, &end);
    if (end == num)
        return kiln_error_set(err, KILN_ERR_USAGE, "'%s': '%s' is not a number", expr, num);
    if (*end == '%' && end[1] == '\0')
        out->kind = KILN_GATE_PERCENT;
    else if (*end == '\0')
        out->kind = KILN_GATE_SECONDS;
    else
        return kiln_error_set(err, KILN_ERR_USAGE, "'%s': trailing '%s' after the number", expr, end);
    if (!isfinite(v) || v < 0)
        return kiln_error_set(err, KILN_ERR_USAGE, "'%s': the threshold must be a finite number >= 0",
                              expr);
    out->threshold = v;
    return KILN_OK;
}

double kiln_gate_value(const kiln_gate *g, const kiln_bench_stats *base, const kiln_bench_stats *head)
{
    double b = kiln_bench_field_value(base, g->field);
    double h = kiln_bench_field_value(head, g->field);
    if (g->kind == KILN_GATE_SECONDS)
        return h - b;
    if (b == 0) /* pytest-benchmark: "if not val: return float('inf')" */
        return INFINITY;
    return h / b * 100 - 100;
}

int kiln_gate_fails(const kiln_gate *g, double value)
{
    return value > g->threshold; /* NaN compares false */
}

const char *kiln_gate_check_name(const kiln_gate *g)
{
    return g->kind == KILN_GATE_PERCENT ? "PercentageRegressionCheck" : "DifferenceRegressionCheck";
}

/* ---- matching ------------------------------------------------------------- */

typedef struct {
    const char *name;
    size_t idx;
} named;

static int named_cmp(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Index of the first entry with this name, or -1. */
static long find_named(const named *v, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(v[lo].name, name) == 0 ? (long)lo : -1;
}

static void judge(kiln_compare_row *r, kiln_bench_field metric, double alpha)
{
    const kiln_bench_stats *b = &r->base->stats, *h = &r->head->stats;
    double vb = kiln_bench_field_value(b, metric), vh = kiln_bench_field_value(h, metric);
    r->p_value = NAN;
    r->improvement_pct = NAN;
    r->speedup = NAN;
    if (isfinite(vb) && isfinite(vh) && vb != 0) {
        if (metric == KILN_FIELD_OPS) { /* bigger is better */
            r->improvement_pct = (vh - vb) / vb * 100;
            r->speedup = vh / vb;
        } else {
            r->improvement_pct = (vb - vh) / vb * 100;
            r->speedup = vh != 0 ? vb / vh : INFINITY;
        }
    }
    int beyond = -1;
    if (b->data && h->data && b->data_len >= 2 && h->data_len >= 2) {
        kiln_mwu m;
        if (kiln_mann_whitney(b->data, b->data_len, h->data, h->data_len, &m) == KILN_OK) {
            r->method = KILN_NOISE_MANN_WHITNEY;
            r->p_value = m.p;
            beyond = m.p < alpha;
        }
    }
    if (beyond < 0 && (b->present & KILN_BSTAT_Q1) && (b->present & KILN_BSTAT_Q3) &&
        (h->present & KILN_BSTAT_Q1) && (h->present & KILN_BSTAT_Q3) && isfinite(b->q1) &&
        isfinite(b->q3) && isfinite(h->q1) && isfinite(h->q3)) {
        r->method = KILN_NOISE_IQR_OVERLAP;
        beyond = !(b->q1 <= h->q3 && h->q1 <= b->q3);
    }
    if (beyond < 0 || isnan(r->improvement_pct))
        r->verdict = KILN_VERDICT_NONE;
    else if (!beyond || r->improvement_pct == 0)
        r->verdict = KILN_VERDICT_NOISE;
    else
        r->verdict = r->improvement_pct > 0 ? KILN_VERDICT_FASTER : KILN_VERDICT_SLOWER;
}

kiln_status kiln_compare_runs(const kiln_bench_run *base, const kiln_bench_run *head,
                              const kiln_compare_opts *opts, kiln_compare **out, kiln_error *err)
{
    *out = NULL;
    kiln_compare_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    if (opts->ngates > KILN_MAX_GATES)
        return kiln_error_set(err, KILN_ERR_USAGE, "at most %d gates", KILN_MAX_GATES);
    if ((unsigned)opts->metric >= KILN_FIELD_COUNT_)
        return kiln_error_set(err, KILN_ERR_USAGE, "unknown metric");
    double alpha = opts->alpha > 0 && opts->alpha < 1 ? opts->alpha : 0.05;

    size_t nb = kiln_bench_run_count(base), nh = kiln_bench_run_count(head);
    kiln_compare *c = calloc(1, sizeof *c);
    named *bidx = malloc((nb ? nb : 1) * sizeof *bidx);
    named *hidx = malloc((nh ? nh : 1) * sizeof *hidx);
    unsigned char *used = calloc(nb ? nb : 1, 1);
    if (c) {
        c->rows = calloc(nb + nh ? nb + nh : 1, sizeof *c->rows);
        c->gate_values = malloc(((nb + nh) * (opts->ngates ? opts->ngates : 1) + 1) * sizeof(double));
    }
    if (!c || !bidx || !hidx || !used || !c->rows || !c->gate_values) {
        free(bidx);
        free(hidx);
        free(used);
        kiln_compare_free(c);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory comparing %zu + %zu benchmarks",
                              nb, nh);
    }
    c->base = base;
    c->head = head;
    c->metric = opts->metric;
    c->ngates = opts->ngates;
    if (opts->ngates)
        memcpy(c->gates, opts->gates, opts->ngates * sizeof *c->gates);

    for (size_t i = 0; i < nb; i++)
        bidx[i] = (named){kiln_bench_run_at(base, i)->fullname, i};
    if (nb > 1)
        qsort(bidx, nb, sizeof *bidx, named_cmp);
    for (size_t i = 0; i < nh; i++)
        hidx[i] = (named){kiln_bench_run_at(head, i)->fullname, i};
    if (nh > 1)
        qsort(hidx, nh, sizeof *hidx, named_cmp);

    for (size_t i = 0; i < nh; i++) {
        const kiln_bench *h = kiln_bench_run_at(head, i);
        /* a duplicate fullname in the new run: only the first counts */
        long first = find_named(hidx, nh, h->fullname);
        if (first >= 0 && hidx[first].idx != i)
            continue;
        kiln_compare_row *r = &c->rows[c->count];
        r->head = h;
        r->p_value = r->improvement_pct = r->speedup = NAN;
        long at = find_named(bidx, nb, h->fullname);
        if (at < 0) {
            r->kind = KILN_ROW_ADDED;
        } else {
            r->kind = KILN_ROW_MATCHED;
            r->base = kiln_bench_run_at(base, bidx[at].idx);
            used[bidx[at].idx] = 1;
            judge(r, c->metric, alpha);
        }
        for (size_t g = 0; g < c->ngates; g++) {
            double v = r->base ? kiln_gate_value(&c->gates[g], &r->base->stats, &h->stats) : NAN;
            c->gate_values[c->count * c->ngates + g] = v;
            if (kiln_gate_fails(&c->gates[g], v))
                r->failed_gates |= 1u << g;
        }
        c->count++;
    }
    for (size_t i = 0; i < nb; i++) {
        const kiln_bench *b = kiln_bench_run_at(base, i);
        if (used[i])
            continue;
        long first = find_named(bidx, nb, b->fullname);
        if (first >= 0 && bidx[first].idx != i)
            continue;
        kiln_compare_row *r = &c->rows[c->count];
        r->kind = KILN_ROW_REMOVED;
        r->base = b;
        r->p_value = r->improvement_pct = r->speedup = NAN;
        for (size_t g = 0; g < c->ngates; g++)
            c->gate_values[c->count * c->ngates + g] = NAN;
        c->count++;
    }
    free(bidx);
    free(hidx);
    free(used);
    *out = c;
    return KILN_OK;
}

void kiln_compare_free(kiln_compare *c)
{
    if (!c)
        return;
    free(c->rows);
    free(c->gate_values);
    free(c);
}

size_t kiln_compare_count(const kiln_compare *c) { return c->count; }
const kiln_bench_run *kiln_compare_base(const kiln_compare *c) { return c->base; }
const kiln_bench_run *kiln_compare_head(const kiln_compare *c) { return c->head; }
kiln_bench_field kiln_compare_metric(const kiln_compare *c) { return c->metric; }
size_t kiln_compare_gate_count(const kiln_compare *c) { return c->ngates; }

const kiln_compare_row *kiln_compare_row_at(const kiln_compare *c, size_t i)
{
    return i < c->count ? &c->rows[i] : NULL;
}

const kiln_gate *kiln_compare_gate(const kiln_compare *c, size_t g)
{
    return g < c->ngates ? &c->gates[g] : NULL;
}

double kiln_compare_gate_value(const kiln_compare *c, size_t row, size_t gate)
{
    if (row >= c->count || gate >= c->ngates)
        return NAN;
    return c->gate_values[row * c->ngates + gate];
}

size_t kiln_compare_regressions(const kiln_compare *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->count; i++)
        n += c->rows[i].failed_gates != 0;
    return n;
}

void kiln_compare_summarize(const kiln_compare *c, kiln_compare_summary *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < c->count; i++) {
        const kiln_compare_row *r = &c->rows[i];
        if (r->kind == KILN_ROW_ADDED)
            s->added++;
        else if (r->kind == KILN_ROW_REMOVED)
            s->removed++;
        else
            s->matched++;
        if (r->verdict == KILN_VERDICT_FASTER)
            s->faster++;
        else if (r->verdict == KILN_VERDICT_SLOWER)
            s->slower++;
        else if (r->verdict == KILN_VERDICT_NOISE)
            s->noise++;
        s->failed += r->failed_gates != 0;
    }
}
