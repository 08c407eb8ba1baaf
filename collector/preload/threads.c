/* Per-thread state: the ring, the stack bounds the unwinder trusts, a
 * sigaltstack for the fatal-signal handler, and the thread's CPU-time timer:
 * a perf_event software task-clock counter that signals this very thread
 * (F_SETSIG + F_SETOWN_EX), or a timer_create(CLOCK_THREAD_CPUTIME_ID) timer
 * when perf_event_open is refused. Never ITIMER_PROF: it is process-wide,
 * capped at the tick rate and survives exec. */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collector.h"

#define KC_ALTSTACK (64 * 1024)

static void stack_bounds(kc_thread *t)
{
    pthread_attr_t a;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        if (pthread_attr_getstack(&a, &addr, &size) == 0) {
            t->stack_lo = (uintptr_t)addr;
            t->stack_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&a);
    }
}

static void add_altstack(kc_thread *t)
{
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
        return; /* the program has its own */
    void *p = mmap(NULL, KC_ALTSTACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    stack_t ss = {.ss_sp = p, .ss_size = KC_ALTSTACK, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) == 0) {
        t->altstack = p;
        t->altstack_size = KC_ALTSTACK;
    } else {
        munmap(p, KC_ALTSTACK);
    }
}

kc_thread *kc_thread_register_self(void)
{
    kc_thread *t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        return NULL;
    t->ring = mmap(NULL, sizeof(kc_ring), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t->ring == MAP_FAILED) {
        munmap(t, sizeof *t);
        return NULL;
    }
    t->tid = (pid_t)syscall(SYS_gettid);
    t->perf_fd = -1;
    stack_bounds(t);
    add_altstack(t);
    pthread_mutex_lock(&kc_g.reg_mu);
    t->next = kc_g.threads;
    kc_g.threads = t;
    pthread_mutex_unlock(&kc_g.reg_mu);
    atomic_signal_fence(memory_order_release);
    kc_self = t;
    pthread_setspecific(kc_g.exit_key, t);
    if (kc_g.mode == KC_MODE_CPU)
        kc_thread_arm(t);
    return t;
}

static int open_perf(kc_thread *t)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.sample_period = kc_g.period_ns;
    attr.disabled = 1;
    attr.exclude_kernel = 1; /* allowed at perf_event_paranoid=2 */
    attr.exclude_hv = 1;
    int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -1;
    /* Out of the low numbers: a program that closed 0-2 and opens
     * /dev/null expects to get 0 back, not a number taken by us. */
    struct rlimit rl;
    if (fd < 256 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= 1024) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 256);
        if (high >= 0) {
            kc_real_close(fd);
            fd = high;
        }
    }
    if (fd >= KC_FD_BITS) {
        kc_real_close(fd);
        errno = EMFILE;
        return -1;
    }
    struct f_owner_ex own = {.type = F_OWNER_TID, .pid = t->tid};
    if (fcntl(fd, F_SETFL, O_ASYNC) < 0 || fcntl(fd, F_SETSIG, kc_g.signo) < 0 ||
        fcntl(fd, F_SETOWN_EX, &own) < 0) {
        kc_real_close(fd);
        return -1;
    }
    kc_fd_mark(fd, 1);
    return fd;
}

static int arm_timer(kc_thread *t)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = kc_g.signo;
    sev._sigev_un._tid = t->tid;
    /* that thread's CPU clock (what pthread_getcpuclockid gives), so the
     * timer can be made from another thread too */
    clockid_t clock = (clockid_t)((~(unsigned)t->tid << 3) | 6u);
    if (timer_create(clock, &sev, &t->timer) < 0)
        return -1;
    t->has_timer = 1;
    struct itimerspec its;
    its.it_interval.tv_sec = (time_t)(kc_g.period_ns / 1000000000u);
    its.it_interval.tv_nsec = (long)(kc_g.period_ns % 1000000000u);
    its.it_value = its.it_interval;
    return timer_settime(t->timer, 0, &its, NULL);
}

int kc_thread_arm(kc_thread *t)
{
    if (t->pseudo || atomic_load(&t->dead))
        return 0;
    if (t->perf_fd >= 0 && kc_fd_is_ours(t->perf_fd))
        return ioctl(t->perf_fd, PERF_EVENT_IOC_REFRESH, 1);
    t->perf_fd = -1; /* closed by the program, if it was set */
    if (t->has_timer) {
        struct itimerspec its;
        its.it_interval.tv_sec = (time_t)(kc_g.period_ns / 1000000000u);
        its.it_interval.tv_nsec = (long)(kc_g.period_ns % 1000000000u);
        its.it_value = its.it_interval;
        return timer_settime(t->timer, 0, &its, NULL);
    }
    if (kc_g.use_perf) {
        int fd = open_perf(t);
        if (fd >= 0) {
            t->perf_fd = fd;
            return ioctl(fd, PERF_EVENT_IOC_REFRESH, 1);
        }
        kc_g.use_perf = 0;
        kc_debug("perf_event_open refused (%s): using timer_create, capped at the tick rate",
                 strerror(errno));
    }
    return arm_timer(t);
}

void kc_thread_disarm(kc_thread *t)
{
    if (t->perf_fd >= 0 && kc_fd_is_ours(t->perf_fd))
        ioctl(t->perf_fd, PERF_EVENT_IOC_DISABLE, 0);
    if (t->has_timer) {
        struct itimerspec zero;
        memset(&zero, 0, sizeof zero);
        timer_settime(t->timer, 0, &zero, NULL);
    }
}

void kc_threads_disarm_all(void)
{
    pthread_mutex_lock(&kc_g.reg_mu);
    for (kc_thread *t = kc_g.threads; t; t = t->next)
        if (!atomic_load(&t->dead))
            kc_thread_disarm(t);
    pthread_mutex_unlock(&kc_g.reg_mu);
}

void kc_threads_rearm_all(void)
{
    if (kc_g.mode != KC_MODE_CPU)
        return;
    pthread_mutex_lock(&kc_g.reg_mu);
    for (kc_thread *t = kc_g.threads; t; t = t->next)
        if (!atomic_load(&t->dead))
            kc_thread_arm(t);
    pthread_mutex_unlock(&kc_g.reg_mu);
}

/* Moves every thread's timer to another signal (the program took ours). */
int kc_threads_retarget_signal(int signo)
{
    int ok = 0;
    pthread_mutex_lock(&kc_g.reg_mu);
    kc_g.signo = signo;
    for (kc_thread *t = kc_g.threads; t; t = t->next) {
        if (atomic_load(&t->dead) || t->pseudo)
            continue;
        if (t->perf_fd >= 0 && kc_fd_is_ours(t->perf_fd) && fcntl(t->perf_fd, F_SETSIG, signo) < 0)
            ok = -1;
        if (t->has_timer) {
            timer_delete(t->timer);
            t->has_timer = 0;
            if (kc_g.mode == KC_MODE_CPU && arm_timer(t) < 0)
                ok = -1;
        }
    }
    pthread_mutex_unlock(&kc_g.reg_mu);
    return ok;
}

/* Closes the thread's counter, unless the program already closed that
 * number (then it may be the program's file). */
void kc_thread_close_perf(kc_thread *t)
{
    int fd = t->perf_fd;
    t->perf_fd = -1;
    if (fd >= 0 && kc_fd_is_ours(fd)) {
        kc_fd_mark(fd, 0);
        kc_real_close(fd);
    }
}

void kc_threads_recover_lost(void)
{
    int n = 0;
    pthread_mutex_lock(&kc_g.reg_mu);
    for (kc_thread *t = kc_g.threads; t; t = t->next) {
        if (t->pseudo || atomic_load(&t->dead) || t->perf_fd < 0 || kc_fd_is_ours(t->perf_fd))
            continue;
        t->perf_fd = -1;
        if (kc_g.mode == KC_MODE_CPU && atomic_load(&kc_g.sampling) && !t->has_timer && arm_timer(t) == 0)
            n++;
    }
    pthread_mutex_unlock(&kc_g.reg_mu);
    if (n && !kc_g.note[0])
        snprintf(kc_g.note, sizeof kc_g.note,
                 "the program closed the collector's perf_event descriptors: %d thread(s) sampled "
                 "with timer_create from then on (at most the kernel tick rate)", n);
    if (n)
        kc_debug("re-armed %d thread(s) whose counter the program closed", n);
}

/* TSD destructor: the thread is exiting (returned or pthread_exit). */
void kc_thread_exit_cb(void *arg)
{
    kc_thread *t = arg;
    kc_self = NULL; /* from here the handler ignores this thread */
    atomic_signal_fence(memory_order_seq_cst);
    kc_thread_close_perf(t);
    if (t->has_timer) {
        timer_delete(t->timer);
        t->has_timer = 0;
    }
    if (t->altstack) {
        stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
        sigaltstack(&ss, NULL);
    }
    /* last: once dead is set the writer may free t */
    atomic_store(&t->dead, 1);
}
