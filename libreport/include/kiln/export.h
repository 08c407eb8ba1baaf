/* kiln/export.h: writing a profile in other tools' formats.
 * Owner: helper "perf" (folded stacks).
 *
 * Folded stacks (Brendan Gregg's "collapsed" format, read by flamegraph.pl,
 * inferno, speedscope): one line per distinct root-to-leaf path whose leaf
 * has a non-zero self value, "frame1;frame2;...;leaf count", sorted bytewise
 * by the stack (like stackcollapse-*.pl output), paths that print the same
 * summed. Frame names are written so the line stays parseable:
 *   - every frame: ';' becomes ':', '\n' and '\r' become ' ';
 *   - process frames (kind process): ' ' becomes '_' (stackcollapse-perf);
 *   - machine-code frames (native, kernel, inlined, jit) are named as
 *     stackcollapse-perf names them, so `perf script` -> kiln -> folded equals
 *     stackcollapse-perf.pl's output: "[unknown]" becomes "[<basename of the
 *     module>]" when the module is known, everything from the first '(' on
 *     is cut unless it opens "(anonymous namespace)" or the name looks like a
 *     Go method ("pkg.(*T).M"), '"' and '\'' are removed, frames whose name
 *     starts with '(' are left out, and under a process named "java*" a
 *     leading 'L' of a name holding '/' is dropped;
 *   - other frames (python, unknown: e.g. from a folded file) are kept as
 *     they are, so folded -> kiln -> folded is the identity (after sorting).
 * Counts are printed as integers when integral, else in the shortest form
 * that reads back as the same double (%.15g..%.17g). */
#ifndef KILN_EXPORT_H
#define KILN_EXPORT_H

#include "kiln/io.h"
#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes p's tree as folded stacks weighted by sample type `type` to out.
 * p is borrowed (it need not be finished: only self values are used).
 * Returns KILN_ERR_USAGE for a bad type, KILN_ERR_WRITE when the sink
 * fails, KILN_ERR_NOMEM. */
kiln_status kiln_export_folded(const kiln_profile *p, int type, kiln_sink *out, kiln_error *err);

/* The differential two-column form of difffolded.pl: "stack before after"
 * for the union of both profiles' stacks (0 where one lacks it), sorted.
 * base and new_ are borrowed; each has its own sample type index. */
kiln_status kiln_export_folded_diff(const kiln_profile *base, int base_type,
                                    const kiln_profile *new_, int new_type, kiln_sink *out,
                                    kiln_error *err);


/* ---- speedscope, pprof, callgrind (owner: helper "interchange") ----------
 * All take p borrowed and finished (kiln_profile_finish: totals are used),
 * write to out, and return KILN_ERR_WRITE when the sink fails,
 * KILN_ERR_NOMEM, or KILN_ERR_USAGE for a profile without sample types. */

/* speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json):
 * frames shared by all profiles, one "sampled" profile per sample type (in
 * type order, so kiln's importer maps them back to types), one sample per
 * tree node with a self value (frame indices root first) weighted by it.
 * Units: nanoseconds, seconds and bytes are kept, anything else is "none".
 * name is the file's name shown by speedscope (NULL: the profile's command
 * metadata, else "kiln profile"). Strings are valid UTF-8 (bad bytes become
 * U+FFFD). */
kiln_status kiln_export_speedscope(const kiln_profile *p, const char *name, kiln_sink *out,
                                   kiln_error *err);

/* pprof's profile.proto (github.com/google/pprof proto/profile.proto),
 * gzip-compressed unless gzip is 0: one Function and Location per frame,
 * one Mapping per module, one Sample per node with a self value, every
 * sample type with its unit. Values are int64: seconds are written as
 * nanoseconds, others rounded. Metadata is kept as comments
 * "kiln:key=value" (read back by kiln's pprof importer). */
kiln_status kiln_export_pprof(const kiln_profile *p, int gzip, kiln_sink *out, kiln_error *err);

/* Callgrind's format (valgrind's "Callgrind Format Specification", read by
 * KCachegrind and callgrind_annotate): one event per sample type (names
 * reduced to [A-Za-z0-9_]), fn=/fl= with name compression, self cost per
 * function, and per caller->callee edge a calls= line with the inclusive
 * cost. A given call graph (cProfile) is written as it is (call counts
 * exact); otherwise edges come from the tree, each edge counted once per
 * stack so recursion is not counted twice, and calls= gives the number of
 * calling contexts when call counts are unknown. Integer costs as in pprof. */
kiln_status kiln_export_callgrind(const kiln_profile *p, kiln_sink *out, kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
