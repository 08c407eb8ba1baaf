/* The process-level life of a collector (see kc_rt.h): start, per-thread
 * state, the output path, the writer thread (a snapshot every
 * KILN_FLUSH_MS, default 100 ms), the final snapshot at exit, fatal
 * signals (hand the flush to the writer thread, wait at most 2 s, then
 * chain to the previous disposition), fork (child resets and takes its own
 * file). Compiled without -finstrument-functions; every function is also
 * marked no_instrument_function in case someone adds the flag. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kc_maps.h"
#include "kc_rt.h"
#include "kc_snapshot.h"

__thread kc_thread *kc_tls_self __attribute__((tls_model("initial-exec")));
int kc_rt_ready;
void (*kc_rt_child_hook)(void);

#define DEAD ((kc_thread *)1)

static const kc_mode *g_mode;
static kc_thread *g_threads;
static pthread_key_t g_key;
static int g_init_state;              /* 0 no, 1 in progress, 2 done */
static char g_base[4096];             /* $KILN_OUTPUT made absolute */
static char g_path[4200];             /* this process's profile */
static pid_t g_pid;
static uint64_t g_tsc0, g_ns0;
static pthread_mutex_t g_snap_lock = PTHREAD_MUTEX_INITIALIZER;
static kc_maps g_maps;
static int g_req[2] = {-1, -1}, g_ack[2] = {-1, -1};
static int g_final, g_writer_on;
static int g_flush_ms = 100;
static uint64_t g_snapshots;
static struct sigaction g_old[65];
static const int g_fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS,
                              SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGXCPU, SIGXFSZ};

KC_NOINST static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

KC_NOINST double kc_ns_per_tick(void)
{
    uint64_t t = kc_tsc(), n = now_ns();
    if (n - g_ns0 < 2000000) {  /* under 2 ms of baseline: measure 2 ms now */
        uint64_t t1 = kc_tsc(), n1 = now_ns();
        while (now_ns() - n1 < 2000000) {
        }
        uint64_t t2 = kc_tsc(), n2 = now_ns();
        return t2 > t1 ? (double)(n2 - n1) / (double)(t2 - t1) : 1.0;
    }
    return t > g_tsc0 ? (double)(n - g_ns0) / (double)(t - g_tsc0) : 1.0;
}

KC_NOINST kc_thread *kc_rt_threads(void)
{
    return __atomic_load_n(&g_threads, __ATOMIC_ACQUIRE);
}

/* ---- per-thread state ----------------------------------------------------- */

KC_NOINST static void thread_exit(void *p)
{
    kc_thread *t = p;
    kc_tls_self = DEAD;
    t->depth = 0;
    t->over = 0;
    __atomic_store_n(&t->state, KC_T_DEAD, __ATOMIC_RELEASE);
}

KC_NOINST static void *map_zeroed(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

KC_NOINST kc_thread *kc_thread_attach(void)
{
    kc_thread *t = kc_tls_self;
    if (t == DEAD || !kc_rt_ready)
        return NULL;
    if (t)
        return t;
    kc_tls_self = DEAD;  /* anything re-entering during attach is ignored */
    for (t = kc_rt_threads(); t; t = t->next_all) {
        int dead = KC_T_DEAD;
        if (__atomic_load_n(&t->state, __ATOMIC_RELAXED) == KC_T_DEAD &&
            __atomic_compare_exchange_n(&t->state, &dead, KC_T_ALIVE, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            break;
    }
    if (!t) {
        t = map_zeroed(sizeof *t);
        if (!t)
            return NULL;  /* stays DEAD: this thread is not recorded */
        t->tree.nodes = map_zeroed((size_t)KC_NODE_CAP * sizeof(kc_node));
        t->stack = g_mode->need_stack ? map_zeroed((size_t)KC_STACK_CAP * sizeof(kc_frame)) : NULL;
        if (!t->tree.nodes || (g_mode->need_stack && !t->stack))
            return NULL;
        t->tree.n = 1;  /* the root */
        t->state = KC_T_ALIVE;
        kc_thread *head = kc_rt_threads();
        do
            t->next_all = head;
        while (!__atomic_compare_exchange_n(&g_threads, &head, t, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    }
    t->depth = 0;
    t->over = 0;
    t->busy = 0;
    t->last = kc_tsc();
    pthread_setspecific(g_key, t);
    kc_tls_self = t;
    return t;
}

/* ---- the output path ------------------------------------------------------- */

KC_NOINST static void set_base(void)
{
    const char *env = getenv("KILN_OUTPUT");
    char def[64];
    if (!env || !*env) {
        snprintf(def, sizeof def, "kiln-%s.kiln", g_mode->name);
        env = def;
    }
    if (env[0] == '/') {
        snprintf(g_base, sizeof g_base, "%s", env);
        return;
    }
    char cwd[2048];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(g_base, sizeof g_base, "%s", env);
    else
        snprintf(g_base, sizeof g_base, "%s/%s", cwd, env);
}

/* The first process takes the base path; later ones (forked children,
 * exec'd images) claim <base>.<pid>[.<n>] with O_EXCL. */
KC_NOINST static void claim_path(int forked)
{
    if (!forked && !getenv("KILN_ROOT_PID")) {
        char pid[32];
        snprintf(g_path, sizeof g_path, "%s", g_base);
        snprintf(pid, sizeof pid, "%d", (int)getpid());
        setenv("KILN_ROOT_PID", pid, 1);
        return;
    }
    for (int k = 0; k < 1000; k++) {
        if (k == 0)
            snprintf(g_path, sizeof g_path, "%s.%d", g_base, (int)getpid());
        else
            snprintf(g_path, sizeof g_path, "%s.%d.%d", g_base, (int)getpid(), k);
        int fd = open(g_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            close(fd);
            return;
        }
        if (errno != EEXIST)
            return;
    }
}

/* ---- snapshots ---------------------------------------------------------------- */

KC_NOINST static void add_meta(void (*add)(void *, const char *, const char *), void *ctx)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%d", (int)getpid());
    add(ctx, "pid", buf);
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            for (ssize_t i = 0; i < n - 1; i++)
                if (buf[i] == 0)
                    buf[i] = ' ';
            buf[n] = 0;
            add(ctx, "command", buf);
        }
    }
    if (gethostname(buf, sizeof buf - 1) == 0) {
        buf[sizeof buf - 1] = 0;
        add(ctx, "host", buf);
    }
    snprintf(buf, sizeof buf, "kiln-%s 0.1", g_mode->name);
    add(ctx, "tool", buf);
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        add(ctx, "timestamp", buf);
    add(ctx, "source_format", "kiln");
    if (g_mode->meta)
        g_mode->meta(add, ctx);
}

/* One snapshot under the lock; skipped after the final one. */
KC_NOINST static void snapshot(int final)
{
    kc_thread *self = kc_tls_self;
    kc_tls_self = DEAD;  /* the snapshot's own allocations are not the program's */
    pthread_mutex_lock(&g_snap_lock);
    if (!g_final && g_path[0]) {
        kc_maps_update(&g_maps);
        if (kc_snapshot_write(g_path, g_mode, kc_rt_threads(), &g_maps, add_meta) == 0)
            g_snapshots++;
        else if (getenv("KILN_DEBUG"))
            fprintf(stderr, "kiln: cannot write '%s'\n", g_path);
        if (final)
            g_final = 1;
    }
    pthread_mutex_unlock(&g_snap_lock);
    kc_tls_self = self;
}

KC_NOINST int kc_rt_is_root(void)
{
    return kc_rt_ready && getpid() == g_pid && strcmp(g_path, g_base) == 0;
}

KC_NOINST void kc_rt_flush(void)
{
    if (kc_rt_ready && getpid() == g_pid)  /* not in a vfork child */
        snapshot(0);
}

KC_NOINST static void at_exit(void)
{
    if (kc_rt_ready && getpid() == g_pid)
        snapshot(1);
}

/* ---- the writer thread ---------------------------------------------------------- */

KC_NOINST static void *writer_main(void *arg)
{
    (void)arg;
    kc_tls_self = DEAD;  /* its own allocations are not the program's */
    int first = 1;
    for (;;) {
        struct pollfd pf = {g_req[0], POLLIN, 0};
        int r = first ? 0 : poll(&pf, 1, g_flush_ms);
        first = 0;
        int requested = 0;
        if (r > 0 && (pf.revents & POLLIN)) {
            char c[16];
            requested = read(g_req[0], c, sizeof c) > 0;
        }
        snapshot(0);
        if (requested)
            (void)!write(g_ack[1], "k", 1);
    }
    return NULL;
}

KC_NOINST static void start_writer(void)
{
    if (pipe2(g_req, O_CLOEXEC) < 0 || pipe2(g_ack, O_CLOEXEC) < 0)
        return;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);  /* the thread starts with every signal blocked */
    pthread_t th;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    g_writer_on = pthread_create(&th, &a, writer_main, NULL) == 0;
    pthread_attr_destroy(&a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- fatal signals ------------------------------------------------------------- */

KC_NOINST static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    static int once;
    if (!__atomic_exchange_n(&once, 1, __ATOMIC_ACQ_REL) && g_writer_on && getpid() == g_pid) {
        if (write(g_req[1], "f", 1) == 1) {
            struct pollfd pf = {g_ack[0], POLLIN, 0};
            poll(&pf, 1, 2000);
        }
    }
    struct sigaction *old = &g_old[sig];
    if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
        old->sa_sigaction(sig, si, uc);
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
    } else {
        /* default action, with the status and core behaviour the program
         * would have had: restore and re-raise (delivered on return) */
        sigaction(sig, old, NULL);
        raise(sig);
    }
    errno = saved;
}

KC_NOINST static void install_signals(void)
{
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE)) {
        size_t sz = 64 * 1024;
        void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            ss.ss_sp = p;
            ss.ss_size = sz;
            ss.ss_flags = 0;
            sigaltstack(&ss, NULL);
        }
    }
    for (size_t i = 0; i < sizeof g_fatal / sizeof g_fatal[0]; i++) {
        int s = g_fatal[i];
        struct sigaction cur;
        if (sigaction(s, NULL, &cur) < 0 || cur.sa_handler == SIG_IGN)
            continue;  /* the program ignores it: leave it so */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fatal;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(s, &sa, &g_old[s]);
    }
}

/* ---- fork ------------------------------------------------------------------------- */

KC_NOINST static void fork_prepare(void)
{
    pthread_mutex_lock(&g_snap_lock);
}

KC_NOINST static void fork_parent(void)
{
    pthread_mutex_unlock(&g_snap_lock);
}

KC_NOINST static void fork_child(void)
{
    kc_thread *self = kc_tls_self;
    for (kc_thread *t = kc_rt_threads(); t; t = t->next_all) {
        uint32_t n = t->tree.n;
        for (uint32_t i = 0; i < n; i++) {
            t->tree.nodes[i].calls = 0;
            memset(t->tree.nodes[i].v, 0, sizeof t->tree.nodes[i].v);
        }
        t->tree.dropped = 0;
        t->truncated = t->resyncs = 0;
        if (t != self) {
            t->depth = 0;
            t->state = KC_T_DEAD;
        }
    }
    if (self && self != DEAD)
        self->last = kc_tsc();
    if (kc_rt_child_hook)
        kc_rt_child_hook();
    g_pid = getpid();
    g_final = 0;
    g_snapshots = 0;
    claim_path(1);
    close(g_req[0]), close(g_req[1]), close(g_ack[0]), close(g_ack[1]);
    g_writer_on = 0;
    pthread_mutex_unlock(&g_snap_lock);
    snapshot(0);
    start_writer();
}

/* ---- start ---------------------------------------------------------------------------- */

KC_NOINST void kc_rt_init(const kc_mode *mode)
{
    int expected = 0;
    if (!__atomic_compare_exchange_n(&g_init_state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;  /* done, or in progress (then this caller is ignored) */
    g_mode = mode;
    g_pid = getpid();
    g_tsc0 = kc_tsc();
    g_ns0 = now_ns();
    const char *ms = getenv("KILN_FLUSH_MS");
    if (ms && atoi(ms) > 0)
        g_flush_ms = atoi(ms);
    pthread_key_create(&g_key, thread_exit);
    set_base();
    claim_path(0);
    kc_maps_update(&g_maps);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    atexit(at_exit);
    if (!getenv("KILN_NO_SIGNALS"))
        install_signals();
    __atomic_store_n(&kc_rt_ready, 1, __ATOMIC_RELEASE);
    snapshot(0);  /* the file exists and reads from the start */
    start_writer();
    __atomic_store_n(&g_init_state, 2, __ATOMIC_RELEASE);
}
