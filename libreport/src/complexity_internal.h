/* Internal: shared by complexity.c and complexity_growth.c. */
#ifndef KI_COMPLEXITY_INTERNAL_H
#define KI_COMPLEXITY_INTERNAL_H

#include <stddef.h>

#include "kiln/profile.h"

/* "file:line(name)" as pstats spells it: the key that names one function
 * across profiles of one workload (and the name of a profile series). */
void ki_scaling_func_key(const kiln_profile *p, kiln_func_id f, char *buf, size_t cap);

#endif
