/* Hashing (a 64-bit multiply-xorshift over 8-byte words) and the id map. */
#include "hash.h"

#include <stdlib.h>
#include <string.h>

uint64_t ki_hash_u64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t ki_hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    uint64_t h = k0 ^ (len * k1);
    while (len >= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        h = mix(a ^ k1 ^ h, b ^ k0);
        p += 16;
        len -= 16;
    }
    uint64_t a = 0, b = 0;
    if (len >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + len - 8, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + len - 4, 4);
        a = x;
        b = y;
    } else if (len > 0) {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
    }
    return mix(a ^ k1 ^ h, b ^ k0 ^ len);
}

void ki_map_init(ki_map *m)
{
    memset(m, 0, sizeof *m);
}

void ki_map_release(ki_map *m)
{
    free(m->hashes);
    free(m->ids);
    ki_map_init(m);
}

static int map_rehash(ki_map *m, size_t cap)
{
    uint64_t *h = malloc(cap * sizeof *h);
    uint32_t *ids = malloc(cap * sizeof *ids);
    if (!h || !ids) {
        free(h);
        free(ids);
        return -1;
    }
    memset(ids, 0xff, cap * sizeof *ids);
    size_t mask = cap - 1;
    if (m->ids) {
        for (size_t i = 0; i <= m->mask; i++) {
            if (m->ids[i] == KI_MAP_EMPTY)
                continue;
            size_t s = (size_t)m->hashes[i] & mask;
            while (ids[s] != KI_MAP_EMPTY)
                s = (s + 1) & mask;
            ids[s] = m->ids[i];
            h[s] = m->hashes[i];
        }
    }
    free(m->hashes);
    free(m->ids);
    m->hashes = h;
    m->ids = ids;
    m->mask = mask;
    return 0;
}

int ki_map_reserve(ki_map *m)
{
    if (!m->ids)
        return map_rehash(m, 64);
    if ((m->count + 1) * 2 > m->mask + 1)
        return map_rehash(m, (m->mask + 1) * 2);
    return 0;
}

ki_probe ki_map_probe(const ki_map *m, uint64_t h)
{
    ki_probe pr = {m->ids ? (size_t)h & m->mask : 0, h};
    return pr;
}

uint32_t ki_map_get(const ki_map *m, ki_probe *pr)
{
    if (!m->ids)
        return KI_MAP_EMPTY;
    for (;;) {
        uint32_t id = m->ids[pr->slot];
        if (id == KI_MAP_EMPTY || m->hashes[pr->slot] == pr->hash)
            return id;
        pr->slot = (pr->slot + 1) & m->mask;
    }
}

void ki_map_next(const ki_map *m, ki_probe *pr)
{
    pr->slot = (pr->slot + 1) & m->mask;
}

void ki_map_put(ki_map *m, const ki_probe *pr, uint32_t id)
{
    m->ids[pr->slot] = id;
    m->hashes[pr->slot] = pr->hash;
    m->count++;
}
