/* Known costly families, recognised from a frame's name and file, and the
 * fixed table of patterns behind every estimate.
 *
 * Python functions are recognised by the standard-library file they live in
 * (so a user function called "read" is not I/O); cProfile built-ins by the
 * module.name cProfile spells into "<built-in method time.sleep>" or
 * "<method 'acquire' of '_thread.lock' objects>"; native code by exact
 * libc/pthread symbol names. */
#include <string.h>

#include "analysis_internal.h"
#include "kiln/profile.h"

/* remaining = estimated fraction of the addressed time left after the change;
 * effort = estimated hours. Both are estimates, printed with every report. */
static const kiln_pattern_info pattern_table[KILN_PAT_COUNT_] = {
    [KILN_PAT_SLOW_LEAF] = {"slow-leaf", "Slow leaf node", 'D', 0.50, 8.0,
        "a function spends its time in its own code, with no expensive callee to blame",
        "reduce the work per call; move the function to compiled code (Cython, Numba or mypyc for "
        "Python; a better algorithm, vectorisation or PGO for native code)",
        "CPU-bound work inside the function itself"},
    [KILN_PAT_BUSY_JUNCTION] = {"busy-junction", "Busy junction", 'B', 0.80, 4.0,
        "a function whose time is spread over expensive children",
        "consolidate passes over the data so each child runs once per item",
        "the function orchestrates several expensive steps"},
    [KILN_PAT_RECURSION] = {"recursion", "Recursion blow-up", 'A', 0.10, 1.0,
        "plain recursion recomputes the same sub-problems: total calls far exceed primitive calls",
        "memoize the function (functools.lru_cache / functools.cache, or an explicit dict keyed by "
        "the arguments) or rewrite it bottom-up as a loop",
        "redundant computation: the same arguments are evaluated again and again"},
    [KILN_PAT_CALL_EXPLOSION] = {"call-explosion", "Call-count explosion", 'A', 0.50, 3.0,
        "a cheap function is called a very large number of times per call of its caller",
        "hoist invariant calls out of the loop, cache results for repeated arguments, or batch "
        "the work into one call over the whole collection",
        "per-call overhead multiplied by a huge call count"},
    [KILN_PAT_REGEX_COMPILE] = {"regex-compile", "Regular expression compiled in a hot path", 'C',
        0.05, 0.5,
        "re.compile (or a re.* helper that compiles) is called inside a loop",
        "compile each pattern once at module level (PATTERN = re.compile(...)) and reuse the "
        "compiled object; merge several field patterns into one pattern with named groups",
        "pattern compilation and cache lookups repeated on every call"},
    [KILN_PAT_IO] = {"io", "I/O in a hot path", 'A', 0.50, 6.0,
        "file, socket or database I/O performed item by item",
        "batch the I/O (read/write in large blocks, bulk queries), cache what is re-read, or overlap "
        "it with computation (async I/O, a thread pool)",
        "waiting on external I/O"},
    [KILN_PAT_SLEEP] = {"sleep", "Sleeping", 'A', 0.10, 1.0,
        "the program sleeps (fixed delays, polling loops)",
        "replace fixed sleeps and polling by waiting on the event itself (a condition, a future, "
        "select/poll), or shorten the delays",
        "time spent deliberately idle"},
    [KILN_PAT_LOCK] = {"lock", "Lock waits", 'D', 0.50, 8.0,
        "threads wait to acquire locks or conditions",
        "shrink the critical sections, shard the lock, or move the work to processes that share "
        "nothing (multiprocessing / message passing)",
        "contention: threads are serialised on a lock"},
    [KILN_PAT_ALLOC] = {"alloc", "Allocation", 'C', 0.70, 4.0,
        "memory allocation and release (or garbage collection) in a hot path",
        "reuse buffers and objects, preallocate, use generators instead of building large lists, "
        "or tune/avoid collection in the hot loop",
        "allocator and collector work proportional to the objects created"},
    [KILN_PAT_SERIALIZE] = {"serialize", "(De)serialisation", 'C', 0.50, 3.0,
        "JSON, pickle or marshal encoding/decoding in a hot path",
        "serialise once and reuse the result, keep data in native structures between steps, or "
        "switch to a faster codec for the hot path",
        "redundant serialisation work"},
    [KILN_PAT_NUMERIC_LOOP] = {"numeric-loop", "Python-level loop over numbers", 'C', 0.10, 6.0,
        "a Python loop calls scalar math built-ins once per element",
        "vectorise with NumPy (array expressions, ufuncs) or move the loop into compiled code",
        "interpreter overhead per element of a numeric loop"},
    [KILN_PAT_DOMINANT_CALLEE] = {"one-callee", "Time mostly in one callee", 'B', 0.50, 2.0,
        "almost all of a function's time is spent in one callee",
        "optimise that callee, or call it fewer times from here",
        "the cost lives in the callee, not in this function"},
    [KILN_PAT_LINEAR_SCAN] = {"linear-scan", "Linear scan or copy per call", 'B', 0.05, 1.0,
        "a leaf function costs far more per call than its size suggests: work grows with the data "
        "(list membership or index inside a loop, repeated string +=, copying)",
        "replace linear lookups by hashed ones (set or dict built once), build strings with "
        "list.append + ''.join, and keep an index instead of rescanning",
        "O(n) work per call or per loop iteration (O(n²) overall)"},
    [KILN_PAT_SUPERLINEAR] = {"superlinear", "Superlinear growth with input size", 'B', 0.10, 4.0,
        "the function's measured time grows faster than its input (time ∝ n^k with k well above 1, "
        "measured at several sizes)",
        "replace the step that makes it superlinear by a linear or n log n one: hashed lookups (set or "
        "dict) instead of nested scans, sort once and sweep, update results incrementally instead of "
        "recomputing them per item",
        "work per item grows with the number of items (nested loops over the data)"},
};

const kiln_pattern_info *kiln_pattern_info_get(kiln_pattern p)
{
    if ((int)p < 0 || p >= KILN_PAT_COUNT_)
        return NULL;
    return &pattern_table[p];
}

/* file is path/<base> with an optional directory: "re.py" matches "re.py"
 * and ".../re.py" but not "pre.py". */
static int file_is(const char *file, const char *base)
{
    size_t n = strlen(file), m = strlen(base);
    if (n < m || memcmp(file + n - m, base, m) != 0)
        return 0;
    return n == m || file[n - m - 1] == '/' || file[n - m - 1] == '\\';
}

static int in_list(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

static int has_any(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strstr(s, *list))
            return 1;
    return 0;
}

static kiln_pattern python_family(const char *name, const char *file)
{
    if ((file_is(file, "re/__init__.py") || file_is(file, "re.py")) &&
        (strcmp(name, "compile") == 0 || strcmp(name, "_compile") == 0))
        return KILN_PAT_REGEX_COMPILE;
    if ((file_is(file, "sre_compile.py") || file_is(file, "re/_compiler.py")) &&
        strcmp(name, "compile") == 0)
        return KILN_PAT_REGEX_COMPILE;
    if ((file_is(file, "sre_parse.py") || file_is(file, "re/_parser.py")) && strcmp(name, "parse") == 0)
        return KILN_PAT_REGEX_COMPILE;
    if (strstr(file, "/json/") || file_is(file, "pickle.py") || file_is(file, "_compat_pickle.py"))
        return KILN_PAT_SERIALIZE;
    if (file_is(file, "threading.py")) {
        static const char *const waits[] = {"wait", "acquire", "join", "_wait_for_tstate_lock", NULL};
        if (in_list(name, waits))
            return KILN_PAT_LOCK;
    }
    if (file_is(file, "socket.py") || file_is(file, "ssl.py") || strstr(file, "/http/") ||
        strstr(file, "/urllib/") || file_is(file, "subprocess.py"))
        return KILN_PAT_IO;
    if (strstr(file, "/asyncio/") && strcmp(name, "sleep") == 0)
        return KILN_PAT_SLEEP;
    return KILN_PAT_COUNT_;
}

static kiln_pattern builtin_family(const char *name)
{
    if (strstr(name, "time.sleep"))
        return KILN_PAT_SLEEP;
    if ((strstr(name, "_thread.") || strstr(name, "thread.lock")) &&
        (strstr(name, "acquire") || strstr(name, "wait")))
        return KILN_PAT_LOCK;
    static const char *const ser[] = {"_json.", "_pickle.", "cPickle.", "marshal.", NULL};
    if (has_any(name, ser))
        return KILN_PAT_SERIALIZE;
    static const char *const io[] = {"io.open", "_io.", "method posix.", "method nt.", "_socket.",
                                     "method select.", "_ssl.", "_sqlite3.", "builtins.open",
                                     "builtins.print", "builtins.input", "<open>", NULL};
    if (has_any(name, io))
        return KILN_PAT_IO;
    if (strstr(name, "gc.collect"))
        return KILN_PAT_ALLOC;
    static const char *const num[] = {"method math.", "method cmath.", "builtins.abs>", "builtins.pow>",
                                      "builtins.round>", "builtins.divmod>", "method _operator.",
                                      "<math.", "<abs>", "<pow>", "<round>", NULL};
    if (has_any(name, num))
        return KILN_PAT_NUMERIC_LOOP;
    return KILN_PAT_COUNT_;
}

/* Native symbols, matched exactly after removing glibc's internal prefixes. */
static kiln_pattern native_family(const char *name)
{
    static const char *const prefixes[] = {"__GI___libc_", "__GI___", "__libc_", "__", NULL};
    const char *base = name;
    for (const char *const *pre = prefixes; *pre; pre++) {
        size_t n = strlen(*pre);
        if (strncmp(name, *pre, n) == 0) {
            base = name + n;
            break;
        }
    }
    static const char *const sleep_syms[] = {"nanosleep", "clock_nanosleep", "usleep", "sleep", NULL};
    if (in_list(base, sleep_syms))
        return KILN_PAT_SLEEP;
    static const char *const lock_syms[] = {"pthread_mutex_lock", "pthread_cond_wait", "pthread_cond_timedwait",
                                            "lll_lock_wait", "lll_lock_wait_private", "futex_wait",
                                            "futex_abstimed_wait_common", "sem_wait", "pthread_rwlock_rdlock",
                                            "pthread_rwlock_wrlock", "pthread_join", NULL};
    if (in_list(base, lock_syms))
        return KILN_PAT_LOCK;
    static const char *const alloc_syms[] = {"malloc", "calloc", "realloc", "free", "cfree", "int_malloc",
                                             "int_free", "posix_memalign", "aligned_alloc", "mmap", "munmap",
                                             "brk", "sbrk", "_Znwm", "_Znam", "_ZdlPv", "_ZdaPv",
                                             "_ZdlPvm", "operator new", "operator delete", "je_malloc",
                                             "tc_malloc", "mi_malloc", NULL};
    if (in_list(base, alloc_syms) || strncmp(base, "_int_", 5) == 0)
        return KILN_PAT_ALLOC;
    static const char *const io_syms[] = {"read", "write", "pread64", "pwrite64", "readv", "writev", "open",
                                          "open64", "openat", "openat64", "close", "recv", "recvfrom",
                                          "recvmsg", "send", "sendto", "sendmsg", "poll", "ppoll",
                                          "epoll_wait", "epoll_pwait", "select", "pselect", "fsync",
                                          "fdatasync", "fread", "fwrite", "fflush", "stat", "fstat",
                                          "lstat", "statx", "getdents64", NULL};
    if (in_list(base, io_syms))
        return KILN_PAT_IO;
    return KILN_PAT_COUNT_;
}

kiln_pattern ki_family_of(const char *name, const char *file, int kind)
{
    if (!name || !*name)
        return KILN_PAT_COUNT_;
    if (!file)
        file = "";
    if (kind == KILN_KIND_PYTHON)
        return python_family(name, file);
    if (kind == KILN_KIND_BUILTIN || name[0] == '<' || name[0] == '{')
        return builtin_family(name);
    return native_family(name);
}

kiln_pattern kiln_func_family(const kiln_profile *p, kiln_func_id f)
{
    const kiln_func *fn = kiln_profile_func_at(p, f);
    if (!fn)
        return KILN_PAT_COUNT_;
    const kiln_frame *fr = kiln_profile_frame_get(p, fn->frame);
    if (!fr)
        return KILN_PAT_COUNT_;
    return ki_family_of(kiln_profile_str(p, fr->name, NULL), kiln_profile_str(p, fr->file, NULL),
                        (int)fr->kind);
}
