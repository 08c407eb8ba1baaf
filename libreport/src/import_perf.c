/* Importer for `perf script` text (formats-interchange.md 1.2).
 *
 *   python3.10 18348 [001]   551.138837:     200040 cpu-clock:ppp:
 *   	           15c51 get_extended_indices+0x5c1 (inlined)
 *   	            1a303 _dl_sysdep_start+0x33 (/usr/lib/.../ld-linux-x86-64.so.2)
 *   	ffffffff8140a2c3 rcu_core+0x93 ([kernel.kallsyms])
 *   <blank line>
 *
 * Sample header: comm (may hold spaces: it ends before the first later token
 * that is all digits or digits/digits, the tid or pid/tid, as
 * stackcollapse-perf and speedscope anchor it), then in any order the
 * optional [cpu], time "secs.frac:", period (digits), and the event name
 * ("cpu-clock:ppp:", the first token ending in ':' that is not the time).
 * Anything after the event is either a single "addr sym (dso)" frame (no
 * call chain recorded) or a tracepoint payload (ignored).
 *
 * Stack lines (leaf first): indentation, hex address, "sym+0xoff", "(dso)".
 * The dso is the parenthesised group that closes the line, matched by
 * balancing parentheses, so "(/x.so (deleted))" and symbols holding " ("
 * split right. A frame is (name without +0xoff, dso); " (deleted)" is dropped
 * from the dso. Kinds: "(inlined)" -> inlined (module: the dso of the real
 * frame it was inlined into, the next non-inlined line), "[kernel.*]",
 * "*vmlinux", "*.ko" and other bracketed kernel module names -> kernel,
 * "/tmp/perf-N.map" and "[JIT ...]" -> jit, the rest native ("[unknown]"
 * symbols included: the name stays "[unknown]", the dso says where).
 * Lines that are not frames (srcline `file.c:12`, payloads) are ignored.
 *
 * Events: only one event is kept (opts->perf_event, matched with or without
 * its ":modifiers", else the first seen); samples of others are counted and
 * reported in one warning. Sample types: when the first kept sample has a
 * period, type 0 is the period (named after the event: "cpu-clock" in
 * nanoseconds for cpu-clock/task-clock, "count" otherwise; samples without a
 * period weigh 1) and type 1 is "samples" (count); without a period only
 * "samples". The process name is the root frame (kind process) unless
 * opts->perf_no_comm. `# cmdline :` and friends fill the metadata.
 *
 * A sample ends at a blank line, at the next header, or at end of input (the
 * last sample counts without a trailing blank line). Memory grows with
 * unique frames and stacks only; the hot path does no allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "text_import.h"

#define EVENT_MAX 256

enum { ST_NONE, ST_KEEP, ST_SKIP };

typedef struct perf_state {
    kiln_profile *p;
    const kiln_import_opts *opts;
    ki_slice_cache frames_cache;  /* "sym+0xoff (dso)" -> frame */
    ki_slice_cache comm_cache;    /* comm bytes -> process frame */
    ki_slice_cache dso_cache;     /* raw dso bytes -> module string, kind */
    uint32_t dso_memo[64];        /* direct-mapped: dso_cache index + 1, 0 = empty */
    uint32_t prev_entry;          /* frames_cache entry of the previous stack line */
    uint32_t first_entry;         /* ... of the first stack line of the last sample */
    ki_stack_build stack;
    kiln_frame_id *fids;          /* current sample, leaf first */
    uint32_t *inl;                /* per frame: cache entry of an inlined frame, or KILN_NONE */
    size_t n, cap;
    int has_inlined;              /* the current sample has inlined frames */
    int state;
    kiln_frame_id comm_frame;
    double weight;
    double time;        /* the sample's timestamp in seconds, or -1 */
    uint64_t sample_line;
    char event[EVENT_MAX];        /* the kept event ("" = not chosen yet) */
    int event_chosen;
    int ntypes;                   /* 0 until the first kept sample */
    uint64_t bad_lines, first_bad;
    const char *first_bad_why;
    uint64_t skipped, first_skipped;
    char skipped_event[EVENT_MAX];
    uint64_t empty_dropped;
    uint64_t samples;
} perf_state;

static inline int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline uint64_t load8(const char *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return v;
}

static inline int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void note_bad(perf_state *st, uint64_t line, const char *why)
{
    if (st->bad_lines++ == 0) {
        st->first_bad = line;
        st->first_bad_why = why;
    }
}

static int push(perf_state *st, kiln_frame_id f, uint32_t inl)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        kiln_frame_id *nf = realloc(st->fids, cap * sizeof *nf);
        if (!nf)
            return -1;
        st->fids = nf;
        uint32_t *ni = realloc(st->inl, cap * sizeof *ni);
        if (!ni)
            return -1;
        st->inl = ni;
        st->cap = cap;
    }
    st->fids[st->n] = f;
    st->inl[st->n] = inl;
    st->n++;
    return 0;
}

static int has_suffix(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && memcmp(s + n - k, suf, k) == 0;
}

static int has_prefix(const char *s, size_t n, const char *pre)
{
    size_t k = strlen(pre);
    return n >= k && memcmp(s, pre, k) == 0;
}

static kiln_frame_kind dso_kind(const char *d, size_t n)
{
    if (n == 7 && memcmp(d, "inlined", 7) == 0)
        return KILN_KIND_INLINED;
    if (has_prefix(d, n, "[kernel.") || has_suffix(d, n, "vmlinux") || has_suffix(d, n, ".ko"))
        return KILN_KIND_KERNEL;
    if (has_prefix(d, n, "/tmp/perf-") && has_suffix(d, n, ".map"))
        return KILN_KIND_JIT;
    if (has_prefix(d, n, "[JIT") || has_prefix(d, n, "[jit"))
        return KILN_KIND_JIT;
    if (n > 2 && d[0] == '[' && d[n - 1] == ']') {
        static const char *const user[] = {"[unknown]", "[vdso]", "[vsyscall]", "[vectors]",
                                           "[uprobes]", "[heap]", "[stack]", "[vvar]", NULL};
        for (int i = 0; user[i]; i++)
            if (n == strlen(user[i]) && memcmp(d, user[i], n) == 0)
                return KILN_KIND_NATIVE;
        if (has_prefix(d, n, "[anon"))
            return KILN_KIND_NATIVE;
        return KILN_KIND_KERNEL; /* a kernel module: [nf_conntrack] */
    }
    return KILN_KIND_NATIVE;
}

/* Splits "sym+0xoff (dso)" (n bytes, ending in ')') into the symbol without
 * its offset and the dso. Returns -1 when it is not a frame. */
static int split_frame(const char *key, size_t n, size_t *sym_len, const char **dso,
                       size_t *dso_len)
{
    size_t open = SIZE_MAX;
    if (n >= 2 && key[n - 2] != ')') { /* fast path: no nested group at the end */
        const char *q = memrchr(key, '(', n - 1);
        if (q && q > key && q[-1] == ' ')
            open = (size_t)(q - key);
    }
    if (open == SIZE_MAX) { /* "(/x.so (deleted))": balance the parentheses */
        int depth = 0;
        for (size_t j = n; j-- > 0;) {
            if (key[j] == ')')
                depth++;
            else if (key[j] == '(' && --depth == 0) {
                open = j;
                break;
            }
        }
        if (open == SIZE_MAX || open == 0 || key[open - 1] != ' ') {
            open = SIZE_MAX; /* unbalanced: fall back to the last " (" */
            for (size_t j = n; j-- > 1;)
                if (key[j] == '(' && key[j - 1] == ' ') {
                    open = j;
                    break;
                }
            if (open == SIZE_MAX)
                return -1;
        }
    }
    *dso = key + open + 1;
    *dso_len = n - open - 2;
    size_t sl = open;
    while (sl > 0 && is_blank(key[sl - 1]))
        sl--;
    /* Strip "+0x<hex>". */
    size_t j = sl;
    while (j > 0 && is_hex(key[j - 1]))
        j--;
    if (j < sl && j >= 3 && key[j - 1] == 'x' && key[j - 2] == '0' && key[j - 3] == '+')
        sl = j - 3;
    *sym_len = sl;
    return 0;
}

/* The dso_cache index of a raw dso slice ("/x.so (deleted)" keeps its raw
 * bytes as key; the module string drops " (deleted)"). KILN_NONE on OOM. */
static uint32_t dso_index(perf_state *st, const char *dso, size_t n)
{
    /* A handful of dsos fill a perf file: a tiny direct-mapped memo keyed on
     * the length and the last bytes answers almost every line. */
    uint64_t tail = 0;
    memcpy(&tail, dso + (n >= 8 ? n - 8 : 0), n >= 8 ? 8 : n);
    size_t slot = (size_t)(((tail ^ n) * 0x9e3779b97f4a7c15ull) >> 58);
    uint32_t m = st->dso_memo[slot];
    if (m) {
        const ki_slice_entry *e = &st->dso_cache.entries[m - 1];
        if (e->a_len == n && ki_bytes_eq(st->dso_cache.arena + e->key_off, dso, n))
            return m - 1;
    }
    uint64_t h = ki_slice_hash(dso, n);
    ki_slice_val *v = ki_slice_cache_find(&st->dso_cache, h, dso, n, NULL, 0);
    if (!v) {
        size_t mn = has_suffix(dso, n, " (deleted)") ? n - 10 : n;
        ki_slice_val nv;
        memset(&nv, 0, sizeof nv);
        nv.kind = dso_kind(dso, mn);
        nv.module = nv.kind == KILN_KIND_INLINED ? 0 : kiln_profile_intern(st->p, dso, mn);
        if (nv.module == KILN_NONE)
            return KILN_NONE;
        v = ki_slice_cache_add(&st->dso_cache, h, dso, n, NULL, 0, &nv);
        if (!v)
            return KILN_NONE;
    }
    uint32_t idx = ki_slice_cache_index(&st->dso_cache, v);
    st->dso_memo[slot] = idx + 1;
    return idx;
}

/* Resolves a frame seen for the first time into a cache value; -1 on OOM or
 * a limit. */
static int resolve_frame(perf_state *st, const char *sym, size_t sym_len, uint32_t dso,
                         ki_slice_val *v)
{
    const ki_slice_val *d = &st->dso_cache.entries[dso].val;
    kiln_frame f;
    memset(&f, 0, sizeof f);
    f.kind = d->kind;
    f.name = sym_len ? kiln_profile_intern(st->p, sym, sym_len)
                     : kiln_profile_intern(st->p, "[unknown]", 9);
    if (f.name == KILN_NONE)
        return -1;
    v->name = f.name;
    v->kind = f.kind;
    v->memo_module = KILN_NONE;
    v->memo_frame = KILN_NONE;
    v->next = KILN_NONE;
    v->next2 = KILN_NONE;
    v->module = d->module;
    if (f.kind == KILN_KIND_INLINED) {
        v->frame = KILN_NONE; /* resolved per sample: module of the host frame */
        return 0;
    }
    f.module = d->module;
    v->frame = kiln_profile_frame(st->p, &f);
    return v->frame == KILN_NONE ? -1 : 0;
}

/* A stack line from its address token on; s[0] is not blank. Returns 0, 1
 * when the line is not a frame (ignored), -1 on OOM/limit. */
static int stack_line(perf_state *st, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_hex(s[i]))
        i++;
    if (i == 0 || i == n || !is_blank(s[i]))
        return 1;
    while (i < n && is_blank(s[i]))
        i++;
    size_t e = n;
    while (e > i && is_blank(s[e - 1]))
        e--;
    if (e <= i || s[e - 1] != ')')
        return 1;
    if (st->n >= KILN_MAX_DEPTH)
        return -1;
    const char *key = s + i, *dso;
    size_t sym_len, dso_len;
    if (split_frame(key, e - i, &sym_len, &dso, &dso_len) < 0)
        return 1;
    uint32_t di = dso_index(st, dso, dso_len);
    if (di == KILN_NONE)
        return -1;
    const char *dk = (const char *)&di;
    /* Stacks repeat: try the frame that followed the previous line's frame
     * last time before hashing. */
    ki_slice_val *v = NULL;
    uint32_t preds[2] = {st->first_entry, KILN_NONE};
    if (st->prev_entry != KILN_NONE) {
        preds[0] = st->frames_cache.entries[st->prev_entry].val.next;
        preds[1] = st->frames_cache.entries[st->prev_entry].val.next2;
    }
    for (int k = 0; k < 2 && !v && preds[k] != KILN_NONE; k++) {
        const ki_slice_entry *pe = &st->frames_cache.entries[preds[k]];
        uint32_t pdi;
        memcpy(&pdi, st->frames_cache.arena + pe->key_off + pe->a_len, sizeof pdi);
        if (pe->a_len == sym_len && pdi == di &&
            ki_bytes_eq(st->frames_cache.arena + pe->key_off, key, sym_len))
            v = &st->frames_cache.entries[preds[k]].val;
    }
    uint64_t h = 0;
    if (!v) {
        h = ki_slice_hash(key, sym_len) ^ (di * 0x9e3779b97f4a7c15ull);
        v = ki_slice_cache_find(&st->frames_cache, h, key, sym_len, dk, sizeof di);
    }
    if (!v) {
        ki_slice_val tmp;
        if (resolve_frame(st, key, sym_len, di, &tmp) < 0)
            return -1;
        v = ki_slice_cache_add(&st->frames_cache, h, key, sym_len, dk, sizeof di, &tmp);
        if (!v) { /* uncacheable: resolve an inlined frame without module */
            if (tmp.kind == KILN_KIND_INLINED) {
                kiln_frame f;
                memset(&f, 0, sizeof f);
                f.name = tmp.name;
                f.kind = KILN_KIND_INLINED;
                tmp.frame = kiln_profile_frame(st->p, &f);
                if (tmp.frame == KILN_NONE)
                    return -1;
            }
            return push(st, tmp.frame, KILN_NONE);
        }
    }
    uint32_t idx = ki_slice_cache_index(&st->frames_cache, v);
    if (st->prev_entry == KILN_NONE) {
        st->first_entry = idx;
    } else {
        ki_slice_val *pv = &st->frames_cache.entries[st->prev_entry].val;
        if (pv->next != idx) { /* keep the two latest successors */
            pv->next2 = pv->next;
            pv->next = idx;
        }
    }
    st->prev_entry = idx;
    if (v->frame != KILN_NONE)
        return push(st, v->frame, KILN_NONE);
    st->has_inlined = 1;
    return push(st, KILN_NONE, idx);
}

static kiln_status add_types(perf_state *st, int with_period, const char *event, kiln_error *err)
{
    int ok = 1;
    if (with_period) {
        char base[EVENT_MAX];
        snprintf(base, sizeof base, "%s", event[0] ? event : "period");
        char *colon = strchr(base, ':');
        /* "cycles:u", "cpu-clock:ppp": drop the modifiers, keep "sched:x" */
        if (colon && colon[1] && strspn(colon + 1, "ukhpPGHIDSWe") == strlen(colon + 1))
            *colon = 0;
        const char *unit = strcmp(base, "cpu-clock") == 0 || strcmp(base, "task-clock") == 0
                               ? "nanoseconds"
                               : "count";
        ok = kiln_profile_add_sample_type(st->p, base, unit) == 0 &&
             kiln_profile_add_sample_type(st->p, "samples", "count") == 1;
        st->ntypes = 2;
    } else {
        ok = kiln_profile_add_sample_type(st->p, "samples", "count") == 0;
        st->ntypes = 1;
    }
    return ok ? KILN_OK : kiln_error_set(err, KILN_ERR_INTERNAL, "perf: cannot add sample types");
}

/* Ends the current sample: resolve inlined frames, add the stack. */
static kiln_status finish_sample(perf_state *st, kiln_error *err)
{
    int state = st->state;
    st->state = ST_NONE;
    if (state != ST_KEEP)
        return KILN_OK;
    /* Root to leaf: an inlined frame belongs to the module of the real frame
     * that follows it (the one nearer the root). */
    uint32_t module = 0;
    for (size_t i = st->has_inlined ? st->n : 0; i-- > 0;) {
        if (st->inl[i] == KILN_NONE) {
            const kiln_frame *f = kiln_profile_frame_get(st->p, st->fids[i]);
            module = f ? f->module : 0;
            continue;
        }
        ki_slice_val *v = &st->frames_cache.entries[st->inl[i]].val;
        if (v->memo_module != module || v->memo_frame == KILN_NONE) {
            kiln_frame f;
            memset(&f, 0, sizeof f);
            f.name = v->name;
            f.module = module;
            f.kind = KILN_KIND_INLINED;
            v->memo_frame = kiln_profile_frame(st->p, &f);
            v->memo_module = module;
            if (v->memo_frame == KILN_NONE)
                return kiln_error_set(err, KILN_ERR_LIMIT, "line %llu: too many frames",
                                      (unsigned long long)st->sample_line);
        }
        st->fids[i] = v->memo_frame;
    }
    if (!st->opts || !st->opts->perf_no_comm) {
        if (push(st, st->comm_frame, KILN_NONE) < 0)
            return kiln_error_set(err, KILN_ERR_NOMEM, "line %llu: out of memory",
                                  (unsigned long long)st->sample_line);
    }
    if (st->n == 0) {
        st->empty_dropped++;
        return KILN_OK;
    }
    kiln_node_id leaf = ki_stack_build_node(&st->stack, st->p, st->fids, st->n, 1);
    if (leaf == KILN_NONE)
        return kiln_error_set(err, KILN_ERR_LIMIT, "line %llu: out of memory or tree node limit",
                              (unsigned long long)st->sample_line);
    if (st->ntypes == 2) {
        kiln_profile_add_self(st->p, leaf, 0, st->weight);
        kiln_profile_add_self(st->p, leaf, 1, 1.0);
    } else {
        kiln_profile_add_self(st->p, leaf, 0, 1.0);
    }
    if (st->time >= 0)
        kiln_profile_timeline_add(st->p, st->time, leaf, st->ntypes == 2 ? st->weight : 1.0);
    st->samples++;
    return KILN_OK;
}

static int event_matches(const char *want, const char *ev, size_t n)
{
    size_t w = strlen(want);
    if (w == n && memcmp(want, ev, n) == 0)
        return 1;
    /* "cpu-clock" matches "cpu-clock:ppp" */
    return n > w && memcmp(want, ev, w) == 0 && ev[w] == ':';
}

static kiln_frame_id comm_frame(perf_state *st, const char *s, size_t n)
{
    uint64_t h = ki_slice_hash(s, n);
    ki_slice_val *v = ki_slice_cache_find(&st->comm_cache, h, s, n, NULL, 0);
    if (v)
        return v->frame;
    kiln_frame f;
    memset(&f, 0, sizeof f);
    f.name = kiln_profile_intern(st->p, s, n);
    if (f.name == KILN_NONE)
        return KILN_NONE;
    f.kind = KILN_KIND_PROCESS;
    kiln_frame_id id = kiln_profile_frame(st->p, &f);
    ki_slice_val nv = {id, f.name, 0, f.kind, 0, 0, KILN_NONE, KILN_NONE};
    if (id != KILN_NONE)
        ki_slice_cache_add(&st->comm_cache, h, s, n, NULL, 0, &nv);
    return id;
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

static int is_tid_token(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    if (!slash)
        return all_digits(s, n);
    size_t a = (size_t)(slash - s);
    return all_digits(s, a) && all_digits(slash + 1, n - a - 1);
}

static int is_time_token(const char *s, size_t n)
{
    if (n < 2 || s[n - 1] != ':')
        return 0;
    int dot = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == '.' && !dot)
            dot = 1;
        else if (!is_digit(s[i]))
            return 0;
    }
    return 1;
}

/* "12345.678901" (digits, at most one '.') as seconds; exact to the
 * nanosecond for perf's 9 decimals up to ~10^7 s of uptime. */
static double parse_time(const char *s, size_t n)
{
    uint64_t whole = 0, frac = 0, scale = 1;
    size_t i = 0;
    for (; i < n && s[i] != '.' && i < 18; i++)
        whole = whole * 10 + (uint64_t)(s[i] - '0');
    if (i < n && s[i] == '.')
        for (i++; i < n && scale < 1000000000000ull; i++) {
            frac = frac * 10 + (uint64_t)(s[i] - '0');
            scale *= 10;
        }
    return (double)whole + (double)frac / (double)scale;
}

/* A sample header line. Returns a status; malformed headers are noted. */
static kiln_status header_line(perf_state *st, const char *line, size_t len, uint64_t lineno,
                               kiln_error *err)
{
    /* Find the tid anchor: the first token after the first that is digits or
     * digits/digits. */
    size_t i = 0, comm_end = 0, anchor_end = 0;
    int tok_index = 0, found = 0;
    while (i < len) {
        while (i < len && is_blank(line[i]))
            i++;
        if (i >= len)
            break;
        size_t b = i;
        while (i < len && !is_blank(line[i]))
            i++;
        if (tok_index > 0 && is_tid_token(line + b, i - b)) {
            found = 1;
            anchor_end = i;
            break;
        }
        comm_end = i;
        tok_index++;
    }
    if (!found) {
        note_bad(st, lineno, "a sample header without a thread id");
        st->state = ST_SKIP;
        return KILN_OK;
    }
    /* Fields after the tid. */
    const char *event = "", *rest = NULL;
    size_t event_len = 0, rest_len = 0;
    int have_period = 0;
    double time = -1;
    double period = 0;
    i = anchor_end;
    while (i < len) {
        while (i < len && is_blank(line[i]))
            i++;
        if (i >= len)
            break;
        size_t b = i;
        while (i < len && !is_blank(line[i]))
            i++;
        const char *t = line + b;
        size_t tn = i - b;
        if (tn >= 2 && t[0] == '[' && t[tn - 1] == ']')
            continue; /* [cpu] */
        if (is_time_token(t, tn)) {
            if (st->opts && st->opts->keep_timeline)
                time = parse_time(t, tn - 1);
            continue;
        }
        if (all_digits(t, tn)) {
            uint64_t v = 0;
            for (size_t k = 0; k < tn && k < 19; k++)
                v = v * 10 + (uint64_t)(t[k] - '0');
            period = tn <= 19 ? (double)v : 1e19; /* capped, never wrapped */
            have_period = 1;
            continue;
        }
        if (t[tn - 1] == ':') {
            event = t;
            event_len = tn - 1;
            rest = line + i;
            rest_len = len - i;
            break;
        }
    }
    if (event_len >= EVENT_MAX)
        event_len = EVENT_MAX - 1;
    /* Event selection. */
    if (!st->event_chosen) {
        const char *want = st->opts && st->opts->perf_event ? st->opts->perf_event : NULL;
        if (want)
            snprintf(st->event, sizeof st->event, "%s", want);
        else
            snprintf(st->event, sizeof st->event, "%.*s", (int)event_len, event);
        st->event_chosen = 1;
    }
    if (!event_matches(st->event, event, event_len)) {
        if (st->skipped++ == 0) {
            st->first_skipped = lineno;
            snprintf(st->skipped_event, sizeof st->skipped_event, "%.*s", (int)event_len, event);
        }
        st->state = ST_SKIP;
        return KILN_OK;
    }
    if (st->ntypes == 0) {
        char evname[EVENT_MAX];
        snprintf(evname, sizeof evname, "%.*s", (int)event_len, event);
        kiln_status s = add_types(st, have_period, evname, err);
        if (s != KILN_OK)
            return s;
    }
    st->weight = have_period ? period : 1.0;
    st->time = time;
    st->sample_line = lineno;
    st->n = 0;
    st->has_inlined = 0;
    st->prev_entry = KILN_NONE;
    st->comm_frame = KILN_NONE;
    if (!st->opts || !st->opts->perf_no_comm) {
        st->comm_frame = comm_frame(st, line, comm_end);
        if (st->comm_frame == KILN_NONE)
            return kiln_error_set(err, KILN_ERR_NOMEM, "line %llu: out of memory",
                                  (unsigned long long)lineno);
    }
    st->state = ST_KEEP;
    /* No call chain: "event: addr sym (dso)" on the header line itself. */
    if (rest) {
        size_t k = 0;
        while (k < rest_len && is_blank(rest[k]))
            k++;
        if (k < rest_len && stack_line(st, rest + k, rest_len - k) < 0)
            return kiln_error_set(err, KILN_ERR_NOMEM, "line %llu: out of memory",
                                  (unsigned long long)lineno);
    }
    return KILN_OK;
}

static void comment_line(perf_state *st, const char *line, size_t len)
{
    static const struct {
        const char *prefix, *key;
    } keys[] = {{"# cmdline : ", KILN_META_COMMAND},
                {"# hostname : ", KILN_META_HOST},
                {"# os release : ", KILN_META_KERNEL},
                {"# cpudesc : ", KILN_META_CPU},
                {"# perf version : ", KILN_META_TOOL}};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        size_t pl = strlen(keys[k].prefix);
        if (len > pl && memcmp(line, keys[k].prefix, pl) == 0) {
            char val[1024];
            size_t vl = len - pl < sizeof val - 8 ? len - pl : sizeof val - 8;
            int is_tool = strcmp(keys[k].key, KILN_META_TOOL) == 0;
            snprintf(val, sizeof val, "%s%.*s", is_tool ? "perf " : "", (int)vl, line + pl);
            kiln_profile_meta_set(st->p, keys[k].key, val);
        }
    }
}

static void report_warnings(perf_state *st)
{
    if (!st->opts || !st->opts->warn)
        return;
    char msg[768];
    if (st->bad_lines) {
        snprintf(msg, sizeof msg, "line %llu: ignored %llu lines (first at line %llu): %s",
                 (unsigned long long)st->first_bad, (unsigned long long)st->bad_lines,
                 (unsigned long long)st->first_bad, st->first_bad_why);
        st->opts->warn(st->opts->warn_ctx, msg);
    }
    if (st->skipped) {
        snprintf(msg, sizeof msg,
                 "line %llu: skipped %llu samples of other events (first: '%s'); kept event '%s'",
                 (unsigned long long)st->first_skipped, (unsigned long long)st->skipped,
                 st->skipped_event, st->event);
        st->opts->warn(st->opts->warn_ctx, msg);
    }
    if (st->empty_dropped) {
        snprintf(msg, sizeof msg, "dropped %llu samples without frames",
                 (unsigned long long)st->empty_dropped);
        st->opts->warn(st->opts->warn_ctx, msg);
    }
}

kiln_status ki_import_perf(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p,
                           kiln_error *err)
{
    perf_state st;
    memset(&st, 0, sizeof st);
    st.p = p;
    st.opts = opts;
    ki_slice_cache_init(&st.frames_cache);
    ki_slice_cache_init(&st.comm_cache);
    ki_slice_cache_init(&st.dso_cache);
    st.prev_entry = KILN_NONE;
    st.first_entry = KILN_NONE;
    ki_stack_build_init(&st.stack);
    ki_stack_build_enable_memo(&st.stack);
    kiln_status status = KILN_OK;
    int strict = opts && opts->strict;
    const char *line;
    size_t len;
    int rc;
    while ((rc = ki_reader_line(r, &line, &len)) > 0) {
        uint64_t bad_before = st.bad_lines;
        char c = len ? line[0] : '\n';
        if (c == '\t' || c == ' ') {
            size_t i = 1;
            while (i + 8 <= len && load8(line + i) == 0x2020202020202020ull)
                i += 8; /* perf pads addresses with spaces */
            while (i < len && is_blank(line[i]))
                i++;
            if (i == len) {
                status = finish_sample(&st, err); /* whitespace-only: a blank line */
            } else if (st.state == ST_KEEP) {
                if (stack_line(&st, line + i, len - i) < 0)
                    status = kiln_error_set(err, KILN_ERR_LIMIT,
                                            "line %llu: out of memory or more than %u frames",
                                            (unsigned long long)r->line, KILN_MAX_DEPTH);
            } else if (st.state == ST_NONE) {
                note_bad(&st, r->line, "a stack line outside a sample");
            }
        } else if (c == '\n') {
            status = finish_sample(&st, err);
        } else if (c == '#') {
            comment_line(&st, line, len);
        } else {
            status = finish_sample(&st, err);
            if (status == KILN_OK)
                status = header_line(&st, line, len, r->line, err);
        }
        if (status != KILN_OK)
            break;
        if (strict && st.bad_lines != bad_before) {
            status = kiln_error_set(err, KILN_ERR_DATA, "line %llu: %s",
                                    (unsigned long long)r->line, st.first_bad_why);
            break;
        }
    }
    if (rc < 0 && status == KILN_OK)
        status = r->err && r->err->status != KILN_OK ? r->err->status : KILN_ERR_READ;
    if (status == KILN_OK)
        status = finish_sample(&st, err); /* the last sample needs no blank line */
    if (status == KILN_OK && st.ntypes == 0) {
        if (opts && opts->perf_event && st.skipped)
            status = kiln_error_set(err, KILN_ERR_DATA,
                                    "line %llu: no sample of event '%s' (first other event: '%s')",
                                    (unsigned long long)r->line, opts->perf_event,
                                    st.skipped_event);
        else
            status = add_types(&st, 0, "", err);
    }
    if (status == KILN_OK) {
        kiln_profile_meta_set(p, KILN_META_FORMAT, "perf");
        report_warnings(&st);
    }
    free(st.fids);
    free(st.inl);
    ki_slice_cache_release(&st.frames_cache);
    ki_slice_cache_release(&st.comm_cache);
    ki_slice_cache_release(&st.dso_cache);
    ki_stack_build_release(&st.stack);
    return status;
}

/* Bids on a header line ending in "event:" followed by an indented
 * "hex sym (dso)" line, or on perf's "# ========" / "# captured on" header. */
int ki_sniff_perf(const unsigned char *head, size_t len)
{
    const char *s = (const char *)head, *end = s + len;
    if ((len >= 10 && memcmp(s, "# ========", 10) == 0) ||
        (len >= 13 && memcmp(s, "# captured on", 13) == 0))
        return 85;
    int saw_header = 0, lines = 0;
    while (s < end && lines < 64) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) { /* a cut line: a stack line too long for the head? */
            size_t i = 0, n = (size_t)(end - s);
            while (i < n && is_blank(s[i]))
                i++;
            size_t h = i;
            while (i < n && is_hex(s[i]))
                i++;
            return saw_header && n && s[0] == '\t' && i > h && i < n && s[i] == ' ' ? 70 : 0;
        }
        size_t n = (size_t)(nl - s);
        if (n && s[n - 1] == '\r')
            n--;
        while (n && is_blank(s[n - 1]))
            n--;
        lines++;
        if (n && !is_blank(s[0]) && s[0] != '#') {
            /* a header: some token after the first one is a thread id */
            saw_header = 0;
            for (size_t i = 0; i + 1 < n && !saw_header; i++)
                saw_header = is_blank(s[i]) && is_digit(s[i + 1]) && i > 0;
            if (saw_header && s[n - 1] == ':')
                saw_header = 2; /* "... cpu-clock:" */
        } else if (n && s[0] == '\t' && saw_header) {
            size_t i = 0;
            while (i < n && is_blank(s[i]))
                i++;
            size_t h = i;
            while (i < n && is_hex(s[i]))
                i++;
            if (i > h && i < n && s[i] == ' ' && s[n - 1] == ')')
                return 90;
        } else if (n == 0 && saw_header == 2) {
            return 60; /* samples without call chains */
        }
        s = nl + 1;
    }
    return 0;
}
