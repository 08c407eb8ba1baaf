/* Python marshal reader: one object from memory into a node DAG (marshal.h).
 *
 * Iterative: containers being filled live on an explicit stack (at most
 * KI_MARSHAL_MAX_DEPTH), their finished children on a value stack; a
 * container's children are copied into kids[] when it closes. Every table
 * grows with what was actually decoded, and every declared count is checked
 * against the bytes left first (each element needs at least one byte), so
 * memory stays proportional to the input. */
#include "marshal.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FLAG_REF 0x80u
#define SLOT_PENDING UINT32_MAX

typedef struct frame {
    uint32_t node;    /* container node id */
    uint32_t want;    /* children expected; UINT32_MAX for a dict */
    uint32_t base;    /* first value-stack index of its children */
    uint32_t slot;    /* ref slot to fill on completion, or UINT32_MAX */
    const struct code_layout *cl; /* code objects only, else NULL */
    uint8_t field;    /* code: index of the next field in cl->fields */
    uint8_t ints;     /* code: raw ints read so far */
    uint8_t undecided; /* code: 3.0-3.10 or 3.11+ not known yet */
    int32_t firstlineno;
} frame;

/* Code object field layouts after the type byte ('I' = raw int32 without a
 * type code, 'O' = object), and where co_filename / co_name sit among the
 * objects. */
typedef struct code_layout {
    const char *fields;
    int ints;           /* leading raw ints */
    uint8_t file_kid, name_kid;
    int lineno_int;     /* which raw int (0-based, counting all) is co_firstlineno */
} code_layout;
static const code_layout layout_py2 = {"IIIIOOOOOOOOIO", 4, 6, 7, 4};
static const code_layout layout_py30 = {"IIIIIOOOOOOOOIO", 5, 6, 7, 5};
static const code_layout layout_py38 = {"IIIIIIOOOOOOOOIO", 6, 6, 7, 6};
static const code_layout layout_py311 = {"IIIIIOOOOOOOOIOO", 5, 5, 6, 5};

typedef struct parser {
    ki_marshal *m;
    size_t pos;
    kiln_error *err;
    uint32_t *refs;              /* ref slot -> node id (SLOT_PENDING until complete) */
    uint32_t cap_refs;
    uint32_t *interned;          /* Python 2 't' strings, for 'R' */
    uint32_t n_interned, cap_interned;
    uint32_t *vals;              /* value stack */
    uint32_t n_vals, cap_vals;
    frame stack[KI_MARSHAL_MAX_DEPTH];
    uint32_t depth;
    locale_t c_locale;           /* for text floats, created on first use */
} parser;

const char *ki_marshal_type_name(int type)
{
    static const char *const names[] = {
        "NULL", "None", "bool", "StopIteration", "Ellipsis", "int", "float", "complex",
        "bytes", "str", "tuple", "list", "dict", "set", "frozenset", "slice", "code",
    };
    if (type < 0 || (size_t)type >= sizeof names / sizeof names[0])
        return "?";
    return names[type];
}

static kiln_status with_offset(parser *ps, kiln_status st, size_t off)
{
    if (ps->err && ps->err->offset == KILN_NO_OFFSET)
        ps->err->offset = off;
    return st;
}

static kiln_status fail_at(parser *ps, kiln_status st, size_t off, const char *what)
{
    return with_offset(ps, kiln_error_set(ps->err, st, "offset %zu (0x%zx): %s", off, off, what), off);
}

static kiln_status fail_code(parser *ps, size_t off, unsigned code, const char *what)
{
    int printable = code >= 0x20 && code < 0x7f;
    kiln_status st = kiln_error_set(ps->err, KILN_ERR_DATA, "offset %zu (0x%zx): %s 0x%02x%s%c%s", off, off,
                                    what, code, printable ? " ('" : "", printable ? (int)code : ' ',
                                    printable ? "')" : "");
    return with_offset(ps, st, off);
}

static int grow(void **arr, uint32_t *cap, size_t elem, uint32_t need)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? (size_t)*cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        ncap = UINT32_MAX;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = (uint32_t)ncap;
    return 0;
}

static size_t left(const parser *ps)
{
    return ps->m->len - ps->pos;
}

static kiln_status need(parser *ps, size_t n)
{
    if (left(ps) >= n)
        return KILN_OK;
    char msg[96];
    snprintf(msg, sizeof msg, "unexpected end of marshal data (%zu more bytes needed)", n - left(ps));
    return fail_at(ps, KILN_ERR_DATA, ps->pos, msg);
}

static uint32_t rd_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd_u64(const unsigned char *p)
{
    return (uint64_t)rd_u32(p) | (uint64_t)rd_u32(p + 4) << 32;
}

static kiln_status read_i32(parser *ps, int32_t *out)
{
    kiln_status st = need(ps, 4);
    if (st)
        return st;
    *out = (int32_t)rd_u32(ps->m->data + ps->pos);
    ps->pos += 4;
    return KILN_OK;
}

/* A length field: i32 (or u8 for the short forms), 0..0x7fffffff, and at
 * least min_each * n bytes must remain. */
static kiln_status read_len(parser *ps, int short_form, size_t min_each, uint32_t *out)
{
    size_t at = ps->pos;
    int64_t n;
    if (short_form) {
        kiln_status st = need(ps, 1);
        if (st)
            return st;
        n = ps->m->data[ps->pos++];
    } else {
        int32_t v;
        kiln_status st = read_i32(ps, &v);
        if (st)
            return st;
        n = v;
        if (n < 0)
            return fail_at(ps, KILN_ERR_DATA, at, "bad marshal data (size out of range)");
    }
    if ((uint64_t)n * min_each > left(ps)) {
        char msg[128];
        snprintf(msg, sizeof msg, "declared size %lld exceeds the %zu bytes left", (long long)n, left(ps));
        return fail_at(ps, KILN_ERR_DATA, at, msg);
    }
    *out = (uint32_t)n;
    return KILN_OK;
}

static kiln_status new_node(parser *ps, ki_mtype type, unsigned code, size_t off, uint32_t *id)
{
    ki_marshal *m = ps->m;
    if (grow((void **)&m->nodes, &m->cap_nodes, sizeof *m->nodes, m->n_nodes + 1))
        return kiln_error_set(ps->err, KILN_ERR_NOMEM, "offset %zu (0x%zx): out of memory", off, off);
    ki_mnode *n = &m->nodes[m->n_nodes];
    memset(n, 0, sizeof *n);
    n->type = (uint8_t)type;
    n->code = (uint8_t)code;
    n->off = (uint32_t)off;
    *id = m->n_nodes++;
    return KILN_OK;
}

static kiln_status reserve_slot(parser *ps, size_t off, uint32_t *slot)
{
    ki_marshal *m = ps->m;
    if (grow((void **)&ps->refs, &ps->cap_refs, sizeof *ps->refs, m->n_refs + 1))
        return kiln_error_set(ps->err, KILN_ERR_NOMEM, "offset %zu (0x%zx): out of memory", off, off);
    ps->refs[m->n_refs] = SLOT_PENDING;
    *slot = m->n_refs++;
    return KILN_OK;
}

static int is_float_text(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity") || !strcasecmp(p, "nan"))
        return 1;
    int digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (!digits)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == 0;
}

/* Marshal 0/1 text float: u8 length + ASCII repr. */
static kiln_status read_text_float(parser *ps, double *out)
{
    size_t at = ps->pos;
    uint32_t n;
    kiln_status st = read_len(ps, 1, 1, &n);
    if (st)
        return st;
    char buf[256];
    memcpy(buf, ps->m->data + ps->pos, n);
    buf[n] = 0;
    ps->pos += n;
    if (!is_float_text(buf))
        return fail_at(ps, KILN_ERR_DATA, at, "bad marshal data (invalid float text)");
    if (!ps->c_locale) {
        ps->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        if (!ps->c_locale)
            return kiln_error_set(ps->err, KILN_ERR_NOMEM, "offset %zu (0x%zx): out of memory", at, at);
    }
    char *end;
    *out = strtod_l(buf, &end, ps->c_locale);
    if (*end)
        return fail_at(ps, KILN_ERR_DATA, at, "bad marshal data (invalid float text)");
    return KILN_OK;
}

static double bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* 'l': i32 signed digit count, then |n| base-2^15 digits, least significant first. */
static kiln_status read_long(parser *ps, int64_t *out)
{
    size_t at = ps->pos;
    int32_t n;
    kiln_status st = read_i32(ps, &n);
    if (st)
        return st;
    if (n == INT32_MIN)
        return fail_at(ps, KILN_ERR_DATA, at, "bad marshal data (long size out of range)");
    uint32_t nd = (uint32_t)(n < 0 ? -n : n);
    if ((uint64_t)nd * 2 > left(ps)) {
        char msg[128];
        snprintf(msg, sizeof msg, "declared size %u digits exceeds the %zu bytes left", nd, left(ps));
        return fail_at(ps, KILN_ERR_DATA, at, msg);
    }
    const unsigned char *d = ps->m->data + ps->pos;
    uint64_t mag = 0;
    const uint64_t limit = (uint64_t)1 << 63; /* |INT64_MIN| */
    int too_big = 0;
    for (uint32_t k = nd; k-- > 0;) {
        unsigned digit = (unsigned)d[2 * k] | (unsigned)d[2 * k + 1] << 8;
        if (digit > 0x7fff)
            return fail_at(ps, KILN_ERR_DATA, ps->pos + 2 * k, "bad marshal data (digit out of range in long)");
        if (k == nd - 1 && digit == 0)
            return fail_at(ps, KILN_ERR_DATA, ps->pos + 2 * k, "bad marshal data (unnormalized long data)");
        if (mag > (limit - digit) >> 15)
            too_big = 1;
        else
            mag = mag << 15 | digit;
    }
    if (too_big || (n > 0 && mag == limit))
        return fail_at(ps, KILN_ERR_LIMIT, at, "integer does not fit in 64 bits");
    ps->pos += (size_t)nd * 2;
    *out = n < 0 ? (int64_t)(0 - mag) : (int64_t)mag;
    return KILN_OK;
}

/* Finish a container: move its children from the value stack to kids[]. */
static kiln_status close_container(parser *ps, uint32_t *result)
{
    ki_marshal *m = ps->m;
    frame *f = &ps->stack[--ps->depth];
    uint32_t count = ps->n_vals - f->base;
    ki_mnode *node = &m->nodes[f->node];
    if (grow((void **)&m->kids, &m->cap_kids, sizeof *m->kids, m->n_kids + count))
        return kiln_error_set(ps->err, KILN_ERR_NOMEM, "offset %zu (0x%zx): out of memory", ps->pos, ps->pos);
    if (count)
        memcpy(m->kids + m->n_kids, ps->vals + f->base, (size_t)count * sizeof *m->kids);
    node->pos = m->n_kids;
    node->n = count;
    m->n_kids += count;
    ps->n_vals = f->base;
    if (f->cl) {
        node->v.i = f->firstlineno;
        node->aux = (uint16_t)(f->cl->file_kid | f->cl->name_kid << 8);
    }
    if (f->slot != UINT32_MAX)
        ps->refs[f->slot] = f->node;
    *result = f->node;
    return KILN_OK;
}

/* Hand a finished object to the container being filled, closing every
 * container it completes. Sets *done when the top-level object is complete. */
static kiln_status deliver(parser *ps, uint32_t obj, int *done)
{
    for (;;) {
        if (ps->depth == 0) {
            ps->m->root = obj;
            *done = 1;
            return KILN_OK;
        }
        if (grow((void **)&ps->vals, &ps->cap_vals, sizeof *ps->vals, ps->n_vals + 1))
            return kiln_error_set(ps->err, KILN_ERR_NOMEM, "offset %zu (0x%zx): out of memory", ps->pos,
                                  ps->pos);
        ps->vals[ps->n_vals++] = obj;
        frame *f = &ps->stack[ps->depth - 1];
        if (f->cl) {
            f->field++;
            if (f->undecided && ps->n_vals - f->base == 5) {
                /* 5th object: freevars (a tuple) before 3.11, localspluskinds (bytes) since */
                if (ps->m->nodes[obj].type == KI_M_BYTES)
                    f->cl = &layout_py311;
                f->undecided = 0;
            }
            if (f->cl->fields[f->field])
                return KILN_OK;
        } else if (f->want == UINT32_MAX || ps->n_vals - f->base < f->want) {
            return KILN_OK;
        }
        kiln_status st = close_container(ps, &obj);
        if (st)
            return st;
    }
}

static kiln_status open_container(parser *ps, ki_mtype type, unsigned code, size_t off, int flagged,
                                  uint32_t want, uint32_t *result, int *opened)
{
    uint32_t id, slot = UINT32_MAX;
    kiln_status st = new_node(ps, type, code, off, &id);
    if (!st && flagged)
        st = reserve_slot(ps, off, &slot);
    if (st)
        return st;
    *result = id;
    *opened = 0;
    if (want == 0) {
        if (slot != UINT32_MAX)
            ps->refs[slot] = id;
        ps->m->nodes[id].pos = ps->m->n_kids;
        return KILN_OK;
    }
    if (ps->depth >= KI_MARSHAL_MAX_DEPTH) {
        char msg[96];
        snprintf(msg, sizeof msg, "containers nested deeper than %u", KI_MARSHAL_MAX_DEPTH);
        return fail_at(ps, KILN_ERR_LIMIT, off, msg);
    }
    ps->stack[ps->depth++] = (frame){id, want, ps->n_vals, slot, NULL, 0, 0, 0, 0};
    *opened = 1;
    return KILN_OK;
}

static kiln_status string_node(parser *ps, ki_mtype type, unsigned code, size_t off, int short_form,
                               uint32_t *id)
{
    uint32_t n;
    kiln_status st = read_len(ps, short_form, 1, &n);
    if (!st)
        st = new_node(ps, type, code, off, id);
    if (st)
        return st;
    ps->m->nodes[*id].n = n;
    ps->m->nodes[*id].pos = (uint32_t)ps->pos;
    ps->pos += n;
    return KILN_OK;
}

/* Which code object layout follows: the bytecode string ('s') comes after
 * 4 raw ints in 2.7, 5 in 3.0-3.7 and 3.11+, 6 in 3.8-3.10. */
static const code_layout *pick_code_layout(const parser *ps)
{
    static const code_layout *const py3_first[] = {&layout_py38, &layout_py30, &layout_py2};
    static const code_layout *const py2_first[] = {&layout_py2, &layout_py38, &layout_py30};
    const code_layout *const *order = ps->m->saw_py2 && !ps->m->saw_py3 ? py2_first : py3_first;
    for (int i = 0; i < 3; i++) {
        size_t at = ps->pos + 4 * (size_t)order[i]->ints;
        if (at < ps->m->len && (ps->m->data[at] & ~FLAG_REF) == 's')
            return order[i];
    }
    return NULL;
}

/* Decodes one item. *have is 1 when *obj is a finished object to deliver,
 * 0 when a container was opened or a dict closed. */
static kiln_status step(parser *ps, uint32_t *obj, int *have)
{
    ki_marshal *m = ps->m;
    kiln_status st;
    frame *cf = ps->depth ? &ps->stack[ps->depth - 1] : NULL;
    while (cf && cf->cl && cf->cl->fields[cf->field] == 'I') {
        int32_t v;
        if ((st = read_i32(ps, &v)))
            return st;
        if (cf->ints == cf->cl->lineno_int)
            cf->firstlineno = v;
        cf->ints++;
        cf->field++;
    }
    size_t off = ps->pos;
    st = need(ps, 1);
    if (st)
        return st;
    unsigned byte = m->data[ps->pos++];
    unsigned code = byte & ~FLAG_REF;
    int flagged = (byte & FLAG_REF) != 0;
    frame *top = ps->depth ? &ps->stack[ps->depth - 1] : NULL;
    int scalar_slot = 0; /* fill a ref slot for this scalar once decoded */
    uint32_t id = 0;
    *have = 1;

    switch (code) {
    case '0': /* NULL: ends a dict (as key or value), an error anywhere else */
        if (top && top->want == UINT32_MAX && !top->cl) {
            if ((ps->n_vals - top->base) % 2)
                ps->n_vals--; /* CPython drops a key whose value is NULL */
            *have = 0;
            uint32_t done_obj;
            st = close_container(ps, &done_obj);
            if (st)
                return st;
            *obj = done_obj;
            *have = 1;
            return KILN_OK;
        }
        return fail_at(ps, KILN_ERR_DATA, off, "bad marshal data (NULL object outside a dict)");
    case 'N':
        st = new_node(ps, KI_M_NONE, code, off, &id);
        break;
    case 'F':
    case 'T':
        st = new_node(ps, KI_M_BOOL, code, off, &id);
        if (!st)
            m->nodes[id].v.i = code == 'T';
        break;
    case 'S':
        st = new_node(ps, KI_M_STOPITER, code, off, &id);
        break;
    case '.':
        st = new_node(ps, KI_M_ELLIPSIS, code, off, &id);
        break;
    case 'i': {
        int32_t v;
        st = read_i32(ps, &v);
        if (!st)
            st = new_node(ps, KI_M_INT, code, off, &id);
        if (!st)
            m->nodes[id].v.i = v;
        scalar_slot = 1;
        break;
    }
    case 'I': {
        st = need(ps, 8);
        if (!st)
            st = new_node(ps, KI_M_INT, code, off, &id);
        if (!st) {
            m->nodes[id].v.i = (int64_t)rd_u64(m->data + ps->pos);
            ps->pos += 8;
        }
        scalar_slot = 1;
        break;
    }
    case 'l': {
        int64_t v = 0;
        st = read_long(ps, &v);
        if (!st)
            st = new_node(ps, KI_M_INT, code, off, &id);
        if (!st)
            m->nodes[id].v.i = v;
        scalar_slot = 1;
        break;
    }
    case 'f':
    case 'x': {
        double re = 0, im = 0;
        st = read_text_float(ps, &re);
        if (!st && code == 'x')
            st = read_text_float(ps, &im);
        if (!st)
            st = new_node(ps, code == 'f' ? KI_M_FLOAT : KI_M_COMPLEX, code, off, &id);
        if (!st)
            m->nodes[id].v.d = re;
        scalar_slot = 1;
        break;
    }
    case 'g':
    case 'y': {
        size_t n = code == 'g' ? 8 : 16;
        st = need(ps, n);
        if (!st)
            st = new_node(ps, code == 'g' ? KI_M_FLOAT : KI_M_COMPLEX, code, off, &id);
        if (!st) {
            m->nodes[id].v.d = bits_to_double(rd_u64(m->data + ps->pos));
            ps->pos += n;
        }
        scalar_slot = 1;
        break;
    }
    case 's':
        m->saw_py2 = 1;
        st = string_node(ps, KI_M_BYTES, code, off, 0, &id);
        scalar_slot = 1;
        break;
    case 't':
        st = string_node(ps, KI_M_STR, code, off, 0, &id);
        /* Python 2 numbers its interned strings for 'R'. */
        if (!st && grow((void **)&ps->interned, &ps->cap_interned, sizeof *ps->interned, ps->n_interned + 1))
            st = kiln_error_set(ps->err, KILN_ERR_NOMEM, "offset %zu (0x%zx): out of memory", off, off);
        if (!st)
            ps->interned[ps->n_interned++] = id;
        scalar_slot = 1;
        break;
    case 'u':
    case 'a':
    case 'A':
        m->saw_py3 = 1;
        st = string_node(ps, KI_M_STR, code, off, 0, &id);
        scalar_slot = 1;
        break;
    case 'z':
    case 'Z':
        m->saw_py3 = 1;
        st = string_node(ps, KI_M_STR, code, off, 1, &id);
        scalar_slot = 1;
        break;
    case 'R': { /* Python 2 string reference */
        int32_t idx;
        m->saw_py2 = 1;
        st = read_i32(ps, &idx);
        if (st)
            return st;
        if (idx < 0 || (uint32_t)idx >= ps->n_interned)
            return fail_at(ps, KILN_ERR_DATA, off, "bad marshal data (string reference out of range)");
        *obj = ps->interned[idx];
        return KILN_OK;
    }
    case 'r': {
        int32_t idx;
        m->saw_py3 = 1;
        st = read_i32(ps, &idx);
        if (st)
            return st;
        if (idx < 0 || (uint32_t)idx >= m->n_refs || ps->refs[idx] == SLOT_PENDING)
            return fail_at(ps, KILN_ERR_DATA, off, "bad marshal data (invalid reference)");
        *obj = ps->refs[idx];
        return KILN_OK;
    }
    case '(':
    case ')':
    case '[':
    case '<':
    case '>': {
        uint32_t n;
        if (code == ')')
            m->saw_py3 = 1;
        st = read_len(ps, code == ')', 1, &n);
        if (st)
            return st;
        ki_mtype t = code == '[' ? KI_M_LIST : code == '<' ? KI_M_SET : code == '>' ? KI_M_FROZENSET : KI_M_TUPLE;
        int opened;
        st = open_container(ps, t, code, off, flagged, n, &id, &opened);
        if (st)
            return st;
        *have = !opened;
        *obj = id;
        return KILN_OK;
    }
    case ':': {
        int opened;
        st = open_container(ps, KI_M_SLICE, code, off, flagged, 3, &id, &opened);
        if (st)
            return st;
        *have = 0;
        return KILN_OK;
    }
    case '{': {
        int opened;
        st = open_container(ps, KI_M_DICT, code, off, flagged, UINT32_MAX, &id, &opened);
        if (st)
            return st;
        *have = 0;
        return KILN_OK;
    }
    case 'c': {
        const code_layout *cl = pick_code_layout(ps);
        if (!cl)
            return fail_code(ps, off, code, "unrecognised code object layout for type");
        int opened;
        st = open_container(ps, KI_M_CODE, code, off, flagged, UINT32_MAX, &id, &opened);
        if (st)
            return st;
        frame *f = &ps->stack[ps->depth - 1];
        f->cl = cl;
        f->undecided = cl == &layout_py30;
        *have = 0;
        return KILN_OK;
    }
    default:
        return fail_code(ps, off, code, "bad marshal data (unknown type code)");
    }
    if (st)
        return st;
    if (flagged && scalar_slot) {
        uint32_t slot;
        st = reserve_slot(ps, off, &slot);
        if (st)
            return st;
        ps->refs[slot] = id;
    }
    *obj = id;
    return KILN_OK;
}

void ki_marshal_release(ki_marshal *m)
{
    free(m->nodes);
    free(m->kids);
    memset(m, 0, sizeof *m);
}

kiln_status ki_marshal_parse(ki_marshal *m, const unsigned char *data, size_t len, kiln_error *err)
{
    memset(m, 0, sizeof *m);
    m->data = data;
    m->len = len;
    if (len > KI_MARSHAL_MAX_INPUT)
        return kiln_error_set(err, KILN_ERR_LIMIT, "offset 0 (0x0): marshal input larger than %u bytes",
                              KI_MARSHAL_MAX_INPUT);
    parser *ps = calloc(1, sizeof *ps);
    if (!ps)
        return kiln_error_set(err, KILN_ERR_NOMEM, "offset 0 (0x0): out of memory");
    ps->m = m;
    ps->err = err;
    kiln_status st = KILN_OK;
    for (int done = 0; !done && !st;) {
        uint32_t obj = 0;
        int have;
        st = step(ps, &obj, &have);
        if (!st && have)
            st = deliver(ps, obj, &done);
    }
    if (!st)
        m->end = ps->pos;
    free(ps->refs);
    free(ps->interned);
    free(ps->vals);
    if (ps->c_locale)
        freelocale(ps->c_locale);
    free(ps);
    if (st)
        ki_marshal_release(m);
    return st;
}
