/* kiln_kfile_write: a whole profile as `.kiln` (docs/format.md). Tables are
 * written in id order, split into chunks of about KI_KF_SPLIT bytes, each
 * record referring only to ids written before it. */
#include "kiln/kfile.h"

#include <string.h>

#include "kfile_chunk.h"

static int sink_write(void *ctx, const void *data, size_t n)
{
    return kiln_sink_write((kiln_sink *)ctx, data, n) == 0 ? 0 : -1;
}

/* Starts a new chunk of `type` when none is open or the open one is full.
 * Table chunks (with_first) begin with the id of their first record. */
static void chunk_for(ki_kfw *w, uint32_t type, int with_first, uint64_t next_id)
{
    if (w->open && w->type == type && ki_kfw_size(w) < KI_KF_SPLIT)
        return;
    ki_kfw_end(w);
    ki_kfw_begin(w, type);
    if (with_first)
        ki_kfw_varint(w, next_id);
}

/* Record counts are not known up front, so table chunks carry no count:
 * records run to the end of the payload (see docs/format.md). */

static void write_meta(ki_kfw *w, const kiln_profile *p)
{
    uint32_t n = kiln_profile_meta_count(p);
    for (uint32_t i = 0; i < n; i++) {
        const char *k, *v;
        kiln_profile_meta_at(p, i, &k, &v);
        chunk_for(w, KI_CHUNK_META, 0, 0);
        ki_kfw_string(w, k, strlen(k));
        ki_kfw_string(w, v, strlen(v));
    }
    ki_kfw_end(w);
}

static void write_types_and_flags(ki_kfw *w, const kiln_profile *p)
{
    int nt = kiln_profile_sample_type_count(p);
    ki_kfw_begin(w, KI_CHUNK_STYP);
    for (int t = 0; t < nt; t++) {
        const char *name = kiln_profile_sample_type_name(p, t);
        const char *unit = kiln_profile_sample_type_unit(p, t);
        ki_kfw_string(w, name, strlen(name));
        ki_kfw_string(w, unit, strlen(unit));
    }
    ki_kfw_end(w);

    uint64_t flags = 0;
    if (kiln_profile_graph_given(p))
        flags |= KI_KF_FLAG_GRAPH_GIVEN;
    if (kiln_profile_tree_approximate(p))
        flags |= KI_KF_FLAG_TREE_APPROX;
    ki_kfw_begin(w, KI_CHUNK_FLAG);
    ki_kfw_varint(w, flags);
    ki_kfw_varint(w, (uint64_t)kiln_profile_graph_type(p));
    ki_kfw_end(w);
}

static void write_strings(ki_kfw *w, const kiln_profile *p)
{
    uint32_t n = kiln_profile_str_count(p);
    for (uint32_t id = 1; id < n; id++) {
        size_t len;
        const char *s = kiln_profile_str(p, id, &len);
        chunk_for(w, KI_CHUNK_STRS, 1, id);
        ki_kfw_string(w, s, len);
    }
    ki_kfw_end(w);
}

static void write_frames(ki_kfw *w, const kiln_profile *p)
{
    uint32_t n = kiln_profile_frame_count(p);
    for (uint32_t id = 0; id < n; id++) {
        const kiln_frame *f = kiln_profile_frame_get(p, id);
        chunk_for(w, KI_CHUNK_FRMS, 1, id);
        ki_kfw_varint(w, f->name);
        ki_kfw_varint(w, f->file);
        ki_kfw_varint(w, f->module);
        ki_kfw_varint(w, f->line);
        ki_kfw_varint(w, f->kind);
        ki_kfw_varint(w, f->address);
    }
    ki_kfw_end(w);
}

static void write_mappings(ki_kfw *w, const kiln_profile *p)
{
    uint32_t n = kiln_profile_mapping_count(p);
    for (uint32_t i = 0; i < n; i++) {
        const kiln_mapping *m = kiln_profile_mapping_at(p, i);
        chunk_for(w, KI_CHUNK_MAPS, 0, 0);
        ki_kfw_varint(w, m->start);
        ki_kfw_varint(w, m->end);
        ki_kfw_varint(w, m->offset);
        ki_kfw_varint(w, m->path);
        ki_kfw_varint(w, m->build_id);
    }
    ki_kfw_end(w);
}

/* Nodes, then their values and call counts; only the root's values when
 * the tree is not stored. Returns the number of SAMP records and fills
 * sums[] (what END repeats for the check). */
static uint64_t write_tree(ki_kfw *w, const kiln_profile *p, int root_only, double *sums)
{
    uint32_t n = root_only ? 1 : kiln_profile_node_count(p);
    int nt = kiln_profile_sample_type_count(p);
    for (uint32_t id = 1; id < n; id++) {
        chunk_for(w, KI_CHUNK_NODE, 1, id);
        ki_kfw_varint(w, id - kiln_profile_node_parent(p, id));
        ki_kfw_varint(w, kiln_profile_node_frame(p, id));
    }
    ki_kfw_end(w);

    uint64_t samples = 0;
    for (uint32_t id = 0; id < n && nt > 0; id++) {
        int any = 0;
        for (int t = 0; t < nt; t++)
            any |= kiln_profile_node_self(p, id, t) != 0.0;
        if (!any)
            continue;
        chunk_for(w, KI_CHUNK_SAMP, 0, 0);
        ki_kfw_varint(w, id);
        for (int t = 0; t < nt; t++) {
            double v = kiln_profile_node_self(p, id, t);
            ki_kfw_double(w, v);
            sums[t] += v;
        }
        samples++;
    }
    ki_kfw_end(w);

    for (uint32_t id = 0; id < n; id++) {
        uint64_t calls = kiln_profile_node_calls(p, id);
        if (!calls)
            continue;
        chunk_for(w, KI_CHUNK_CALL, 0, 0);
        ki_kfw_varint(w, id);
        ki_kfw_varint(w, calls);
    }
    ki_kfw_end(w);
    return samples;
}

static void write_graph(ki_kfw *w, const kiln_profile *p)
{
    uint32_t nf = kiln_profile_func_count(p);
    for (uint32_t id = 0; id < nf; id++) {
        const kiln_func *f = kiln_profile_func_at(p, id);
        chunk_for(w, KI_CHUNK_FUNC, 1, id);
        ki_kfw_varint(w, f->frame);
        ki_kfw_svarint(w, f->calls);
        ki_kfw_svarint(w, f->prim_calls);
        ki_kfw_double(w, f->self);
        ki_kfw_double(w, f->total);
    }
    ki_kfw_end(w);
    uint32_t ne = kiln_profile_edge_count(p);
    for (uint32_t i = 0; i < ne; i++) {
        const kiln_edge *e = kiln_profile_edge_at(p, i);
        chunk_for(w, KI_CHUNK_EDGE, 0, 0);
        ki_kfw_varint(w, e->caller);
        ki_kfw_varint(w, e->callee);
        ki_kfw_svarint(w, e->calls);
        ki_kfw_svarint(w, e->prim_calls);
        ki_kfw_double(w, e->self);
        ki_kfw_double(w, e->total);
    }
    ki_kfw_end(w);
}

kiln_status kiln_kfile_write(const kiln_profile *p, kiln_sink *out, kiln_error *err)
{
    if (!p || !out)
        return kiln_error_set(err, KILN_ERR_USAGE, "kiln_kfile_write: NULL argument");
    ki_kfw w;
    ki_kfw_init(&w, sink_write, out);
    ki_kfw_file_header(&w);
    write_meta(&w, p);
    write_types_and_flags(&w, p);
    write_strings(&w, p);
    write_frames(&w, p);
    write_mappings(&w, p);

    /* A tree reconstructed from a given graph is not stored (the reader
     * rebuilds the same one from the graph), except what was measured at
     * its root. */
    int tree_stored = !kiln_profile_tree_approximate(p);
    int graph_stored = kiln_profile_graph_given(p);
    double sums[KILN_MAX_SAMPLE_TYPES] = {0};
    uint64_t samples = write_tree(&w, p, !tree_stored, sums);
    if (graph_stored)
        write_graph(&w, p);

    ki_kfw_begin(&w, KI_CHUNK_END);
    ki_kfw_varint(&w, w.chunks);
    ki_kfw_varint(&w, kiln_profile_str_count(p));
    ki_kfw_varint(&w, kiln_profile_frame_count(p));
    ki_kfw_varint(&w, tree_stored ? kiln_profile_node_count(p) : 1);
    ki_kfw_varint(&w, graph_stored ? kiln_profile_func_count(p) : 0);
    ki_kfw_varint(&w, graph_stored ? kiln_profile_edge_count(p) : 0);
    ki_kfw_varint(&w, samples);
    int nt = kiln_profile_sample_type_count(p);
    for (int t = 0; t < nt; t++)
        ki_kfw_double(&w, sums[t]);
    ki_kfw_end(&w);

    int failed = w.failed;
    int err_no = out->err_no;
    ki_kfw_release(&w);
    switch (failed) {
    case KI_KFW_OK:
        return KILN_OK;
    case KI_KFW_NOMEM:
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory while writing .kiln");
    case KI_KFW_LIMIT:
        return kiln_error_set(err, KILN_ERR_INTERNAL, "a .kiln chunk would exceed %u bytes",
                              KI_KF_MAX_PAYLOAD);
    default:
        return kiln_error_set(err, KILN_ERR_WRITE, "write error%s%s", err_no ? ": " : "",
                              err_no ? strerror(err_no) : "");
    }
}
