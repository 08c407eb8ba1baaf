/* collector/instrument/kc_rt.h: the process-level plumbing shared by the
 * instrumentation runtime (calls mode) and the allocation tracker (alloc
 * mode): per-thread state registry, the profile file and its snapshots, the
 * writer thread, fatal-signal, fork and exec handling.
 *
 * Output (docs/record.md): the profile goes to $KILN_OUTPUT (default
 * kiln-<mode>.kiln in the starting directory, made absolute at start). The
 * first process to start takes that path and sets KILN_ROOT_PID=<pid> in
 * its environment (as the sampling collector does); forked children and
 * exec'd images with the variable set
 * take the first free name of <path>.<pid>, <path>.<pid>.1, ... Every
 * snapshot is a complete .kiln file written to <file>.tmp.<pid> and renamed
 * over <file>, so the file is always readable: a SIGKILL loses at most one
 * flush interval (100 ms). */
#ifndef KC_RT_H
#define KC_RT_H

#include <stddef.h>
#include <stdint.h>

#include <time.h>

#include "kc_tree.h"

#define KC_MAXT 8

typedef struct kc_thread {
    kc_tree tree;
    struct kc_thread *next_all;  /* registry list (never unlinked) */
    int state;                   /* KC_T_ALIVE / KC_T_DEAD (adoptable) */
    int busy;                    /* inside a hook: re-entry from a signal is ignored */
    /* calls mode: the shadow stack */
    struct kc_frame *stack;
    uint32_t depth;              /* entries in use */
    uint32_t over;               /* frames entered beyond the stack cap */
    uint64_t last;               /* tsc of the previous hook */
    uint64_t truncated;          /* frames not recorded (depth cap) */
    uint64_t resyncs;            /* exits that did not match the top frame */
    uint64_t missed;             /* hooks ignored: re-entered from a signal handler */
    /* alloc mode */
    void *walk_cache;            /* the stack walker's rule cache (stack_walk.h) */
    uint64_t frees;              /* recorded frees of blocks it knew */
} kc_thread;

typedef struct kc_frame {
    uint64_t fn;
    uintptr_t cfa;   /* the address above the function's return-address slot */
    uint64_t site;   /* its call site (the hooks' second argument) */
    uint32_t node;
} kc_frame;

/* Shadow-stack depth: KILN_MAX_DEPTH (profile.h), the deepest stack a .kiln
 * reader accepts; calls deeper are counted in calls_truncated_depth. */
#define KC_STACK_CAP 1000000u
enum { KC_T_ALIVE = 1, KC_T_DEAD = 2 };

/* What a mode contributes to the snapshot. */
typedef struct kc_mode {
    const char *name;                 /* "calls" / "alloc" */
    int ntypes;
    const char *type_name[KC_MAXT];
    const char *type_unit[KC_MAXT];
    int write_calls;                  /* emit the CALL chunk */
    int need_stack;                   /* allocate a shadow stack per thread */
    /* Values of one merged context: v = summed counters, calls, calls of
     * its children. */
    void (*values)(const uint64_t *v, uint64_t calls, uint64_t child_calls, double *out);
    /* Extra metadata: calls add(key, value) for each pair. */
    void (*meta)(void (*add)(void *ctx, const char *k, const char *v), void *ctx);
} kc_mode;

/* Sets the mode and starts everything (idempotent, thread-safe). */
KC_HIDDEN void kc_rt_init(const kc_mode *mode);
/* 1 once kc_rt_init finished. */
KC_HIDDEN extern int kc_rt_ready;
/* The calling thread's state, created (or adopted) on first use; NULL while
 * the thread is exiting or the runtime is off. */
KC_HIDDEN kc_thread *kc_thread_attach(void);
/* 1 in the process that writes $KILN_OUTPUT itself (not a forked child or
 * an exec'd image writing <path>.<pid>). */
KC_HIDDEN int kc_rt_is_root(void);
/* Writes a snapshot now (not from a signal handler). */
KC_HIDDEN void kc_rt_flush(void);
/* Iterates the registry (for fork resets and snapshots). */
KC_HIDDEN kc_thread *kc_rt_threads(void);
/* Called in the child after fork, before the runtime restarts its writer:
 * the mode resets its own structures. */
KC_HIDDEN extern void (*kc_rt_child_hook)(void);
/* The calling thread's state pointer (initial-exec TLS); (kc_thread *)1
 * marks a thread that is exiting. */
extern __thread kc_thread *kc_tls_self __attribute__((tls_model("initial-exec"))) KC_HIDDEN;

static inline KC_NOINST uint64_t kc_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* Nanoseconds per tsc tick, measured between runtime start and now. */
KC_HIDDEN double kc_ns_per_tick(void);

#endif
