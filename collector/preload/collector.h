/* collector/preload: kiln's LD_PRELOAD sampling collector (libkiln-preload.so).
 *
 * Who does what:
 *   handler.c   the sampling signal handler (async-signal-safe; handler path)
 *   unwind.c    .eh_frame CFI interpreter + frame-pointer fallback (handler path)
 *   modules.c   the loaded modules and their unwind tables (never in the handler)
 *   threads.c   per-thread state, timers (perf_event task-clock / timer_create)
 *   wall.c      the wall-clock sampler thread
 *   sleep.c     sleeps the sampling signal cannot cut short
 *   writer.c    the writer thread: drains rings, aggregates, streams .kiln chunks
 *   lifecycle.c constructor/destructor, configuration, fork/exec/dlopen/_exit
 *               wrappers, fatal-signal flush
 * Everything here is internal: the library exports only the interposed libc
 * functions (built with -fvisibility=hidden). */
#ifndef KC_COLLECTOR_H
#define KC_COLLECTOR_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define KC_EXPORT __attribute__((visibility("default")))

#define KC_MAX_DEPTH 128        /* frames per sample, leaf first */
#define KC_RING_WORDS 16384     /* 128 KiB of u64 per thread */
#define KC_FLUSH_MS 50          /* the writer drains and streams at least this often */

/* ---- per-thread lock-free ring: one producer (the thread's signal handler,
 * or the wall sampler for its own ring), one consumer (the writer). A record
 * is one header word (frame count | weight << 32) and that many addresses. */
typedef struct kc_ring {
    _Atomic uint64_t head;     /* words produced (producer writes) */
    _Atomic uint64_t tail;     /* words consumed (consumer writes) */
    _Atomic uint64_t dropped;  /* samples lost because the ring was full */
    _Atomic uint64_t samples;  /* samples pushed */
    uint64_t words[KC_RING_WORDS];
} kc_ring;

/* ---- per-thread state ---------------------------------------------------- */
typedef struct kc_thread {
    kc_ring *ring;             /* mmap'd, freed by the writer once drained */
    pid_t tid;
    int perf_fd;               /* perf_event task-clock fd, or -1 */
    int has_timer;             /* timer_create fallback (or wall) in use */
    timer_t timer;
    uintptr_t stack_lo, stack_hi;
    void *altstack;            /* our sigaltstack (mmap'd) or NULL */
    size_t altstack_size;
    _Atomic int dead;          /* the thread has exited */
    int pseudo;                /* a ring without a thread (wall sampler) */
    _Atomic uint32_t wall_ticks; /* wall ticks signalled, not yet handled: a
                                  * thread waiting for a CPU gets one signal
                                  * for several ticks (signals coalesce) */
    struct kc_thread *next;    /* registry list, under kc_g.reg_mu */
} kc_thread;

extern __thread kc_thread *kc_self __attribute__((tls_model("initial-exec")));

/* ---- registers in DWARF x86-64 numbering ---------------------------------- */
enum { KC_RBX = 3, KC_RBP = 6, KC_RSP = 7, KC_RIP = 16, KC_NREGS = 17 };
typedef struct kc_regs {
    uint64_t r[KC_NREGS];
    uint32_t valid; /* bit i: r[i] is known */
} kc_regs;

/* ---- modules (unwind tables), published as immutable snapshots ----------- */
typedef struct kc_module {
    uintptr_t lo, hi;              /* executable address range */
    const uint8_t *hdr;            /* .eh_frame_hdr, NULL when absent */
    const uint8_t *table;          /* its binary-search table (datarel sdata4) */
    uint64_t fde_count;
    const uint8_t *mem_lo, *mem_hi; /* readable segment holding the unwind data */
    char build_id[129];            /* lowercase hex, "" when none */
    char path[256];
} kc_module;

typedef struct kc_modtab {
    int n;
    struct kc_modtab *older;       /* superseded snapshots are never freed */
    kc_module m[];
} kc_modtab;

extern _Atomic(kc_modtab *) kc_modules;

/* ---- configuration and global state -------------------------------------- */
enum { KC_MODE_CPU = 1, KC_MODE_WALL = 2 };

typedef struct kc_global {
    int active;                /* configured and running in this process */
    int mode;
    double hz;
    uint64_t period_ns;
    int signo;                 /* the sampling signal */
    int debug;
    pid_t pid;                 /* the process this state belongs to */
    int use_perf;              /* perf_event available (else timer_create) */
    char base[4096];           /* KILN_OUTPUT as given (absolute) */
    char path[4200];           /* this process's profile */
    int is_root;               /* writes KILN_OUTPUT itself */
    _Atomic int sampling;      /* the handler records only while set */
    pthread_mutex_t reg_mu;    /* the thread registry */
    kc_thread *threads;
    pthread_key_t exit_key;
    char note[256];            /* a warning for the profile's metadata */
} kc_global;

extern kc_global kc_g;

/* handler.c */
void kc_sample_handler(int sig, siginfo_t *si, void *uc);

/* The descriptors the collector holds in the program's table (the threads'
 * perf_event counters), one bit each: the close/dup2/closefrom wrappers clear
 * a bit before the program closes or replaces that descriptor, and the
 * collector never touches a number whose bit is clear. */
#define KC_FD_BITS 65536
extern _Atomic uint64_t kc_fd_bits[KC_FD_BITS / 64];
extern _Atomic int kc_fds_lost; /* the program closed one: threads.c re-arms */
static inline int kc_fd_is_ours(int fd)
{
    return fd >= 0 && fd < KC_FD_BITS &&
           ((atomic_load_explicit(&kc_fd_bits[fd >> 6], memory_order_acquire) >> (fd & 63)) & 1);
}
static inline void kc_fd_mark(int fd, int ours)
{
    if (fd < 0 || fd >= KC_FD_BITS)
        return;
    uint64_t bit = (uint64_t)1 << (fd & 63);
    if (ours)
        atomic_fetch_or(&kc_fd_bits[fd >> 6], bit);
    else
        atomic_fetch_and(&kc_fd_bits[fd >> 6], ~bit);
}
int kc_ring_push(kc_ring *r, const uint64_t *frames, int n, uint32_t weight);

/* unwind.c: fills out[] (leaf first; return addresses minus 1). Reads stack
 * memory only inside [stack_lo, stack_hi). Async-signal-safe. */
int kc_unwind(kc_regs *regs, uintptr_t stack_lo, uintptr_t stack_hi, uint64_t *out, int max);

/* modules.c */
void kc_modules_refresh(void);
const kc_module *kc_module_at(const kc_modtab *t, uintptr_t addr);
/* Around a dlclose: between the two, the published snapshot lists only the
 * modules loaded at start (never unmapped). */
void kc_modules_close_begin(void);
void kc_modules_close_end(void);
/* Frees the superseded snapshots when quiet() says no reader of any snapshot
 * is running (quiet is called with the refresh lock held). */
void kc_modules_reclaim(int (*quiet)(void));

/* threads.c */
kc_thread *kc_thread_register_self(void);
int kc_thread_arm(kc_thread *t);
void kc_thread_disarm(kc_thread *t);
void kc_threads_disarm_all(void);
void kc_threads_rearm_all(void);
int kc_threads_retarget_signal(int signo);
void kc_thread_exit_cb(void *arg);
/* Threads whose perf_event descriptor the program closed: sampled from now
 * on by a timer_create timer on the thread's CPU clock (no descriptor). */
void kc_threads_recover_lost(void);
void kc_thread_close_perf(kc_thread *t);

/* sleep.c: the real sleep functions, looked up at start */
void kc_sleep_resolve(void);

/* wall.c */
int kc_wall_start(void);
void kc_wall_stop(void);
void kc_wall_after_fork_child(void);

/* writer.c */
int kc_writer_start(void);
/* Asks the writer for a final flush (END) and waits up to timeout_ms. Safe in
 * a signal handler. Returns 0 when it completed. */
int kc_writer_finish_wait(int timeout_ms);
void kc_writer_join(void);
void kc_writer_request_maps(void);
/* In a collector thread: a descriptor table of its own, without the
 * program's descriptors (unshare(CLONE_FILES)). Returns 0 when done. */
int kc_fds_make_private(void);
void kc_writer_after_fork_child(void);
void kc_writer_fork_prepare(void);
void kc_writer_fork_parent(void);
int kc_writer_is_self(void);

/* lifecycle.c */
void kc_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kc_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int kc_real_pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int kc_real_close(int fd); /* the collector's own closes skip the close wrapper */
/* readers of the module snapshots right now: sampling handlers, the wall
 * sampler's unwinds, the writer's map records */
extern _Atomic int kc_in_handler;
int kc_readers_quiet(void); /* waits (bounded) for kc_in_handler == 0 */

#endif
