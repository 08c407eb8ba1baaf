/* Wall-clock mode: a sampler thread ticks at the requested rate on
 * CLOCK_MONOTONIC and samples every registered thread, running or not. A
 * running thread gets the sampling signal (its handler unwinds itself). A
 * blocked thread is NOT signalled, since that would make sleep(), poll() or
 * read() return early with EINTR. The sampler reads the thread's user stack
 * pointer and pc from /proc/self/task/TID/syscall instead and unwinds that
 * thread's stack itself, into its own ring. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collector.h"

_Atomic uint64_t kc_wall_attempts;
static pthread_t wall_thread;
static int wall_running;
static _Atomic int wall_stop;
static kc_thread *wall_self; /* a pseudo-thread: just a ring */

static int read_syscall_regs(pid_t tid, uint64_t *sp, uint64_t *pc)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    kc_real_close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    if (strncmp(buf, "running", 7) == 0)
        return 1;
    /* "nr a1 a2 a3 a4 a5 a6 sp pc", or "-1 sp pc" when blocked outside a syscall */
    char *tok[10], *save = NULL;
    int k = 0;
    for (char *s = strtok_r(buf, " \n", &save); s && k < 10; s = strtok_r(NULL, " \n", &save))
        tok[k++] = s;
    if (k < 3)
        return -1;
    *sp = strtoull(tok[k - 2], NULL, 16);
    *pc = strtoull(tok[k - 1], NULL, 16);
    return 0;
}

static void sample_all(void)
{
    pthread_mutex_lock(&kc_g.reg_mu);
    for (kc_thread *t = kc_g.threads; t; t = t->next) {
        if (t->pseudo || atomic_load(&t->dead))
            continue;
        atomic_fetch_add(&kc_wall_attempts, 1);
        uint64_t sp = 0, pc = 0;
        int r = read_syscall_regs(t->tid, &sp, &pc);
        if (r == 1) {
            if (atomic_fetch_add(&t->wall_ticks, 1) == 0)
                syscall(SYS_tgkill, kc_g.pid, t->tid, kc_g.signo);
        } else if (r == 0 && pc) {
            kc_regs g;
            memset(&g, 0, sizeof g);
            g.r[KC_RSP] = sp;
            g.r[KC_RIP] = pc;
            g.valid = (1u << KC_RSP) | (1u << KC_RIP);
            uint64_t frames[KC_MAX_DEPTH];
            atomic_fetch_add(&kc_in_handler, 1); /* a module snapshot reader */
            int n = kc_unwind(&g, t->stack_lo, t->stack_hi, frames, KC_MAX_DEPTH);
            atomic_fetch_sub(&kc_in_handler, 1);
            if (n > 0)
                kc_ring_push(wall_self->ring, frames, n, 1);
        }
    }
    pthread_mutex_unlock(&kc_g.reg_mu);
}

static void *wall_main(void *arg)
{
    (void)arg;
    /* its /proc reads must not take (even for a moment) the lowest free
     * descriptor number the program is about to get */
    kc_fds_make_private();
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&wall_stop)) {
        next.tv_nsec += (long)kc_g.period_ns;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
        }
        if (atomic_load(&kc_g.sampling))
            sample_all();
    }
    return NULL;
}

int kc_wall_start(void)
{
    kc_thread *t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        return -1;
    t->ring = mmap(NULL, sizeof(kc_ring), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t->ring == MAP_FAILED)
        return -1;
    t->pseudo = 1;
    t->perf_fd = -1;
    pthread_mutex_lock(&kc_g.reg_mu);
    t->next = kc_g.threads;
    kc_g.threads = t;
    pthread_mutex_unlock(&kc_g.reg_mu);
    wall_self = t;
    atomic_store(&wall_stop, 0);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = kc_real_pthread_create(&wall_thread, NULL, wall_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    wall_running = rc == 0;
    return rc == 0 ? 0 : -1;
}

void kc_wall_stop(void)
{
    if (!wall_running)
        return;
    atomic_store(&wall_stop, 1);
    pthread_join(wall_thread, NULL);
    wall_running = 0;
    /* the writer frees the ring once drained */
    atomic_store(&wall_self->dead, 1);
}

/* After fork the sampler thread does not exist in the child. */
void kc_wall_after_fork_child(void)
{
    wall_running = 0;
    if (kc_g.mode == KC_MODE_WALL)
        kc_wall_start();
}
