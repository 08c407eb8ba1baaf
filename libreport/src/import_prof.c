/* Importer for cProfile / profile `.prof` files: one marshal'd dict
 *   {(file, line, name): (cc, nc, tt, ct, {(file, line, name): caller}), ...}
 * where caller is (nc, cc, tt, ct) for cProfile and an int (calls) for the
 * pure-Python profile module. Python 2.7 files (byte strings, 'R' refs) load
 * too. The stats become the profile's given call graph, in file order:
 * pstats' output depends on that order (its sorts are stable).
 *
 * Dict semantics are kept: a repeated key replaces the earlier value but the
 * function keeps its first position. Functions named only as callers are
 * added after the stats entries; the metadata key "pstats_entries" says how
 * many leading functions are stats entries (kiln top --pstats lists those). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "kiln/buf.h"
#include "kiln/profile.h"
#include "marshal.h"

#define PROF_MAX_INPUT ((uint64_t)1 << 30)

typedef struct conv {
    const ki_marshal *m;
    kiln_profile *p;
    kiln_error *err;
    kiln_frame_id *frame_of_node; /* cache: key tuple node -> frame */
    uint32_t *value_of_func;      /* stats entry func -> its value node */
    uint32_t n_entries;
    uint64_t visits, budget;      /* bounds the work on shared (DAG) values */
    int int_callers;              /* the profile module writes int callers */
} conv;

static kiln_status bad(conv *c, const ki_mnode *n, const char *fmt, uint32_t entry, const char *detail)
{
    kiln_status st = kiln_error_set(c->err, KILN_ERR_DATA, "offset %u (0x%x): entry #%u: %s%s%s", n->off,
                                    n->off, entry, fmt, detail ? ": " : "", detail ? detail : "");
    if (c->err && c->err->offset == KILN_NO_OFFSET)
        c->err->offset = n->off;
    return st;
}

static kiln_status oom(conv *c)
{
    return kiln_error_set(c->err, KILN_ERR_NOMEM, "out of memory");
}

static int is_text(const ki_mnode *n)
{
    return n->type == KI_M_STR || n->type == KI_M_BYTES;
}

static int is_int(const ki_mnode *n)
{
    return n->type == KI_M_INT || n->type == KI_M_BOOL;
}

static int is_number(const ki_mnode *n)
{
    return is_int(n) || n->type == KI_M_FLOAT;
}

static double number(const ki_mnode *n)
{
    return n->type == KI_M_FLOAT ? n->v.d : (double)n->v.i;
}

/* The profile module names the profiled script by its code object:
 * ('profile', 0, <code object>). pstats shows Python's repr of it, whose
 * address is not in the file: kiln writes "at 0x0". */
static kiln_str code_name(conv *c, const ki_mnode *code)
{
    const ki_marshal *m = c->m;
    const ki_mnode *file = NULL, *name = NULL;
    if ((code->aux & 0xff) < code->n)
        file = ki_marshal_node(m, ki_marshal_kid(m, code, code->aux & 0xff));
    if ((code->aux >> 8) < code->n)
        name = ki_marshal_node(m, ki_marshal_kid(m, code, code->aux >> 8));
    kiln_buf b = KILN_BUF_INIT;
    kiln_buf_addstr(&b, "<code object ");
    if (name && is_text(name))
        kiln_buf_add(&b, ki_marshal_str(m, name), name->n);
    kiln_buf_addstr(&b, " at 0x0, file ");
    if (file && is_text(file)) {
        kiln_buf_addch(&b, '"');
        kiln_buf_add(&b, ki_marshal_str(m, file), file->n);
        kiln_buf_addch(&b, '"');
    } else {
        kiln_buf_addstr(&b, "???");
    }
    kiln_buf_printf(&b, ", line %lld>", (long long)code->v.i);
    kiln_str id = b.failed ? KILN_NONE : kiln_profile_intern(c->p, b.data, b.len);
    kiln_buf_release(&b);
    return id;
}

/* The frame of a (file, line, name) key node. */
static kiln_status key_frame(conv *c, uint32_t node, uint32_t entry, kiln_frame_id *out)
{
    if (c->frame_of_node[node] != KILN_NONE) {
        *out = c->frame_of_node[node];
        return KILN_OK;
    }
    const ki_marshal *m = c->m;
    const ki_mnode *k = ki_marshal_node(m, node);
    if (k->type != KI_M_TUPLE || k->n != 3)
        return bad(c, k, "key is not a (file, line, name) tuple", entry, ki_marshal_type_name(k->type));
    const ki_mnode *file = ki_marshal_node(m, ki_marshal_kid(m, k, 0));
    const ki_mnode *line = ki_marshal_node(m, ki_marshal_kid(m, k, 1));
    const ki_mnode *name = ki_marshal_node(m, ki_marshal_kid(m, k, 2));
    if (!is_text(file) || !is_int(line) || !(is_text(name) || name->type == KI_M_CODE))
        return bad(c, k, "key is not a (str, int, str) tuple", entry, NULL);
    if (line->v.i < 0 || line->v.i > (int64_t)UINT32_MAX)
        return bad(c, line, "line number out of range", entry, NULL);
    const char *fs = ki_marshal_str(m, file);
    kiln_frame f = {0};
    f.file = kiln_profile_intern(c->p, fs, file->n);
    if (name->type == KI_M_CODE)
        f.name = code_name(c, name);
    else
        f.name = kiln_profile_intern(c->p, ki_marshal_str(m, name), name->n);
    if (f.file == KILN_NONE || f.name == KILN_NONE)
        return oom(c);
    f.line = (uint32_t)line->v.i;
    /* ('~', 0, ...) are cProfile's built-ins, ('', 0, ...) the profile module's. */
    int builtin = line->v.i == 0 && (file->n == 0 || (file->n == 1 && fs[0] == '~'));
    f.kind = builtin ? KILN_KIND_BUILTIN : KILN_KIND_PYTHON;
    kiln_frame_id id = kiln_profile_frame(c->p, &f);
    if (id == KILN_NONE)
        return kiln_error_set(c->err, KILN_ERR_LIMIT, "offset %u (0x%x): entry #%u: too many functions (limit %u)",
                              k->off, k->off, entry, KILN_MAX_FRAMES);
    c->frame_of_node[node] = id;
    *out = id;
    return KILN_OK;
}

static kiln_status key_func(conv *c, uint32_t node, uint32_t entry, kiln_func_id *out)
{
    kiln_frame_id fr = KILN_NONE;
    kiln_status st = key_frame(c, node, entry, &fr);
    if (st)
        return st;
    *out = kiln_profile_func(c->p, fr);
    return *out == KILN_NONE ? oom(c) : KILN_OK;
}

static int is_seq(const ki_mnode *n, uint32_t len)
{
    return (n->type == KI_M_TUPLE || n->type == KI_M_LIST) && n->n == len;
}

static kiln_status add_caller(conv *c, kiln_func_id callee, uint32_t key, uint32_t val, uint32_t entry)
{
    const ki_marshal *m = c->m;
    kiln_func_id caller;
    kiln_status st = key_func(c, key, entry, &caller);
    if (st)
        return st;
    const ki_mnode *v = ki_marshal_node(m, val);
    kiln_edge e = {0};
    if (is_int(v)) {
        e.calls = v->v.i; /* profile module: a call count only */
        c->int_callers = 1;
    } else if (is_seq(v, 4)) {
        const ki_mnode *f[4];
        for (uint32_t i = 0; i < 4; i++)
            f[i] = ki_marshal_node(m, ki_marshal_kid(m, v, i));
        if (!is_int(f[0]) || !is_int(f[1]) || !is_number(f[2]) || !is_number(f[3]))
            return bad(c, v, "caller statistics are not (nc, cc, tt, ct)", entry, NULL);
        e.calls = f[0]->v.i; /* cProfile's caller tuples start with nc */
        e.prim_calls = f[1]->v.i;
        e.self = number(f[2]);
        e.total = number(f[3]);
    } else {
        return bad(c, v, "caller statistics are neither a 4-tuple nor an int", entry, ki_marshal_type_name(v->type));
    }
    kiln_edge *out = kiln_profile_edge(c->p, caller, callee);
    if (!out)
        return oom(c);
    out->calls = e.calls;
    out->prim_calls = e.prim_calls;
    out->self = e.self;
    out->total = e.total;
    return KILN_OK;
}

/* Entry value (cc, nc, tt, ct, callers) for the function f. */
static kiln_status add_entry(conv *c, kiln_func_id f, uint32_t val, uint32_t entry)
{
    const ki_marshal *m = c->m;
    const ki_mnode *v = ki_marshal_node(m, val);
    if (!is_seq(v, 5))
        return bad(c, v, "value is not a (cc, nc, tt, ct, callers) tuple", entry, ki_marshal_type_name(v->type));
    const ki_mnode *x[5];
    for (uint32_t i = 0; i < 5; i++)
        x[i] = ki_marshal_node(m, ki_marshal_kid(m, v, i));
    if (!is_int(x[0]) || !is_int(x[1]))
        return bad(c, v, "call counts are not integers", entry, NULL);
    if (!is_number(x[2]) || !is_number(x[3]))
        return bad(c, v, "times are not numbers", entry, NULL);
    if (x[4]->type != KI_M_DICT)
        return bad(c, x[4], "callers is not a dict", entry, ki_marshal_type_name(x[4]->type));
    kiln_func *fn = kiln_profile_func_get(c->p, f);
    fn->prim_calls = x[0]->v.i;
    fn->calls = x[1]->v.i;
    fn->self = number(x[2]);
    fn->total = number(x[3]);
    uint32_t pairs = x[4]->n / 2;
    c->visits += pairs + 1;
    if (c->visits > c->budget)
        return kiln_error_set(c->err, KILN_ERR_LIMIT,
                              "offset %u (0x%x): entry #%u: shared references expand to more than %llu "
                              "caller records (input is a reference bomb?)",
                              x[4]->off, x[4]->off, entry, (unsigned long long)c->budget);
    for (uint32_t k = 0; k < pairs; k++) {
        kiln_status st = add_caller(c, f, ki_marshal_kid(m, x[4], 2 * k), ki_marshal_kid(m, x[4], 2 * k + 1), entry);
        if (st)
            return st;
    }
    return KILN_OK;
}

static kiln_status convert(conv *c)
{
    const ki_marshal *m = c->m;
    const ki_mnode *root = ki_marshal_node(m, m->root);
    if (root->type != KI_M_DICT)
        return kiln_error_set(c->err, KILN_ERR_DATA,
                              "offset 0 (0x0): not a pstats file: the marshal object is a %s, not a dict",
                              ki_marshal_type_name(root->type));
    int t = kiln_profile_add_sample_type(c->p, "time", "seconds");
    if (t < 0)
        return kiln_error_set(c->err, KILN_ERR_INTERNAL, "cannot add the sample type");
    kiln_profile_set_graph_type(c->p, t);
    kiln_profile_set_graph_given(c->p, 1);

    uint32_t pairs = root->n / 2;
    /* Pass 1: one function per key, first position kept, last value wins. */
    c->value_of_func = malloc(((size_t)pairs + 1) * sizeof *c->value_of_func);
    if (!c->value_of_func)
        return oom(c);
    uint32_t base = kiln_profile_func_count(c->p);
    for (uint32_t k = 0; k < pairs; k++) {
        kiln_func_id f;
        kiln_status st = key_func(c, ki_marshal_kid(m, root, 2 * k), k, &f);
        if (st)
            return st;
        if (f < base || f - base > c->n_entries)
            return kiln_error_set(c->err, KILN_ERR_INTERNAL, "prof import into a profile that has functions");
        if (f - base == c->n_entries)
            c->n_entries++;
        c->value_of_func[f - base] = ki_marshal_kid(m, root, 2 * k + 1);
    }
    /* Pass 2: values and caller edges, in the dict's order. */
    for (uint32_t i = 0; i < c->n_entries; i++) {
        kiln_status st = add_entry(c, base + i, c->value_of_func[i], i);
        if (st)
            return st;
    }
    char num[32];
    snprintf(num, sizeof num, "%u", c->n_entries);
    const char *tool = c->int_callers ? "profile" : "cProfile";
    char toolbuf[64];
    snprintf(toolbuf, sizeof toolbuf, "%s (Python %d)", tool, m->saw_py2 && !m->saw_py3 ? 2 : 3);
    if (kiln_profile_meta_set(c->p, KILN_META_FORMAT, "prof") || kiln_profile_meta_set(c->p, KILN_META_TOOL, toolbuf) ||
        kiln_profile_meta_set(c->p, "pstats_entries", num))
        return oom(c);
    return KILN_OK;
}

kiln_status ki_import_prof(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p, kiln_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    if (ki_reader_slurp(r, PROF_MAX_INPUT, &data, &len) < 0) {
        free(data);
        return err && err->status ? err->status : KILN_ERR_READ;
    }
    ki_marshal m;
    kiln_status st = ki_marshal_parse(&m, data, len, err);
    if (st) {
        free(data);
        return st;
    }
    if (m.end < len) {
        size_t extra = len - m.end;
        if (opts && opts->strict) {
            st = kiln_error_set(err, KILN_ERR_DATA, "offset %zu (0x%zx): %zu bytes after the marshal object",
                                m.end, m.end, extra);
        }
    }
    conv c = {0};
    c.m = &m;
    c.p = p;
    c.err = err;
    c.budget = (uint64_t)len + (1u << 20);
    if (!st) {
        c.frame_of_node = malloc(((size_t)m.n_nodes + 1) * sizeof *c.frame_of_node);
        if (!c.frame_of_node)
            st = oom(&c);
        else
            memset(c.frame_of_node, 0xff, ((size_t)m.n_nodes + 1) * sizeof *c.frame_of_node);
    }
    if (!st)
        st = convert(&c);
    /* warn only once the import succeeded: a failing input gets one line */
    if (!st && m.end < len)
        ki_warn(opts, "offset %zu (0x%zx): %zu trailing bytes after the marshal object ignored", m.end,
                m.end, len - m.end);
    free(c.frame_of_node);
    free(c.value_of_func);
    ki_marshal_release(&m);
    free(data);
    return st;
}

static int is_tuple_code(unsigned b)
{
    b &= 0x7f;
    return b == '(' || b == ')';
}

static int is_string_code(unsigned b)
{
    b &= 0x7f;
    return b && strchr("sutaAzZRr", (int)b) != NULL;
}

/* A .prof starts with a dict ('{', maybe flagged) whose first key is a
 * tuple of a string, or is empty ('0'). JSON also starts with '{', so the
 * second byte decides. */
int ki_sniff_prof(const unsigned char *head, size_t len)
{
    if (len == 0 || (head[0] & 0x7f) != '{')
        return 0;
    if (len == 1)
        return 5;
    if (head[1] == '0')
        return len == 2 ? 60 : 10;
    if (!is_tuple_code(head[1]))
        return 0;
    size_t s = (head[1] & 0x7f) == ')' ? 3 : 6; /* after the element count */
    if (len <= s)
        return 60;
    return is_string_code(head[s]) ? 95 : 40;
}
