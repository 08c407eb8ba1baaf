/* The live-block table of the allocation tracker: 1024 shards chosen by a
 * hash of the pointer, each an open-addressing table (linear probing,
 * backward-shift deletion) behind its own spin lock. Threads rarely meet on
 * a shard, so there is no global lock; the tables grow with the real
 * allocator (the caller holds the recursion guard). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ptr_table.h"

#define SHARDS 1024

typedef struct entry {
    uintptr_t key;  /* 0 = empty */
    kc_node *node;
    size_t size;
} entry;

typedef struct shard {
    int lock;
    uint32_t n, cap;  /* cap: power of two, or 0 */
    entry *e;
    char pad_[64 - sizeof(int) - 2 * sizeof(uint32_t) - sizeof(entry *)];
} shard;

static shard g_shards[SHARDS];

KC_NOINST static inline uint64_t mix(uintptr_t p)
{
    uint64_t h = (uint64_t)p * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

KC_NOINST static inline shard *shard_of(uintptr_t p)
{
    return &g_shards[(mix(p) >> 40) & (SHARDS - 1)];
}

KC_NOINST static inline void lock(shard *s)
{
    while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&s->lock, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
}

KC_NOINST static inline void unlock(shard *s)
{
    __atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

KC_NOINST static int grow(shard *s)
{
    uint32_t nc = s->cap ? s->cap * 2 : 64;
    entry *ne = calloc(nc, sizeof *ne);
    if (!ne)
        return -1;
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->e[i].key) {
            uint32_t k = (uint32_t)mix(s->e[i].key) & (nc - 1);
            while (ne[k].key)
                k = (k + 1) & (nc - 1);
            ne[k] = s->e[i];
        }
    free(s->e);
    s->e = ne;
    s->cap = nc;
    return 0;
}

KC_NOINST void kc_pt_insert(void *p, kc_node *node, size_t size)
{
    uintptr_t key = (uintptr_t)p;
    shard *s = shard_of(key);
    lock(s);
    if ((s->n + 1) * 2 > s->cap && grow(s) < 0) {
        unlock(s);
        return;
    }
    uint32_t m = s->cap - 1, k = (uint32_t)mix(key) & m;
    while (s->e[k].key && s->e[k].key != key)
        k = (k + 1) & m;
    if (!s->e[k].key)
        s->n++;
    s->e[k] = (entry){key, node, size};
    unlock(s);
}

KC_NOINST int kc_pt_remove(void *p, kc_node **node, size_t *size)
{
    uintptr_t key = (uintptr_t)p;
    shard *s = shard_of(key);
    lock(s);
    if (!s->cap) {
        unlock(s);
        return 0;
    }
    uint32_t m = s->cap - 1, k = (uint32_t)mix(key) & m;
    while (s->e[k].key && s->e[k].key != key)
        k = (k + 1) & m;
    if (!s->e[k].key) {
        unlock(s);
        return 0;
    }
    *node = s->e[k].node;
    *size = s->e[k].size;
    /* backward-shift deletion keeps probe chains intact without tombstones */
    uint32_t hole = k;
    for (uint32_t j = (k + 1) & m; s->e[j].key; j = (j + 1) & m) {
        uint32_t home = (uint32_t)mix(s->e[j].key) & m;
        if (((j - home) & m) >= ((j - hole) & m)) {
            s->e[hole] = s->e[j];
            hole = j;
        }
    }
    s->e[hole].key = 0;
    s->n--;
    unlock(s);
    return 1;
}

KC_NOINST void kc_pt_clear(void)
{
    for (int i = 0; i < SHARDS; i++) {
        shard *s = &g_shards[i];
        s->lock = 0;
        if (s->e)
            memset(s->e, 0, (size_t)s->cap * sizeof *s->e);
        s->n = 0;
    }
}
