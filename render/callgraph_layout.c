/* render/callgraph_layout.c: graphviz as a layout engine only.
 *
 * Nodes are fixed-size empty boxes whose sizes pango measured (so graphviz
 * never guesses our text); edge labels hold only digits, "%" and "×" in the
 * font we draw with, and dot reserves room for them (no overlaps). After
 * gvLayout we copy back node centres, edge Bézier splines, arrow tips and
 * label centres, flipping y (graphviz has y up, cairo y down).
 *
 * Graphviz's error hooks are process-wide: messages are captured into a
 * static buffer instead of being printed, so this is not thread-safe.
 *
 * One graphviz context serves the whole process and is never freed:
 * graphviz 2.42's pango text-layout plugin keeps a static pointer to the
 * last font name, which lives in the context's font dictionary. Freeing the
 * context and laying out again with a new one reads freed memory
 * (AddressSanitizer: heap-use-after-free in textspan_size), so kiln keeps
 * the first context alive instead. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "callgraph_internal.h"

static char gv_last_error[256];
static GVC_t *shared_gvc; /* see above: created once, never freed */

static int capture_gv_error(char *msg)
{
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) n--;
    if (n >= sizeof gv_last_error) n = sizeof gv_last_error - 1;
    memcpy(gv_last_error, msg, n);
    gv_last_error[n] = 0;
    return 0;
}

static void set(void *obj, const char *attr, const char *value)
{
    agsafeset(obj, (char *)attr, (char *)value, "");
}

static void setf(void *obj, const char *attr, int decimals, double v)
{
    char s[64];
    snprintf(s, sizeof s, "%.*f", decimals, v);
    set(obj, attr, s);
}

static void setll(void *obj, const char *attr, long long v)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", v);
    set(obj, attr, s);
}

static const char *mark_name(int mark)
{
    return mark == KI_CG_MARK_SLOW_LEAF ? "slow_leaf" : mark == KI_CG_MARK_JUNCTION ? "junction" : "";
}

/* The kiln_* attributes of the DOT output (declared before use). */
static void declare_dot_attrs(Agraph_t *g)
{
    static const char *const node_attrs[] = {"kiln_name", "kiln_file", "kiln_line",
        "kiln_total_pct", "kiln_self_pct", "kiln_calls", "kiln_prim_calls", "kiln_mark"};
    static const char *const edge_attrs[] = {"kiln_total_pct", "kiln_calls", "kiln_prim_calls"};
    for (size_t i = 0; i < sizeof node_attrs / sizeof node_attrs[0]; i++)
        agattr(g, AGNODE, (char *)node_attrs[i], "");
    for (size_t i = 0; i < sizeof edge_attrs / sizeof edge_attrs[0]; i++)
        agattr(g, AGEDGE, (char *)edge_attrs[i], "");
    agattr(g, AGRAPH, "kiln_funcs_hidden", "");
    agattr(g, AGRAPH, "kiln_edges_hidden", "");
}

static void annotate_for_dot(Agraph_t *g, const ki_cg *cg, Agnode_t **gn, Agedge_t **ge)
{
    setll(g, "kiln_funcs_hidden", cg->funcs_hidden);
    setll(g, "kiln_edges_hidden", cg->edges_hidden);
    for (uint32_t i = 0; i < cg->nnodes; i++) {
        const ki_cg_node *nd = &cg->nodes[i];
        set(gn[i], "kiln_name", nd->name);
        set(gn[i], "kiln_file", nd->file);
        setll(gn[i], "kiln_line", nd->line);
        setf(gn[i], "kiln_total_pct", 6, nd->total_pct);
        setf(gn[i], "kiln_self_pct", 6, nd->self_pct);
        setll(gn[i], "kiln_calls", nd->calls);
        setll(gn[i], "kiln_prim_calls", nd->prim_calls);
        set(gn[i], "kiln_mark", mark_name(nd->mark));
    }
    for (uint32_t i = 0; i < cg->nedges; i++) {
        setf(ge[i], "kiln_total_pct", 6, cg->edges[i].total_pct);
        setll(ge[i], "kiln_calls", cg->edges[i].calls);
        setll(ge[i], "kiln_prim_calls", cg->edges[i].prim_calls);
    }
}

static Agraph_t *build(const ki_cg *cg, Agnode_t **gn, Agedge_t **ge, int want_dot)
{
    Agraph_t *g = agopen("callgraph", Agdirected, NULL);
    if (!g) return NULL;
    agattr(g, AGRAPH, "rankdir", "TB");
    agattr(g, AGRAPH, "nodesep", "0.22");
    agattr(g, AGRAPH, "ranksep", "0.38");
    agattr(g, AGRAPH, "pad", "0");
    agattr(g, AGNODE, "shape", "box");
    agattr(g, AGNODE, "fixedsize", "true");
    agattr(g, AGNODE, "label", "");
    agattr(g, AGNODE, "margin", "0");
    agattr(g, AGNODE, "width", "1");
    agattr(g, AGNODE, "height", "0.5");
    agattr(g, AGEDGE, "label", "");
    agattr(g, AGEDGE, "fontname", KI_CG_FONT);
    char fs[16];
    snprintf(fs, sizeof fs, "%.1f", KI_CG_EDGE_FONT_SIZE);
    agattr(g, AGEDGE, "fontsize", fs);
    agattr(g, AGEDGE, "weight", "1");
    if (want_dot) declare_dot_attrs(g);

    for (uint32_t i = 0; i < cg->nnodes; i++) {
        char id[24];
        snprintf(id, sizeof id, "f%u", cg->nodes[i].func);
        gn[i] = agnode(g, id, 1);
        if (!gn[i]) goto fail;
        setf(gn[i], "width", 4, cg->nodes[i].w / 72.0);
        setf(gn[i], "height", 4, cg->nodes[i].h / 72.0);
    }
    for (uint32_t i = 0; i < cg->nedges; i++) {
        const ki_cg_edge *e = &cg->edges[i];
        ge[i] = agedge(g, gn[e->from], gn[e->to], NULL, 1);
        if (!ge[i]) goto fail;
        set(ge[i], "label", e->label);
        /* Heavier edges pull harder, so the hot path runs straight. */
        setll(ge[i], "weight", 1 + (long long)(e->total_pct / 5.0));
    }
    return g;
fail:
    agclose(g);
    return NULL;
}

static void read_back(Agraph_t *g, ki_cg *cg, Agnode_t **gn, Agedge_t **ge, kiln_status *st)
{
    boxf bb = GD_bb(g);
    double x0 = bb.LL.x, ytop = bb.UR.y;
    cg->width = bb.UR.x - bb.LL.x;
    cg->height = bb.UR.y - bb.LL.y;
    for (uint32_t i = 0; i < cg->nnodes; i++) {
        pointf c = ND_coord(gn[i]);
        cg->nodes[i].x = c.x - x0;
        cg->nodes[i].y = ytop - c.y;
    }
    for (uint32_t i = 0; i < cg->nedges; i++) {
        ki_cg_edge *e = &cg->edges[i];
        splines *spl = ED_spl(ge[i]);
        if (spl && spl->size > 0 && spl->list[0].size >= 4) {
            /* dot gives one Bézier per edge unless edges are concentrated:
             * draw the first, which runs from tail to head. */
            bezier *bz = &spl->list[0];
            e->pts = malloc((size_t)bz->size * 2 * sizeof *e->pts);
            if (!e->pts) {
                *st = KILN_ERR_NOMEM;
                return;
            }
            e->npts = (uint32_t)bz->size;
            for (int k = 0; k < bz->size; k++) {
                e->pts[2 * k] = bz->list[k].x - x0;
                e->pts[2 * k + 1] = ytop - bz->list[k].y;
            }
            if (bz->eflag) {
                e->has_arrow = 1;
                e->ax = bz->ep.x - x0;
                e->ay = ytop - bz->ep.y;
            }
        }
        textlabel_t *lab = ED_label(ge[i]);
        if (lab && lab->set) {
            e->has_label = 1;
            e->lx = lab->pos.x - x0;
            e->ly = ytop - lab->pos.y;
        }
    }
}

kiln_status ki_cg_layout(ki_cg *cg, int want_dot, kiln_error *err)
{
    agseterr(AGERR);                 /* drop warnings, keep errors ... */
    agseterrf(capture_gv_error);     /* ... in gv_last_error, not on stderr */
    gv_last_error[0] = 0;
    Agnode_t **gn = calloc(cg->nnodes ? cg->nnodes : 1, sizeof *gn);
    Agedge_t **ge = calloc(cg->nedges ? cg->nedges : 1, sizeof *ge);
    GVC_t *gvc = NULL;
    Agraph_t *g = NULL;
    kiln_status st = KILN_OK;
    if (!gn || !ge) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!shared_gvc) shared_gvc = gvContext();
    gvc = shared_gvc;
    g = gvc ? build(cg, gn, ge, want_dot) : NULL;
    if (!g) {
        st = kiln_error_set(err, KILN_ERR_INTERNAL, "graphviz: cannot build the graph%s%s",
                            gv_last_error[0] ? ": " : "", gv_last_error);
        goto done;
    }
    if (gvLayout(gvc, g, "dot") != 0) {
        st = kiln_error_set(err, KILN_ERR_INTERNAL, "graphviz dot layout failed%s%s",
                            gv_last_error[0] ? ": " : "", gv_last_error);
        agclose(g);
        g = NULL;
        goto done;
    }
    read_back(g, cg, gn, ge, &st);
    if (st == KILN_OK && want_dot) {
        annotate_for_dot(g, cg, gn, ge);
        char *data = NULL;
        unsigned int len = 0;
        if (gvRenderData(gvc, g, "dot", &data, &len) != 0 || !data) {
            st = kiln_error_set(err, KILN_ERR_INTERNAL, "graphviz cannot write DOT%s%s",
                                gv_last_error[0] ? ": " : "", gv_last_error);
        } else {
            cg->dot = malloc(len + 1);
            if (cg->dot) {
                memcpy(cg->dot, data, len);
                cg->dot[len] = 0;
                cg->dot_len = len;
            } else {
                st = KILN_ERR_NOMEM;
            }
        }
        gvFreeRenderData(data);
    }
    if (st != KILN_OK) kiln_error_set(err, st, "out of memory");
    gvFreeLayout(gvc, g);
    agclose(g);
done:
    free(gn);
    free(ge);
    return st;
}
