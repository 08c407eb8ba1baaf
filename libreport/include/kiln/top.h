/* kiln/top.h: the flat function table ("where does the time go").
 *
 * Two renderers over a profile's function-level call graph:
 *
 *   kiln_top_write     kiln's own terminal view: total %, self %, total,
 *                      self (in human units of the graph's sample type),
 *                      calls, slow-leaf / busy-junction mark, name and
 *                      file:line, sorted by total, self, calls or name.
 *                      Names are escaped for the terminal.
 *
 *   kiln_pstats_write  byte-for-byte what Python's
 *                      pstats.Stats(path).sort_stats(KEY).print_stats(N)
 *                      prints for a .prof file (keys, prefixes, stable sort
 *                      over file order, "List reduced" line, number
 *                      formats). Meaningful for profiles imported from .prof
 *                      (it lists the first "pstats_entries" functions, the
 *                      stats dict's keys); for other profiles it prints
 *                      their call graph the same way.
 *
 * Both write through a kiln_sink and never print elsewhere. */
#ifndef KILN_TOP_H
#define KILN_TOP_H

#include <stdint.h>

#include "kiln/io.h"
#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_top_sort {
    KILN_TOP_BY_TOTAL = 0,   /* cumulative (default) */
    KILN_TOP_BY_SELF,        /* tottime */
    KILN_TOP_BY_CALLS,       /* total calls */
    KILN_TOP_BY_NAME         /* name, then file, then line */
} kiln_top_sort;

typedef struct kiln_top_opts {
    kiln_top_sort sort;
    long long limit;         /* rows shown; < 0 = all (default 25) */
    int marks;               /* 1 = run kiln_analyze and mark slow leaves "L" and
                                busy junctions "J" (default 1) */
} kiln_top_opts;

/* Fills o with the defaults (by total, 25 rows, marks on). */
void kiln_top_opts_default(kiln_top_opts *o);

/* Parses "cumulative"/"cumtime"/"total", "self"/"tottime"/"time", "calls"/
 * "ncalls", "name". Returns 0 and sets *out, or -1 when unknown. */
int kiln_top_sort_parse(const char *word, kiln_top_sort *out);

/* Renders the table for a finished profile (borrowed) into out. Errors:
 * KILN_ERR_NOMEM, KILN_ERR_WRITE (the sink failed). */
kiln_status kiln_top_write(const kiln_profile *p, const kiln_top_opts *o, kiln_sink *out,
                           kiln_error *err);

typedef struct kiln_pstats_opts {
    const char *sort;        /* a pstats sort key or unique prefix (default "cumulative"):
                                calls ncalls cumtime cumulative filename module line name
                                nfl pcalls stdname time tottime; borrowed */
    long long limit;         /* print_stats(limit); < 0 = no restriction (default) */
    const char *path;        /* the file's name as given: the first line is
                                ctime(mtime) + 4 spaces + path. NULL = no file line
                                (as for stdin). Borrowed */
    double mtime;            /* st_mtime as Python computes it: sec + nsec * 1e-9 */
    int escape;              /* 1 = escape control bytes in names (for a terminal);
                                0 = raw bytes, exactly as pstats prints them */
} kiln_pstats_opts;

/* Defaults: "cumulative", no limit, no file line, raw names. */
void kiln_pstats_opts_default(kiln_pstats_opts *o);

/* 1 when pstats accepts word as a sort key (full key or unique prefix). */
int kiln_pstats_sort_valid(const char *word);

/* Renders pstats' print_stats output for p (borrowed) into out. Errors:
 * KILN_ERR_USAGE (unknown sort key), KILN_ERR_NOMEM, KILN_ERR_WRITE. */
kiln_status kiln_pstats_write(const kiln_profile *p, const kiln_pstats_opts *o, kiln_sink *out,
                              kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
