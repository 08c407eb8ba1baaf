/* The -finstrument-functions runtime: __cyg_profile_func_enter/exit keep a
 * per-thread shadow stack and a calling-context tree with exact call counts
 * and exclusive time in TSC ticks (one rdtsc per hook).
 *
 * Exclusive time: each hook charges the ticks since the previous hook of
 * its thread to the function on top of the shadow stack. The hooks' own
 * cost lands in those intervals; it is measured at start (calibrate) as
 * ticks per call charged to the callee and to its caller, and subtracted
 * per context at write time (self -= calls*c_self + child_calls*c_child).
 *
 * Resynchronisation (longjmp, exceptions, exits never seen): every entry
 * records the function's CFA: the address just above the slot that holds
 * its return address, which is the hooks' `site` argument. The slot is
 * found by looking up the stack from the hook's frame for that value, once
 * per context (the offset is kept in the node's pad_ and checked with one
 * load on every later enter). A live caller's CFA is above its callee's; so
 * on enter, entries whose CFA is at or below the new function's are dead
 * and popped, except a caller that inlined this callee (same CFA, same
 * site; recursive inlining makes it the same function too, so a function
 * re-entered from the very call that a longjmp left stays nested). When the slot is not found (a frame over 4 KiB)
 * the hook's own frame address stands in for the CFA. On exit, a function that is not on top is
 * looked up in the top 256 entries and everything above it is popped; an
 * exit for a function not found is ignored.
 *
 * Signal safety: a per-thread busy flag; hooks re-entered from a signal
 * handler that interrupted a hook are ignored (enters and exits alike, so
 * the stack stays balanced; calls_missed_in_signal_handlers counts the
 * ignored enters). No malloc, no locks, no syscalls on the hook
 * path except mmap at a thread's first hook. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kc_rt.h"

#ifndef KC_HOOK_VISIBILITY
#define KC_HOOK_VISIBILITY "default"
#endif
#define HOOK __attribute__((no_instrument_function, visibility(KC_HOOK_VISIBILITY)))

#define RESYNC_SEARCH 256
#define SP_WINDOW (1u << 20)  /* the frame-address rule only within 1 MiB (not across stacks) */
#define SCAN_MAX 4096         /* bytes looked through for the return-address slot */

void __cyg_profile_func_enter(void *fn, void *site) HOOK;
void __cyg_profile_func_exit(void *fn, void *site) HOOK;

static double g_c_self, g_c_child;  /* hook cost in ticks per call, measured */
static double g_nspt = 1.0;         /* ns per tick, refreshed by each snapshot */

KC_NOINST static void calls_values(const uint64_t *v, uint64_t calls, uint64_t child_calls, double *out)
{
    double ticks = (double)v[0] - (double)calls * g_c_self - (double)child_calls * g_c_child;
    out[0] = ticks > 0 ? ticks * g_nspt : 0;
}

KC_NOINST static void calls_meta(void (*add)(void *, const char *, const char *), void *ctx)
{
    char buf[64];
    g_nspt = kc_ns_per_tick();
    uint64_t trunc = 0, resync = 0, dropped = 0, missed = 0;
    for (kc_thread *t = kc_rt_threads(); t; t = t->next_all) {
        trunc += t->truncated;
        resync += t->resyncs;
        dropped += t->tree.dropped;
        missed += t->missed;
    }
    add(ctx, "clock", "tsc");
    snprintf(buf, sizeof buf, "%.6f", g_nspt);
    add(ctx, "tsc_ns_per_tick", buf);
    snprintf(buf, sizeof buf, "%.2f", g_c_self * g_nspt);
    add(ctx, "hook_cost_callee_ns", buf);
    snprintf(buf, sizeof buf, "%.2f", g_c_child * g_nspt);
    add(ctx, "hook_cost_caller_ns", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)trunc);
    add(ctx, "calls_truncated_depth", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)resync);
    add(ctx, "calls_resynced", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)dropped);
    add(ctx, "contexts_dropped", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)missed);
    add(ctx, "calls_missed_in_signal_handlers", buf);
}

static const kc_mode calls_mode = {
    .name = "calls",
    .ntypes = 1,
    .type_name = {"time"},
    .type_unit = {"nanoseconds"},
    .write_calls = 1,
    .need_stack = 1,
    .values = calls_values,
    .meta = calls_meta,
};

KC_NOINST static void calibrate(void);

KC_NOINST static kc_thread *slow_attach(void)
{
    if (!kc_rt_ready) {
        kc_rt_init(&calls_mode);
        calibrate();
    }
    return kc_thread_attach();
}

/* The new function's CFA: the slot holding `site` above the hook's frame
 * (fa), looked for up to SCAN_MAX bytes up (512 for the outermost frame,
 * near the top of the stack; not bounded by the top entry's CFA, which may
 * be stale: that is what is being decided). 0 when not found. */
KC_NOINST static uintptr_t find_cfa(uintptr_t fa, uint64_t site, int outermost)
{
    if (!site)
        return 0;
    uintptr_t end = fa + 16 + (outermost ? 512 : SCAN_MAX);
    for (uintptr_t a = fa + 16; a + 8 <= end; a += 8)
        if (*(const uint64_t *)a == site)
            return a + 8;
    return 0;
}

/* Pops dead frames: callers whose CFA is not above the new one's. */
KC_NOINST static uint32_t resync_enter(kc_thread *t, uint32_t d, uintptr_t cfa, uint64_t site)
{
    kc_frame *st = t->stack;
    while (d > 0) {
        const kc_frame *f = &st[d - 1];
        if (f->cfa > cfa || cfa - f->cfa >= SP_WINDOW)
            break;  /* above us (live), or on another stack */
        if (f->cfa == cfa && f->site == site)
            break;  /* we were inlined into it (recursion too): same frame */
        d--;
    }
    t->depth = d;
    return d;
}

KC_NOINST static void resync_exit(kc_thread *t, uint32_t d, uint64_t fn)
{
    kc_frame *st = t->stack;
    uint32_t lo = d > RESYNC_SEARCH ? d - RESYNC_SEARCH : 0;
    t->resyncs++;
    for (uint32_t i = d; i-- > lo;)
        if (st[i].fn == fn) {
            t->depth = i;
            return;
        }
}

void __cyg_profile_func_enter(void *fn, void *site)
{
    (void)site;
    kc_thread *t = kc_tls_self;
    if (KC_UNLIKELY((uintptr_t)t <= 1)) {
        if (t)
            return;
        t = slow_attach();
        if (!t)
            return;
    }
    if (KC_UNLIKELY(t->busy)) {
        t->missed++;  /* a signal handler interrupted a hook of this thread */
        return;
    }
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint64_t now = kc_tsc();
    uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
    uint64_t f64 = (uint64_t)(uintptr_t)fn, s64 = (uint64_t)(uintptr_t)site;
    kc_frame *st = t->stack;
    kc_node *nodes = t->tree.nodes;
    uint32_t d = t->depth, cur = d ? st[d - 1].node : 0, c = 0;
    uintptr_t cfa = 0;
    /* fast path: a known child of the top frame (the hot one first, then
     * its siblings, moved to the front), its CFA offset known and the top
     * frame above it */
    if (KC_LIKELY(d)) {
        c = kc_find_child(&t->tree, cur, f64);   /* checks the hot child first */
        if (KC_LIKELY(c && nodes[c].pad_)) {
            uintptr_t slot = fa + nodes[c].pad_;
            uintptr_t up = st[d - 1].cfa;
            if (KC_LIKELY(*(const uint64_t *)slot == s64 &&
                          (up > slot + 8 || (up == slot + 8 && st[d - 1].site == s64))))
                cfa = slot + 8;
        }
    }
    if (KC_UNLIKELY(!cfa)) {
        c = 0;
        cfa = find_cfa(fa, s64, d == 0);
        if (!cfa)
            cfa = fa;
        if (d) {
            d = resync_enter(t, d, cfa, s64);
            cur = d ? st[d - 1].node : 0;
        }
    }
    kc_add(&nodes[cur].v[0], now - t->last);
    t->last = now;
    if (KC_UNLIKELY(d >= KC_STACK_CAP || t->over)) {
        t->over++;
        t->truncated++;
    } else {
        if (!c) {
            c = kc_child(&t->tree, cur, f64);
            if (cfa != fa && cfa - fa - 8 < UINT32_MAX)
                nodes[c].pad_ = (uint32_t)(cfa - fa - 8);
        }
        kc_add(&nodes[c].calls, 1);
        st[d].fn = f64;
        st[d].cfa = cfa;
        st[d].site = s64;
        st[d].node = c;
        t->depth = d + 1;
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->busy = 0;
}

void __cyg_profile_func_exit(void *fn, void *site)
{
    (void)site;
    kc_thread *t = kc_tls_self;
    if (KC_UNLIKELY((uintptr_t)t <= 1) || KC_UNLIKELY(t->busy))
        return;
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint64_t now = kc_tsc();
    kc_frame *st = t->stack;
    uint32_t d = t->depth;
    uint32_t cur = d ? st[d - 1].node : 0;
    kc_add(&t->tree.nodes[cur].v[0], now - t->last);
    t->last = now;
    if (KC_UNLIKELY(t->over))
        t->over--;
    else if (KC_LIKELY(d && st[d - 1].fn == (uint64_t)(uintptr_t)fn))
        t->depth = d - 1;
    else if (d)
        resync_exit(t, d, (uint64_t)(uintptr_t)fn);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->busy = 0;
}

/* ---- calibration: the hooks' own cost, on a private tree ------------------------ */

#define CAL_N 20000
#define CAL_A ((void *)(uintptr_t)0x10)
#define CAL_B ((void *)(uintptr_t)0x20)

/* cal_children stands for the instrumented function CAL_B: the site it
 * passes is its own return address, as a compiled-in hook's would be. */
__attribute__((noinline, no_instrument_function)) static void cal_children(void)
{
    void *site = __builtin_return_address(0);
    for (int i = 0; i < CAL_N; i++) {
        __cyg_profile_func_enter(CAL_B, site);
        __asm__ volatile("" ::: "memory");
        __cyg_profile_func_exit(CAL_B, site);
    }
}

/* cal_parent stands for CAL_A, the caller of CAL_B. */
__attribute__((noinline, no_instrument_function)) static void cal_parent(void)
{
    void *site = __builtin_return_address(0);
    __cyg_profile_func_enter(CAL_A, site);
    cal_children();
    __cyg_profile_func_exit(CAL_A, site);
}

KC_NOINST static void calibrate(void)
{
    kc_thread *saved = kc_tls_self;
    kc_thread cal = {0};
    size_t nb = 64 * sizeof(kc_node), sb = 64 * sizeof(kc_frame);
    cal.tree.nodes = mmap(NULL, nb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cal.stack = mmap(NULL, sb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (cal.tree.nodes == MAP_FAILED || cal.stack == MAP_FAILED)
        return;
    double best_self = 1e30, best_child = 1e30;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 64; i++)
            cal.tree.nodes[i] = (kc_node){0};
        cal.tree.n = 1;
        cal.depth = 0;
        cal.last = kc_tsc();
        kc_tls_self = &cal;
        cal_parent();
        kc_tls_self = saved;
        uint32_t a = cal.tree.nodes[0].first_child;
        uint32_t b = a ? cal.tree.nodes[a].first_child : 0;
        if (!a || !b || cal.tree.nodes[b].calls != CAL_N)
            continue;
        double s = (double)cal.tree.nodes[b].v[0] / CAL_N, c = (double)cal.tree.nodes[a].v[0] / CAL_N;
        if (s < best_self)
            best_self = s;
        if (c < best_child)
            best_child = c;
    }
    kc_tls_self = saved;
    munmap(cal.tree.nodes, nb);
    munmap(cal.stack, sb);
    if (best_self < 1e30) {
        g_c_self = best_self;
        g_c_child = best_child;
    }
}

/* Under `kiln record --calls` (KILN_MODE=calls), the first process says so
 * when none of its functions called the hooks: the program was not built
 * with -finstrument-functions, and its profile is empty. Other processes
 * (forked children, exec'd images) and direct preloading stay silent. */
KC_NOINST static void say_if_no_hooks(void)
{
    const char *mode = getenv("KILN_MODE");
    if (!mode || strcmp(mode, "calls") != 0 || !kc_rt_is_root())
        return;
    for (kc_thread *t = kc_rt_threads(); t; t = t->next_all) {
        if (t->truncated || t->missed)
            return;
        uint32_t n = __atomic_load_n(&t->tree.n, __ATOMIC_ACQUIRE);
        for (uint32_t i = 1; i < n; i++)
            if (kc_load(&t->tree.nodes[i].calls))
                return;
    }
    char exe[512];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
    fprintf(stderr, "kiln: '%s': no function called the -finstrument-functions hooks (built without "
                    "-finstrument-functions? see `kiln cflags`); the profile has no calls\n", exe);
}

/* Preloaded or linked: start before main (lazy start in the first hook
 * covers instrumented constructors that run earlier). */
__attribute__((constructor, no_instrument_function)) static void calls_start(void)
{
    if (!kc_rt_ready) {
        kc_rt_init(&calls_mode);
        calibrate();
    }
    atexit(say_if_no_hooks);
}
