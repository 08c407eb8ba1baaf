/* kiln/merge.h: merging profiles of one program (many runs, many machines).
 * Owner: helper "interchange".
 *
 * Values are summed per calling context (tree node, matched by the frames
 * on its path) and, when every input carries a given call graph (cProfile),
 * per function and per caller->callee edge, like pstats' Stats.add(): call
 * counts, primitive calls, self and total times add up. Sample types are
 * matched by name (the union, in order of first appearance, at most
 * KILN_MAX_SAMPLE_TYPES). Functions and edges of a merged graph are stored
 * in a canonical order (by file, line, name), so the result does not depend
 * on the order of the inputs.
 *
 * Without scaling the merge is associative and commutative up to floating-
 * point rounding of the sums: merge(merge(a,b),c) == merge(a,merge(b,c)) ==
 * merge(c,b,a). Metadata: each input's keys are kept as "input.N.<key>"
 * (N counts inputs from 0; inputs that are merges themselves are flattened,
 * so their inputs are renumbered in place); keys equal in all inputs are
 * also kept as they are; "source_format" is "merge". */
#ifndef KILN_MERGE_H
#define KILN_MERGE_H

#include <stddef.h>

#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    /* Multiply each input's values by (mean of the inputs' totals) / (its
     * total), per sample type, so every input weighs the same. Not
     * associative: apply it to the whole set of inputs at once. */
    KILN_MERGE_SCALE = 1
};

/* Merges n >= 1 finished profiles (borrowed) into a new finished profile
 * *out (caller frees with kiln_profile_free). Returns KILN_ERR_USAGE when
 * n == 0, KILN_ERR_LIMIT when the union has too many sample types,
 * KILN_ERR_NOMEM. */
kiln_status kiln_merge(const kiln_profile *const *inputs, size_t n, unsigned flags, kiln_profile **out,
                       kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
