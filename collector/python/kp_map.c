/* A small open-addressing hash map (linear probing) from non-zero 64-bit keys
 * to 32-bit values; the profile hook's two lookups per call go through it. */
#include "kp.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint64_t key, size_t cap)
{
    key *= 0x9E3779B97F4A7C15ull;
    return (size_t)(key >> 32) & (cap - 1);
}

int kp_map_init(kp_map *m, size_t cap)
{
    memset(m, 0, sizeof *m);
    m->keys = calloc(cap, sizeof *m->keys);
    m->vals = malloc(cap * sizeof *m->vals);
    if (!m->keys || !m->vals) {
        kp_map_free(m);
        return -1;
    }
    m->cap = cap;
    return 0;
}

void kp_map_free(kp_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

uint32_t kp_map_get(const kp_map *m, uint64_t key)
{
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key)
            return m->vals[i];
        if (m->keys[i] == 0)
            return KP_NONE;
    }
}

static int grow(kp_map *m)
{
    kp_map bigger;
    if (kp_map_init(&bigger, m->cap * 2) < 0)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i])
            kp_map_put(&bigger, m->keys[i], m->vals[i]);
    kp_map_free(m);
    *m = bigger;
    return 0;
}

int kp_map_put(kp_map *m, uint64_t key, uint32_t val)
{
    if ((m->used + 1) * 4 > m->cap * 3 && grow(m) < 0)
        return -1;
    size_t i = slot_of(key, m->cap);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->used++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

/* FNV-1a, made non-zero so it can be a map key. */
uint64_t kp_hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h ? h : 1;
}
