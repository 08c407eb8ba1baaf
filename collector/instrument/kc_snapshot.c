/* One snapshot of the whole process: the per-thread trees merged by calling
 * context (function addresses), written as a complete .kiln file
 * (docs/format.md) to a temporary name and renamed over the profile, so the
 * profile on disk is always a whole file. Runs in normal context (the
 * writer thread, atexit, before exec), never in a signal handler. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc_snapshot.h"
#include "kfile_chunk.h"

typedef struct merged {
    uint32_t n, cap;
    uint64_t *addr;
    uint32_t *parent;
    uint64_t *calls;
    uint64_t (*v)[KC_NVALUES];
    uint32_t *hash;     /* open addressing: merged id + 1, 0 = empty */
    uint32_t hcap;      /* power of two */
} merged;

KC_NOINST static uint32_t hash_of(uint32_t parent, uint64_t addr, uint32_t mask)
{
    uint64_t h = (addr ^ ((uint64_t)parent << 40) ^ parent) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32) & mask;
}

KC_NOINST static int rehash(merged *m, uint32_t ncap)
{
    uint32_t *h = calloc(ncap, sizeof *h);
    if (!h)
        return -1;
    for (uint32_t i = 0; i < m->n; i++) {
        uint32_t k = hash_of(m->parent[i], m->addr[i], ncap - 1);
        while (h[k])
            k = (k + 1) & (ncap - 1);
        h[k] = i + 1;
    }
    free(m->hash);
    m->hash = h;
    m->hcap = ncap;
    return 0;
}

#define GROW(field) \
    do { void *p_ = realloc(m->field, (size_t)nc * sizeof *m->field); if (!p_) return -1; m->field = p_; } while (0)

KC_NOINST static int grow(merged *m)
{
    uint32_t nc = m->cap ? m->cap * 2 : 1024;
    GROW(addr);
    GROW(parent);
    GROW(calls);
    GROW(v);
    m->cap = nc;
    return 0;
}

/* Merged id of (parent, addr), created when missing; UINT32_MAX on OOM. */
KC_NOINST static uint32_t merged_child(merged *m, uint32_t parent, uint64_t addr)
{
    if ((uint64_t)(m->n + 1) * 2 > m->hcap && rehash(m, m->hcap ? m->hcap * 2 : 2048) < 0)
        return UINT32_MAX;
    uint32_t mask = m->hcap - 1, k = hash_of(parent, addr, mask);
    while (m->hash[k]) {
        uint32_t id = m->hash[k] - 1;
        if (m->addr[id] == addr && m->parent[id] == parent)
            return id;
        k = (k + 1) & mask;
    }
    if (m->n == m->cap && grow(m) < 0)
        return UINT32_MAX;
    uint32_t id = m->n++;
    m->addr[id] = addr;
    m->parent[id] = parent;
    m->calls[id] = 0;
    memset(m->v[id], 0, sizeof m->v[id]);
    m->hash[k] = id + 1;
    return id;
}

KC_NOINST static int merge_thread(merged *m, kc_thread *t)
{
    uint32_t n = __atomic_load_n(&t->tree.n, __ATOMIC_ACQUIRE);
    uint32_t *map = malloc((size_t)(n ? n : 1) * sizeof *map);
    if (!map)
        return -1;
    map[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        kc_node *x = &t->tree.nodes[i];
        uint32_t id = 0;
        if (i > 0) {
            id = merged_child(m, map[x->parent], x->addr);
            if (id == UINT32_MAX) {
                free(map);
                return -1;
            }
        }
        map[i] = id;
        m->calls[id] += kc_load(&x->calls);
        for (int k = 0; k < KC_NVALUES; k++)
            m->v[id][k] += kc_load(&x->v[k]);
    }
    free(map);
    return 0;
}

typedef struct outfile {
    int fd;
} outfile;

KC_NOINST static int write_all(void *ctx, const void *data, size_t len)
{
    outfile *o = ctx;
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(o->fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

typedef struct meta_ctx {
    ki_kfw *w;
} meta_ctx;

KC_NOINST static void meta_add(void *ctx, const char *k, const char *v)
{
    meta_ctx *c = ctx;
    ki_kfw_string(c->w, k, strlen(k));
    ki_kfw_string(c->w, v, strlen(v));
}

/* Closes the open table chunk once it is big and starts the next one with
 * its first id. */
KC_NOINST static void maybe_split(ki_kfw *w, uint32_t type, int with_id, uint64_t next_id)
{
    if (ki_kfw_size(w) < KI_KF_SPLIT)
        return;
    ki_kfw_end(w);
    ki_kfw_begin(w, type);
    if (with_id)
        ki_kfw_varint(w, next_id);
}

KC_NOINST static int emit(ki_kfw *w, const merged *m, const kc_mode *mode, const kc_maps *maps,
                          void (*meta)(void (*)(void *, const char *, const char *), void *))
{
    uint32_t n = m->n;
    unsigned char *keep = calloc(n ? n : 1, 1);
    uint64_t *child_calls = calloc(n ? n : 1, sizeof *child_calls);
    uint32_t *out_id = malloc((size_t)(n ? n : 1) * sizeof *out_id);
    uint32_t *frame_of = malloc((size_t)(n ? n : 1) * sizeof *frame_of);
    int rc = -1;
    if (!keep || !child_calls || !out_id || !frame_of)
        goto out;
    /* keep contexts that were entered since the last reset (fork), and
     * their ancestors; children ids are above their parents' */
    for (uint32_t i = n; i-- > 1;) {
        int any = m->calls[i] != 0;
        for (int k = 0; k < KC_NVALUES; k++)
            any |= m->v[i][k] != 0;
        if (any || keep[i]) {
            keep[i] = 1;
            keep[m->parent[i]] = 1;
        }
        child_calls[m->parent[i]] += m->calls[i];
    }
    keep[0] = 1;

    ki_kfw_file_header(w);
    ki_kfw_begin(w, KI_CHUNK_META);
    meta_ctx mc = {w};
    meta(meta_add, &mc);
    ki_kfw_begin(w, KI_CHUNK_STYP);
    for (int t = 0; t < mode->ntypes; t++) {
        ki_kfw_string(w, mode->type_name[t], strlen(mode->type_name[t]));
        ki_kfw_string(w, mode->type_unit[t], strlen(mode->type_unit[t]));
    }
    /* strings: a path and a build-id per mapping */
    uint64_t nstr = 1;
    ki_kfw_begin(w, KI_CHUNK_STRS);
    ki_kfw_varint(w, 1);
    for (size_t i = 0; i < maps->n; i++) {
        ki_kfw_string(w, maps->v[i].path, strlen(maps->v[i].path));
        nstr++;
        if (maps->v[i].build_id[0]) {
            ki_kfw_string(w, maps->v[i].build_id, strlen(maps->v[i].build_id));
            nstr++;
        }
        maybe_split(w, KI_CHUNK_STRS, 1, nstr);
    }
    /* frames: one per distinct address, in first-use order */
    uint64_t nframes = 0;
    ki_kfw_begin(w, KI_CHUNK_FRMS);
    ki_kfw_varint(w, 0);
    {
        merged fr = {0};  /* reuse the hash: (parent 0, addr) -> frame */
        for (uint32_t i = 1; i < n; i++) {
            if (!keep[i])
                continue;
            uint32_t before = fr.n;
            uint32_t f = merged_child(&fr, 0, m->addr[i]);
            if (f == UINT32_MAX) {
                free(fr.addr), free(fr.parent), free(fr.calls), free(fr.v), free(fr.hash);
                goto out;
            }
            frame_of[i] = f;
            if (fr.n != before) {
                ki_kfw_varint(w, 0);  /* name: left to the symbolizer */
                ki_kfw_varint(w, 0);  /* file */
                ki_kfw_varint(w, 0);  /* module */
                ki_kfw_varint(w, 0);  /* line */
                ki_kfw_varint(w, 1);  /* KILN_KIND_NATIVE */
                ki_kfw_varint(w, m->addr[i]);
                nframes++;
                maybe_split(w, KI_CHUNK_FRMS, 1, nframes);
            }
        }
        free(fr.addr), free(fr.parent), free(fr.calls), free(fr.v), free(fr.hash);
    }
    ki_kfw_begin(w, KI_CHUNK_MAPS);
    {
        uint64_t s = 1;
        for (size_t i = 0; i < maps->n; i++) {
            ki_kfw_varint(w, maps->v[i].start);
            ki_kfw_varint(w, maps->v[i].end);
            ki_kfw_varint(w, maps->v[i].offset);
            ki_kfw_varint(w, s++);
            ki_kfw_varint(w, maps->v[i].build_id[0] ? s++ : 0);
        }
    }
    /* nodes */
    uint64_t nnodes = 1;
    out_id[0] = 0;
    ki_kfw_begin(w, KI_CHUNK_NODE);
    ki_kfw_varint(w, 1);
    for (uint32_t i = 1; i < n; i++) {
        if (!keep[i])
            continue;
        out_id[i] = (uint32_t)nnodes;
        ki_kfw_varint(w, nnodes - out_id[m->parent[i]]);
        ki_kfw_varint(w, frame_of[i]);
        nnodes++;
        maybe_split(w, KI_CHUNK_NODE, 1, nnodes);
    }
    /* values, summed in file order for the END totals */
    double totals[KC_MAXT] = {0};
    uint64_t nsamp = 0;
    ki_kfw_begin(w, KI_CHUNK_SAMP);
    for (uint32_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        double val[KC_MAXT] = {0};
        mode->values(m->v[i], m->calls[i], child_calls[i], val);
        int any = 0;
        for (int t = 0; t < mode->ntypes; t++)
            any |= val[t] != 0;
        if (!any)
            continue;
        ki_kfw_varint(w, out_id[i]);
        for (int t = 0; t < mode->ntypes; t++) {
            ki_kfw_double(w, val[t]);
            totals[t] += val[t];
        }
        nsamp++;
        maybe_split(w, KI_CHUNK_SAMP, 0, 0);
    }
    if (mode->write_calls) {
        ki_kfw_begin(w, KI_CHUNK_CALL);
        for (uint32_t i = 1; i < n; i++) {
            if (!keep[i] || !m->calls[i])
                continue;
            ki_kfw_varint(w, out_id[i]);
            ki_kfw_varint(w, m->calls[i]);
            maybe_split(w, KI_CHUNK_CALL, 0, 0);
        }
    }
    ki_kfw_end(w);
    uint64_t chunks = w->chunks;
    ki_kfw_begin(w, KI_CHUNK_END);
    ki_kfw_varint(w, chunks);
    ki_kfw_varint(w, nstr);
    ki_kfw_varint(w, nframes);
    ki_kfw_varint(w, nnodes);
    ki_kfw_varint(w, 0);
    ki_kfw_varint(w, 0);
    ki_kfw_varint(w, nsamp);
    for (int t = 0; t < mode->ntypes; t++)
        ki_kfw_double(w, totals[t]);
    ki_kfw_end(w);
    rc = w->failed ? -1 : 0;
out:
    free(keep);
    free(child_calls);
    free(out_id);
    free(frame_of);
    return rc;
}

KC_NOINST int kc_snapshot_write(const char *path, const kc_mode *mode, kc_thread *threads,
                                const kc_maps *maps,
                                void (*meta)(void (*)(void *, const char *, const char *), void *))
{
    merged m = {0};
    int rc = -1;
    if (merged_child(&m, UINT32_MAX, 0) != 0)  /* the root: merged id 0 */
        goto out;
    for (kc_thread *t = threads; t; t = t->next_all)
        if (merge_thread(&m, t) < 0)
            goto out;
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp)
        goto out;
    outfile o = {open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (o.fd < 0)
        goto out;
    ki_kfw w;
    ki_kfw_init(&w, write_all, &o);
    int e = emit(&w, &m, mode, maps, meta);
    ki_kfw_release(&w);
    if (close(o.fd) < 0)
        e = -1;
    if (e < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(m.addr), free(m.parent), free(m.calls), free(m.v), free(m.hash);
    return rc;
}
