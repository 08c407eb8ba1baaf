/* Internal: helpers shared by analysis*.c and the report renderers. */
#ifndef KI_ANALYSIS_INTERNAL_H
#define KI_ANALYSIS_INTERNAL_H

#include <stddef.h>

#include "kiln/analysis.h"

/* Seconds per unit for a time unit ("seconds", "nanoseconds", ...), or 0
 * when the unit is not a time (counts, bytes). */
double ki_unit_seconds(const char *unit);

/* "0.111 s", "13.9 ms", "5.2 µs", "1234 samples": a value in the graph's unit,
 * written into out (always NUL-terminated). */
void ki_fmt_quantity(char *out, size_t n, double v, const char *unit);

/* Family detection (analysis_families.c). */
kiln_pattern ki_family_of(const char *name, const char *file, int kind);

/* Recommendation ranking, Amdahl and the 80/20 set (analysis_recs.c). Fills
 * a->recs from a->findings. Returns 0, or -1 on OOM. */
int ki_analysis_recommend(const kiln_profile *p, kiln_analysis *a);

#endif
