/* The sampling signal handler and the ring it writes into. This file and
 * unwind.c are the "handler path": async-signal-safe by construction (no
 * malloc, no locks, no stdio); tests/record checks their undefined symbols
 * against an allowlist. */
#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <ucontext.h>

#include "collector.h"

__thread kc_thread *kc_self __attribute__((tls_model("initial-exec")));
_Atomic int kc_in_handler;
_Atomic uint64_t kc_fd_bits[KC_FD_BITS / 64];
_Atomic int kc_fds_lost;

int kc_ring_push(kc_ring *r, const uint64_t *frames, int n, uint32_t weight)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (KC_RING_WORDS - (head - tail) < (uint64_t)n + 1) {
        atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
        return -1;
    }
    r->words[head % KC_RING_WORDS] = (uint64_t)(uint32_t)n | (uint64_t)weight << 32;
    for (int i = 0; i < n; i++)
        r->words[(head + 1 + (uint64_t)i) % KC_RING_WORDS] = frames[i];
    atomic_store_explicit(&r->head, head + (uint64_t)n + 1, memory_order_release);
    atomic_fetch_add_explicit(&r->samples, 1, memory_order_relaxed);
    return 0;
}

static void regs_from_context(kc_regs *g, const ucontext_t *uc)
{
    static const int map[KC_NREGS] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
                                      REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                      REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP};
    for (int i = 0; i < KC_NREGS; i++)
        g->r[i] = (uint64_t)uc->uc_mcontext.gregs[map[i]];
    g->valid = (1u << KC_NREGS) - 1;
}

void kc_sample_handler(int sig, siginfo_t *si, void *ucv)
{
    int saved_errno = errno;
    /* seq_cst: pairs with the module snapshot's publication (modules.c) */
    atomic_fetch_add_explicit(&kc_in_handler, 1, memory_order_seq_cst);
    kc_thread *t = kc_self;
    atomic_signal_fence(memory_order_acquire);
    if (t && !atomic_load_explicit(&t->dead, memory_order_relaxed) &&
        atomic_load_explicit(&kc_g.sampling, memory_order_relaxed)) {
        uint32_t weight = 1;
        uint32_t ticks = atomic_exchange_explicit(&t->wall_ticks, 0, memory_order_relaxed);
        if (ticks > 1)
            weight = ticks;
        if (si && si->si_code == SI_TIMER && t->has_timer) {
            int over = timer_getoverrun(t->timer);
            if (over > 0)
                weight += (uint32_t)over;
        }
        kc_regs regs;
        uint64_t frames[KC_MAX_DEPTH];
        regs_from_context(&regs, (const ucontext_t *)ucv);
        int n = kc_unwind(&regs, t->stack_lo, t->stack_hi, frames, KC_MAX_DEPTH);
        if (n > 0)
            kc_ring_push(t->ring, frames, n, weight);
        /* not if the program closed the counter (its number may be the
         * program's file now) */
        int fd = t->perf_fd;
        if (fd >= 0 && kc_fd_is_ours(fd) && atomic_load_explicit(&kc_g.sampling, memory_order_acquire))
            ioctl(fd, PERF_EVENT_IOC_REFRESH, 1);
    }
    atomic_fetch_sub_explicit(&kc_in_handler, 1, memory_order_acq_rel);
    (void)sig;
    errno = saved_errno;
}
