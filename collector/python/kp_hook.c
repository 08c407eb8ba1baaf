/* The C-level profile hook: one clock read per event, the time since the
 * thread's previous event charged to the node on top of its stack (minus the
 * hook's own measured cost), calls counted on entry. Generators and
 * coroutines get a RETURN at every yield and a CALL at every resume, so a
 * suspended frame is off the stack and does not count as running, and each
 * resume counts as a call, as in cProfile. */
#include "kp.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

kp_state *kp_S;

static __thread kp_thread *tls_thread;
static __thread kp_state *tls_owner;

int64_t kp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int kp_state_init(kp_state *s)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->flush_every_ns = 100 * 1000000LL;
    if (kp_map_init(&s->str_index, 1024) < 0 || kp_map_init(&s->frame_index, 1024) < 0 ||
        kp_map_init(&s->key_frame, 1024) < 0 || kp_map_init(&s->child, 4096) < 0)
        return -1;
    s->strs = calloc(256, sizeof *s->strs);
    s->nodes = calloc(4096, sizeof *s->nodes);
    if (!s->strs || !s->nodes)
        return -1;
    s->cap_strs = 256;
    s->n_strs = 1; /* id 0: the empty string */
    s->cap_nodes = 4096;
    s->n_nodes = 1; /* node 0: the root */
    s->strs_written = 1;
    s->nodes_written = 1;
    return 0;
}

void kp_state_free(kp_state *s)
{
    for (size_t i = 1; i < s->n_strs; i++)
        free(s->strs[i].s);
    free(s->strs);
    free(s->frames);
    free(s->nodes);
    free(s->dirty);
    kp_map_free(&s->str_index);
    kp_map_free(&s->frame_index);
    kp_map_free(&s->key_frame);
    kp_map_free(&s->child);
    for (kp_thread *t = s->threads, *next; t; t = next) {
        next = t->next;
        free(t->stack);
        free(t);
    }
    ki_kfw_release(&s->w);
    free(s->path);
    memset(s, 0, sizeof *s);
}

kp_thread *kp_thread_get(kp_state *s)
{
    if (tls_owner == s && tls_thread)
        return tls_thread;
    kp_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->last = kp_now();
    t->next = s->threads;
    s->threads = t;
    tls_thread = t;
    tls_owner = s;
    return t;
}

static inline void mark_dirty(kp_state *s, uint32_t id)
{
    kp_node *n = &s->nodes[id];
    if (n->dirty)
        return;
    if (s->n_dirty == s->cap_dirty) {
        size_t cap = s->cap_dirty ? s->cap_dirty * 2 : 1024;
        uint32_t *v = realloc(s->dirty, cap * sizeof *v);
        if (!v) {
            s->nomem = 1;
            return;
        }
        s->dirty = v;
        s->cap_dirty = cap;
    }
    s->dirty[s->n_dirty++] = id;
    n->dirty = 1;
}

static inline void charge(kp_state *s, kp_thread *t, int64_t now)
{
    int64_t dt = now - t->last;
    t->last = now + s->overhead_ns;
    if (t->depth && dt > 0) {
        uint32_t id = t->stack[t->depth - 1].node;
        s->nodes[id].self_ns += dt;
        mark_dirty(s, id);
    }
}

static uint32_t new_node(kp_state *s, uint32_t parent, uint32_t frame, uint64_t ck)
{
    if (s->n_nodes >= KP_MAX_NODES)
        return KP_NONE;
    if (s->n_nodes == s->cap_nodes) {
        size_t cap = s->cap_nodes * 2;
        kp_node *v = realloc(s->nodes, cap * sizeof *v);
        if (!v)
            return KP_NONE;
        s->nodes = v;
        s->cap_nodes = cap;
    }
    uint32_t id = (uint32_t)s->n_nodes;
    if (kp_map_put(&s->child, ck, id) < 0)
        return KP_NONE;
    s->n_nodes++;
    memset(&s->nodes[id], 0, sizeof s->nodes[id]);
    s->nodes[id].parent = parent;
    s->nodes[id].frame = frame;
    return id;
}

static inline void push(kp_state *s, kp_thread *t, const void *key, uint32_t frame)
{
    if (t->depth == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        kp_slot *v = realloc(t->stack, cap * sizeof *v);
        if (!v) {
            s->nomem = 1;
            return;
        }
        t->stack = v;
        t->cap = cap;
    }
    uint32_t parent = t->depth ? t->stack[t->depth - 1].node : 0;
    uint32_t node = KP_NONE;
    if (frame != KP_NONE) {
        uint64_t ck = 1ull << 63 | (uint64_t)parent << 32 | frame;
        node = kp_map_get(&s->child, ck);
        if (node == KP_NONE)
            node = new_node(s, parent, frame, ck);
    }
    if (node == KP_NONE) { /* out of memory or nodes: keep the stack balanced */
        t->stack[t->depth++] = (kp_slot){parent, key};
        return;
    }
    t->stack[t->depth++] = (kp_slot){node, key};
    s->nodes[node].calls++;
    mark_dirty(s, node);
}

/* Pops the activation of key. When the events do not nest (the hook was
 * installed mid-call), the nearest matching slot is popped with what is above
 * it; a return we never saw the call of is ignored. */
static inline void pop(kp_thread *t, const void *key)
{
    size_t d = t->depth;
    while (d > 0 && t->stack[d - 1].key != key)
        d--;
    if (d > 0)
        t->depth = d - 1;
}

static PyObject *code_of(PyFrameObject *frame)
{
#if PY_VERSION_HEX >= 0x030900B1
    PyObject *code = (PyObject *)PyFrame_GetCode(frame);
    Py_DECREF(code); /* the frame keeps it alive; the table holds its own ref */
    return code;
#else
    return (PyObject *)frame->f_code;
#endif
}

int kp_hook(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    kp_state *s = kp_S;
    if (!s || s->finished)
        return 0;
    int64_t now = kp_now();
    kp_thread *t = tls_owner == s && tls_thread ? tls_thread : kp_thread_get(s);
    if (!t)
        return 0;
    charge(s, t, now);
    switch (what) {
    case PyTrace_CALL: {
        PyObject *code = code_of(frame);
        uint32_t f = kp_map_get(&s->key_frame, (uint64_t)(uintptr_t)code);
        if (f == KP_NONE)
            f = kp_frame_of_code(s, code, frame);
        push(s, t, code, f);
        break;
    }
    case PyTrace_RETURN:
        pop(t, code_of(frame));
        break;
    case PyTrace_C_CALL:
        if (PyCFunction_Check(arg)) {
            const void *key = ((PyCFunctionObject *)arg)->m_ml;
            uint32_t f = kp_map_get(&s->key_frame, (uint64_t)(uintptr_t)key);
            if (f == KP_NONE)
                f = kp_frame_of_cfunc(s, arg);
            push(s, t, key, f);
        }
        break;
    case PyTrace_C_RETURN:
    case PyTrace_C_EXCEPTION:
        if (PyCFunction_Check(arg))
            pop(t, ((PyCFunctionObject *)arg)->m_ml);
        break;
    default:
        break;
    }
    if (now - s->last_flush >= s->flush_every_ns && s->fd >= 0) {
        kp_flush(s);
        s->last_flush = kp_now();
        t->last = s->last_flush + s->overhead_ns; /* the flush is nobody's time */
    }
    return 0;
}

void kp_charge_pending(kp_state *s)
{
    kp_thread *t = kp_thread_get(s);
    if (t)
        charge(s, t, kp_now());
}

/* Measures what one event costs the profiled program inside the hook: the
 * clock read, the lookups and the bookkeeping, on a scratch state. The
 * smallest of a few batches is the least disturbed. */
void kp_calibrate(kp_state *s)
{
    kp_state scratch;
    if (kp_state_init(&scratch) < 0) {
        kp_state_free(&scratch);
        return;
    }
    kp_thread t = {0};
    static const char keys[4];
    for (int k = 0; k < 4; k++) {
        kp_frame f = {.line = (uint32_t)k + 1, .kind = KP_KIND_PYTHON};
        kp_map_put(&scratch.key_frame, (uint64_t)(uintptr_t)&keys[k], kp_frame_for(&scratch, &f));
    }
    int64_t best = INT64_MAX;
    enum { BATCH = 4000 };
    for (int round = 0; round < 5; round++) {
        int64_t t0 = kp_now();
        for (int i = 0; i < BATCH; i++) {
            const void *key = &keys[i & 3];
            charge(&scratch, &t, kp_now());
            push(&scratch, &t, key, kp_map_get(&scratch.key_frame, (uint64_t)(uintptr_t)key));
            charge(&scratch, &t, kp_now());
            pop(&t, key);
        }
        int64_t per = (kp_now() - t0) / (2 * BATCH);
        if (per < best)
            best = per;
    }
    free(t.stack);
    kp_state_free(&scratch);
    s->overhead_ns = best > 0 && best < 10000 ? best : 0;
}
