/* render/callgraph_model.c: which functions and edges the call graph shows,
 * with sanitized names, percentages and slow-leaf / busy-junction marks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callgraph_internal.h"
#include "kiln/analysis.h"
#include "kiln/buf.h"

/* ---- untrusted names -------------------------------------------------- */

/* Length of a valid UTF-8 sequence at s (n bytes left) and its code point,
 * or 0 when the bytes there are not valid UTF-8. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    size_t len;
    uint32_t min;
    if ((s[0] & 0xe0) == 0xc0) { len = 2; *cp = s[0] & 0x1f; min = 0x80; }
    else if ((s[0] & 0xf0) == 0xe0) { len = 3; *cp = s[0] & 0x0f; min = 0x800; }
    else if ((s[0] & 0xf8) == 0xf0) { len = 4; *cp = s[0] & 0x07; min = 0x10000; }
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) return 0;
    return len;
}

/* Characters that would reorder or hide text: bidi controls, zero-width
 * joiners aside from ZWJ (kept for emoji), line/paragraph separators. */
static int is_deceptive(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200e || cp == 0x200f || cp == 0x061c || cp == 0x2028 || cp == 0x2029 ||
           cp == 0xfeff;
}

char *ki_cg_sanitize(const char *s, size_t n, size_t max_chars)
{
    kiln_buf b = KILN_BUF_INIT;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, chars = 0;
    kiln_buf_add(&b, "", 0);
    while (i < n) {
        if (chars >= max_chars) {
            kiln_buf_addstr(&b, "\xe2\x80\xa6"); /* … */
            break;
        }
        uint32_t cp;
        size_t len = utf8_decode(u + i, n - i, &cp);
        if (len == 0) {
            kiln_buf_printf(&b, "\\x%02x", u[i]);
            i++;
        } else if (cp < 0x20 || cp == 0x7f) {
            kiln_buf_printf(&b, "\\x%02x", (unsigned)cp);
            i += len;
        } else if ((cp >= 0x80 && cp < 0xa0) || is_deceptive(cp)) {
            kiln_buf_printf(&b, "\\u%04x", (unsigned)cp);
            i += len;
        } else {
            kiln_buf_add(&b, u + i, len);
            i += len;
        }
        chars++;
    }
    if (b.failed) {
        kiln_buf_release(&b);
        return NULL;
    }
    return kiln_buf_detach(&b, NULL);
}

/* ---- heat colours ----------------------------------------------------- */

/* Deep blue (cold) through teal, green and amber to red (hot). */
static const double heat_stops[][4] = {
    {0.00, 0.16, 0.22, 0.50}, {0.22, 0.10, 0.45, 0.62}, {0.42, 0.13, 0.60, 0.42},
    {0.62, 0.86, 0.66, 0.12}, {0.80, 0.94, 0.40, 0.14}, {1.00, 0.84, 0.10, 0.12},
};

void ki_cg_heat(double pct, double rgb[3])
{
    double t = pct / 100.0;
    if (!(t > 0)) t = 0;      /* NaN and negatives are cold */
    if (t > 1) t = 1;
    t = pow(t, 1 / 2.2);      /* spread the low percentages, like a gamma */
    size_t n = sizeof heat_stops / sizeof heat_stops[0];
    for (size_t i = 1; i < n; i++) {
        if (t <= heat_stops[i][0]) {
            double a = (t - heat_stops[i - 1][0]) / (heat_stops[i][0] - heat_stops[i - 1][0]);
            for (int c = 0; c < 3; c++)
                rgb[c] = heat_stops[i - 1][c + 1] + a * (heat_stops[i][c + 1] - heat_stops[i - 1][c + 1]);
            return;
        }
    }
    for (int c = 0; c < 3; c++) rgb[c] = heat_stops[n - 1][c + 1];
}

/* ---- selection -------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static kiln_status fill_node(const kiln_profile *p, ki_cg_node *nd, const kiln_func *f)
{
    const kiln_frame *fr = kiln_profile_frame_get(p, f->frame);
    size_t len = 0;
    const char *name = fr ? kiln_profile_str(p, fr->name, &len) : "";
    nd->name = ki_cg_sanitize(name, len, KI_CG_NAME_MAX_CHARS);
    size_t flen = 0;
    const char *file = fr ? kiln_profile_str(p, fr->file, &flen) : "";
    if (flen == 1 && file[0] == '~') flen = 0; /* cProfile's "no file" for built-ins */
    nd->file = ki_cg_sanitize(file, flen, KI_CG_NAME_MAX_CHARS);
    nd->line = fr ? fr->line : 0;
    char *where = NULL;
    if (flen) {
        const char *base = base_name(file);
        char *b = ki_cg_sanitize(base, flen - (size_t)(base - file), KI_CG_NAME_MAX_CHARS);
        if (b && nd->line) {
            size_t bl = strlen(b) + 16;
            where = malloc(bl);
            if (where) snprintf(where, bl, "%s:%u", b, nd->line);
            free(b);
        } else {
            where = b;
        }
    } else if (fr && fr->module) {
        size_t mlen = 0;
        const char *mod = kiln_profile_str(p, fr->module, &mlen);
        const char *base = base_name(mod);
        where = ki_cg_sanitize(base, mlen - (size_t)(base - mod), KI_CG_NAME_MAX_CHARS);
    } else if (fr && fr->kind == KILN_KIND_BUILTIN) {
        where = strdup("built-in");
    } else {
        where = strdup("");
    }
    nd->where = where;
    return nd->name && nd->file && nd->where ? KILN_OK : KILN_ERR_NOMEM;
}

typedef struct { kiln_func_id id; double total; } ranked;

static int by_total_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->total != y->total) return x->total > y->total ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Marks from the analysis (kiln/analysis.h): its slow leaf nodes, and its
 * busy junctions where the time really splits, i.e. with at least two
 * callees holding >= 10 % of the function's total each. A chain of
 * single-callee wrappers (main -> run -> work) is a junction for the
 * analysis but not worth a badge in the picture. */
#define JUNCTION_MIN_SPLIT 2u

static kiln_status apply_marks(const kiln_profile *p, ki_cg *cg, const uint32_t *index,
                               kiln_error *err)
{
    kiln_analysis_opts ao;
    kiln_analysis_opts_default(&ao);
    ao.max_list = UINT32_MAX; /* every qualifying function, not a top 20 */
    cg->leaf_ratio = ao.leaf_min_self_ratio;
    cg->leaf_share = ao.leaf_min_share;
    cg->junction_share = ao.junction_min_share;
    cg->junction_ratio = ao.junction_max_self_ratio;
    kiln_analysis *a = NULL;
    kiln_status st = kiln_analyze(p, &ao, &a, err);
    if (st != KILN_OK) return st;
    uint32_t nf = cg->funcs_total;
    for (size_t i = 0; i < a->n_junctions; i++) {
        const kiln_hot_func *h = &a->junctions[i];
        if (h->func < nf && index[h->func] != KILN_NONE && h->expensive_children >= JUNCTION_MIN_SPLIT)
            cg->nodes[index[h->func]].mark = KI_CG_MARK_JUNCTION;
    }
    for (size_t i = 0; i < a->n_leaves; i++) {
        const kiln_hot_func *h = &a->leaves[i];
        if (h->func < nf && index[h->func] != KILN_NONE)
            cg->nodes[index[h->func]].mark = KI_CG_MARK_SLOW_LEAF;
    }
    kiln_analysis_free(a);
    return KILN_OK;
}

kiln_status ki_cg_select(const kiln_profile *p, const kiln_callgraph_opts *o, ki_cg *cg,
                         kiln_error *err)
{
    memset(cg, 0, sizeof *cg);
    uint32_t nf = kiln_profile_func_count(p), ne = kiln_profile_edge_count(p);
    cg->funcs_total = nf;
    cg->edges_total = ne;
    cg->node_thr = o->node_threshold;
    cg->edge_thr = o->edge_threshold;
    int type = kiln_profile_graph_type(p);
    cg->unit = kiln_profile_sample_type_unit(p, type);
    cg->type_name = kiln_profile_sample_type_name(p, type);
    if (nf == 0)
        return kiln_error_set(err, KILN_ERR_DATA, "the profile has no call graph (no functions)");

    double total = 0;
    for (uint32_t i = 0; i < nf; i++) {
        double s = kiln_profile_func_at(p, i)->self;
        if (isfinite(s) && s > 0) total += s;
    }
    if (!(total > 0) || !isfinite(total))
        return kiln_error_set(err, KILN_ERR_DATA, "the profile's call graph has no time (total is 0)");
    cg->total = total;

    ranked *r = malloc((size_t)nf * sizeof *r);
    uint32_t *index = malloc((size_t)nf * sizeof *index); /* func -> node, or KILN_NONE */
    if (!r || !index) {
        free(r);
        free(index);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    uint32_t nr = 0;
    for (uint32_t i = 0; i < nf; i++) {
        index[i] = KILN_NONE;
        double pct = kiln_profile_func_at(p, i)->total / total * 100.0;
        if (isfinite(pct) && pct >= o->node_threshold) r[nr++] = (ranked){i, pct};
    }
    if (nr > 1)
        qsort(r, nr, sizeof *r, by_total_desc);
    if (nr > o->max_nodes) {
        cg->funcs_capped = nr - o->max_nodes;
        nr = o->max_nodes;
    }
    kiln_status st = KILN_OK;
    cg->nodes = calloc(nr ? nr : 1, sizeof *cg->nodes);
    cg->edges = calloc(ne ? ne : 1, sizeof *cg->edges);
    if (!cg->nodes || !cg->edges) st = KILN_ERR_NOMEM;
    for (uint32_t i = 0; st == KILN_OK && i < nr; i++) {
        const kiln_func *f = kiln_profile_func_at(p, r[i].id);
        ki_cg_node *nd = &cg->nodes[i];
        cg->nnodes = i + 1;
        nd->func = r[i].id;
        nd->total_pct = r[i].total;
        nd->self_pct = f->self / total * 100.0;
        nd->calls = f->calls;
        nd->prim_calls = f->prim_calls;
        index[r[i].id] = i;
        st = fill_node(p, nd, f);
    }
    for (uint32_t i = 0; st == KILN_OK && i < ne; i++) {
        const kiln_edge *e = kiln_profile_edge_at(p, i);
        if (e->caller >= nf || e->callee >= nf) continue;
        uint32_t a = index[e->caller], b = index[e->callee];
        if (a == KILN_NONE || b == KILN_NONE) continue;
        double pct = e->total / total * 100.0;
        if (a == b) {
            /* Recursion is always shown on a drawn function, as a self-loop. */
            cg->nodes[a].rec_calls += e->calls;
        } else if (!(isfinite(pct) && pct >= o->edge_threshold)) {
            continue;
        }
        cg->edges[cg->nedges++] = (ki_cg_edge){.from = a, .to = b, .total_pct = pct,
                                                .calls = e->calls, .prim_calls = e->prim_calls};
    }
    if (st == KILN_OK) st = apply_marks(p, cg, index, err);
    cg->funcs_hidden = nf - cg->nnodes;
    cg->edges_hidden = ne - cg->nedges;
    free(r);
    free(index);
    return st == KILN_OK ? KILN_OK : kiln_error_set(err, st, "out of memory");
}

void ki_cg_release(ki_cg *cg)
{
    for (uint32_t i = 0; i < cg->nnodes; i++) {
        ki_cg_node *nd = &cg->nodes[i];
        free(nd->name);
        free(nd->where);
        free(nd->file);
        for (int l = 0; l < KI_CG_NODE_LINES; l++) free(nd->lines[l]);
    }
    for (uint32_t i = 0; i < cg->nedges; i++) {
        free(cg->edges[i].label);
        free(cg->edges[i].pts);
    }
    free(cg->nodes);
    free(cg->edges);
    free(cg->dot);
    memset(cg, 0, sizeof *cg);
}
