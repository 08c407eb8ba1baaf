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
 * records the hook's frame address. On enter, frames on the stack whose
 * recorded address is below the current one are dead (we are above them)
 * and are popped. Equal addresses are live: a callee inlined into its
 * caller calls the hooks from the caller's frame. On exit, a function that is not on top is
 * looked up in the top 256 entries and everything above it is popped; an
 * exit for a function not found is ignored.
 *
 * Signal safety: a per-thread busy flag; hooks re-entered from a signal
 * handler that interrupted a hook are ignored (enters and exits alike, so
 * the stack stays balanced). No malloc, no locks, no syscalls on the hook
 * path except mmap at a thread's first hook. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "kc_rt.h"

#ifndef KC_HOOK_VISIBILITY
#define KC_HOOK_VISIBILITY "default"
#endif
#define HOOK __attribute__((no_instrument_function, visibility(KC_HOOK_VISIBILITY)))

#define RESYNC_SEARCH 256
#define SP_WINDOW (1u << 20)  /* the frame-address rule only within 1 MiB (not across stacks) */

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
    uint64_t trunc = 0, resync = 0, dropped = 0;
    for (kc_thread *t = kc_rt_threads(); t; t = t->next_all) {
        trunc += t->truncated;
        resync += t->resyncs;
        dropped += t->tree.dropped;
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

/* Pops dead frames: those at or below the current frame address. */
KC_NOINST static uint32_t resync_enter(kc_thread *t, uint32_t d, uintptr_t sp)
{
    kc_frame *st = t->stack;
    while (d > 0 && st[d - 1].sp < sp && sp - st[d - 1].sp < SP_WINDOW)
        d--;
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
    if (KC_UNLIKELY(t->busy))
        return;
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint64_t now = kc_tsc();
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    kc_frame *st = t->stack;
    uint32_t d = t->depth, cur = 0;
    if (d) {
        if (KC_UNLIKELY(st[d - 1].sp < sp))
            d = resync_enter(t, d, sp);
        if (d)
            cur = st[d - 1].node;
    }
    kc_node *nodes = t->tree.nodes;
    kc_add(&nodes[cur].v[0], now - t->last);
    t->last = now;
    if (KC_UNLIKELY(d >= KC_STACK_CAP || t->over)) {
        t->over++;
        t->truncated++;
    } else {
        uint32_t c = kc_child(&t->tree, cur, (uint64_t)(uintptr_t)fn);
        kc_add(&nodes[c].calls, 1);
        st[d].fn = (uint64_t)(uintptr_t)fn;
        st[d].sp = sp;
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

__attribute__((noinline, no_instrument_function)) static void cal_children(void)
{
    for (int i = 0; i < CAL_N; i++) {
        __cyg_profile_func_enter(CAL_B, 0);
        __asm__ volatile("" ::: "memory");
        __cyg_profile_func_exit(CAL_B, 0);
    }
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
        __cyg_profile_func_enter(CAL_A, 0);
        cal_children();
        __cyg_profile_func_exit(CAL_A, 0);
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

/* Preloaded or linked: start before main (lazy start in the first hook
 * covers instrumented constructors that run earlier). */
__attribute__((constructor, no_instrument_function)) static void calls_start(void)
{
    if (!kc_rt_ready) {
        kc_rt_init(&calls_mode);
        calibrate();
    }
}
