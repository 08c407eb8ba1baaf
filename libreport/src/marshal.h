/* Internal: a reader for Python's marshal format (versions 0-5 and the
 * Python 2 string-ref variant), decoding one object from a memory buffer
 * into a flat node table.
 *
 * The result is a DAG, never a copy: a marshal back-reference ('r', or
 * Python 2's 'R') makes two parents share the same node, so a file that
 * references one object a million times costs a million ids, not a million
 * copies. Consumers that walk the DAG must bound their own work (see
 * ki_import_prof's visit budget).
 *
 * Code objects (the pure-Python profile module uses one as a function name)
 * have a layout that depends on the writing interpreter and that the
 * stream does not record: 2.7, 3.0-3.7, 3.8-3.10 and 3.11+ are told apart
 * by where the bytecode string starts and by the type of the fifth field.
 *
 * Safety: every declared length is checked against the bytes left before
 * anything is allocated; containers nest at most KI_MARSHAL_MAX_DEPTH deep
 * (the parser is iterative); a reference may only name a completed object,
 * so the DAG has no cycles. Errors read "offset N (0xN): what". */
#ifndef KI_MARSHAL_H
#define KI_MARSHAL_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/status.h"

#define KI_MARSHAL_MAX_DEPTH 256u
#define KI_MARSHAL_MAX_INPUT (1u << 30) /* 1 GiB: offsets fit in 32 bits */

typedef enum ki_mtype {
    KI_M_NULL = 0,    /* only as a dict terminator; never a node */
    KI_M_NONE,
    KI_M_BOOL,        /* .i is 0 or 1 */
    KI_M_STOPITER,
    KI_M_ELLIPSIS,
    KI_M_INT,         /* 'i', 'I', 'l' (fits int64) */
    KI_M_FLOAT,       /* 'f', 'g' */
    KI_M_COMPLEX,     /* 'x', 'y' (.d is the real part) */
    KI_M_BYTES,       /* 's' (Python 2 text, Python 3 bytes) */
    KI_M_STR,         /* 'u', 't', 'a', 'A', 'z', 'Z' (raw bytes: UTF-8 with
                         surrogates allowed in 3.x, Python 2 byte strings for 't') */
    KI_M_TUPLE,       /* '(' and ')' */
    KI_M_LIST,
    KI_M_DICT,        /* kids alternate key, value */
    KI_M_SET,
    KI_M_FROZENSET,
    KI_M_SLICE,       /* marshal 5 ':' (3 kids) */
    KI_M_CODE         /* 'c': kids are the object fields; .v.i is co_firstlineno,
                         .aux says which kids are co_filename / co_name */
} ki_mtype;

typedef struct ki_mnode {
    uint8_t type;       /* ki_mtype */
    uint8_t code;       /* the type byte without FLAG_REF, for messages */
    uint16_t aux;       /* code: filename kid | name kid << 8 */
    uint32_t n;         /* string length, or number of kids (dict: 2 x pairs) */
    uint32_t off;       /* input offset of the type byte */
    uint32_t pos;       /* string: offset of its bytes; container: index of first kid in kids[] */
    union {
        int64_t i;
        double d;
    } v;
} ki_mnode;

typedef struct ki_marshal {
    const unsigned char *data;  /* the input (borrowed) */
    size_t len;
    ki_mnode *nodes;            /* owned */
    uint32_t n_nodes, cap_nodes;
    uint32_t *kids;             /* owned: child node ids, each container's contiguous */
    uint32_t n_kids, cap_kids;
    uint32_t root;              /* node id of the decoded object */
    size_t end;                 /* offset just after the object (trailing bytes follow) */
    /* What was seen, for callers guessing the writer. */
    uint32_t n_refs;            /* FLAG_REF slots */
    int saw_py2;                /* 's' or 'R' seen */
    int saw_py3;                /* 'u', 'a', 'A', 'z', 'Z', 'r', ')' */
} ki_marshal;

/* Decodes the object at data[0..]. On success fills m (release with
 * ki_marshal_release) and returns KILN_OK; bytes after the object are left
 * for the caller (m->end). On failure returns KILN_ERR_DATA / LIMIT / NOMEM
 * with err filled and m released. data stays borrowed: string nodes point
 * into it. */
kiln_status ki_marshal_parse(ki_marshal *m, const unsigned char *data, size_t len, kiln_error *err);
void ki_marshal_release(ki_marshal *m);

static inline const ki_mnode *ki_marshal_node(const ki_marshal *m, uint32_t id)
{
    return &m->nodes[id];
}
/* The k-th child of a container node. */
static inline uint32_t ki_marshal_kid(const ki_marshal *m, const ki_mnode *n, uint32_t k)
{
    return m->kids[n->pos + k];
}
/* A string or bytes node's bytes (not NUL-terminated). */
static inline const char *ki_marshal_str(const ki_marshal *m, const ki_mnode *n)
{
    return (const char *)m->data + n->pos;
}
/* "dict", "tuple", "int", ... */
const char *ki_marshal_type_name(int type);

#endif
