/* Strings and frames: interned by content, registered the first time the hook
 * meets a code object or a C function. Names follow cProfile's spelling so the
 * call graph lines up with pstats: built-ins are ('~', 0, "<built-in method
 * builtins.len>") and methods "<method 'append' of 'list' objects>". */
#include "kp.h"

#include <stdlib.h>
#include <string.h>

uint32_t kp_intern(kp_state *s, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (n > 65536)
        n = 65536; /* the format's string cap */
    uint64_t h = kp_hash_bytes(p, n);
    uint32_t id = kp_map_get(&s->str_index, h);
    if (id != KP_NONE && s->strs[id].n == n && memcmp(s->strs[id].s, p, n) == 0)
        return id;
    if (s->n_strs == s->cap_strs) {
        size_t cap = s->cap_strs ? s->cap_strs * 2 : 256;
        kp_str *v = realloc(s->strs, cap * sizeof *v);
        if (!v)
            return KP_NONE;
        s->strs = v;
        s->cap_strs = cap;
    }
    char *copy = malloc(n);
    if (!copy)
        return KP_NONE;
    memcpy(copy, p, n);
    uint32_t nid = (uint32_t)s->n_strs++;
    s->strs[nid] = (kp_str){copy, n};
    if (id == KP_NONE && kp_map_put(&s->str_index, h, nid) < 0)
        return KP_NONE;
    return nid;
}

uint32_t kp_frame_for(kp_state *s, const kp_frame *f)
{
    uint64_t h = kp_hash_bytes(f, sizeof *f);
    uint32_t id = kp_map_get(&s->frame_index, h);
    if (id != KP_NONE && memcmp(&s->frames[id], f, sizeof *f) == 0)
        return id;
    if (s->n_frames == s->cap_frames) {
        size_t cap = s->cap_frames ? s->cap_frames * 2 : 256;
        kp_frame *v = realloc(s->frames, cap * sizeof *v);
        if (!v)
            return KP_NONE;
        s->frames = v;
        s->cap_frames = cap;
    }
    uint32_t nid = (uint32_t)s->n_frames++;
    s->frames[nid] = *f;
    if (id == KP_NONE && kp_map_put(&s->frame_index, h, nid) < 0)
        return KP_NONE;
    return nid;
}

/* Interns str(obj) (UTF-8, surrogates escaped); 0 when obj is not text. */
static uint32_t intern_obj(kp_state *s, PyObject *obj)
{
    if (!obj || !PyUnicode_Check(obj))
        return 0;
    PyObject *b = PyUnicode_AsEncodedString(obj, "utf-8", "surrogateescape");
    if (!b) {
        PyErr_Clear();
        return 0;
    }
    uint32_t id = kp_intern(s, PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b));
    Py_DECREF(b);
    return id;
}

static uint32_t intern_attr(kp_state *s, PyObject *obj, const char *attr)
{
    PyObject *v = PyObject_GetAttrString(obj, attr);
    if (!v) {
        PyErr_Clear();
        return 0;
    }
    uint32_t id = intern_obj(s, v);
    Py_DECREF(v);
    return id;
}

static uint32_t remember(kp_state *s, uint64_t key, const kp_frame *f)
{
    uint32_t id = kp_frame_for(s, f);
    if (id == KP_NONE || kp_map_put(&s->key_frame, key, id) < 0) {
        s->nomem = 1;
        return KP_NONE;
    }
    return id;
}

uint32_t kp_frame_of_code(kp_state *s, PyObject *code, PyFrameObject *frame)
{
    uint32_t id = kp_map_get(&s->key_frame, (uint64_t)(uintptr_t)code);
    if (id != KP_NONE)
        return id;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    kp_frame f = {0};
    f.kind = KP_KIND_PYTHON;
    f.file = intern_attr(s, code, "co_filename");
    f.pname = intern_attr(s, code, "co_name");
    f.name = PyObject_HasAttrString(code, "co_qualname") ? intern_attr(s, code, "co_qualname") : f.pname;
    PyObject *line = PyObject_GetAttrString(code, "co_firstlineno");
    if (line) {
        long v = PyLong_AsLong(line);
        f.line = v > 0 && v <= (long)UINT32_MAX ? (uint32_t)v : 0;
        Py_DECREF(line);
    }
    PyErr_Clear();
    if (frame) {
        PyObject *globals = PyObject_GetAttrString((PyObject *)frame, "f_globals");
        if (globals && PyDict_Check(globals))
            f.module = intern_obj(s, PyDict_GetItemString(globals, "__name__"));
        Py_XDECREF(globals);
        PyErr_Clear();
    }
    /* Keep the code object alive: its address is our key. */
    if (PyList_Append(s->held, code) < 0)
        PyErr_Clear();
    id = remember(s, (uint64_t)(uintptr_t)code, &f);
    PyErr_Restore(et, ev, tb);
    return id;
}

/* cProfile's label of a built-in: see _lsprof.c normalizeUserObj. */
static PyObject *builtin_label(PyCFunctionObject *fn, PyObject **module_out)
{
    const char *name = fn->m_ml->ml_name;
    PyObject *mod = fn->m_module;
    if (fn->m_self == NULL) {
        PyObject *modname = NULL;
        if (mod && PyUnicode_Check(mod)) {
            modname = mod;
            Py_INCREF(modname);
        } else if (mod && PyModule_Check(mod)) {
            modname = PyModule_GetNameObject(mod);
            if (!modname)
                PyErr_Clear();
        }
        *module_out = modname;
        if (modname && PyUnicode_CompareWithASCIIString(modname, "builtins") != 0)
            return PyUnicode_FromFormat("<%U.%s>", modname, name);
        return PyUnicode_FromFormat("<%s>", name);
    }
    PyObject *self = fn->m_self;
    PyObject *pyname = PyUnicode_FromString(name);
    if (pyname) {
        PyObject *mo = _PyType_Lookup(Py_TYPE(self), pyname);
        Py_DECREF(pyname);
        if (mo) {
            Py_INCREF(mo);
            PyObject *res = PyObject_Repr(mo);
            Py_DECREF(mo);
            if (res) {
                *module_out = PyObject_GetAttrString((PyObject *)Py_TYPE(self), "__module__");
                if (!*module_out)
                    PyErr_Clear();
                return res;
            }
        }
    }
    PyErr_Clear();
    if (mod && PyUnicode_Check(mod)) {
        Py_INCREF(mod);
        *module_out = mod;
        return PyUnicode_FromFormat("<built-in method %S.%s>", mod, name);
    }
    return PyUnicode_FromFormat("<built-in method %s>", name);
}

uint32_t kp_frame_of_cfunc(kp_state *s, PyObject *obj)
{
    PyCFunctionObject *fn = (PyCFunctionObject *)obj;
    uint64_t key = (uint64_t)(uintptr_t)fn->m_ml;
    uint32_t id = kp_map_get(&s->key_frame, key);
    if (id != KP_NONE)
        return id;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *module = NULL;
    PyObject *label = builtin_label(fn, &module);
    kp_frame f = {0};
    f.kind = KP_KIND_BUILTIN;
    f.file = kp_intern(s, "~", 1);
    f.name = f.pname = intern_obj(s, label);
    f.module = intern_obj(s, module);
    Py_XDECREF(label);
    Py_XDECREF(module);
    PyErr_Clear();
    id = remember(s, key, &f);
    PyErr_Restore(et, ev, tb);
    return id;
}
