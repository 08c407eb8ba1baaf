/* Importer for Brendan Gregg's folded ("collapsed") stacks: `a;b;c 42`.
 *
 * Grammar, as flamegraph.pl reads it (formats-interchange.md 1.1):
 *   - the count is the last whitespace-separated token; everything before
 *     the one blank preceding it is the stack (as flamegraph.pl reads it),
 *     so names may hold spaces, trailing ones included;
 *   - frames are separated by ';', root first; empty names are kept
 *     (`a;;b` has a frame named ""), so the file round-trips;
 *   - blank lines and lines starting with '#' are skipped; CRLF is fine;
 *     the last line counts without a final newline; duplicates are summed.
 *
 * Counts: `[0-9]+(\.[0-9]*)?` only, like flamegraph.pl's pattern. Values are
 * doubles, so a 20-digit count larger than 2^64 is kept (rounded), never
 * wrapped; a count that does not fit a double (inf), a sign (`-5`, `+5`),
 * hex, exponents or an empty token make the line malformed. Malformed lines
 * are skipped and reported once: "ignored N lines (first at line L)", or are
 * an error in strict mode.
 *
 * Differential files (`stack before after`, difffolded.pl) are recognised by
 * their first data line: the profile then has two sample types, "after"
 * (type 0, what flamegraph.pl draws) and "before" (type 1).
 *
 * Streaming: one line at a time; memory grows with unique frames and stacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "text_import.h"

#define COUNT_TOKEN_MAX 400 /* longer digit strings overflow a double anyway */

typedef struct folded_state {
    kiln_profile *p;
    ki_slice_cache names;
    ki_stack_build stack;
    kiln_frame_id *frames;
    size_t nframes, cap;
    int ntypes;              /* 0 until the first data line decides 1 or 2 */
    uint64_t bad_lines, first_bad;
    const char *first_bad_why;
} folded_state;

static inline int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses a count token; 0 and *out set when it is one. */
static int parse_count(const char *s, size_t n, double *out)
{
    if (n == 0 || n > COUNT_TOKEN_MAX)
        return -1;
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (v < 100000000000000000ull) /* 1e17: no overflow below 19 digits */
            v = v * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (i == 0)
        return -1;
    if (i == n && i <= 17) {
        *out = (double)v;
        return 0;
    }
    if (i < n) {
        if (s[i] != '.')
            return -1;
        for (size_t j = i + 1; j < n; j++)
            if (s[j] < '0' || s[j] > '9')
                return -1;
    }
    char tmp[COUNT_TOKEN_MAX + 1];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    double d = strtod(tmp, NULL);
    if (!(d <= 1.7976931348623157e308)) /* inf */
        return -1;
    *out = d;
    return 0;
}

/* Splits line into stack and count token; 0 on success. */
static int split_count(const char *line, size_t len, size_t *stack_len, const char **tok,
                       size_t *tok_len)
{
    size_t e = len;
    while (e > 0 && is_blank(line[e - 1]))
        e--;
    size_t b = e;
    while (b > 0 && !is_blank(line[b - 1]))
        b--;
    if (b == 0)
        return -1;
    *tok = line + b;
    *tok_len = e - b;
    /* One blank separates stack and count; more belong to the last name, as
     * flamegraph.pl's /^(.*)\s+?(\d+(?:\.\d*)?)$/ reads it. */
    *stack_len = b - 1;
    return 0;
}

static void note_bad(folded_state *st, uint64_t line, const char *why)
{
    if (st->bad_lines++ == 0) {
        st->first_bad = line;
        st->first_bad_why = why;
    }
}

static kiln_frame_id frame_for(folded_state *st, const char *name, size_t n)
{
    uint64_t h = ki_slice_hash(name, n);
    ki_slice_val *v = ki_slice_cache_find(&st->names, h, name, n, NULL, 0);
    if (v)
        return v->frame;
    kiln_frame f;
    memset(&f, 0, sizeof f);
    f.name = kiln_profile_intern(st->p, name, n);
    if (f.name == KILN_NONE)
        return KILN_NONE;
    f.kind = KILN_KIND_UNKNOWN;
    kiln_frame_id id = kiln_profile_frame(st->p, &f);
    if (id == KILN_NONE)
        return KILN_NONE;
    ki_slice_val nv = {id, f.name, 0, f.kind, 0, 0, KILN_NONE, KILN_NONE};
    ki_slice_cache_add(&st->names, h, name, n, NULL, 0, &nv); /* on OOM: just uncached */
    return id;
}

static int push_frame(folded_state *st, kiln_frame_id f)
{
    if (st->nframes == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        kiln_frame_id *nf = realloc(st->frames, cap * sizeof *nf);
        if (!nf)
            return -1;
        st->frames = nf;
        st->cap = cap;
    }
    st->frames[st->nframes++] = f;
    return 0;
}

static kiln_status setup_types(folded_state *st, int two, kiln_error *err)
{
    st->ntypes = two ? 2 : 1;
    int ok = two ? kiln_profile_add_sample_type(st->p, "after", "count") == 0 &&
                       kiln_profile_add_sample_type(st->p, "before", "count") == 1
                 : kiln_profile_add_sample_type(st->p, "samples", "count") == 0;
    if (!ok)
        return kiln_error_set(err, KILN_ERR_INTERNAL, "folded: cannot add sample types");
    return KILN_OK;
}

/* One data line. Returns KILN_OK, or an error status (err set). A malformed
 * line is noted and skipped (OK). */
static kiln_status fold_line(folded_state *st, const char *line, size_t len, uint64_t lineno,
                             kiln_error *err)
{
    size_t stack_len, tok_len;
    const char *tok;
    double vals[2];
    if (split_count(line, len, &stack_len, &tok, &tok_len) < 0) {
        note_bad(st, lineno, "no count after the stack");
        return KILN_OK;
    }
    if (parse_count(tok, tok_len, &vals[0]) < 0) {
        note_bad(st, lineno, "the last token is not a count");
        return KILN_OK;
    }
    /* Differential form: a second count before the last one. */
    size_t s2_len, tok2_len;
    const char *tok2;
    double before;
    int has_two = stack_len > 0 && split_count(line, stack_len, &s2_len, &tok2, &tok2_len) == 0 &&
                  parse_count(tok2, tok2_len, &before) == 0;
    if (st->ntypes == 0) {
        kiln_status s = setup_types(st, has_two, err);
        if (s != KILN_OK)
            return s;
    }
    if (st->ntypes == 2) {
        if (!has_two) {
            note_bad(st, lineno, "one count in a two-column (differential) file");
            return KILN_OK;
        }
        stack_len = s2_len;
        vals[1] = before;
    }
    if (stack_len == 0) {
        note_bad(st, lineno, "empty stack");
        return KILN_OK;
    }
    st->nframes = 0;
    const char *p = line, *end = line + stack_len;
    for (;;) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *fe = semi ? semi : end;
        if (st->nframes >= KILN_MAX_DEPTH)
            return kiln_error_set(err, KILN_ERR_LIMIT, "line %llu: more than %u frames in a stack",
                                  (unsigned long long)lineno, KILN_MAX_DEPTH);
        kiln_frame_id f = frame_for(st, p, (size_t)(fe - p));
        if (f == KILN_NONE || push_frame(st, f) < 0)
            return kiln_error_set(err, KILN_ERR_NOMEM,
                                  "line %llu: out of memory or too many frames",
                                  (unsigned long long)lineno);
        if (!semi)
            break;
        p = semi + 1;
    }
    kiln_node_id leaf = ki_stack_build_node(&st->stack, st->p, st->frames, st->nframes, 0);
    if (leaf == KILN_NONE)
        return kiln_error_set(err, KILN_ERR_LIMIT, "line %llu: out of memory or tree node limit",
                              (unsigned long long)lineno);
    for (int t = 0; t < st->ntypes; t++)
        kiln_profile_add_self(st->p, leaf, t, vals[t]);
    return KILN_OK;
}

kiln_status ki_import_folded(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p,
                             kiln_error *err)
{
    folded_state st;
    memset(&st, 0, sizeof st);
    st.p = p;
    ki_slice_cache_init(&st.names);
    ki_stack_build_init(&st.stack);
    kiln_status status = KILN_OK;
    const char *line;
    size_t len;
    int rc;
    while ((rc = ki_reader_line(r, &line, &len)) > 0) {
        size_t i = 0;
        while (i < len && is_blank(line[i]))
            i++;
        if (i == len || line[0] == '#')
            continue;
        uint64_t before = st.bad_lines;
        status = fold_line(&st, line, len, r->line, err);
        if (status != KILN_OK)
            break;
        if (opts && opts->strict && st.bad_lines != before) {
            status = kiln_error_set(err, KILN_ERR_DATA, "line %llu: %s",
                                    (unsigned long long)r->line, st.first_bad_why);
            break;
        }
    }
    if (rc < 0 && status == KILN_OK)
        status = r->err && r->err->status != KILN_OK ? r->err->status : KILN_ERR_READ;
    if (status == KILN_OK && st.ntypes == 0)
        status = setup_types(&st, 0, err); /* empty input: an empty profile */
    if (status == KILN_OK) {
        kiln_profile_meta_set(p, KILN_META_FORMAT, "folded");
        if (st.bad_lines && opts && opts->warn) {
            char msg[256];
            snprintf(msg, sizeof msg, "line %llu: ignored %llu lines (first at line %llu): %s",
                     (unsigned long long)st.first_bad, (unsigned long long)st.bad_lines,
                     (unsigned long long)st.first_bad, st.first_bad_why);
            opts->warn(opts->warn_ctx, msg);
        }
    }
    free(st.frames);
    ki_slice_cache_release(&st.names);
    ki_stack_build_release(&st.stack);
    return status;
}

/* Bids on text whose complete non-blank lines all end in a count. */
int ki_sniff_folded(const unsigned char *head, size_t len)
{
    const char *s = (const char *)head, *end = s + len;
    int lines = 0, bad = 0, with_semi = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl && lines > 0)
            break; /* a cut last line proves nothing */
        if (!nl && len >= 4096) {
            /* One huge first line (a very deep stack): judge what we see. */
            size_t n = (size_t)(end - s);
            return s[0] != '\t' && s[0] != '#' && !memchr(s, 0, n) && memchr(s, ';', n) ? 30 : 0;
        }
        const char *le = nl ? nl : end;
        size_t n = (size_t)(le - s);
        if (n && s[n - 1] == '\r')
            n--;
        size_t i = 0;
        while (i < n && is_blank(s[i]))
            i++;
        if (i < n && s[0] != '#') {
            if (s[0] == '\t' || memchr(s, 0, n))
                return 0;
            size_t sl, tl;
            const char *tok;
            double v;
            if (split_count(s, n, &sl, &tok, &tl) < 0 || parse_count(tok, tl, &v) < 0 || sl == 0) {
                bad++; /* tolerated while good lines are the majority */
            } else {
                lines++;
                if (memchr(s, ';', sl))
                    with_semi++;
            }
        }
        if (!nl)
            break;
        s = nl + 1;
    }
    if (lines == 0 || bad >= lines)
        return 0;
    return with_semi ? 80 - (bad ? 20 : 0) : 40 - (bad ? 20 : 0);
}
