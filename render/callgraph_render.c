/* render/callgraph_render.c: kiln_render_callgraph, the call graph picture's entry
 * point: select -> measure (pango) -> layout (graphviz) -> draw (cairo). */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "callgraph_internal.h"

void kiln_callgraph_opts_init(kiln_callgraph_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->format = KILN_CALLGRAPH_PNG;
    opts->node_threshold = KILN_CALLGRAPH_NODE_THRESHOLD;
    opts->edge_threshold = KILN_CALLGRAPH_EDGE_THRESHOLD;
    opts->max_nodes = KILN_CALLGRAPH_MAX_NODES;
    opts->scale = 0;
    opts->title = NULL;
}

int kiln_callgraph_format_from_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || strchr(dot, '/')) return -1;
    if (strcasecmp(dot, ".png") == 0) return KILN_CALLGRAPH_PNG;
    if (strcasecmp(dot, ".svg") == 0) return KILN_CALLGRAPH_SVG;
    if (strcasecmp(dot, ".pdf") == 0) return KILN_CALLGRAPH_PDF;
    if (strcasecmp(dot, ".dot") == 0 || strcasecmp(dot, ".gv") == 0) return KILN_CALLGRAPH_DOT;
    return -1;
}

static kiln_status check_opts(const kiln_profile *p, const kiln_callgraph_opts *o, kiln_error *err)
{
    if ((unsigned)o->format > KILN_CALLGRAPH_DOT)
        return kiln_error_set(err, KILN_ERR_USAGE, "unknown call graph format %d", (int)o->format);
    if (!(o->node_threshold >= 0 && o->node_threshold <= 100))
        return kiln_error_set(err, KILN_ERR_USAGE, "node threshold must be within 0..100 (%%)");
    if (!(o->edge_threshold >= 0 && o->edge_threshold <= 100))
        return kiln_error_set(err, KILN_ERR_USAGE, "edge threshold must be within 0..100 (%%)");
    if (o->max_nodes < 1 || o->max_nodes > KILN_CALLGRAPH_MAX_NODES_LIMIT)
        return kiln_error_set(err, KILN_ERR_USAGE, "max nodes must be within 1..%u",
                              KILN_CALLGRAPH_MAX_NODES_LIMIT);
    if (!(o->scale >= 0 && o->scale <= 8))
        return kiln_error_set(err, KILN_ERR_USAGE, "scale must be within 0..8");
    return KILN_OK;
}

kiln_status kiln_render_callgraph(const kiln_profile *p, const kiln_callgraph_opts *opts,
                                  kiln_sink *out, kiln_error *err)
{
    kiln_callgraph_opts def;
    if (!opts) {
        kiln_callgraph_opts_init(&def);
        opts = &def;
    }
    if (!p || !out) return kiln_error_set(err, KILN_ERR_USAGE, "no profile or no output");
    kiln_status st = check_opts(p, opts, err);
    if (st != KILN_OK) return st;
    ki_cg cg;
    st = ki_cg_select(p, opts, &cg, err);
    if (st == KILN_OK) st = ki_cg_measure(&cg, err);
    if (st == KILN_OK) st = ki_cg_layout(&cg, opts->format == KILN_CALLGRAPH_DOT, err);
    if (st == KILN_OK) {
        if (opts->format == KILN_CALLGRAPH_DOT) {
            if (kiln_sink_write(out, cg.dot, cg.dot_len) != 0)
                st = kiln_error_set(err, KILN_ERR_WRITE, "cannot write the call graph");
        } else {
            st = ki_cg_draw(&cg, opts, out, err);
        }
    }
    ki_cg_release(&cg);
    return st;
}
