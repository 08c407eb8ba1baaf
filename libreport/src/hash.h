/* Internal: hashing and an open-addressing table mapping 64-bit hashes to
 * 32-bit ids. The table stores only (hash, id); callers confirm a candidate
 * by comparing the real key, so any key type can be hash-consed:
 *
 *   uint64_t h = ki_hash_bytes(s, n);
 *   for (ki_probe pr = ki_map_probe(&m, h); ; ki_map_next(&m, &pr)) {
 *       uint32_t id = ki_map_get(&m, &pr);
 *       if (id == KI_MAP_EMPTY) { ... insert with ki_map_put(&m, &pr, h, new_id) ... }
 *       else if (key_equal(id)) return id;
 *   }
 */
#ifndef KI_HASH_H
#define KI_HASH_H

#include <stddef.h>
#include <stdint.h>

#define KI_MAP_EMPTY UINT32_MAX

uint64_t ki_hash_bytes(const void *data, size_t len);
uint64_t ki_hash_u64(uint64_t x);                 /* a strong 64-bit mixer */
static inline uint64_t ki_hash_combine(uint64_t h, uint64_t v)
{
    return ki_hash_u64(h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2)));
}

typedef struct ki_map {
    uint64_t *hashes;
    uint32_t *ids;
    size_t mask;      /* capacity - 1; capacity is a power of two */
    size_t count;
} ki_map;

typedef struct ki_probe {
    size_t slot;
    uint64_t hash;
} ki_probe;

void ki_map_init(ki_map *m);
void ki_map_release(ki_map *m);
/* Grow so one more insertion keeps the load under 1/2. -1 on OOM. Call
 * before probing for an insertion (it invalidates probes). */
int ki_map_reserve(ki_map *m);
/* Start probing for hash h: the slot of the first candidate. */
ki_probe ki_map_probe(const ki_map *m, uint64_t h);
/* The id at the probe (KI_MAP_EMPTY ends the chain), skipping slots whose
 * stored hash differs. */
uint32_t ki_map_get(const ki_map *m, ki_probe *pr);
void ki_map_next(const ki_map *m, ki_probe *pr);
/* Store id at an empty probe position. */
void ki_map_put(ki_map *m, const ki_probe *pr, uint32_t id);

#endif
