/* render/callgraph_internal.h: the call graph picture's pipeline, shared by
 *   callgraph_model.c   pick functions/edges from the profile, sanitize names, marks
 *   callgraph_draw.c    measure labels with pango, draw with cairo
 *   callgraph_layout.c  graphviz "dot" layout (positions and splines only)
 *   callgraph_render.c  the public entry point tying them together.
 * Coordinates after layout are in points, origin top-left, y down. */
#ifndef KI_CALLGRAPH_INTERNAL_H
#define KI_CALLGRAPH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/callgraph.h"
#include "kiln/io.h"
#include "kiln/profile.h"
#include "kiln/status.h"

enum { KI_CG_MARK_NONE = 0, KI_CG_MARK_SLOW_LEAF = 1, KI_CG_MARK_JUNCTION = 2 };

#define KI_CG_NODE_LINES 5   /* name, where, percentages, calls, badge */
#define KI_CG_NAME_MAX_CHARS 300u /* longer names are cut before pango sees them */

typedef struct ki_cg_node {
    kiln_func_id func;
    char *name;            /* sanitized UTF-8 (owned) */
    char *where;           /* "file.py:12", module or "" (owned) */
    char *file;            /* sanitized full file name or "" (owned) */
    uint32_t line;
    double total_pct, self_pct;
    int64_t calls, prim_calls;
    int64_t rec_calls;     /* calls on the self-edge (recursion), 0 if none */
    int mark;
    /* filled by ki_cg_measure: label lines (owned) and their sizes */
    char *lines[KI_CG_NODE_LINES];
    int nlines;
    double line_h[KI_CG_NODE_LINES];
    double w, h;           /* box size */
    /* filled by ki_cg_layout */
    double x, y;           /* box centre */
} ki_cg_node;

typedef struct ki_cg_edge {
    uint32_t from, to;     /* node indices */
    double total_pct;
    int64_t calls, prim_calls;
    char *label;           /* "38.57%\n13,658×" (owned) */
    /* filled by ki_cg_layout */
    double *pts;           /* cubic Bézier control points, x,y pairs (owned) */
    uint32_t npts;         /* 3k+1 points */
    int has_arrow;
    double ax, ay;         /* arrow tip */
    int has_label;
    double lx, ly;         /* label centre */
} ki_cg_edge;

typedef struct ki_cg {
    ki_cg_node *nodes;
    uint32_t nnodes;
    ki_cg_edge *edges;
    uint32_t nedges;
    uint32_t funcs_total, edges_total;   /* in the profile */
    uint32_t funcs_hidden, edges_hidden; /* not drawn */
    uint32_t funcs_capped;               /* above the threshold but past max_nodes */
    double node_thr, edge_thr;
    double total;                        /* 100 % (sum of self) */
    const char *unit;                    /* borrowed from the profile */
    const char *type_name;
    /* the marking thresholds used (from kiln_analysis_opts), for the legend */
    double leaf_ratio, leaf_share, junction_share, junction_ratio;
    double width, height;                /* layout bounding box */
    char *dot;                           /* DOT text when requested (owned) */
    size_t dot_len;
} ki_cg;

/* Picks functions and edges, fills names, percentages and marks. */
kiln_status ki_cg_select(const kiln_profile *p, const kiln_callgraph_opts *o, ki_cg *cg,
                         kiln_error *err);
void ki_cg_release(ki_cg *cg);

/* Valid UTF-8 for n bytes of untrusted s: invalid bytes, control and bidi
 * characters become visible escapes ("\x1b", "\u202e"); at most max_chars
 * characters, then "…". Returns new (free with free()), NULL on OOM. */
char *ki_cg_sanitize(const char *s, size_t n, size_t max_chars);

/* Fills the label lines and box sizes of every node and the edge labels. */
kiln_status ki_cg_measure(ki_cg *cg, kiln_error *err);
/* Lays the graph out with graphviz dot; with want_dot also keeps the DOT text. */
kiln_status ki_cg_layout(ki_cg *cg, int want_dot, kiln_error *err);
/* Draws into out in the format (PNG/SVG/PDF). */
kiln_status ki_cg_draw(const ki_cg *cg, const kiln_callgraph_opts *o, kiln_sink *out,
                       kiln_error *err);

/* Shared look. */
#define KI_CG_FONT "DejaVu Sans"
#define KI_CG_EDGE_FONT_SIZE 7.5
void ki_cg_heat(double pct, double rgb[3]);

#endif
