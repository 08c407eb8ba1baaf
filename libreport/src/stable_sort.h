/* Internal: a stable sort (render/ and libreport/src/ may use it). qsort is
 * not stable; pstats' order and a timeline with equal timestamps need ties
 * kept in input order. */
#ifndef KI_STABLE_SORT_H
#define KI_STABLE_SORT_H

#include <stddef.h>

/* Sorts n elements of `size` bytes at base with cmp (negative, 0, positive;
 * ctx passed through); elements that compare equal keep their order.
 * Bottom-up merge sort: O(n log n), one scratch buffer of n elements.
 * Returns 0, or -1 when the buffer cannot be allocated (base unchanged). */
int ki_stable_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
                   void *ctx);

#endif
