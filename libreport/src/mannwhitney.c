/* mannwhitney.c: two-sided Mann-Whitney U test with the normal
 * approximation, tie correction and continuity correction (the same numbers
 * as scipy.stats.mannwhitneyu(x, y, method="asymptotic")). */
#include <math.h>
#include <stdlib.h>

#include "kiln/compare.h"

typedef struct {
    double v;
    int from_x;
} tagged;

static int tagged_cmp(const void *a, const void *b)
{
    double x = ((const tagged *)a)->v, y = ((const tagged *)b)->v;
    return (x > y) - (x < y);
}

kiln_status kiln_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, kiln_mwu *out)
{
    if (!nx || !ny)
        return KILN_ERR_USAGE;
    size_t n = nx + ny;
    if (n < nx) /* overflow */
        return KILN_ERR_USAGE;
    tagged *all = malloc(n * sizeof *all);
    if (!all)
        return KILN_ERR_NOMEM;
    for (size_t i = 0; i < nx; i++) {
        if (isnan(x[i]))
            goto bad;
        all[i] = (tagged){x[i], 1};
    }
    for (size_t i = 0; i < ny; i++) {
        if (isnan(y[i]))
            goto bad;
        all[nx + i] = (tagged){y[i], 0};
    }
    if (n > 1)
        qsort(all, n, sizeof *all, tagged_cmp);

    /* Ranks 1..n, ties get the average rank; sum of (t^3 - t) over tie groups. */
    double rank_sum_x = 0, tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && all[j].v == all[i].v)
            j++;
        double t = (double)(j - i);
        double avg = ((double)i + 1 + (double)j) / 2; /* ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            if (all[k].from_x)
                rank_sum_x += avg;
        tie_term += t * t * t - t;
        i = j;
    }
    free(all);

    double n1 = (double)nx, n2 = (double)ny, N = (double)n;
    double u1 = rank_sum_x - n1 * (n1 + 1) / 2;
    double u2 = n1 * n2 - u1;
    double mu = n1 * n2 / 2;
    double var = n1 * n2 / 12 * ((N + 1) - tie_term / (N * (N - 1)));
    out->u = u1;
    if (!(var > 0)) { /* every value equal: no evidence of a difference */
        out->z = 0;
        out->p = 1;
        return KILN_OK;
    }
    double u = u1 > u2 ? u1 : u2;
    double z = (u - mu - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    out->z = z;
    double p = erfc(z / sqrt(2.0)); /* 2 * (1 - Phi(z)) */
    out->p = p > 1 ? 1 : p;
    return KILN_OK;
bad:
    free(all);
    return KILN_ERR_USAGE;
}
