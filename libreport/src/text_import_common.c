/* The slice cache and stack builder shared by the text importers (see
 * text_import.h). Both sit on the hot path of a 400 MB/s parse, so the hash
 * reads 8 bytes at a time and the table is a plain power-of-two array. */
#include <stdlib.h>
#include <string.h>

#include "text_import.h"

/* ---- hashing ------------------------------------------------------------ */

static inline uint64_t load64(const char *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return v;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    /* 64x64->128 multiply folded: the "wyhash"-style mixer (a published
     * technique; the code is ours). */
    __uint128_t r = (__uint128_t)(a ^ 0xa0761d6478bd642full) * (b ^ 0xe7037ed1a0b428dbull);
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t ki_slice_hash(const char *s, size_t n)
{
    uint64_t h = 0x8ebc6af09c88c6e3ull ^ n;
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        h = mix(load64(s + i) ^ h, load64(s + i + 8));
    if (i + 8 <= n) {
        h = mix(load64(s + i) ^ h, 0x589965cc75374cc3ull);
        i += 8;
    }
    uint64_t tail = 0;
    if (i < n)
        memcpy(&tail, s + i, n - i);
    return mix(h ^ tail, 0x1d8e4e27c47d124full ^ n);
}

/* ---- slice cache -------------------------------------------------------- */

void ki_slice_cache_init(ki_slice_cache *c)
{
    memset(c, 0, sizeof *c);
}

void ki_slice_cache_release(ki_slice_cache *c)
{
    free(c->slots);
    free(c->entries);
    free(c->arena);
    memset(c, 0, sizeof *c);
}

ki_slice_val *ki_slice_cache_find(ki_slice_cache *c, uint64_t h, const char *a, size_t an,
                                  const char *b, size_t bn)
{
    if (!c->slots)
        return NULL;
    for (size_t i = (size_t)h & c->mask;; i = (i + 1) & c->mask) {
        uint32_t e = c->slots[i];
        if (!e)
            return NULL;
        ki_slice_entry *en = &c->entries[e - 1];
        if (en->hash == h && en->a_len == an && en->b_len == bn &&
            ki_bytes_eq(c->arena + en->key_off, a, an) &&
            ki_bytes_eq(c->arena + en->key_off + an, b, bn))
            return &en->val;
    }
}

static int rehash(ki_slice_cache *c, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -1;
    size_t mask = nslots - 1;
    for (uint32_t e = 0; e < c->count; e++) {
        size_t i = (size_t)c->entries[e].hash & mask;
        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = e + 1;
    }
    free(c->slots);
    c->slots = slots;
    c->mask = mask;
    return 0;
}

ki_slice_val *ki_slice_cache_add(ki_slice_cache *c, uint64_t h, const char *a, size_t an,
                                 const char *b, size_t bn, const ki_slice_val *v)
{
    /* Caps: 32-bit arena offsets and lengths; 2^26 entries. */
    size_t n = an + bn;
    if (an > UINT32_MAX / 4 || bn > UINT32_MAX / 4 || c->arena_len + n > UINT32_MAX ||
        c->count >= (1u << 26))
        return NULL;
    if (c->count == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 256;
        ki_slice_entry *ne = realloc(c->entries, (size_t)cap * sizeof *ne);
        if (!ne)
            return NULL;
        c->entries = ne;
        c->cap = cap;
    }
    if (!c->slots || (size_t)(c->count + 1) * 2 > c->mask + 1) {
        if (rehash(c, c->slots ? (c->mask + 1) * 2 : 1024) < 0)
            return NULL;
    }
    if (!c->arena || c->arena_len + n > c->arena_cap) {
        size_t cap = c->arena_cap ? c->arena_cap : 65536;
        while (cap < c->arena_len + n)
            cap *= 2;
        char *ar = realloc(c->arena, cap);
        if (!ar)
            return NULL;
        c->arena = ar;
        c->arena_cap = cap;
    }
    uint32_t e = c->count++;
    ki_slice_entry *en = &c->entries[e];
    memcpy(c->arena + c->arena_len, a, an);
    if (bn)
        memcpy(c->arena + c->arena_len + an, b, bn);
    en->key_off = (uint32_t)c->arena_len;
    en->a_len = (uint32_t)an;
    en->b_len = (uint32_t)bn;
    c->arena_len += n;
    en->hash = h;
    en->val = *v;
    size_t i = (size_t)h & c->mask;
    while (c->slots[i])
        i = (i + 1) & c->mask;
    c->slots[i] = e + 1;
    return &en->val;
}

/* ---- stack builder ------------------------------------------------------ */

void ki_stack_build_init(ki_stack_build *b)
{
    memset(b, 0, sizeof *b);
}

void ki_stack_build_enable_memo(ki_stack_build *b)
{
    b->memo_on = 1;
}

void ki_stack_build_release(ki_stack_build *b)
{
    free(b->prev_frames);
    free(b->prev_nodes);
    free(b->memo_slots);
    free(b->memo);
    free(b->memo_ids);
    memset(b, 0, sizeof *b);
}

static uint64_t hash_ids(const kiln_frame_id *f, size_t n)
{
    uint64_t h = 0x243f6a8885a308d3ull ^ n;
    size_t i = 0;
    for (; i + 2 <= n; i += 2)
        h = mix(h ^ f[i], ((uint64_t)f[i + 1] << 32) ^ 0x13198a2e03707344ull);
    if (i < n)
        h = mix(h ^ f[i], 0xa4093822299f31d0ull);
    return h;
}

static kiln_node_id memo_find(const ki_stack_build *b, uint64_t h, const kiln_frame_id *f, size_t n)
{
    if (!b->memo_slots)
        return KILN_NONE;
    for (size_t i = (size_t)h & b->memo_mask;; i = (i + 1) & b->memo_mask) {
        uint32_t e = b->memo_slots[i];
        if (!e)
            return KILN_NONE;
        const ki_stack_memo_entry *m = &b->memo[e - 1];
        if (m->hash == h && m->depth == n && memcmp(b->memo_ids + m->off, f, n * sizeof *f) == 0)
            return m->leaf;
    }
}

/* Remembers f[0..n) -> leaf; silently does nothing past the cap or on OOM. */
static void memo_add(ki_stack_build *b, uint64_t h, const kiln_frame_id *f, size_t n,
                     kiln_node_id leaf)
{
    if (b->memo_ids_len + n > KI_STACK_MEMO_MAX_IDS || b->memo_count >= (1u << 24))
        return;
    if (b->memo_count == b->memo_cap) {
        uint32_t cap = b->memo_cap ? b->memo_cap * 2 : 1024;
        ki_stack_memo_entry *m = realloc(b->memo, (size_t)cap * sizeof *m);
        if (!m)
            return;
        b->memo = m;
        b->memo_cap = cap;
    }
    if (b->memo_ids_len + n > b->memo_ids_cap) {
        size_t cap = b->memo_ids_cap ? b->memo_ids_cap : 65536;
        while (cap < b->memo_ids_len + n)
            cap *= 2;
        kiln_frame_id *ids = realloc(b->memo_ids, cap * sizeof *ids);
        if (!ids)
            return;
        b->memo_ids = ids;
        b->memo_ids_cap = cap;
    }
    if (!b->memo_slots || (size_t)(b->memo_count + 1) * 2 > b->memo_mask + 1) {
        size_t nslots = b->memo_slots ? (b->memo_mask + 1) * 2 : 4096;
        uint32_t *slots = calloc(nslots, sizeof *slots);
        if (!slots)
            return;
        for (uint32_t e = 0; e < b->memo_count; e++) {
            size_t i = (size_t)b->memo[e].hash & (nslots - 1);
            while (slots[i])
                i = (i + 1) & (nslots - 1);
            slots[i] = e + 1;
        }
        free(b->memo_slots);
        b->memo_slots = slots;
        b->memo_mask = nslots - 1;
    }
    uint32_t e = b->memo_count++;
    memcpy(b->memo_ids + b->memo_ids_len, f, n * sizeof *f);
    b->memo[e] = (ki_stack_memo_entry){h, b->memo_ids_len, (uint32_t)n, leaf};
    b->memo_ids_len += n;
    size_t i = (size_t)h & b->memo_mask;
    while (b->memo_slots[i])
        i = (i + 1) & b->memo_mask;
    b->memo_slots[i] = e + 1;
}

static kiln_node_id build_path(ki_stack_build *b, kiln_profile *p, const kiln_frame_id *frames,
                               size_t depth, int reversed)
{
    if (depth > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < depth)
            cap *= 2;
        kiln_frame_id *f = realloc(b->prev_frames, cap * sizeof *f);
        if (!f)
            return KILN_NONE;
        b->prev_frames = f;
        kiln_node_id *n = realloc(b->prev_nodes, cap * sizeof *n);
        if (!n)
            return KILN_NONE;
        b->prev_nodes = n;
        b->cap = cap;
    }
    size_t common = 0, lim = depth < b->prev_depth ? depth : b->prev_depth;
    if (reversed) {
        while (common < lim && b->prev_frames[common] == frames[depth - 1 - common])
            common++;
    } else {
        while (common < lim && b->prev_frames[common] == frames[common])
            common++;
    }
    kiln_node_id node = common ? b->prev_nodes[common - 1] : KILN_ROOT;
    for (size_t i = common; i < depth; i++) {
        kiln_frame_id f = reversed ? frames[depth - 1 - i] : frames[i];
        node = kiln_profile_child(p, node, f);
        if (node == KILN_NONE) {
            b->prev_depth = i; /* keep the valid prefix only */
            return KILN_NONE;
        }
        b->prev_frames[i] = f;
        b->prev_nodes[i] = node;
    }
    b->prev_depth = depth;
    return node;
}

kiln_node_id ki_stack_build_node(ki_stack_build *b, kiln_profile *p, const kiln_frame_id *frames,
                                 size_t depth, int reversed)
{
    if (!b->memo_on)
        return build_path(b, p, frames, depth, reversed);
    uint64_t h = hash_ids(frames, depth);
    kiln_node_id leaf = memo_find(b, h, frames, depth);
    if (leaf != KILN_NONE)
        return leaf;
    leaf = build_path(b, p, frames, depth, reversed);
    if (leaf != KILN_NONE)
        memo_add(b, h, frames, depth, leaf);
    return leaf;
}
