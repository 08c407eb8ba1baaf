/* Streams the profile into a `.kiln` file (docs/format.md): header, META and
 * STYP at start; then, at every flush, the strings, frames and nodes created
 * since the last one and the value deltas (SAMP self seconds, CALL counts) of
 * the nodes that changed; at the end FLAG (graph given), FUNC, EDGE, END.
 * A crash loses only what was recorded since the last flush. */
#include "kp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(void *ctx, const void *data, size_t n)
{
    int fd = *(int *)ctx;
    const char *p = data;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void text(ki_kfw *w, const char *s)
{
    ki_kfw_string(w, s, strlen(s));
}

int kp_open_output(kp_state *s, const char *path, PyObject *meta)
{
    s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0)
        return -1;
    free(s->path);
    s->path = strdup(path);
    ki_kfw_init(&s->w, write_all, &s->fd);
    s->strs_written = 1;
    s->frames_written = 0;
    s->nodes_written = 1;
    s->samp_records = 0;
    s->samp_total = 0;
    ki_kfw_file_header(&s->w);
    if (meta && PyDict_Check(meta) && PyDict_Size(meta) > 0) {
        ki_kfw_begin(&s->w, KI_CHUNK_META);
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(meta, &pos, &k, &v)) {
            const char *ks = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
            const char *vs = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
            if (!ks || !vs) {
                PyErr_Clear();
                continue;
            }
            text(&s->w, ks);
            text(&s->w, vs);
        }
        ki_kfw_end(&s->w);
    }
    ki_kfw_begin(&s->w, KI_CHUNK_STYP);
    text(&s->w, "time");
    text(&s->w, "seconds");
    ki_kfw_end(&s->w);
    return s->w.failed ? -1 : 0;
}

/* Starts a table chunk, or a new one once the open chunk passed the split size. */
static void table(ki_kfw *w, uint32_t type, size_t next_id, int *open)
{
    if (*open && ki_kfw_size(w) < KI_KF_SPLIT)
        return;
    ki_kfw_begin(w, type);
    ki_kfw_varint(w, next_id);
    *open = 1;
}

static void records(ki_kfw *w, uint32_t type, int *open)
{
    if (*open && ki_kfw_size(w) < KI_KF_SPLIT)
        return;
    ki_kfw_begin(w, type);
    *open = 1;
}

int kp_flush(kp_state *s)
{
    if (s->fd < 0)
        return -1;
    ki_kfw *w = &s->w;
    int open = 0;
    for (; s->strs_written < s->n_strs; s->strs_written++) {
        table(w, KI_CHUNK_STRS, s->strs_written, &open);
        ki_kfw_string(w, s->strs[s->strs_written].s, s->strs[s->strs_written].n);
    }
    if (open)
        ki_kfw_end(w);
    open = 0;
    for (; s->frames_written < s->n_frames; s->frames_written++) {
        const kp_frame *f = &s->frames[s->frames_written];
        table(w, KI_CHUNK_FRMS, s->frames_written, &open);
        ki_kfw_varint(w, f->name);
        ki_kfw_varint(w, f->file);
        ki_kfw_varint(w, f->module);
        ki_kfw_varint(w, f->line);
        ki_kfw_varint(w, f->kind);
        ki_kfw_varint(w, 0);
    }
    if (open)
        ki_kfw_end(w);
    open = 0;
    for (; s->nodes_written < s->n_nodes; s->nodes_written++) {
        const kp_node *n = &s->nodes[s->nodes_written];
        table(w, KI_CHUNK_NODE, s->nodes_written, &open);
        ki_kfw_varint(w, s->nodes_written - n->parent);
        ki_kfw_varint(w, n->frame);
    }
    if (open)
        ki_kfw_end(w);
    open = 0;
    for (size_t i = 0; i < s->n_dirty; i++) {
        kp_node *n = &s->nodes[s->dirty[i]];
        if (n->self_ns == n->self_flushed)
            continue;
        double v = (double)(n->self_ns - n->self_flushed) / 1e9;
        n->self_flushed = n->self_ns;
        records(w, KI_CHUNK_SAMP, &open);
        ki_kfw_varint(w, s->dirty[i]);
        ki_kfw_double(w, v);
        s->samp_records++;
        s->samp_total += v;
    }
    if (open)
        ki_kfw_end(w);
    open = 0;
    for (size_t i = 0; i < s->n_dirty; i++) {
        kp_node *n = &s->nodes[s->dirty[i]];
        n->dirty = 0;
        if (n->calls == n->calls_flushed)
            continue;
        records(w, KI_CHUNK_CALL, &open);
        ki_kfw_varint(w, s->dirty[i]);
        ki_kfw_varint(w, n->calls - n->calls_flushed);
        n->calls_flushed = n->calls;
    }
    if (open)
        ki_kfw_end(w);
    s->n_dirty = 0;
    return w->failed ? -1 : 0;
}

int kp_finish_file(kp_state *s)
{
    if (s->fd < 0)
        return -1;
    kp_flush(s);
    ki_kfw *w = &s->w;
    kp_graph g;
    size_t n_funcs = 0, n_edges = 0;
    if (kp_graph_build(s, &g) == 0) {
        ki_kfw_begin(w, KI_CHUNK_FLAG);
        ki_kfw_varint(w, KI_KF_FLAG_GRAPH_GIVEN);
        ki_kfw_varint(w, 0);
        ki_kfw_end(w);
        int open = 0;
        for (size_t i = 0; i < g.n_funcs; i++) {
            const kp_func *f = &g.funcs[i];
            table(w, KI_CHUNK_FUNC, i, &open);
            ki_kfw_varint(w, f->frame);
            ki_kfw_svarint(w, (int64_t)f->calls);
            ki_kfw_svarint(w, (int64_t)f->prim);
            ki_kfw_double(w, f->self);
            ki_kfw_double(w, f->total);
        }
        if (open)
            ki_kfw_end(w);
        open = 0;
        for (size_t i = 0; i < g.n_edges; i++) {
            const kp_edge *e = &g.edges[i];
            records(w, KI_CHUNK_EDGE, &open);
            ki_kfw_varint(w, e->caller);
            ki_kfw_varint(w, e->callee);
            ki_kfw_svarint(w, (int64_t)e->calls);
            ki_kfw_svarint(w, (int64_t)e->prim);
            ki_kfw_double(w, e->self);
            ki_kfw_double(w, e->total);
        }
        if (open)
            ki_kfw_end(w);
        n_funcs = g.n_funcs;
        n_edges = g.n_edges;
        kp_graph_free(&g);
    }
    uint64_t chunks = w->chunks;
    ki_kfw_begin(w, KI_CHUNK_END);
    ki_kfw_varint(w, chunks);
    ki_kfw_varint(w, s->n_strs);
    ki_kfw_varint(w, s->n_frames);
    ki_kfw_varint(w, s->n_nodes);
    ki_kfw_varint(w, n_funcs);
    ki_kfw_varint(w, n_edges);
    ki_kfw_varint(w, s->samp_records);
    ki_kfw_double(w, s->samp_total);
    ki_kfw_end(w);
    int failed = w->failed;
    ki_kfw_release(w);
    close(s->fd);
    s->fd = -1;
    return failed ? -1 : 0;
}
