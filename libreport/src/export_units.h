/* Internal: integer values for formats that only carry integers (pprof,
 * callgrind). Owner: helper "interchange".
 * A sample type measured in seconds (cProfile) is written in nanoseconds;
 * any other value is rounded to the nearest integer. */
#ifndef KI_EXPORT_UNITS_H
#define KI_EXPORT_UNITS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kiln/profile.h"

/* Factor to apply to values of type t, and the unit they are then in. */
static inline double ki_int_scale(const kiln_profile *p, int t, const char **unit)
{
    const char *u = kiln_profile_sample_type_unit(p, t);
    if (u && strcmp(u, "seconds") == 0) {
        *unit = "nanoseconds";
        return 1e9;
    }
    *unit = u && *u ? u : "count";
    return 1.0;
}

static inline int64_t ki_int_value(double v, double scale)
{
    double r = nearbyint(v * scale);
    if (!(r > -9.2e18))
        return r != r ? 0 : INT64_MIN;
    if (r > 9.2e18)
        return INT64_MAX;
    return (int64_t)r;
}

#endif
