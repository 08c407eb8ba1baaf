/* A stable bottom-up merge sort (stable_sort.h). */
#include "stable_sort.h"

#include <stdlib.h>
#include <string.h>

int ki_stable_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
                   void *ctx)
{
    if (n < 2)
        return 0;
    char *v = base, *tmp = malloc(n * size);
    if (!tmp)
        return -1;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            /* the right run's element goes first only when strictly smaller */
            while (i < mid && j < hi)
                memcpy(tmp + size * k++, cmp(v + size * j, v + size * i, ctx) < 0 ? v + size * j++ : v + size * i++,
                       size);
            memcpy(tmp + size * k, v + size * i, size * (mid - i));
            k += mid - i;
            memcpy(tmp + size * k, v + size * j, size * (hi - j));
        }
        memcpy(v, tmp, n * size);
    }
    free(tmp);
    return 0;
}
