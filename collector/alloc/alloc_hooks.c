/* libkiln-alloc.so: the allocation tracker of `kiln record --mode alloc`.
 *
 * Wraps malloc, calloc, realloc, free, posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc, mmap and munmap. Per event: a per-thread
 * recursion guard, a CFI stack walk with a per-thread cache of unwind rules
 * (stack_walk.c; glibc's backtrace() only where that walker cannot go: a
 * signal handler on an alternate stack, a coroutine's stack) and a walk down
 * the thread's own calling-context tree (kc_tree.h): no global lock, and
 * one shared counter (the live bytes, for the exact peak). Live blocks are kept in a sharded pointer table (ptr_table.c, one
 * small lock per shard) so a free on any thread finds the context that
 * allocated the block and lowers its live bytes.
 *
 * Sample types: alloc_bytes (bytes requested), alloc_count (allocation
 * calls: malloc, calloc, realloc, the aligned ones), leak_bytes (bytes still
 * live at the snapshot; at exit: leaked), mmap_bytes (bytes mapped by the
 * program's own mmap calls; munmap is passed through and not subtracted).
 * Metadata: peak_bytes (highest total of live malloc bytes), alloc_calls,
 * free_calls, alloc_total_bytes, leaked_bytes.
 *
 * Frames are call sites: the return address minus one, so that a symbolizer
 * resolving by address lands inside the calling function.
 *
 * Bootstrap: dlsym() may allocate before the real functions are known; those
 * requests are served from a static arena and their frees are ignored. */
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <link.h>
#include <malloc.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kc_rt.h"
#include "ptr_table.h"
#include "stack_walk.h"

#define EXPORT __attribute__((visibility("default"), no_instrument_function))
#define MAX_FRAMES 64

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef int (*pm_fn)(void **, size_t, size_t);
typedef void *(*aa_fn)(size_t, size_t);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);

static struct {
    malloc_fn malloc;
    calloc_fn calloc;
    realloc_fn realloc;
    free_fn free;
    pm_fn posix_memalign;
    aa_fn aligned_alloc, memalign;
    malloc_fn valloc, pvalloc;
    mmap_fn mmap;
    munmap_fn munmap;
} real;

static __thread int t_guard __attribute__((tls_model("initial-exec")));
static int g_booting;
static int g_use_backtrace;  /* KILN_ALLOC_UNWIND=backtrace: glibc's unwinder only (tests) */
static uintptr_t g_self_lo, g_self_hi;  /* our own code: frames to skip */
static uint64_t g_live, g_peak;

/* ---- bootstrap arena ------------------------------------------------------- */

static _Alignas(64) unsigned char g_arena[64 * 1024];
static size_t g_arena_used;

KC_NOINST static void *arena_alloc(size_t n)
{
    size_t at = __atomic_fetch_add(&g_arena_used, (n + 15) & ~(size_t)15, __ATOMIC_RELAXED);
    if (at + n > sizeof g_arena)
        return NULL;
    return g_arena + at;
}

KC_NOINST static int in_arena(const void *p)
{
    return (const unsigned char *)p >= g_arena && (const unsigned char *)p < g_arena + sizeof g_arena;
}

KC_NOINST static void resolve(void)
{
    g_booting = 1;
    real.malloc = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    real.calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    real.realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    real.free = (free_fn)dlsym(RTLD_NEXT, "free");
    real.posix_memalign = (pm_fn)dlsym(RTLD_NEXT, "posix_memalign");
    real.aligned_alloc = (aa_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    real.memalign = (aa_fn)dlsym(RTLD_NEXT, "memalign");
    real.valloc = (malloc_fn)dlsym(RTLD_NEXT, "valloc");
    real.pvalloc = (malloc_fn)dlsym(RTLD_NEXT, "pvalloc");
    real.mmap = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
    real.munmap = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
    g_booting = 0;
}

/* ---- recording --------------------------------------------------------------- */

KC_NOINST static void alloc_values(const uint64_t *v, uint64_t calls, uint64_t child_calls, double *out)
{
    (void)calls, (void)child_calls;
    out[0] = (double)v[0];
    out[1] = (double)v[1];
    out[2] = (double)(int64_t)v[2];
    out[3] = (double)v[3];
}

KC_NOINST static void alloc_meta(void (*add)(void *, const char *, const char *), void *ctx)
{
    char buf[64];
    uint64_t calls = 0, bytes = 0, frees = 0;
    for (kc_thread *t = kc_rt_threads(); t; t = t->next_all) {
        uint32_t n = __atomic_load_n(&t->tree.n, __ATOMIC_ACQUIRE);
        for (uint32_t i = 0; i < n; i++) {
            bytes += kc_load(&t->tree.nodes[i].v[0]);
            calls += kc_load(&t->tree.nodes[i].v[1]);
        }
        frees += kc_load(&t->frees);
    }
#define ADDU(k, x) (snprintf(buf, sizeof buf, "%llu", (unsigned long long)(x)), add(ctx, k, buf))
    ADDU("peak_bytes", __atomic_load_n(&g_peak, __ATOMIC_RELAXED));
    ADDU("leaked_bytes", __atomic_load_n(&g_live, __ATOMIC_RELAXED));
    ADDU("alloc_calls", calls);
    ADDU("alloc_total_bytes", bytes);
    ADDU("free_calls", frees);
#undef ADDU
}

static const kc_mode alloc_mode = {
    .name = "alloc",
    .ntypes = 4,
    .type_name = {"alloc_bytes", "alloc_count", "leak_bytes", "mmap_bytes"},
    .type_unit = {"bytes", "count", "bytes", "bytes"},
    .write_calls = 0,
    .need_stack = 0,
    .values = alloc_values,
    .meta = alloc_meta,
};

/* The call sites of the current stack by glibc's backtrace(). */
KC_NOINST __attribute__((noinline)) static int slow_walk(uint64_t *out)
{
    void *fr[MAX_FRAMES];
    int n = backtrace(fr, MAX_FRAMES), k = 0;
    for (int i = 0; i < n; i++) {
        uintptr_t site = (uintptr_t)fr[i] - 1;
        if (k == 0 && site >= g_self_lo && site < g_self_hi)
            continue;
        out[k++] = site;
    }
    return k;
}

/* The leaf context of the current call stack in this thread's tree. */
KC_NOINST static kc_node *context(kc_thread *t)
{
    uint64_t fr[MAX_FRAMES];
    int n = g_use_backtrace ? -1 : kc_walk(&t->walk_cache, fr, MAX_FRAMES, g_self_lo, g_self_hi);
    if (KC_UNLIKELY(n < 0))
        n = slow_walk(fr);
    uint32_t node = 0;
    for (int i = n; i-- > 0;)
        node = kc_child(&t->tree, node, fr[i]);
    return &t->tree.nodes[node];
}

KC_NOINST static void note_alloc(void *p, size_t n)
{
    kc_thread *t = kc_thread_attach();
    if (!t)
        return;
    kc_node *x = context(t);
    kc_add(&x->v[0], n);
    kc_add(&x->v[1], 1);
    __atomic_fetch_add(&x->v[2], n, __ATOMIC_RELAXED);
    kc_pt_insert(p, x, n);
    uint64_t live = __atomic_add_fetch(&g_live, n, __ATOMIC_RELAXED);
    uint64_t peak = __atomic_load_n(&g_peak, __ATOMIC_RELAXED);
    while (live > peak &&
           !__atomic_compare_exchange_n(&g_peak, &peak, live, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

KC_NOINST static void note_free(void *p)
{
    kc_node *x;
    size_t n;
    if (kc_pt_remove(p, &x, &n)) {
        __atomic_fetch_sub(&x->v[2], n, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&g_live, n, __ATOMIC_RELAXED);
        kc_thread *t = kc_thread_attach();
        if (t)
            kc_add(&t->frees, 1);
    }
}

KC_NOINST static void child_reset(void)
{
    kc_pt_clear();
    g_live = g_peak = 0;
    for (kc_thread *t = kc_rt_threads(); t; t = t->next_all)
        t->frees = 0;
}

KC_NOINST static void find_self(void)
{
    Dl_info info;
    if (!dladdr((void *)find_self, &info) || !info.dli_fbase)
        return;
    const ElfW(Ehdr) *eh = info.dli_fbase;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
            g_self_lo = (uintptr_t)eh + ph[i].p_vaddr;
            g_self_hi = g_self_lo + ph[i].p_memsz;
        }
}

KC_NOINST static void start(void)
{
    t_guard = 1;
    if (!real.malloc)
        resolve();
    find_self();
    const char *uw = getenv("KILN_ALLOC_UNWIND");
    g_use_backtrace = uw && strcmp(uw, "backtrace") == 0;
    kc_walk_init();
    void *warm[4];
    backtrace(warm, 4);  /* loads libgcc_s now, not inside the first malloc */
    kc_rt_child_hook = child_reset;
    kc_rt_init(&alloc_mode);
    t_guard = 0;
}

__attribute__((constructor, no_instrument_function)) static void alloc_start(void)
{
    start();
}

/* Enter: 1 when this call is to be recorded (guard taken). */
KC_NOINST static inline int enter(void)
{
    if (KC_UNLIKELY(!real.malloc))
        resolve();
    if (t_guard || !kc_rt_ready)
        return 0;
    t_guard = 1;
    return 1;
}

/* ---- the wrappers ----------------------------------------------------------------- */

EXPORT void *malloc(size_t n)
{
    if (KC_UNLIKELY(g_booting))
        return arena_alloc(n);
    if (!enter())
        return real.malloc(n);
    void *p = real.malloc(n);
    if (p)
        note_alloc(p, n);
    t_guard = 0;
    return p;
}

EXPORT void *calloc(size_t n, size_t m)
{
    if (KC_UNLIKELY(g_booting)) {
        if (m && n > (size_t)-1 / m)
            return NULL;
        return arena_alloc(n * m);  /* static: already zero */
    }
    if (!enter())
        return real.calloc(n, m);
    void *p = real.calloc(n, m);
    if (p)
        note_alloc(p, n * m);
    t_guard = 0;
    return p;
}

EXPORT void free(void *p)
{
    if (!p || in_arena(p))
        return;
    if (!enter()) {
        real.free(p);
        return;
    }
    note_free(p);
    real.free(p);
    t_guard = 0;
}

EXPORT void *realloc(void *p, size_t n)
{
    if (KC_UNLIKELY(g_booting) || in_arena(p)) {
        void *q = g_booting ? arena_alloc(n) : malloc(n);
        if (q && p) {
            size_t room = (size_t)(g_arena + sizeof g_arena - (unsigned char *)p);
            memcpy(q, p, n < room ? n : room);
        }
        return q;
    }
    if (!enter())
        return real.realloc(p, n);
    void *q = real.realloc(p, n);
    if (q || n == 0) {
        if (p)
            note_free(p);
        if (q)
            note_alloc(q, n);
    }
    t_guard = 0;
    return q;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (!enter())
        return real.posix_memalign(out, align, n);
    int rc = real.posix_memalign(out, align, n);
    if (rc == 0)
        note_alloc(*out, n);
    t_guard = 0;
    return rc;
}

#define ALIGNED(name)                                   \
    EXPORT void *name(size_t align, size_t n)           \
    {                                                   \
        if (!enter())                                   \
            return real.name(align, n);                 \
        void *p = real.name(align, n);                  \
        if (p)                                          \
            note_alloc(p, n);                           \
        t_guard = 0;                                    \
        return p;                                       \
    }
ALIGNED(aligned_alloc)
ALIGNED(memalign)

#define PAGED(name)                                     \
    EXPORT void *name(size_t n)                         \
    {                                                   \
        if (!enter())                                   \
            return real.name(n);                        \
        void *p = real.name(n);                         \
        if (p)                                          \
            note_alloc(p, n);                           \
        t_guard = 0;                                    \
        return p;                                       \
    }
PAGED(valloc)
PAGED(pvalloc)

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!enter())
        return real.mmap(addr, len, prot, flags, fd, off);
    void *p = real.mmap(addr, len, prot, flags, fd, off);
    if (p != MAP_FAILED) {
        kc_thread *t = kc_thread_attach();
        if (t)
            kc_add(&context(t)->v[3], len);
    }
    t_guard = 0;
    return p;
}

EXPORT int munmap(void *addr, size_t len)
{
    if (KC_UNLIKELY(!real.munmap))
        resolve();
    return real.munmap(addr, len);
}
