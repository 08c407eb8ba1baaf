/* The loaded modules and their unwind tables, gathered with dl_iterate_phdr
 * at start and after every dlopen/dlclose, outside the signal handler, and
 * published as an immutable snapshot the handler reads with one atomic load.
 * Old snapshots are kept until the caller of kc_modules_reclaim knows that
 * no reader is left (a handler may still be reading one).
 *
 * dlclose unmaps a library while other threads may be unwinding through the
 * snapshot that still lists it. So while any dlclose is under way
 * (kc_modules_close_begin .. _end) the published snapshot holds only the
 * modules loaded at start, which can never be unmapped; the caller waits for
 * the readers of the older snapshot before the real dlclose runs. */
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"

_Atomic(kc_modtab *) kc_modules;
static pthread_mutex_t refresh_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int closing;        /* dlclose calls under way */
static uintptr_t *startup_lo;      /* sorted lo of the modules at the first refresh */
static int nstartup;

typedef struct gather {
    kc_module *m;
    int n, cap;
} gather;

static void hex_build_id(const ElfW(Phdr) *ph, uintptr_t bias, char *out)
{
    out[0] = 0;
    const uint8_t *p = (const uint8_t *)(bias + ph->p_vaddr);
    const uint8_t *end = p + ph->p_memsz;
    while (end - p >= 12) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, p, 4);
        memcpy(&descsz, p + 4, 4);
        memcpy(&type, p + 8, 4);
        size_t nlen = (namesz + 3u) & ~3u, dlen = (descsz + 3u) & ~3u;
        if ((size_t)(end - p - 12) < nlen || (size_t)(end - p - 12 - nlen) < dlen)
            return;
        if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(p + 12, "GNU", 4) == 0 && descsz <= 64) {
            static const char hx[] = "0123456789abcdef";
            const uint8_t *d = p + 12 + nlen;
            for (uint32_t i = 0; i < descsz; i++) {
                out[2 * i] = hx[d[i] >> 4];
                out[2 * i + 1] = hx[d[i] & 15];
            }
            out[2 * descsz] = 0;
            return;
        }
        p += 12 + nlen + dlen;
    }
}

static int on_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    gather *g = arg;
    (void)size;
    kc_module m;
    memset(&m, 0, sizeof m);
    uintptr_t bias = info->dlpi_addr;
    const ElfW(Phdr) *eh = 0;
    m.lo = UINTPTR_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            uintptr_t lo = bias + ph->p_vaddr, hi = lo + ph->p_memsz;
            if (lo < m.lo)
                m.lo = lo;
            if (hi > m.hi)
                m.hi = hi;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            eh = ph;
        } else if (ph->p_type == PT_NOTE && !m.build_id[0]) {
            hex_build_id(ph, bias, m.build_id);
        }
    }
    if (m.lo == UINTPTR_MAX)
        return 0; /* nothing executable */
    if (eh) {
        uintptr_t hdr = bias + eh->p_vaddr;
        /* the segment holding .eh_frame_hdr (and, with every linker we know,
         * .eh_frame): the bounds for reading unwind data */
        for (int i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            uintptr_t lo = bias + ph->p_vaddr, hi = lo + ph->p_memsz;
            if (ph->p_type == PT_LOAD && hdr >= lo && hdr < hi) {
                m.mem_lo = (const uint8_t *)lo;
                m.mem_hi = (const uint8_t *)hi;
            }
        }
        const uint8_t *h = (const uint8_t *)hdr;
        /* version 1; eh_frame_ptr any 4-byte encoding; fde_count udata4;
         * table datarel|sdata4: what GNU ld, gold, lld and mold write */
        if (m.mem_hi && (const uint8_t *)hdr + 12 <= m.mem_hi && h[0] == 1 && h[2] == 0x03 &&
            h[3] == 0x3b && (h[1] & 0x0f) == 0x0b) {
            uint32_t count;
            memcpy(&count, h + 8, 4);
            if ((uint64_t)count * 8 <= (uint64_t)(m.mem_hi - (h + 12))) {
                m.hdr = h;
                m.table = h + 12;
                m.fde_count = count;
            }
        }
    }
    const char *name = info->dlpi_name;
    if (!name || !name[0]) {
        ssize_t k = readlink("/proc/self/exe", m.path, sizeof m.path - 1);
        m.path[k > 0 ? k : 0] = 0;
    } else {
        strncpy(m.path, name, sizeof m.path - 1);
    }
    if (g->n == g->cap) {
        int cap = g->cap ? g->cap * 2 : 64;
        kc_module *nm = realloc(g->m, (size_t)cap * sizeof *nm);
        if (!nm)
            return 1;
        g->m = nm;
        g->cap = cap;
    }
    g->m[g->n++] = m;
    return 0;
}

static int by_lo(const void *a, const void *b)
{
    const kc_module *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int is_startup(uintptr_t lo)
{
    int a = 0, b = nstartup;
    while (a < b) {
        int mid = a + (b - a) / 2;
        if (startup_lo[mid] == lo)
            return 1;
        if (startup_lo[mid] < lo)
            a = mid + 1;
        else
            b = mid;
    }
    return 0;
}

void kc_modules_refresh(void)
{
    pthread_mutex_lock(&refresh_mu);
    gather g = {0, 0, 0};
    dl_iterate_phdr(on_module, &g);
    qsort(g.m, (size_t)g.n, sizeof *g.m, by_lo);
    if (!startup_lo && g.n) {
        startup_lo = malloc((size_t)g.n * sizeof *startup_lo);
        if (startup_lo) {
            for (int i = 0; i < g.n; i++)
                startup_lo[i] = g.m[i].lo;
            nstartup = g.n;
        }
    }
    if (atomic_load(&closing) > 0) {
        int k = 0;
        for (int i = 0; i < g.n; i++)
            if (is_startup(g.m[i].lo))
                g.m[k++] = g.m[i];
        g.n = k;
    }
    kc_modtab *cur = atomic_load(&kc_modules);
    if (cur && cur->n == g.n && (g.n == 0 || memcmp(cur->m, g.m, (size_t)g.n * sizeof *g.m) == 0)) {
        free(g.m); /* unchanged: keep the published snapshot */
        pthread_mutex_unlock(&refresh_mu);
        return;
    }
    kc_modtab *t = malloc(sizeof *t + (size_t)g.n * sizeof(kc_module));
    if (t) {
        t->n = g.n;
        if (g.n)
            memcpy(t->m, g.m, (size_t)g.n * sizeof(kc_module));
        t->older = atomic_load(&kc_modules);
        /* seq_cst: a reader's "I am reading" increment and this store are
         * ordered, so a quiet reader count seen after it means every later
         * reader sees this snapshot */
        atomic_store_explicit(&kc_modules, t, memory_order_seq_cst);
    }
    free(g.m);
    pthread_mutex_unlock(&refresh_mu);
}

void kc_modules_close_begin(void)
{
    atomic_fetch_add(&closing, 1);
    kc_modules_refresh();
}

void kc_modules_close_end(void)
{
    atomic_fetch_sub(&closing, 1);
    kc_modules_refresh();
}

void kc_modules_reclaim(int (*quiet)(void))
{
    pthread_mutex_lock(&refresh_mu);
    kc_modtab *cur = atomic_load(&kc_modules);
    if (cur && cur->older && quiet()) {
        /* no reader now, and none can start on an older snapshot: the
         * current one cannot change while refresh_mu is held */
        for (kc_modtab *t = cur->older, *next; t; t = next) {
            next = t->older;
            free(t);
        }
        cur->older = NULL;
    }
    pthread_mutex_unlock(&refresh_mu);
}
