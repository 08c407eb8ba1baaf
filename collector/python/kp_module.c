/* The `_kiln_profiler` module: what sitecustomize.py calls.
 *   start(path, meta, flush_ms) -> overhead_ns   install the hook, open the .kiln
 *   thread_hook(frame, event, arg)                for threading.setprofile()
 *   flush()                                       write what changed so far
 *   finish()                                      stop, write graph + end marker
 *   pstats() -> dict                              the cProfile-style stats dict
 *   after_fork(path)                              in a forked child: start afresh */
#include "kp.h"

#include <string.h>
#include <unistd.h>

static kp_state state;

static void install_this_thread(void)
{
    PyEval_SetProfile(kp_hook, NULL);
}

static PyObject *m_start(PyObject *self, PyObject *args)
{
    const char *path;
    PyObject *meta;
    double flush_ms;
    if (!PyArg_ParseTuple(args, "sOd", &path, &meta, &flush_ms))
        return NULL;
    if (kp_S)
        return PyErr_Format(PyExc_RuntimeError, "kiln profiler already started");
    if (kp_state_init(&state) < 0 || !(state.held = PyList_New(0))) {
        kp_state_free(&state);
        return PyErr_NoMemory();
    }
    if (flush_ms > 0)
        state.flush_every_ns = (int64_t)(flush_ms * 1e6);
    kp_calibrate(&state);
    if (kp_open_output(&state, path, meta) < 0) {
        Py_CLEAR(state.held);
        kp_state_free(&state);
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    }
    state.last_flush = kp_now();
    kp_S = &state;
#if PY_VERSION_HEX >= 0x030C0000
    PyEval_SetProfileAllThreads(kp_hook, NULL);
#else
    install_this_thread();
#endif
    return PyLong_FromLongLong(state.overhead_ns);
}

/* threading.setprofile() target: the first event in a new thread arrives
 * here through sys.setprofile's trampoline; switch the thread to the C hook
 * and record the event. */
static PyObject *m_thread_hook(PyObject *self, PyObject *args)
{
    PyObject *frame, *event, *arg;
    if (!PyArg_ParseTuple(args, "OUO", &frame, &event, &arg))
        return NULL;
    if (!kp_S || kp_S->finished) {
        PyEval_SetProfile(NULL, NULL);
        Py_RETURN_NONE;
    }
    install_this_thread();
    static const struct {
        const char *name;
        int what;
    } events[] = {{"call", PyTrace_CALL}, {"return", PyTrace_RETURN}, {"c_call", PyTrace_C_CALL},
                  {"c_return", PyTrace_C_RETURN}, {"c_exception", PyTrace_C_EXCEPTION}};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        if (PyUnicode_CompareWithASCIIString(event, events[i].name) == 0 && PyFrame_Check(frame))
            kp_hook(NULL, (PyFrameObject *)frame, events[i].what, arg);
    Py_RETURN_NONE;
}

static PyObject *m_flush(PyObject *self, PyObject *noargs)
{
    if (kp_S && !kp_S->finished && kp_flush(kp_S) < 0)
        return PyErr_Format(PyExc_OSError, "kiln: cannot write the profile");
    Py_RETURN_NONE;
}

static PyObject *m_finish(PyObject *self, PyObject *noargs)
{
    if (!kp_S || kp_S->finished)
        Py_RETURN_NONE;
    kp_charge_pending(kp_S);
    kp_S->finished = 1;
#if PY_VERSION_HEX >= 0x030C0000
    PyEval_SetProfileAllThreads(NULL, NULL);
#else
    PyEval_SetProfile(NULL, NULL);
#endif
    if (kp_finish_file(kp_S) < 0)
        return PyErr_Format(PyExc_OSError, "kiln: cannot write the profile");
    Py_RETURN_NONE;
}

/* The pstats key of a frame: (file, line, co_name), or ('~', 0, label). */
static PyObject *label(const kp_state *s, uint32_t frame)
{
    const kp_frame *f = &s->frames[frame];
    const kp_str *file = &s->strs[f->file], *name = &s->strs[f->pname];
    return Py_BuildValue("(N I N)", PyUnicode_DecodeUTF8(file->s, (Py_ssize_t)file->n, "surrogateescape"),
                         f->line, PyUnicode_DecodeUTF8(name->s, (Py_ssize_t)name->n, "surrogateescape"));
}

static PyObject *m_pstats(PyObject *self, PyObject *noargs)
{
    if (!kp_S)
        return PyDict_New();
    kp_graph g;
    if (kp_graph_build(kp_S, &g) < 0)
        return PyErr_NoMemory();
    PyObject *stats = PyDict_New(), *keys = PyList_New((Py_ssize_t)g.n_funcs);
    PyObject **callers = PyMem_Calloc(g.n_funcs + 1, sizeof *callers);
    if (!stats || !keys || !callers)
        goto fail;
    for (size_t i = 0; i < g.n_funcs; i++) {
        PyObject *k = label(kp_S, g.funcs[i].frame);
        if (!k || !(callers[i] = PyDict_New()))
            goto fail;
        PyList_SET_ITEM(keys, (Py_ssize_t)i, k);
    }
    for (size_t i = 0; i < g.n_edges; i++) {
        const kp_edge *e = &g.edges[i];
        PyObject *v = Py_BuildValue("(K K d d)", (unsigned long long)e->calls, (unsigned long long)e->prim,
                                    e->self, e->total);
        if (!v || PyDict_SetItem(callers[e->callee], PyList_GET_ITEM(keys, e->caller), v) < 0) {
            Py_XDECREF(v);
            goto fail;
        }
        Py_DECREF(v);
    }
    for (size_t i = 0; i < g.n_funcs; i++) {
        const kp_func *f = &g.funcs[i];
        PyObject *v = Py_BuildValue("(K K d d O)", (unsigned long long)f->prim, (unsigned long long)f->calls,
                                    f->self, f->total, callers[i]);
        if (!v || PyDict_SetItem(stats, PyList_GET_ITEM(keys, i), v) < 0) {
            Py_XDECREF(v);
            goto fail;
        }
        Py_DECREF(v);
    }
    for (size_t i = 0; i < g.n_funcs; i++)
        Py_XDECREF(callers[i]);
    PyMem_Free(callers);
    Py_DECREF(keys);
    kp_graph_free(&g);
    return stats;
fail:
    if (callers)
        for (size_t i = 0; i < g.n_funcs; i++)
            Py_XDECREF(callers[i]);
    PyMem_Free(callers);
    Py_XDECREF(keys);
    Py_XDECREF(stats);
    kp_graph_free(&g);
    return PyErr_Occurred() ? NULL : PyErr_NoMemory();
}

/* A forked child starts its own profile: same tables, values zeroed,
 * everything rewritten into the new file. Only the forking thread lives on. */
static PyObject *m_after_fork(PyObject *self, PyObject *args)
{
    const char *path;
    PyObject *meta;
    if (!PyArg_ParseTuple(args, "sO", &path, &meta))
        return NULL;
    kp_state *s = kp_S;
    if (!s || s->finished)
        Py_RETURN_NONE;
    if (s->fd >= 0) {
        ki_kfw_release(&s->w);
        close(s->fd); /* the parent still writes its own copy */
        s->fd = -1;
    }
    for (size_t i = 0; i < s->n_nodes; i++) {
        kp_node *n = &s->nodes[i];
        n->calls = n->calls_flushed = 0;
        n->self_ns = n->self_flushed = 0;
        n->dirty = 0;
    }
    s->n_dirty = 0;
    kp_thread *t = kp_thread_get(s);
    if (t)
        t->last = kp_now() + s->overhead_ns;
    if (kp_open_output(s, path, meta) < 0) {
        s->finished = 1;
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"start", m_start, METH_VARARGS, "start(path, meta, flush_ms): install the hook; returns the hook cost in ns"},
    {"thread_hook", m_thread_hook, METH_VARARGS, "threading.setprofile target"},
    {"flush", m_flush, METH_NOARGS, "write what was recorded so far"},
    {"finish", m_finish, METH_NOARGS, "stop profiling and complete the .kiln file"},
    {"pstats", m_pstats, METH_NOARGS, "the profile as a pstats/cProfile stats dict"},
    {"after_fork", m_after_fork, METH_VARARGS, "after_fork(path, meta): restart in a forked child"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kiln_profiler",
                                    "kiln's calling-context profiler (kiln record --python)", -1, methods,
                                    NULL, NULL, NULL, NULL};

/* Exported explicitly: before 3.9 PyMODINIT_FUNC does not override
 * -fvisibility=hidden. */
#define KP_EXPORT __attribute__((visibility("default")))
KP_EXPORT PyMODINIT_FUNC PyInit__kiln_profiler(void);
KP_EXPORT PyMODINIT_FUNC PyInit__kiln_profiler(void)
{
    return PyModule_Create(&module);
}
