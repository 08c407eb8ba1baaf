/* kiln/scaffold.h: starting points for a Python project's measurements.
 *
 * `kiln scaffold python` writes the two files the seed workflow asks for:
 *   <dir>/tests/benchmarks/test_<target>_benchmark.py  (pytest-benchmark,
 *       parameterised sizes, rounds/iterations set for significance)
 *   <dir>/scripts/profile_<target>.py  (cProfile to a .prof file, pstats
 *       summaries sorted by cumulative and by own time)
 * from the templates templates/scaffold_{benchmark,profile}.py.in embedded
 * in the library.
 *
 * Everything that ends up in the generated Python is validated strictly, so
 * no argument can inject code: the target is an ASCII identifier, the call
 * and the input factory are "pkg.module:function" made of ASCII identifiers
 * that are not Python keywords, the sizes are integers. */
#ifndef KILN_SCAFFOLD_H
#define KILN_SCAFFOLD_H

#include <stddef.h>

#include "kiln/buf.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_SCAFFOLD_MAX_SIZES 16
#define KILN_SCAFFOLD_MAX_SIZE 1000000000L
#define KILN_SCAFFOLD_MAX_NAME 64    /* target and each dotted component */
#define KILN_SCAFFOLD_MAX_CALL 256   /* the whole "pkg.module:function" */

/* What to scaffold. Caller-owned; every pointer is borrowed for the call. */
typedef struct kiln_scaffold_options {
    const char *target;   /* "orders": [A-Za-z_][A-Za-z0-9_]*, names the files */
    const char *call;     /* "pkg.module:function" to benchmark and profile */
    const char *input;    /* NULL, or "pkg.module:factory": factory(size)
                             returns the target's argument; without it the
                             argument is list(range(size)) */
    const char *dir;      /* project root (must exist); NULL means "." */
    const long *sizes;    /* input sizes, NULL for 500, 1000, 2000, 4000 */
    size_t nsizes;
    int force;            /* overwrite existing files */
} kiln_scaffold_options;

/* Checks opt and renders both files into caller-owned buffers (appended to;
 * either may be NULL). KILN_ERR_USAGE with a message naming the bad value
 * when an option is invalid. Writes no file. */
kiln_status kiln_scaffold_python_render(const kiln_scaffold_options *opt,
                                        kiln_buf *benchmark, kiln_buf *profile,
                                        kiln_error *err);

/* Renders and writes both files under opt->dir, creating tests/benchmarks/
 * and scripts/ as needed. Each file is written atomically (kiln_outfile).
 * Without opt->force an existing file is an error (KILN_ERR_WRITE) and
 * nothing is written; if the second file cannot be written the first one
 * is removed again when it did not exist before. When written is not NULL
 * the paths written are appended to it, one per line (caller-owned). */
kiln_status kiln_scaffold_python(const kiln_scaffold_options *opt, kiln_buf *written,
                                 kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
