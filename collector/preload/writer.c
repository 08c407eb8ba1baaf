/* The writer thread: every KC_FLUSH_MS it drains the per-thread rings, folds
 * the stacks into this process's calling-context tree (frames and nodes are
 * numbered as they first appear) and streams the new strings, frames, nodes,
 * values and maps as .kiln chunks (docs/format.md) with one write() each, so
 * a process that dies keeps everything up to the last flush. The final flush
 * adds the END chunk.
 *
 * The writer keeps its descriptors out of the program's reach: it unshares
 * its descriptor table (unshare(CLONE_FILES)) and closes its copies of the
 * program's descriptors, then opens the profile by the absolute path
 * resolved at start. A program that closes every descriptor (a daemon), dup2s
 * over them or calls closefrom cannot close the profile, and no descriptor of
 * the program can ever receive profile bytes. Wake-ups go through futexes,
 * not pipes, for the same reason. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "collector.h"
#include "kfile_chunk.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0"
#endif

/* ---- a small open-addressing map: (a, b) -> id ------------------------------- */
typedef struct slot {
    uint64_t a, b;
    uint32_t id; /* 0 = empty; stored as id + 1 */
} slot;
typedef struct pairmap {
    slot *s;
    size_t cap, n;
} pairmap;

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
}

static int pm_find(const pairmap *m, uint64_t a, uint64_t b, uint32_t *id)
{
    if (!m->cap)
        return 0;
    for (size_t i = mix(a, b) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->s[i].id)
            return 0;
        if (m->s[i].a == a && m->s[i].b == b) {
            *id = m->s[i].id - 1;
            return 1;
        }
    }
}

static int pm_put(pairmap *m, uint64_t a, uint64_t b, uint32_t id)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        slot *s = calloc(cap, sizeof *s);
        if (!s)
            return -1;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->s[i].id)
                continue;
            size_t j = mix(m->s[i].a, m->s[i].b) & (cap - 1);
            while (s[j].id)
                j = (j + 1) & (cap - 1);
            s[j] = m->s[i];
        }
        free(m->s);
        m->s = s;
        m->cap = cap;
    }
    size_t i = mix(a, b) & (m->cap - 1);
    while (m->s[i].id)
        i = (i + 1) & (m->cap - 1);
    m->s[i] = (slot){a, b, id + 1};
    m->n++;
    return 0;
}

/* ---- growable u64 arrays ------------------------------------------------------ */
typedef struct vec {
    uint64_t *v;
    size_t n, cap;
} vec;

static int vec_push(vec *x, uint64_t v)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 256;
        uint64_t *nv = realloc(x->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        x->v = nv;
        x->cap = cap;
    }
    x->v[x->n++] = v;
    return 0;
}

/* ---- writer state ------------------------------------------------------------- */
typedef struct wstate {
    int fd;                 /* -1 until the file is opened */
    int failed;             /* an I/O error: stop writing, keep the program running */
    ki_kfw w;
    uint64_t nstrings;      /* strings defined, not counting id 0 */
    uint64_t nframes, nnodes, nsamples;
    double total[2];
    pairmap frames;         /* (address, 0) -> frame id */
    pairmap nodes;          /* (parent, frame) -> node id (1-based; 0 is the root) */
    pairmap strings;        /* (hash, length) -> string id */
    pairmap maps;           /* (start, end ^ offset) -> emitted */
    vec new_frames;         /* addresses of frames not yet written */
    vec new_nodes;          /* parent << 32 | frame of nodes not yet written */
    uint64_t first_new_frame, first_new_node;
    uint64_t *acc;          /* per node: weight gathered since the last flush */
    size_t acc_cap;
    vec touched;            /* nodes with acc != 0 */
    uint64_t samples_seen, dropped_seen;
    double last_rate;
    struct timespec last_meta;
    int header_done;
    int note_done;
} wstate;

static wstate ws = {.fd = -1, .first_new_node = 1};
static pthread_mutex_t wr_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t writer_thread;
static int writer_running;
static int private_fds;            /* the writer's descriptor table is its own */
static _Atomic uint32_t wake_seq;  /* futex: bumped to wake the writer */
static _Atomic uint32_t done_flag; /* futex: 1 once the final flush is written */
static _Atomic uint32_t ready_flag; /* futex: 1 once the writer has set up */
static _Atomic int want_finish, want_maps;
static char start_time[32];

/* ---- futexes (async-signal-safe, no descriptors) ---------------------------- */
static void futex_wake(_Atomic uint32_t *w)
{
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}

/* Waits while *w == v, at most ms milliseconds (relative; may wake early). */
static void futex_wait_ms(_Atomic uint32_t *w, uint32_t v, int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, v, &ts, NULL, 0);
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Waits until *w becomes 1, at most timeout_ms. Returns 0 when it did. */
static int wait_flag(_Atomic uint32_t *w, int timeout_ms)
{
    double end = mono_ms() + timeout_ms;
    while (atomic_load(w) != 1) {
        double left = end - mono_ms();
        if (left <= 0)
            return -1;
        futex_wait_ms(w, 0, (int)left + 1);
    }
    return 0;
}

static void wake_writer(void)
{
    atomic_fetch_add(&wake_seq, 1);
    futex_wake(&wake_seq);
}

/* In the writer thread: a descriptor table of its own, holding none of the
 * program's descriptors (keeping one open would keep a pipe or socket the
 * program closed open). Fails softly: the writer then shares the table and
 * checks its descriptor before each flush (still_ours). */
int kc_fds_make_private(void)
{
    if (unshare(CLONE_FILES) != 0) {
        kc_debug("unshare(CLONE_FILES): %s: descriptors shared with the program", strerror(errno));
        return -1;
    }
    int keep = kc_g.debug ? 2 : -1; /* diagnostics go to stderr */
    if (keep == 2) {
        syscall(SYS_close_range, 0u, 1u, 0u);
        if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
            return 0;
    } else if (syscall(SYS_close_range, 0u, ~0u, 0u) == 0) {
        return 0;
    }
    struct rlimit rl;
    long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
    for (long fd = 0; fd < max; fd++)
        if (fd != keep)
            kc_real_close((int)fd);
    return 0;
}

/* Shared-table fallback only: is ws.fd still the profile the writer opened? */
static dev_t open_dev;
static ino_t open_ino;
static int still_ours(void)
{
    struct stat st;
    if (private_fds || ws.fd < 0)
        return 1;
    return fstat(ws.fd, &st) == 0 && st.st_dev == open_dev && st.st_ino == open_ino;
}

static int write_all(void *ctx, const void *data, size_t n)
{
    (void)ctx;
    const char *p = data;
    while (n) {
        ssize_t k = write(ws.fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void check_failed(void)
{
    if (ws.w.failed && !ws.failed) {
        ws.failed = 1;
        kc_debug("cannot write '%s': the profile stops here", kc_g.path);
    }
}

static uint64_t intern(const char *s)
{
    size_t len = strlen(s);
    if (!len)
        return 0;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    uint32_t id;
    if (pm_find(&ws.strings, h, len, &id))
        return id;
    ki_kfw_begin(&ws.w, KI_CHUNK_STRS);
    ki_kfw_varint(&ws.w, ws.nstrings + 1);
    ki_kfw_string(&ws.w, s, len);
    ki_kfw_end(&ws.w);
    ws.nstrings++;
    pm_put(&ws.strings, h, len, (uint32_t)ws.nstrings);
    return ws.nstrings;
}

static void emit_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return;
    atomic_fetch_add(&kc_in_handler, 1); /* a snapshot reader (build-ids) */
    const kc_modtab *tab = atomic_load(&kc_modules);
    char line[4400];
    /* strings first (a MAPS record may only name strings defined before) */
    vec recs = {0, 0, 0};
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off;
        char perms[8];
        int pos = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &lo, &hi, perms, &off, &pos) < 4 ||
            !strchr(perms, 'x'))
            continue;
        uint32_t dummy;
        if (pm_find(&ws.maps, lo, hi ^ (off << 1), &dummy))
            continue;
        pm_put(&ws.maps, lo, hi ^ (off << 1), 1);
        char *path = line + pos;
        while (*path == ' ')
            path++;
        path[strcspn(path, "\n")] = 0;
        const kc_module *m = tab ? kc_module_at(tab, (uintptr_t)lo) : 0;
        uint64_t pid_ = intern(path);
        uint64_t bid = m && m->build_id[0] ? intern(m->build_id) : 0;
        vec_push(&recs, lo);
        vec_push(&recs, hi);
        vec_push(&recs, off);
        vec_push(&recs, pid_);
        vec_push(&recs, bid);
    }
    atomic_fetch_sub(&kc_in_handler, 1);
    fclose(f);
    if (recs.n) {
        ki_kfw_begin(&ws.w, KI_CHUNK_MAPS);
        for (size_t i = 0; i < recs.n; i++)
            ki_kfw_varint(&ws.w, recs.v[i]);
        ki_kfw_end(&ws.w);
    }
    free(recs.v);
}

static void meta_pair(const char *k, const char *v)
{
    ki_kfw_string(&ws.w, k, strlen(k));
    ki_kfw_string(&ws.w, v, strlen(v));
}

static double delivered_rate(void)
{
    if (kc_g.mode == KC_MODE_WALL) {
        extern _Atomic uint64_t kc_wall_attempts;
        uint64_t att = atomic_load(&kc_wall_attempts);
        return att ? kc_g.hz * (double)ws.samples_seen / (double)att : 0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
    return cpu > 0 ? (double)ws.samples_seen / cpu : 0;
}

static void emit_rate(void)
{
    char buf[64];
    if (kc_g.note[0] && !ws.note_done) {
        ki_kfw_begin(&ws.w, KI_CHUNK_META);
        meta_pair("collector_note", kc_g.note);
        ki_kfw_end(&ws.w);
        ws.note_done = 1;
    }
    double r = delivered_rate();
    if (r == ws.last_rate)
        return;
    ws.last_rate = r;
    ki_kfw_begin(&ws.w, KI_CHUNK_META);
    snprintf(buf, sizeof buf, "%.1f", r);
    meta_pair("sampling_rate_hz", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)ws.dropped_seen);
    meta_pair("samples_dropped", buf);
    ki_kfw_end(&ws.w);
}

static void command_line(char *out, size_t cap)
{
    out[0] = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, out, cap - 1);
    kc_real_close(fd);
    if (n <= 0)
        return;
    out[n] = 0;
    for (ssize_t i = 0; i < n - 1; i++)
        if (!out[i])
            out[i] = ' ';
}

static int open_output(void)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND;
    if (kc_g.is_root) {
        snprintf(kc_g.path, sizeof kc_g.path, "%s", kc_g.base);
        ws.fd = open(kc_g.path, flags | O_TRUNC, 0644);
    } else {
        /* <base>.<pid>, or <base>.<pid>.<n> when this pid already wrote one
         * (an exec'd image, or a stale file) */
        for (int n = 1; n < 1000; n++) {
            if (n == 1)
                snprintf(kc_g.path, sizeof kc_g.path, "%s.%d", kc_g.base, (int)getpid());
            else
                snprintf(kc_g.path, sizeof kc_g.path, "%s.%d.%d", kc_g.base, (int)getpid(), n);
            ws.fd = open(kc_g.path, flags | O_EXCL, 0644);
            if (ws.fd >= 0 || errno != EEXIST)
                break;
        }
    }
    if (ws.fd < 0) {
        ws.failed = 1;
        kc_debug("cannot create '%s': %s", kc_g.path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(ws.fd, &st) == 0) {
        open_dev = st.st_dev;
        open_ino = st.st_ino;
    }
    kc_debug("writing %s", kc_g.path);
    ki_kfw_init(&ws.w, write_all, NULL);
    ki_kfw_file_header(&ws.w);

    char buf[4096];
    struct utsname u;
    uname(&u);
    ki_kfw_begin(&ws.w, KI_CHUNK_META);
    command_line(buf, sizeof buf);
    meta_pair("command", buf);
    meta_pair("host", u.nodename);
    meta_pair("kernel", u.release);
    meta_pair("timestamp", start_time);
    meta_pair("tool", "kiln record " KILN_VERSION);
    meta_pair("collector_mode", kc_g.mode == KC_MODE_WALL ? "wall" : "cpu");
    meta_pair("collector_timer", kc_g.mode == KC_MODE_WALL ? "wall-clock sampler thread"
                                 : kc_g.use_perf ? "perf_event task-clock"
                                                 : "timer_create(CLOCK_THREAD_CPUTIME_ID)");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)kc_g.period_ns);
    meta_pair("sampling_period_ns", buf);
    snprintf(buf, sizeof buf, "%d", (int)getpid());
    meta_pair("pid", buf);
    if (kc_g.note[0]) {
        meta_pair("collector_note", kc_g.note);
        ws.note_done = 1;
    }
    ki_kfw_end(&ws.w);

    ki_kfw_begin(&ws.w, KI_CHUNK_STYP);
    if (kc_g.mode == KC_MODE_WALL)
        meta_pair("wall", "nanoseconds");
    else
        meta_pair("cpu", "nanoseconds");
    meta_pair("samples", "count");
    ki_kfw_end(&ws.w);
    ws.header_done = 1;
    emit_maps();
    check_failed();
    return 0;
}

/* ---- folding stacks into the tree ------------------------------------------------ */

static int frame_id(uint64_t addr, uint32_t *id)
{
    if (pm_find(&ws.frames, addr, 0, id))
        return 0;
    *id = (uint32_t)ws.nframes;
    if (pm_put(&ws.frames, addr, 0, *id) < 0 || vec_push(&ws.new_frames, addr) < 0)
        return -1;
    ws.nframes++;
    return 0;
}

static int node_id(uint32_t parent, uint32_t frame, uint32_t *id)
{
    if (pm_find(&ws.nodes, parent, frame, id))
        return 0;
    *id = (uint32_t)(ws.nnodes + 1);
    if (pm_put(&ws.nodes, parent, frame, *id) < 0 ||
        vec_push(&ws.new_nodes, (uint64_t)parent << 32 | frame) < 0)
        return -1;
    ws.nnodes++;
    return 0;
}

static void add_sample(const uint64_t *frames, uint32_t n, uint32_t weight)
{
    uint32_t node = 0;
    for (uint32_t i = n; i-- > 0;) {
        uint32_t f;
        if (frame_id(frames[i], &f) < 0 || node_id(node, f, &node) < 0)
            return;
    }
    if (node >= ws.acc_cap) {
        size_t cap = ws.acc_cap ? ws.acc_cap : 1024;
        while (cap <= node)
            cap *= 2;
        uint64_t *a = realloc(ws.acc, cap * sizeof *a);
        if (!a)
            return;
        memset(a + ws.acc_cap, 0, (cap - ws.acc_cap) * sizeof *a);
        ws.acc = a;
        ws.acc_cap = cap;
    }
    if (!ws.acc[node])
        vec_push(&ws.touched, node);
    ws.acc[node] += weight;
    ws.samples_seen++;
}

static void drain_ring(kc_ring *r)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t frames[KC_MAX_DEPTH];
    while (tail < head) {
        uint64_t h = r->words[tail % KC_RING_WORDS];
        uint32_t n = (uint32_t)h, weight = (uint32_t)(h >> 32);
        if (n == 0 || n > KC_MAX_DEPTH || tail + 1 + n > head)
            break; /* cannot happen with one producer; do not trust it anyway */
        for (uint32_t i = 0; i < n; i++)
            frames[i] = r->words[(tail + 1 + i) % KC_RING_WORDS];
        add_sample(frames, n, weight);
        tail += 1 + n;
    }
    atomic_store_explicit(&r->tail, head, memory_order_release);
}

static void free_thread(kc_thread *t)
{
    ws.dropped_seen += atomic_load(&t->ring->dropped);
    munmap(t->ring, sizeof(kc_ring));
    if (t->altstack)
        munmap(t->altstack, t->altstack_size);
    munmap(t, sizeof *t);
}

static void drain_all(void)
{
    pthread_mutex_lock(&kc_g.reg_mu);
    kc_thread **pp = &kc_g.threads;
    while (*pp) {
        kc_thread *t = *pp;
        int dead = atomic_load(&t->dead);
        drain_ring(t->ring);
        if (dead) {
            *pp = t->next;
            free_thread(t);
        } else {
            pp = &t->next;
        }
    }
    pthread_mutex_unlock(&kc_g.reg_mu);
}

static void emit_pending(void)
{
    if (ws.failed)
        goto reset;
    if (!ws.new_frames.n && !ws.touched.n)
        return;
    if (ws.fd < 0 && open_output() < 0)
        goto reset;
    if (ws.new_frames.n) {
        ki_kfw_begin(&ws.w, KI_CHUNK_FRMS);
        ki_kfw_varint(&ws.w, ws.first_new_frame);
        for (size_t i = 0; i < ws.new_frames.n; i++) {
            if (ki_kfw_size(&ws.w) > KI_KF_SPLIT) {
                ki_kfw_begin(&ws.w, KI_CHUNK_FRMS);
                ki_kfw_varint(&ws.w, ws.first_new_frame + i);
            }
            /* name, file, module, line 0; kind native; absolute address */
            static const unsigned char zeros[4] = {0, 0, 0, 0};
            ki_kfw_bytes(&ws.w, zeros, 4);
            ki_kfw_varint(&ws.w, 1);
            ki_kfw_varint(&ws.w, ws.new_frames.v[i]);
        }
        ki_kfw_end(&ws.w);
    }
    if (ws.new_nodes.n) {
        ki_kfw_begin(&ws.w, KI_CHUNK_NODE);
        ki_kfw_varint(&ws.w, ws.first_new_node);
        for (size_t i = 0; i < ws.new_nodes.n; i++) {
            uint64_t id = ws.first_new_node + i;
            if (ki_kfw_size(&ws.w) > KI_KF_SPLIT) {
                ki_kfw_begin(&ws.w, KI_CHUNK_NODE);
                ki_kfw_varint(&ws.w, id);
            }
            uint64_t parent = ws.new_nodes.v[i] >> 32;
            ki_kfw_varint(&ws.w, id - parent);
            ki_kfw_varint(&ws.w, ws.new_nodes.v[i] & 0xffffffffu);
        }
        ki_kfw_end(&ws.w);
    }
    if (ws.touched.n) {
        ki_kfw_begin(&ws.w, KI_CHUNK_SAMP);
        for (size_t i = 0; i < ws.touched.n; i++) {
            if (ki_kfw_size(&ws.w) > KI_KF_SPLIT)
                ki_kfw_begin(&ws.w, KI_CHUNK_SAMP);
            uint64_t node = ws.touched.v[i];
            double count = (double)ws.acc[node];
            double ns = count * (double)kc_g.period_ns;
            ki_kfw_varint(&ws.w, node);
            ki_kfw_double(&ws.w, ns);
            ki_kfw_double(&ws.w, count);
            ws.total[0] += ns;
            ws.total[1] += count;
            ws.nsamples++;
            ws.acc[node] = 0;
        }
        ki_kfw_end(&ws.w);
    }
    check_failed();
reset:
    for (size_t i = 0; i < ws.touched.n; i++)
        ws.acc[ws.touched.v[i]] = 0;
    ws.touched.n = 0;
    ws.first_new_frame = ws.nframes;
    ws.first_new_node = ws.nnodes + 1;
    ws.new_frames.n = 0;
    ws.new_nodes.n = 0;
}

static void emit_end(void)
{
    if (ws.fd < 0 || ws.failed)
        return;
    emit_rate();
    ki_kfw_begin(&ws.w, KI_CHUNK_END);
    ki_kfw_varint(&ws.w, ws.w.chunks);
    ki_kfw_varint(&ws.w, ws.nstrings + 1);
    ki_kfw_varint(&ws.w, ws.nframes);
    ki_kfw_varint(&ws.w, ws.nnodes + 1);
    ki_kfw_varint(&ws.w, 0); /* functions */
    ki_kfw_varint(&ws.w, 0); /* edges */
    ki_kfw_varint(&ws.w, ws.nsamples);
    ki_kfw_double(&ws.w, ws.total[0]);
    ki_kfw_double(&ws.w, ws.total[1]);
    ki_kfw_end(&ws.w);
    check_failed();
}

/* close_fd: 0 when ws.fd is not the writer's to close (a forked child's
 * copy of the number, or a descriptor the program took over). */
static void release_state(int close_fd)
{
    if (ws.fd >= 0) {
        ki_kfw_release(&ws.w);
        if (close_fd)
            kc_real_close(ws.fd);
    }
    free(ws.frames.s);
    free(ws.nodes.s);
    free(ws.strings.s);
    free(ws.maps.s);
    free(ws.new_frames.v);
    free(ws.new_nodes.v);
    free(ws.acc);
    free(ws.touched.v);
    memset(&ws, 0, sizeof ws);
    ws.fd = -1;
    ws.first_new_node = 1;
}

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Shared-table fallback: the program closed or replaced the profile's
 * descriptor. Leave that number alone (it may be the program's file now) and
 * reopen the profile by its absolute path; it is appended to, so the stream
 * continues where it stopped. */
static void reacquire(void)
{
    if (still_ours())
        return;
    kc_debug("the program closed the profile descriptor: reopening '%s'", kc_g.path);
    ws.fd = open(kc_g.path, O_WRONLY | O_APPEND | O_CLOEXEC);
    struct stat st;
    if (ws.fd < 0 || fstat(ws.fd, &st) != 0) {
        ws.failed = 1;
        return;
    }
    open_dev = st.st_dev;
    open_ino = st.st_ino;
}

static void *writer_main(void *arg)
{
    (void)arg;
    private_fds = kc_fds_make_private() == 0;
    if (kc_g.is_root) {
        /* create the main profile at once, so it exists even if the program
         * is killed before the first flush */
        pthread_mutex_lock(&wr_mu);
        if (ws.fd < 0)
            open_output();
        pthread_mutex_unlock(&wr_mu);
    }
    atomic_store(&ready_flag, 1);
    futex_wake(&ready_flag);
    for (;;) {
        uint32_t seen = atomic_load(&wake_seq);
        pthread_mutex_lock(&wr_mu);
        if (ws.fd >= 0 && !ws.failed)
            reacquire();
        if (atomic_exchange(&kc_fds_lost, 0))
            kc_threads_recover_lost();
        int finish = atomic_load(&want_finish);
        if (atomic_exchange(&want_maps, 0) && ws.header_done && !ws.failed) {
            emit_maps();
            check_failed();
        }
        drain_all();
        emit_pending();
        if (!finish && ws.header_done && !ws.failed) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (since(&ws.last_meta, &now) >= 1.0) {
                ws.last_meta = now;
                /* modules loaded behind our back (NSS, iconv use glibc's
                 * internal dlopen) */
                kc_modules_refresh();
                kc_modules_reclaim(kc_readers_quiet);
                emit_maps();
                emit_rate();
                check_failed();
            }
        }
        if (finish) {
            if (ws.fd < 0 && kc_g.is_root && !ws.failed)
                open_output(); /* the main process always leaves a profile */
            if (ws.fd >= 0 && !ws.failed)
                emit_maps();
            emit_end();
            release_state(1);
            pthread_mutex_unlock(&wr_mu);
            atomic_store(&done_flag, 1);
            futex_wake(&done_flag);
            return NULL;
        }
        pthread_mutex_unlock(&wr_mu);
        if (atomic_load(&wake_seq) == seen)
            futex_wait_ms(&wake_seq, seen, KC_FLUSH_MS);
    }
}

int kc_writer_start(void)
{
    release_state(0); /* a finished writer closed it; a forked child never owned it */
    ws.failed = 0;
    atomic_store(&want_finish, 0);
    atomic_store(&want_maps, 0);
    atomic_store(&done_flag, 0);
    atomic_store(&ready_flag, 0);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(start_time, sizeof start_time, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* the writer takes no signals: the program's signal routing stays as it was */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = kc_real_pthread_create(&writer_thread, NULL, writer_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -1;
    writer_running = 1;
    wait_flag(&ready_flag, 2000);
    return 0;
}

int kc_writer_is_self(void)
{
    return writer_running && pthread_equal(pthread_self(), writer_thread);
}

int kc_writer_finish_wait(int timeout_ms)
{
    if (!writer_running || kc_writer_is_self())
        return -1;
    atomic_store(&want_finish, 1);
    wake_writer();
    return wait_flag(&done_flag, timeout_ms);
}

void kc_writer_join(void)
{
    if (writer_running && !kc_writer_is_self()) {
        pthread_join(writer_thread, NULL);
        writer_running = 0;
    }
}

void kc_writer_request_maps(void)
{
    atomic_store(&want_maps, 1);
    wake_writer();
}

void kc_writer_fork_prepare(void)
{
    pthread_mutex_lock(&wr_mu);
}

void kc_writer_fork_parent(void)
{
    pthread_mutex_unlock(&wr_mu);
}

/* In a forked child: the parent's tables and unflushed samples belong to the
 * parent's file. Start afresh (the child's file is created on its first
 * samples). */
void kc_writer_after_fork_child(void)
{
    pthread_mutex_unlock(&wr_mu);
    /* with a private writer table the number means nothing here (it may be
     * one of the program's descriptors); shared, it is our copy */
    release_state(!private_fds && still_ours());
    writer_running = 0;
    kc_writer_start();
}
