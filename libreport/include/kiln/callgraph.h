/* kiln/callgraph.h: the call graph picture (what gprof2dot + dot draw, redone).
 *
 * Nodes are functions of the profile's call graph (kiln_profile_func_at):
 * name, file:line (or module), total %, self % and calls. Edges carry total %
 * and call counts; recursion is a self-loop with its counts. Colours follow a
 * heat scale of total %. Functions and edges below the thresholds are hidden
 * and the title says how many. Slow leaf nodes (mostly self time) and busy
 * junctions (much total time, little self) get a badge.
 *
 * Graphviz (libgvc, "dot") computes the layout only; cairo + pango draw it,
 * so names are plain text (never markup) and invalid UTF-8 or control bytes
 * are shown escaped. Percentages are of the sum of all functions' self time
 * in the graph's sample type (kiln_profile_graph_type), as pstats and
 * gprof2dot compute them. */
#ifndef KILN_CALLGRAPH_H
#define KILN_CALLGRAPH_H

#include <stdint.h>

#include "kiln/io.h"
#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_callgraph_format {
    KILN_CALLGRAPH_PNG = 0,
    KILN_CALLGRAPH_SVG = 1,
    KILN_CALLGRAPH_PDF = 2,
    /* Graphviz DOT text of the laid-out graph: positions plus kiln_* attributes
     * (kiln_name, kiln_file, kiln_line, kiln_total_pct, kiln_self_pct,
     * kiln_calls, kiln_prim_calls, kiln_mark; edges kiln_total_pct, kiln_calls,
     * kiln_prim_calls). Meant for tools and tests. */
    KILN_CALLGRAPH_DOT = 3
} kiln_callgraph_format;

#define KILN_CALLGRAPH_NODE_THRESHOLD 0.5   /* % of total, like gprof2dot -n */
#define KILN_CALLGRAPH_EDGE_THRESHOLD 0.1   /* % of total, like gprof2dot -e */
#define KILN_CALLGRAPH_MAX_NODES 300u       /* default cap on drawn functions */
#define KILN_CALLGRAPH_MAX_NODES_LIMIT 5000u /* hard cap (layout time) */
#define KILN_CALLGRAPH_MAX_PIXELS 32767     /* PNG side limit: larger layouts are scaled down */

typedef struct kiln_callgraph_opts {
    kiln_callgraph_format format;
    double node_threshold;   /* hide functions whose total % is below this */
    double edge_threshold;   /* hide edges whose total % is below this */
    uint32_t max_nodes;      /* keep at most this many functions (highest total first) */
    double scale;            /* PNG pixels per point; 0 = default (1.25) */
    const char *title;       /* first title line (borrowed); NULL = "kiln call graph" */
} kiln_callgraph_opts;

/* Fills the defaults above (PNG). */
void kiln_callgraph_opts_init(kiln_callgraph_opts *opts);

/* Lays out and draws p's call graph into out. opts may be NULL (defaults).
 * p is borrowed and must be finished (kiln_profile_finish). Fails with
 * KILN_ERR_USAGE for bad options, KILN_ERR_DATA when the profile has no call
 * graph or no time, KILN_ERR_LIMIT when the picture cannot be made within the
 * caps, KILN_ERR_WRITE when out fails, KILN_ERR_INTERNAL when graphviz or
 * cairo fail. Nothing is written to out on failure before the drawing is
 * complete, except by a failing sink. */
kiln_status kiln_render_callgraph(const kiln_profile *p, const kiln_callgraph_opts *opts,
                                  kiln_sink *out, kiln_error *err);

/* The format for an output file name's extension (".png", ".svg", ".pdf",
 * ".dot"/".gv", case-insensitive); -1 when unknown. */
int kiln_callgraph_format_from_path(const char *path);

#ifdef __cplusplus
}
#endif
#endif
