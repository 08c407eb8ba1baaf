/* Start, stop and the program's life events: configuration from KILN_*
 * variables, the constructor and destructor, and the libc functions the
 * collector interposes to follow the program: pthread_create (register the
 * thread), fork (the child gets its own file), exec* (flush, disarm, never
 * leave a signal that could kill the new image), dlopen/dlclose (refresh the
 * unwind tables and maps), _exit (flush first), sigaction/signal (cede the
 * sampling signal when the program wants it), close/closefrom/close_range/
 * dup2/dup3 (notice when the program closes a counter descriptor of ours),
 * and a flushing handler for fatal signals that re-raises them. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collector.h"

kc_global kc_g = {.reg_mu = PTHREAD_MUTEX_INITIALIZER, .signo = SIGPROF};
static _Atomic int shut_down;

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS,
                                    SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGXCPU, SIGXFSZ};
#define N_FATAL (int)(sizeof fatal_signals / sizeof fatal_signals[0])
static int fatal_installed[N_FATAL];

void kc_debug(const char *fmt, ...)
{
    if (!kc_g.debug)
        return;
    char buf[512];
    int n = snprintf(buf, sizeof buf, "kiln-preload[%d]: ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(buf);
    buf[len++] = '\n';
    ssize_t k = write(2, buf, len);
    (void)k;
}

/* ---- the real functions ---------------------------------------------------- */
#define REAL(type, name) \
    static type real_##name;  \
    static void *resolve_##name(void) { if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name); return (void *)real_##name; }

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*signal_fn)(int, sighandler_t);
typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef void *(*dlopen_fn)(const char *, int);
typedef int (*dlclose_fn)(void *);
typedef void (*exit_fn)(int);
typedef int (*close_fn)(int);
typedef void (*closefrom_fn)(int);
typedef int (*close_range_fn)(unsigned, unsigned, int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);

REAL(sigaction_fn, sigaction)
REAL(signal_fn, signal)
REAL(pthread_create_fn, pthread_create)
REAL(execve_fn, execve)
REAL(execv_fn, execv)
REAL(execv_fn, execvp)
REAL(execve_fn, execvpe)
REAL(fexecve_fn, fexecve)
REAL(dlopen_fn, dlopen)
REAL(dlclose_fn, dlclose)
REAL(exit_fn, _exit)
REAL(exit_fn, _Exit)
REAL(close_fn, close)
REAL(closefrom_fn, closefrom)
REAL(close_range_fn, close_range)
REAL(dup2_fn, dup2)
REAL(dup3_fn, dup3)

/* Resolved once at start: a vfork child or a signal handler calling a
 * wrapper must not be the first to run dlsym (loader lock, malloc). */
static void resolve_all(void)
{
    resolve_sigaction();
    resolve_signal();
    resolve_pthread_create();
    resolve_execve();
    resolve_execv();
    resolve_execvp();
    resolve_execvpe();
    resolve_fexecve();
    resolve_dlopen();
    resolve_dlclose();
    resolve__exit();
    resolve__Exit();
    resolve_close();
    resolve_closefrom();
    resolve_close_range();
    resolve_dup2();
    resolve_dup3();
    kc_sleep_resolve();
}

int kc_real_close(int fd)
{
    if (resolve_close())
        return real_close(fd);
    return (int)syscall(SYS_close, fd);
}

int kc_readers_quiet(void)
{
    for (int i = 0; i < 2000; i++) {
        if (atomic_load_explicit(&kc_in_handler, memory_order_seq_cst) == 0)
            return 1;
        sched_yield();
    }
    return 0;
}

int kc_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!resolve_sigaction())
        return (int)syscall(SYS_rt_sigaction, sig, act, old, 8); /* never reached on glibc */
    return real_sigaction(sig, act, old);
}

int kc_real_pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    if (!resolve_pthread_create())
        return EAGAIN;
    return real_pthread_create(th, attr, fn, arg);
}

/* ---- signals --------------------------------------------------------------- */

static int install_sampler(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = kc_sample_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    return kc_real_sigaction(sig, &sa, NULL);
}

static int disposition_free(int sig)
{
    struct sigaction cur;
    if (kc_real_sigaction(sig, NULL, &cur) < 0)
        return 0;
    return !(cur.sa_flags & SA_SIGINFO) && (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN);
}

/* A real-time signal nobody handles, avoiding the low ones libraries use. */
static int pick_free_signal(int avoid)
{
    for (int s = SIGRTMIN + 8; s < SIGRTMAX; s++)
        if (s != avoid && disposition_free(s))
            return s;
    return -1;
}

static int is_fault(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

static void fatal_handler(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    (void)uc;
    if (kc_g.active && getpid() == kc_g.pid && !atomic_exchange(&shut_down, 1)) {
        atomic_store(&kc_g.sampling, 0);
        kc_writer_finish_wait(1000); /* bounded: the writer may be stuck behind the crash */
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    kc_real_sigaction(sig, &dfl, NULL);
    /* A real fault happens again when the instruction is retried, now with
     * the default action (core dump included); anything sent is re-sent. */
    if (!is_fault(sig) || !si || si->si_code <= 0)
        syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
    errno = saved;
}

static void install_fatal_handlers(void)
{
    for (int i = 0; i < N_FATAL; i++) {
        struct sigaction cur;
        if (kc_real_sigaction(fatal_signals[i], NULL, &cur) < 0 || (cur.sa_flags & SA_SIGINFO) ||
            cur.sa_handler != SIG_DFL)
            continue; /* the program's own (or ignored): leave it alone */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = fatal_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        fatal_installed[i] = kc_real_sigaction(fatal_signals[i], &sa, NULL) == 0;
    }
}

/* The program installs a handler for our sampling signal: it is theirs. Move
 * sampling to a free real-time signal, or stop. */
static void cede_signal(int sig)
{
    if (!kc_g.active || sig != kc_g.signo)
        return;
    int ns = pick_free_signal(sig);
    if (ns > 0 && install_sampler(ns) == 0 && kc_threads_retarget_signal(ns) == 0) {
        snprintf(kc_g.note, sizeof kc_g.note,
                 "the program installed a handler for signal %d; sampling moved to signal %d", sig, ns);
    } else {
        atomic_store(&kc_g.sampling, 0);
        kc_threads_disarm_all();
        snprintf(kc_g.note, sizeof kc_g.note,
                 "the program installed a handler for signal %d and no free signal was left: "
                 "sampling stopped", sig);
    }
    kc_debug("%s", kc_g.note);
}

KC_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (act && kc_g.active && sig == kc_g.signo)
        cede_signal(sig);
    if (act && kc_g.active)
        for (int i = 0; i < N_FATAL; i++)
            if (fatal_signals[i] == sig)
                fatal_installed[i] = 0;
    return kc_real_sigaction(sig, act, old);
}

KC_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    if (kc_g.active && sig == kc_g.signo)
        cede_signal(sig);
    if (!resolve_signal())
        return SIG_ERR;
    return real_signal(sig, h);
}

/* ---- start and stop -------------------------------------------------------- */

static void shutdown_profile(int timeout_ms)
{
    if (!kc_g.active || getpid() != kc_g.pid || atomic_exchange(&shut_down, 1))
        return;
    atomic_store(&kc_g.sampling, 0);
    kc_wall_stop();
    kc_threads_disarm_all();
    if (kc_writer_finish_wait(timeout_ms) == 0)
        kc_writer_join();
}

static void fork_prepare(void)
{
    if (!kc_g.active)
        return;
    kc_writer_fork_prepare();
    pthread_mutex_lock(&kc_g.reg_mu);
}

static void fork_parent(void)
{
    if (!kc_g.active)
        return;
    pthread_mutex_unlock(&kc_g.reg_mu);
    kc_writer_fork_parent();
}

static void fork_child(void)
{
    if (!kc_g.active)
        return;
    kc_thread *self = kc_self;
    /* only the forking thread exists here; the other rings are copies of the
     * parent's and their samples are the parent's */
    for (kc_thread *t = kc_g.threads, *next; t; t = next) {
        next = t->next;
        kc_thread_close_perf(t); /* our copy, unless the program closed it */
        t->has_timer = 0;
        if (t == self)
            continue;
        munmap(t->ring, sizeof(kc_ring));
        if (t->altstack)
            munmap(t->altstack, t->altstack_size);
        munmap(t, sizeof *t);
    }
    kc_g.threads = NULL;
    pthread_mutex_unlock(&kc_g.reg_mu);
    kc_g.pid = getpid();
    kc_g.is_root = 0;
    atomic_store(&shut_down, 0);
    if (self) {
        atomic_store(&self->ring->head, 0);
        atomic_store(&self->ring->tail, 0);
        atomic_store(&self->ring->dropped, 0);
        self->tid = (pid_t)syscall(SYS_gettid);
        self->next = NULL;
        kc_g.threads = self;
    }
    kc_writer_after_fork_child();
    if (!self)
        kc_thread_register_self();
    else if (kc_g.mode == KC_MODE_CPU)
        kc_thread_arm(self);
    kc_wall_after_fork_child();
}

__attribute__((constructor)) static void kc_init(void)
{
    resolve_all();
    const char *out = getenv("KILN_OUTPUT");
    const char *mode = getenv("KILN_MODE");
    if (!out || !*out)
        return;
    if (!mode || !*mode || strcmp(mode, "cpu") == 0)
        kc_g.mode = KC_MODE_CPU;
    else if (strcmp(mode, "wall") == 0)
        kc_g.mode = KC_MODE_WALL;
    else
        return; /* another collector's mode */
    const char *dbg = getenv("KILN_DEBUG");
    kc_g.debug = dbg && *dbg && strcmp(dbg, "0") != 0;
    const char *hz = getenv("KILN_HZ");
    kc_g.hz = hz && *hz ? strtod(hz, NULL) : 100;
    if (!(kc_g.hz >= 1))
        kc_g.hz = 1;
    if (kc_g.hz > 20000)
        kc_g.hz = 20000;
    kc_g.period_ns = (uint64_t)(1e9 / kc_g.hz);
    kc_g.pid = getpid();
    if (out[0] == '/') {
        snprintf(kc_g.base, sizeof kc_g.base, "%s", out);
    } else {
        char cwd[2048];
        if (!getcwd(cwd, sizeof cwd))
            return;
        snprintf(kc_g.base, sizeof kc_g.base, "%s/%s", cwd, out);
    }
    /* The first process of a run writes KILN_OUTPUT itself; everything it
     * starts (fork children, exec'd images, spawned programs) inherits
     * KILN_ROOT_PID and writes KILN_OUTPUT.<pid>[.<n>]. */
    if (!getenv("KILN_ROOT_PID")) {
        char buf[32];
        snprintf(buf, sizeof buf, "%d", (int)kc_g.pid);
        setenv("KILN_ROOT_PID", buf, 1);
        kc_g.is_root = 1;
    }
    const char *timer = getenv("KILN_TIMER");
    kc_g.use_perf = !(timer && strcmp(timer, "posix") == 0);
    if (pthread_key_create(&kc_g.exit_key, kc_thread_exit_cb) != 0)
        return;
    if (!disposition_free(SIGPROF)) {
        int s = pick_free_signal(SIGPROF);
        if (s < 0)
            return;
        snprintf(kc_g.note, sizeof kc_g.note, "SIGPROF was taken; sampling with signal %d", s);
        kc_g.signo = s;
    }
    if (install_sampler(kc_g.signo) < 0)
        return;
    install_fatal_handlers();
    kc_modules_refresh();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    if (kc_writer_start() < 0)
        return;
    atomic_store(&kc_g.sampling, 1);
    kc_g.active = 1;
    kc_thread_register_self();
    if (kc_g.mode == KC_MODE_WALL)
        kc_wall_start();
    kc_debug("sampling %s at %.0f Hz (signal %d) into %s", kc_g.mode == KC_MODE_WALL ? "wall" : "cpu",
             kc_g.hz, kc_g.signo, kc_g.is_root ? kc_g.base : "<base>.<pid>");
}

__attribute__((destructor)) static void kc_fini(void)
{
    shutdown_profile(5000);
}

/* ---- threads ---------------------------------------------------------------- */

typedef struct tramp {
    void *(*fn)(void *);
    void *arg;
} tramp;

static void *thread_start(void *p)
{
    tramp t = *(tramp *)p;
    free(p);
    if (kc_g.active && !atomic_load(&shut_down))
        kc_thread_register_self();
    return t.fn(t.arg);
}

KC_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    if (!kc_g.active)
        return kc_real_pthread_create(th, attr, fn, arg);
    tramp *t = malloc(sizeof *t);
    if (!t)
        return kc_real_pthread_create(th, attr, fn, arg);
    t->fn = fn;
    t->arg = arg;
    int rc = kc_real_pthread_create(th, attr, thread_start, t);
    if (rc != 0)
        free(t);
    return rc;
}

/* ---- exec -------------------------------------------------------------------- */

/* Stops sampling so that no signal can reach the new image, and finishes
 * this image's profile. Returns 1 when a failed exec must restart it. */
static int before_exec(void)
{
    if (!kc_g.active || getpid() != kc_g.pid || atomic_load(&shut_down))
        return 0; /* not profiling, or a vfork child sharing our memory */
    int saved = errno;
    atomic_store(&kc_g.sampling, 0);
    kc_wall_stop();
    for (int i = 0; i < 1000 && atomic_load(&kc_in_handler) > 0; i++)
        sched_yield(); /* a handler past its check could re-enable its timer */
    kc_threads_disarm_all();
    /* SIG_IGN discards instances already pending; the new image then starts
     * with the default disposition as usual */
    struct sigaction ign, dfl;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    dfl = ign;
    dfl.sa_handler = SIG_DFL;
    kc_real_sigaction(kc_g.signo, &ign, NULL);
    atomic_store(&shut_down, 1);
    if (kc_writer_finish_wait(5000) == 0)
        kc_writer_join();
    kc_real_sigaction(kc_g.signo, &dfl, NULL);
    errno = saved;
    return 1;
}

static void after_failed_exec(int restart)
{
    if (!restart)
        return;
    int saved = errno;
    install_sampler(kc_g.signo);
    kc_g.is_root = 0; /* the continuation goes to <base>.<pid>[.<n>] */
    atomic_store(&shut_down, 0);
    if (kc_writer_start() == 0) {
        atomic_store(&kc_g.sampling, 1);
        kc_threads_rearm_all();
        if (kc_g.mode == KC_MODE_WALL)
            kc_wall_start();
    }
    errno = saved;
}

KC_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    int r = before_exec();
    int rc = resolve_execve() ? real_execve(path, argv, envp) : (errno = ENOSYS, -1);
    after_failed_exec(r);
    return rc;
}

KC_EXPORT int execv(const char *path, char *const argv[])
{
    int r = before_exec();
    int rc = resolve_execv() ? real_execv(path, argv) : (errno = ENOSYS, -1);
    after_failed_exec(r);
    return rc;
}

KC_EXPORT int execvp(const char *file, char *const argv[])
{
    int r = before_exec();
    int rc = resolve_execvp() ? real_execvp(file, argv) : (errno = ENOSYS, -1);
    after_failed_exec(r);
    return rc;
}

KC_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    int r = before_exec();
    int rc = resolve_execvpe() ? real_execvpe(file, argv, envp) : (errno = ENOSYS, -1);
    after_failed_exec(r);
    return rc;
}

KC_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    int r = before_exec();
    int rc = resolve_fexecve() ? real_fexecve(fd, argv, envp) : (errno = ENOSYS, -1);
    after_failed_exec(r);
    return rc;
}

/* execl, execlp, execle: collect the variadic arguments, then the v forms.
 * No malloc: a vfork child may call them (glibc's own use the stack). */
#define KC_ARGV_STACK 64

static size_t count_args(const char *arg0, va_list ap)
{
    if (!arg0)
        return 0;
    size_t n = 1;
    while (va_arg(ap, char *))
        n++;
    return n;
}

/* room for n + 1 pointers: the caller's stack array, or a fresh mapping */
static char **argv_space(char **stackv, size_t n)
{
    if (n + 1 <= KC_ARGV_STACK)
        return stackv;
    if (n > (SIZE_MAX / sizeof(char *)) - 1)
        return NULL;
    void *p = mmap(NULL, (n + 1) * sizeof(char *), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void argv_release(char **v, char **stackv, size_t n)
{
    if (v && v != stackv)
        munmap(v, (n + 1) * sizeof(char *));
}

/* v[0..n-1] from arg0 and ap, v[n] = NULL; consumes the terminating NULL */
static void fill_args(char **v, const char *arg0, va_list ap, size_t n)
{
    if (n == 0) {
        v[0] = NULL;
        return;
    }
    v[0] = (char *)arg0;
    for (size_t i = 1; i < n; i++)
        v[i] = va_arg(ap, char *);
    (void)va_arg(ap, char *);
    v[n] = NULL;
}

#define KC_EXECL_BODY(want_env, call)                               \
    va_list ap, cp;                                         \
    va_start(ap, arg);                                      \
    va_copy(cp, ap);                                        \
    size_t n = count_args(arg, cp);                         \
    va_end(cp);                                             \
    char *stackv[KC_ARGV_STACK];                            \
    char **v = argv_space(stackv, n);                       \
    if (!v) {                                               \
        va_end(ap);                                         \
        errno = E2BIG;                                      \
        return -1;                                          \
    }                                                       \
    fill_args(v, arg, ap, n);                               \
    char **envp = want_env ? va_arg(ap, char **) : NULL;    \
    va_end(ap);                                             \
    (void)envp;                                             \
    int rc = call;                                          \
    argv_release(v, stackv, n);                             \
    return rc;

KC_EXPORT int execl(const char *path, const char *arg, ...)
{
    KC_EXECL_BODY(0, execv(path, v))
}

KC_EXPORT int execlp(const char *file, const char *arg, ...)
{
    KC_EXECL_BODY(0, execvp(file, v))
}

KC_EXPORT int execle(const char *path, const char *arg, ...)
{
    KC_EXECL_BODY(1, execve(path, v, envp))
}

/* ---- dlopen, exit ------------------------------------------------------------- */

KC_EXPORT void *dlopen(const char *file, int mode)
{
    if (!resolve_dlopen())
        return NULL;
    void *h = real_dlopen(file, mode);
    if (h && kc_g.active && getpid() == kc_g.pid) {
        kc_modules_refresh();
        kc_modules_reclaim(kc_readers_quiet);
        kc_writer_request_maps();
    }
    return h;
}

/* The library may be unmapped inside the real dlclose while other threads
 * unwind: first publish a snapshot without any dlopen'ed module and wait for
 * the readers of the older one (modules.c). */
KC_EXPORT int dlclose(void *h)
{
    if (!resolve_dlclose())
        return -1;
    int ours = kc_g.active && getpid() == kc_g.pid;
    if (ours) {
        kc_modules_close_begin();
        kc_readers_quiet();
    }
    int rc = real_dlclose(h);
    if (ours) {
        kc_modules_close_end();
        kc_modules_reclaim(kc_readers_quiet);
    }
    return rc;
}

/* ---- descriptors: the program closing ours -------------------------------------- */

/* The program is about to close (or replace) [lo, hi]: forget our counters
 * among them first, so nothing of ours touches those numbers again; the
 * writer moves the threads concerned to timer_create. */
static void forget_fds(unsigned lo, unsigned hi)
{
    if (lo >= KC_FD_BITS)
        return;
    if (hi >= KC_FD_BITS)
        hi = KC_FD_BITS - 1;
    int any = 0;
    for (unsigned w = lo >> 6; w <= hi >> 6; w++) {
        if (!atomic_load_explicit(&kc_fd_bits[w], memory_order_relaxed))
            continue;
        for (unsigned fd = w << 6 > lo ? w << 6 : lo; fd <= hi && fd < (w + 1) << 6; fd++)
            if (kc_fd_is_ours((int)fd)) {
                kc_fd_mark((int)fd, 0);
                any = 1;
            }
    }
    if (any)
        atomic_store(&kc_fds_lost, 1);
}

KC_EXPORT int close(int fd)
{
    if (kc_fd_is_ours(fd))
        forget_fds((unsigned)fd, (unsigned)fd);
    return kc_real_close(fd);
}

KC_EXPORT void closefrom(int lowfd)
{
    forget_fds(lowfd < 0 ? 0u : (unsigned)lowfd, ~0u);
    if (resolve_closefrom())
        real_closefrom(lowfd);
    else
        syscall(SYS_close_range, lowfd < 0 ? 0u : (unsigned)lowfd, ~0u, 0);
}

KC_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
    if (!(flags & (int)CLOSE_RANGE_CLOEXEC) && first <= last)
        forget_fds(first, last);
    if (resolve_close_range())
        return real_close_range(first, last, flags);
    return (int)syscall(SYS_close_range, first, last, flags);
}

KC_EXPORT int dup2(int oldfd, int newfd)
{
    if (oldfd != newfd && kc_fd_is_ours(newfd))
        forget_fds((unsigned)newfd, (unsigned)newfd);
    if (resolve_dup2())
        return real_dup2(oldfd, newfd);
    return (int)syscall(SYS_dup2, oldfd, newfd);
}

KC_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    if (oldfd != newfd && kc_fd_is_ours(newfd))
        forget_fds((unsigned)newfd, (unsigned)newfd);
    if (resolve_dup3())
        return real_dup3(oldfd, newfd, flags);
    return (int)syscall(SYS_dup3, oldfd, newfd, flags);
}

KC_EXPORT __attribute__((noreturn)) void _exit(int status)
{
    shutdown_profile(1000);
    if (resolve__exit())
        real__exit(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

KC_EXPORT __attribute__((noreturn)) void _Exit(int status)
{
    shutdown_profile(1000);
    if (resolve__Exit())
        real__Exit(status);
    for (;;)
        syscall(SYS_exit_group, status);
}
