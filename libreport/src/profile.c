/* The profile model: interned strings, hash-consed frames and tree nodes,
 * sample types, metadata and memory maps. The call graph lives in
 * callgraph.c, the reconstruction of a tree from a graph in graph_tree.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "profile_impl.h"

#define STR_BLOCK_SIZE (256u * 1024u)

struct ki_str_block {
    ki_str_block *next;
    size_t used, size;
    char data[];
};

int ki_grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        ncap = UINT32_MAX;
    void *n = realloc(*arr, ncap * elem);
    if (!n)
        return -1;
    *arr = n;
    *cap = (uint32_t)ncap;
    return 0;
}

const char *kiln_frame_kind_name(kiln_frame_kind k)
{
    static const char *const names[] = {"unknown", "native", "python", "builtin",
                                        "kernel", "jit", "inlined", "process"};
    return (unsigned)k < KILN_KIND_COUNT_ ? names[k] : "unknown";
}

/* ---- lifecycle ------------------------------------------------------------ */

static int add_root(kiln_profile *p);

kiln_profile *kiln_profile_new(void)
{
    kiln_profile *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    ki_map_init(&p->str_map);
    ki_map_init(&p->frame_map);
    ki_map_init(&p->node_map);
    ki_map_init(&p->edge_map);
    p->stride = KILN_MAX_SAMPLE_TYPES;
    if (kiln_profile_intern(p, "", 0) != 0 || add_root(p) < 0) {
        kiln_profile_free(p);
        return NULL;
    }
    return p;
}

void kiln_profile_free(kiln_profile *p)
{
    if (!p)
        return;
    for (ki_str_block *b = p->blocks, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(p->str_ptr);
    free(p->str_len);
    ki_map_release(&p->str_map);
    free(p->frames);
    ki_map_release(&p->frame_map);
    for (int i = 0; i < p->ntypes; i++) {
        free(p->type_name[i]);
        free(p->type_unit[i]);
    }
    free(p->parent);
    free(p->frame);
    free(p->first_child);
    free(p->last_child);
    free(p->next_sibling);
    free(p->depth);
    free(p->self);
    free(p->total);
    free(p->calls);
    free(p->timeline);
    ki_map_release(&p->node_map);
    free(p->funcs);
    free(p->func_of_frame);
    free(p->edges);
    ki_map_release(&p->edge_map);
    free(p->in_start);
    free(p->in_idx);
    free(p->out_start);
    free(p->out_idx);
    for (uint32_t i = 0; i < p->nmeta; i++) {
        free(p->meta_key[i]);
        free(p->meta_val[i]);
    }
    free(p->meta_key);
    free(p->meta_val);
    free(p->maps);
    free(p);
}

/* ---- strings -------------------------------------------------------------- */

static char *str_alloc(kiln_profile *p, size_t n)
{
    ki_str_block *b = p->blocks;
    if (!b || b->size - b->used < n) {
        size_t size = n > STR_BLOCK_SIZE / 4 ? n : STR_BLOCK_SIZE;
        ki_str_block *nb = malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->size = size;
        if (b && size != STR_BLOCK_SIZE) {
            /* a big string gets its own block behind the current one */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            p->blocks = nb;
        }
        b = nb;
    }
    char *r = b->data + b->used;
    b->used += n;
    return r;
}

/* Length of s cut to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80 && max - n < 3)
        n--;
    return n;
}

kiln_str kiln_profile_intern(kiln_profile *p, const char *s, size_t len)
{
    static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */
    char cut[KILN_MAX_STRING_LEN];
    if (len > KILN_MAX_STRING_LEN) {
        size_t keep = utf8_cut(s, len, KILN_MAX_STRING_LEN - 3);
        memcpy(cut, s, keep);
        memcpy(cut + keep, ellipsis, 3);
        s = cut;
        len = keep + 3;
    }
    uint64_t h = ki_hash_bytes(s, len);
    if (ki_map_reserve(&p->str_map) < 0)
        return KILN_NONE;
    ki_probe pr = ki_map_probe(&p->str_map, h);
    for (;;) {
        uint32_t id = ki_map_get(&p->str_map, &pr);
        if (id == KI_MAP_EMPTY)
            break;
        if (p->str_len[id] == len && memcmp(p->str_ptr[id], s, len) == 0)
            return id;
        ki_map_next(&p->str_map, &pr);
    }
    if (p->nstr == KILN_NONE - 1)
        return KILN_NONE;
    uint32_t cap = p->cap_str;
    if (ki_grow((void **)&p->str_ptr, &cap, p->nstr + 1, sizeof *p->str_ptr) < 0)
        return KILN_NONE;
    cap = p->cap_str;
    if (ki_grow((void **)&p->str_len, &cap, p->nstr + 1, sizeof *p->str_len) < 0)
        return KILN_NONE;
    p->cap_str = cap;
    char *d = str_alloc(p, len + 1);
    if (!d)
        return KILN_NONE;
    memcpy(d, s, len);
    d[len] = '\0';
    uint32_t id = p->nstr++;
    p->str_ptr[id] = d;
    p->str_len[id] = (uint32_t)len;
    ki_map_put(&p->str_map, &pr, id);
    return id;
}

kiln_str kiln_profile_intern_cstr(kiln_profile *p, const char *s)
{
    return kiln_profile_intern(p, s ? s : "", s ? strlen(s) : 0);
}

const char *kiln_profile_str(const kiln_profile *p, kiln_str id, size_t *len)
{
    if (id >= p->nstr) {
        if (len)
            *len = 0;
        return "";
    }
    if (len)
        *len = p->str_len[id];
    return p->str_ptr[id];
}

uint32_t kiln_profile_str_count(const kiln_profile *p)
{
    return p->nstr;
}

/* ---- frames --------------------------------------------------------------- */

static uint64_t frame_hash(const kiln_frame *f)
{
    uint64_t h = ki_hash_u64(f->name);
    h = ki_hash_combine(h, f->file);
    h = ki_hash_combine(h, f->module);
    h = ki_hash_combine(h, ((uint64_t)f->line << 32) | f->kind);
    return ki_hash_combine(h, f->address);
}

static int frame_eq(const kiln_frame *a, const kiln_frame *b)
{
    return a->name == b->name && a->file == b->file && a->module == b->module &&
           a->line == b->line && a->kind == b->kind && a->address == b->address;
}

kiln_frame_id kiln_profile_frame(kiln_profile *p, const kiln_frame *f)
{
    if (f->name >= p->nstr || f->file >= p->nstr || f->module >= p->nstr)
        return KILN_NONE;
    uint64_t h = frame_hash(f);
    if (ki_map_reserve(&p->frame_map) < 0)
        return KILN_NONE;
    ki_probe pr = ki_map_probe(&p->frame_map, h);
    for (;;) {
        uint32_t id = ki_map_get(&p->frame_map, &pr);
        if (id == KI_MAP_EMPTY)
            break;
        if (frame_eq(&p->frames[id], f))
            return id;
        ki_map_next(&p->frame_map, &pr);
    }
    if (p->nframes >= KILN_MAX_FRAMES)
        return KILN_NONE;
    if (ki_grow((void **)&p->frames, &p->cap_frames, p->nframes + 1, sizeof *p->frames) < 0)
        return KILN_NONE;
    uint32_t id = p->nframes++;
    p->frames[id] = *f;
    ki_map_put(&p->frame_map, &pr, id);
    return id;
}

const kiln_frame *kiln_profile_frame_get(const kiln_profile *p, kiln_frame_id id)
{
    return id < p->nframes ? &p->frames[id] : NULL;
}

uint32_t kiln_profile_frame_count(const kiln_profile *p)
{
    return p->nframes;
}

const char *kiln_profile_frame_name(const kiln_profile *p, kiln_frame_id id)
{
    return id < p->nframes ? kiln_profile_str(p, p->frames[id].name, NULL) : "";
}

/* ---- sample types ----------------------------------------------------------- */

int kiln_profile_add_sample_type(kiln_profile *p, const char *name, const char *unit)
{
    if (p->ntypes >= KILN_MAX_SAMPLE_TYPES || p->nnodes > 1)
        return -1;
    char *n = strdup(name ? name : "");
    char *u = strdup(unit ? unit : "");
    if (!n || !u) {
        free(n);
        free(u);
        return -1;
    }
    p->type_name[p->ntypes] = n;
    p->type_unit[p->ntypes] = u;
    return p->ntypes++;
}

int kiln_profile_sample_type_count(const kiln_profile *p)
{
    return p->ntypes;
}

const char *kiln_profile_sample_type_name(const kiln_profile *p, int type)
{
    return type >= 0 && type < p->ntypes ? p->type_name[type] : "";
}

const char *kiln_profile_sample_type_unit(const kiln_profile *p, int type)
{
    return type >= 0 && type < p->ntypes ? p->type_unit[type] : "";
}

int kiln_profile_sample_type_find(const kiln_profile *p, const char *name)
{
    for (int i = 0; i < p->ntypes; i++)
        if (strcmp(p->type_name[i], name) == 0)
            return i;
    return -1;
}

/* ---- tree --------------------------------------------------------------------- */

/* Node values are laid out with a stride of the number of sample types.
 * Types are fixed before the first node below the root is made (adding one
 * later is refused), so the stride is settled then, when only the root's
 * values need moving; until then the root uses KILN_MAX_SAMPLE_TYPES slots. */
#define STRIDE (p->stride)

static void settle_stride(kiln_profile *p)
{
    /* the root is node 0: its values start at offset 0 in either layout */
    p->stride = p->ntypes > 0 ? (uint32_t)p->ntypes : 1;
}

static int node_reserve(kiln_profile *p, uint32_t need)
{
    if (need <= p->cap_nodes)
        return 0;
    uint32_t ncap = p->cap_nodes ? p->cap_nodes : 64;
    while (ncap < need)
        ncap = ncap > UINT32_MAX / 2 ? UINT32_MAX : ncap * 2;
    uint32_t **arrs[] = {&p->parent, &p->frame, &p->first_child, &p->last_child,
                         &p->next_sibling, &p->depth};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++) {
        uint32_t *n = realloc(*arrs[i], (size_t)ncap * sizeof **arrs[i]);
        if (!n)
            return -1;
        *arrs[i] = n;
    }
    double *s = realloc(p->self, (size_t)ncap * STRIDE * sizeof *s);
    if (!s)
        return -1;
    p->self = s;
    if (p->calls) {
        uint64_t *c = realloc(p->calls, (size_t)ncap * sizeof *c);
        if (!c)
            return -1;
        memset(c + p->cap_nodes, 0, (size_t)(ncap - p->cap_nodes) * sizeof *c);
        p->calls = c;
    }
    p->cap_nodes = ncap;
    return 0;
}

static uint32_t node_new(kiln_profile *p, uint32_t parent, uint32_t frame)
{
    if (p->nnodes == 1 && p->stride == KILN_MAX_SAMPLE_TYPES)
        settle_stride(p);
    if (p->nnodes >= KILN_MAX_NODES || node_reserve(p, p->nnodes + 1) < 0)
        return KILN_NONE;
    uint32_t id = p->nnodes++;
    p->parent[id] = parent;
    p->frame[id] = frame;
    p->first_child[id] = p->last_child[id] = p->next_sibling[id] = KILN_NONE;
    p->depth[id] = parent == KILN_NONE ? 0 : p->depth[parent] + 1;
    memset(p->self + (size_t)id * STRIDE, 0, STRIDE * sizeof *p->self);
    if (p->calls)
        p->calls[id] = 0;
    if (parent != KILN_NONE) {
        if (p->last_child[parent] == KILN_NONE)
            p->first_child[parent] = id;
        else
            p->next_sibling[p->last_child[parent]] = id;
        p->last_child[parent] = id;
    }
    return id;
}

static int add_root(kiln_profile *p)
{
    return node_new(p, KILN_NONE, KILN_NONE) == 0 ? 0 : -1;
}

static inline uint64_t node_key_hash(uint32_t parent, uint32_t frame)
{
    return ki_hash_u64(((uint64_t)parent << 32) | frame);
}

kiln_node_id kiln_profile_find_child(const kiln_profile *p, kiln_node_id parent, kiln_frame_id frame)
{
    ki_probe pr = ki_map_probe(&p->node_map, node_key_hash(parent, frame));
    for (;;) {
        uint32_t id = ki_map_get(&p->node_map, &pr);
        if (id == KI_MAP_EMPTY)
            return KILN_NONE;
        if (p->parent[id] == parent && p->frame[id] == frame)
            return id;
        ki_map_next(&p->node_map, &pr);
    }
}

kiln_node_id kiln_profile_child(kiln_profile *p, kiln_node_id parent, kiln_frame_id frame)
{
    if (parent >= p->nnodes || frame >= p->nframes)
        return KILN_NONE;
    if (ki_map_reserve(&p->node_map) < 0)
        return KILN_NONE;
    ki_probe pr = ki_map_probe(&p->node_map, node_key_hash(parent, frame));
    for (;;) {
        uint32_t id = ki_map_get(&p->node_map, &pr);
        if (id == KI_MAP_EMPTY)
            break;
        if (p->parent[id] == parent && p->frame[id] == frame)
            return id;
        ki_map_next(&p->node_map, &pr);
    }
    uint32_t id = node_new(p, parent, frame);
    if (id != KILN_NONE)
        ki_map_put(&p->node_map, &pr, id);
    return id;
}

kiln_node_id kiln_profile_add_stack(kiln_profile *p, const kiln_frame_id *frames, size_t depth,
                                    const double *values)
{
    kiln_node_id n = KILN_ROOT;
    for (size_t i = 0; i < depth; i++) {
        n = kiln_profile_child(p, n, frames[i]);
        if (n == KILN_NONE)
            return KILN_NONE;
    }
    for (int t = 0; t < p->ntypes; t++)
        p->self[(size_t)n * STRIDE + t] += values[t];
    return n;
}

void kiln_profile_add_self(kiln_profile *p, kiln_node_id node, int type, double value)
{
    if (node < p->nnodes && type >= 0 && type < p->ntypes)
        p->self[(size_t)node * STRIDE + type] += value;
}

void kiln_profile_add_node_calls(kiln_profile *p, kiln_node_id node, uint64_t calls)
{
    if (node >= p->nnodes)
        return;
    if (!p->calls) {
        p->calls = calloc(p->cap_nodes ? p->cap_nodes : 1, sizeof *p->calls);
        if (!p->calls)
            return;
    }
    p->calls[node] += calls;
}

uint32_t kiln_profile_node_count(const kiln_profile *p)
{
    return p->nnodes;
}

kiln_node_id kiln_profile_node_parent(const kiln_profile *p, kiln_node_id n)
{
    return n < p->nnodes ? p->parent[n] : KILN_NONE;
}

kiln_frame_id kiln_profile_node_frame(const kiln_profile *p, kiln_node_id n)
{
    return n < p->nnodes ? p->frame[n] : KILN_NONE;
}

kiln_node_id kiln_profile_node_first_child(const kiln_profile *p, kiln_node_id n)
{
    return n < p->nnodes ? p->first_child[n] : KILN_NONE;
}

kiln_node_id kiln_profile_node_next_sibling(const kiln_profile *p, kiln_node_id n)
{
    return n < p->nnodes ? p->next_sibling[n] : KILN_NONE;
}

uint32_t kiln_profile_node_depth(const kiln_profile *p, kiln_node_id n)
{
    return n < p->nnodes ? p->depth[n] : 0;
}

double kiln_profile_node_self(const kiln_profile *p, kiln_node_id n, int type)
{
    if (n >= p->nnodes || type < 0 || type >= p->ntypes)
        return 0;
    return p->self[(size_t)n * STRIDE + type];
}

double kiln_profile_node_total(const kiln_profile *p, kiln_node_id n, int type)
{
    if (n >= p->nnodes || type < 0 || type >= p->ntypes || !p->total)
        return 0;
    return p->total[(size_t)n * STRIDE + type];
}

uint64_t kiln_profile_node_calls(const kiln_profile *p, kiln_node_id n)
{
    return p->calls && n < p->nnodes ? p->calls[n] : 0;
}

double kiln_profile_total(const kiln_profile *p, int type)
{
    if (type < 0 || type >= p->ntypes)
        return 0;
    double s = 0;
    for (uint32_t n = 0; n < p->nnodes; n++)
        s += p->self[(size_t)n * STRIDE + type];
    return s;
}

void ki_profile_clear_tree(kiln_profile *p)
{
    ki_map_release(&p->node_map);
    ki_map_init(&p->node_map);
    p->nnodes = 0;
    p->stride = KILN_MAX_SAMPLE_TYPES;
    add_root(p);
    free(p->total);
    p->total = NULL;
}

static kiln_status compute_totals(kiln_profile *p)
{
    free(p->total);
    p->total = malloc((size_t)(p->nnodes ? p->nnodes : 1) * STRIDE * sizeof *p->total);
    if (!p->total)
        return KILN_ERR_NOMEM;
    memcpy(p->total, p->self, (size_t)p->nnodes * STRIDE * sizeof *p->total);
    /* parent < child: one reverse sweep accumulates every subtree */
    for (uint32_t n = p->nnodes; n-- > 1;) {
        double *dst = p->total + (size_t)p->parent[n] * STRIDE;
        const double *src = p->total + (size_t)n * STRIDE;
        for (int t = 0; t < p->ntypes; t++)
            dst[t] += src[t];
    }
    return KILN_OK;
}

/* ---- iterator ------------------------------------------------------------------ */

void kiln_tree_iter_init(kiln_tree_iter *it, const kiln_profile *p, kiln_node_id start)
{
    it->p = p;
    it->start = start;
    it->cur = start;
    it->ev = KILN_EVENT_NONE;
}

kiln_event kiln_tree_iter_next(kiln_tree_iter *it, kiln_node_id *node)
{
    const kiln_profile *p = it->p;
    if (it->ev == KILN_EVENT_DONE || it->start >= p->nnodes)
        return it->ev = KILN_EVENT_DONE;
    if (it->ev == KILN_EVENT_NONE) {
        it->ev = KILN_EVENT_ENTER;
    } else if (it->ev == KILN_EVENT_ENTER && p->first_child[it->cur] != KILN_NONE) {
        it->cur = p->first_child[it->cur];
        it->ev = KILN_EVENT_ENTER;
    } else if (it->ev == KILN_EVENT_ENTER) {
        it->ev = KILN_EVENT_EXIT; /* a leaf exits right after entering */
    } else if (it->cur == it->start) {
        return it->ev = KILN_EVENT_DONE;
    } else if (p->next_sibling[it->cur] != KILN_NONE) {
        it->cur = p->next_sibling[it->cur];
        it->ev = KILN_EVENT_ENTER;
    } else {
        it->cur = p->parent[it->cur];
        it->ev = KILN_EVENT_EXIT;
    }
    if (node)
        *node = it->cur;
    return it->ev;
}

/* ---- metadata ---------------------------------------------------------------------- */

kiln_status kiln_profile_meta_set(kiln_profile *p, const char *key, const char *value)
{
    char *v = strdup(value ? value : "");
    if (!v)
        return KILN_ERR_NOMEM;
    for (uint32_t i = 0; i < p->nmeta; i++) {
        if (strcmp(p->meta_key[i], key) == 0) {
            free(p->meta_val[i]);
            p->meta_val[i] = v;
            return KILN_OK;
        }
    }
    char *k = strdup(key);
    uint32_t cap = p->cap_meta;
    if (!k || ki_grow((void **)&p->meta_key, &cap, p->nmeta + 1, sizeof(char *)) < 0) {
        free(k);
        free(v);
        return KILN_ERR_NOMEM;
    }
    cap = p->cap_meta;
    if (ki_grow((void **)&p->meta_val, &cap, p->nmeta + 1, sizeof(char *)) < 0) {
        free(k);
        free(v);
        return KILN_ERR_NOMEM;
    }
    p->cap_meta = cap;
    p->meta_key[p->nmeta] = k;
    p->meta_val[p->nmeta] = v;
    p->nmeta++;
    return KILN_OK;
}

const char *kiln_profile_meta_get(const kiln_profile *p, const char *key)
{
    for (uint32_t i = 0; i < p->nmeta; i++)
        if (strcmp(p->meta_key[i], key) == 0)
            return p->meta_val[i];
    return NULL;
}

uint32_t kiln_profile_meta_count(const kiln_profile *p)
{
    return p->nmeta;
}

void kiln_profile_meta_at(const kiln_profile *p, uint32_t i, const char **key, const char **value)
{
    *key = i < p->nmeta ? p->meta_key[i] : NULL;
    *value = i < p->nmeta ? p->meta_val[i] : NULL;
}

/* ---- maps ----------------------------------------------------------------------------- */

kiln_status kiln_profile_add_mapping(kiln_profile *p, const kiln_mapping *m)
{
    if (m->path >= p->nstr || m->build_id >= p->nstr)
        return KILN_ERR_USAGE;
    if (ki_grow((void **)&p->maps, &p->cap_maps, p->nmaps + 1, sizeof *p->maps) < 0)
        return KILN_ERR_NOMEM;
    p->maps[p->nmaps++] = *m;
    return KILN_OK;
}

uint32_t kiln_profile_mapping_count(const kiln_profile *p)
{
    return p->nmaps;
}

const kiln_mapping *kiln_profile_mapping_at(const kiln_profile *p, uint32_t i)
{
    return i < p->nmaps ? &p->maps[i] : NULL;
}

/* ---- finishing ------------------------------------------------------------------------- */

kiln_status kiln_profile_finish(kiln_profile *p, kiln_error *err)
{
    kiln_status st;
    if (p->graph_given && !p->no_tree_rebuild && (p->nnodes <= 1 || p->tree_from_graph)) {
        if (p->tree_from_graph)
            ki_profile_clear_tree(p);
        st = ki_profile_tree_from_graph(p, err);
        if (st != KILN_OK)
            return st;
    }
    st = compute_totals(p);
    if (st != KILN_OK)
        return kiln_error_set(err, st, "out of memory computing totals");
    if (!p->graph_given) {
        st = ki_profile_derive_graph(p, err);
        if (st != KILN_OK)
            return st;
    }
    st = ki_profile_index_graph(p, err);
    if (st != KILN_OK)
        return st;
#ifdef KILN_CHECK_INVARIANTS
    st = kiln_profile_check(p, err);
    if (st != KILN_OK)
        return st;
#endif
    return KILN_OK;
}

kiln_status kiln_profile_check(const kiln_profile *p, kiln_error *err)
{
    if (p->nnodes == 0 || p->parent[0] != KILN_NONE)
        return kiln_error_set(err, KILN_ERR_INTERNAL, "BUG: tree has no root");
    double *sum = calloc((size_t)p->nnodes * STRIDE, sizeof *sum);
    if (!sum)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory checking the tree");
    kiln_status st = KILN_OK;
    for (uint32_t n = 1; n < p->nnodes && st == KILN_OK; n++) {
        if (p->parent[n] >= n)
            st = kiln_error_set(err, KILN_ERR_INTERNAL, "BUG: node %u has parent %u", n, p->parent[n]);
        else if (p->frame[n] >= p->nframes)
            st = kiln_error_set(err, KILN_ERR_INTERNAL, "BUG: node %u has frame %u", n, p->frame[n]);
        else
            for (int t = 0; t < p->ntypes; t++)
                sum[(size_t)p->parent[n] * STRIDE + t] += p->total ? p->total[(size_t)n * STRIDE + t] : 0;
    }
    for (uint32_t n = 0; n < p->nnodes && st == KILN_OK && p->total; n++) {
        for (int t = 0; t < p->ntypes; t++) {
            double want = p->self[(size_t)n * STRIDE + t] + sum[(size_t)n * STRIDE + t];
            double got = p->total[(size_t)n * STRIDE + t];
            double tol = 1e-9 * (fabs(want) + fabs(got)) + 1e-12;
            if (!(fabs(want - got) <= tol) && want != got && !(isnan(want) && isnan(got))) {
                st = kiln_error_set(err, KILN_ERR_INTERNAL,
                                    "BUG: node %u type %d: total %.17g != self + children %.17g", n,
                                    t, got, want);
                break;
            }
        }
    }
    free(sum);
    for (uint32_t e = 0; e < p->nedges && st == KILN_OK; e++)
        if (p->edges[e].caller >= p->nfuncs || p->edges[e].callee >= p->nfuncs)
            st = kiln_error_set(err, KILN_ERR_INTERNAL, "BUG: edge %u out of range", e);
    for (uint32_t f = 0; f < p->nfuncs && st == KILN_OK; f++)
        if (p->funcs[f].frame >= p->nframes)
            st = kiln_error_set(err, KILN_ERR_INTERNAL, "BUG: func %u has frame %u", f, p->funcs[f].frame);
    return st;
}
