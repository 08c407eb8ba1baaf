/* The allocation tracker's stack walker (stack_walk.h). The CFI machinery
 * is the sampling collector's, used as it is: this file includes its
 * unwind.c so that the static helpers (find_fde, run_cfi, step_cfi,
 * step_fp, stack_read) are reachable from here; modules.c is compiled into
 * the library beside it. */
#include "../preload/unwind.c"

#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "stack_walk.h"

#define CACHE_BITS 12
#define CACHE_N (1u << CACHE_BITS)

enum { K_EMPTY = 0, K_SIMPLE, K_COMPLEX, K_NOTAB, K_STOP };
enum { RBP_SAME = 0, RBP_AT, RBP_LOST };

/* How to step from a frame whose pc is `pc` to its caller. */
typedef struct walk_rule {
    uint64_t pc;
    int32_t cfa_off;
    int16_t ra_off, rbp_off;
    uint32_t clobber;  /* registers (besides rsp, rbp, rip) the caller sees changed */
    uint8_t kind, cfa_reg, rbp;
} walk_rule;

typedef struct walk_cache {
    uint64_t gen;
    walk_rule r[CACHE_N];
} walk_cache;

static __thread uintptr_t t_stack_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t t_stack_hi __attribute__((tls_model("initial-exec")));  /* 1: unknown */

static uint64_t g_gen = 1;                  /* bumped when the module tables change */
static unsigned long long g_adds, g_subs;  /* dl_iterate_phdr's load/unload counters */
static pthread_mutex_t g_mod_mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((no_instrument_function)) static int read_counters(struct dl_phdr_info *info, size_t size,
                                                                 void *arg)
{
    unsigned long long *c = arg;
    if (size < offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
        return 1;
    c[0] = info->dlpi_adds;
    c[1] = info->dlpi_subs;
    return 1;  /* the counters are the same in every entry: stop at the first */
}

/* Reloads the tables when a library was loaded or unloaded since the last
 * look; every thread's cache then starts over (the generation moves). */
__attribute__((no_instrument_function)) static void check_modules(void)
{
    unsigned long long c[2] = {0, 0};
    dl_iterate_phdr(read_counters, c);
    if (c[0] == __atomic_load_n(&g_adds, __ATOMIC_ACQUIRE) && c[1] == __atomic_load_n(&g_subs, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&g_mod_mu);
    if (c[0] != g_adds || c[1] != g_subs) {
        kc_modules_refresh();
        __atomic_store_n(&g_adds, c[0], __ATOMIC_RELEASE);
        __atomic_store_n(&g_subs, c[1], __ATOMIC_RELEASE);
        __atomic_add_fetch(&g_gen, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&g_mod_mu);
}

__attribute__((no_instrument_function)) void kc_walk_init(void)
{
    check_modules();
}

/* The rule for pc (a return address minus one, or an exact pc). */
__attribute__((no_instrument_function)) static void make_rule(walk_rule *w, uintptr_t pc, const kc_modtab *tab)
{
    memset(w, 0, sizeof *w);
    w->pc = pc;
    w->kind = K_STOP;
    const kc_module *m = tab ? kc_module_at(tab, pc) : 0;
    if (!m || !m->table) {
        w->kind = K_NOTAB;
        return;
    }
    frame_info fi;
    if (find_fde(m, pc, &fi) < 0)
        return;
    cfa_state st, init;
    memset(&st, 0, sizeof st);
    for (int i = 0; i < KC_NREGS; i++)
        st.r[i].kind = R_SAME;
    uint64_t loc = fi.pc_begin;
    if (run_cfi(m, &fi, fi.cie_ins, fi.cie_end, ~(uintptr_t)0, &loc, &st, 0) < 0)
        return;
    init = st;
    loc = fi.pc_begin;
    if (run_cfi(m, &fi, fi.fde_ins, fi.fde_end, pc, &loc, &st, &init) < 0)
        return;
    if (fi.ra_reg >= KC_NREGS)
        return;
    const rule *ra = &st.r[fi.ra_reg];
    if (ra->kind == R_UNDEF)
        return;  /* the outermost frame */
    w->kind = K_COMPLEX;
    if (fi.signal_frame || st.cfa_expr || (st.cfa_reg != KC_RSP && st.cfa_reg != KC_RBP) ||
        ra->kind != R_OFFSET || st.cfa_off != (int32_t)st.cfa_off || ra->off != (int16_t)ra->off)
        return;
    const rule *bp = &st.r[KC_RBP];
    if (bp->kind == R_SAME) {
        w->rbp = RBP_SAME;
    } else if (bp->kind == R_OFFSET && bp->off == (int16_t)bp->off) {
        w->rbp = RBP_AT;
        w->rbp_off = (int16_t)bp->off;
    } else if (bp->kind == R_UNDEF) {
        w->rbp = RBP_LOST;
    } else {
        return;
    }
    for (int i = 0; i < KC_NREGS; i++)
        if (i != KC_RSP && i != KC_RBP && i != KC_RIP && st.r[i].kind != R_SAME)
            w->clobber |= 1u << i;
    w->cfa_reg = st.cfa_reg;
    w->cfa_off = (int32_t)st.cfa_off;
    w->ra_off = (int16_t)ra->off;
    w->kind = K_SIMPLE;
}

/* The calling thread's stack: [lo, hi), found once per thread. */
__attribute__((no_instrument_function)) static int stack_bounds(void)
{
    if (t_stack_hi > 1)
        return 0;
    if (t_stack_hi == 1)
        return -1;
    t_stack_hi = 1;
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return -1;
    void *addr = 0;
    size_t size = 0;
    int rc = pthread_attr_getstack(&a, &addr, &size);
    pthread_attr_destroy(&a);
    if (rc != 0 || !addr || !size)
        return -1;
    t_stack_lo = (uintptr_t)addr;
    t_stack_hi = (uintptr_t)addr + size;
    return 0;
}

__attribute__((no_instrument_function)) static walk_cache *get_cache(void **slot)
{
    walk_cache *c = *slot;
    if (!c) {
        void *p = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
        c = p;
        *slot = c;
    }
    uint64_t gen = __atomic_load_n(&g_gen, __ATOMIC_ACQUIRE);
    if (c->gen != gen) {
        memset(c->r, 0, sizeof c->r);
        c->gen = gen;
    }
    return c;
}

__attribute__((no_instrument_function)) static inline uint32_t slot_of(uint64_t pc)
{
    return (uint32_t)((pc * 0x9E3779B97F4A7C15ull) >> (64 - CACHE_BITS));
}

__attribute__((noinline, no_instrument_function)) int kc_walk(void **slot, uint64_t *out, int max,
                                                              uintptr_t skip_lo, uintptr_t skip_hi)
{
    uint64_t ip, sp, bp;
    __asm__ volatile("leaq 0(%%rip), %0\n\tmovq %%rsp, %1\n\tmovq %%rbp, %2" : "=&r"(ip), "=&r"(sp), "=&r"(bp));
    if (stack_bounds() < 0 || sp < t_stack_lo || sp >= t_stack_hi)
        return -1;
    walk_cache *c = get_cache(slot);
    if (!c)
        return -1;
    uintptr_t lo = (uintptr_t)sp, hi = t_stack_hi;
    kc_regs g;
    g.r[KC_RIP] = ip;
    g.r[KC_RSP] = sp;
    g.r[KC_RBP] = bp;
    g.valid = (1u << KC_RIP) | (1u << KC_RSP) | (1u << KC_RBP);
    const kc_modtab *tab = atomic_load_explicit(&kc_modules, memory_order_acquire);
    int n = 0, exact = 1, leading = 1;
    for (int steps = 0; n < max && steps < max + 64; steps++) {
        uintptr_t pc = (uintptr_t)g.r[KC_RIP];
        uintptr_t lookup = exact ? pc : pc - 1;
        walk_rule *w = &c->r[slot_of(lookup)];
        if (__builtin_expect(w->pc != lookup || w->kind == K_EMPTY, 0)) {
            uint64_t gen = c->gen;
            check_modules();
            if (__atomic_load_n(&g_gen, __ATOMIC_ACQUIRE) != gen)
                c = get_cache(slot);
            tab = atomic_load_explicit(&kc_modules, memory_order_acquire);
            w = &c->r[slot_of(lookup)];
            make_rule(w, lookup, tab);
        }
        int was_exact = 0;
        if (__builtin_expect(w->kind == K_SIMPLE, 1)) {
            if (!(g.valid & (1u << w->cfa_reg)))
                break;
            uint64_t cfa = g.r[w->cfa_reg] + (uint64_t)(int64_t)w->cfa_off, ra, v;
            if (cfa <= g.r[KC_RSP] || stack_read((uintptr_t)(cfa + (uint64_t)(int64_t)w->ra_off), lo, hi, &ra) < 0)
                break;
            if (w->rbp == RBP_AT) {
                if (stack_read((uintptr_t)(cfa + (uint64_t)(int64_t)w->rbp_off), lo, hi, &v) < 0)
                    break;
                g.r[KC_RBP] = v;
                g.valid |= 1u << KC_RBP;
            } else if (w->rbp == RBP_LOST) {
                g.valid &= ~(1u << KC_RBP);
            }
            g.valid &= ~w->clobber;
            g.r[KC_RSP] = cfa;
            g.r[KC_RIP] = ra;
        } else if (w->kind == K_COMPLEX) {
            const kc_module *m = tab ? kc_module_at(tab, lookup) : 0;
            if (!m || step_cfi(m, &g, lookup, lo, hi, &was_exact) <= 0)
                break;
        } else if (w->kind == K_NOTAB) {
            if (step_fp(&g, lo, hi) <= 0)
                break;
        } else {
            break;
        }
        if (g.r[KC_RIP] == 0)
            break;
        exact = was_exact;
        uint64_t site = exact ? g.r[KC_RIP] : g.r[KC_RIP] - 1;
        if (leading && site >= skip_lo && site < skip_hi)
            continue;
        leading = 0;
        out[n++] = site;
    }
    return n;
}
