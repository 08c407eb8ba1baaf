/* Folded-stack export (kiln/export.h). Each node with self weight becomes a
 * line; lines are built into one buffer, sorted by stack bytes, equal stacks
 * merged, then written. Frame names are sanitized once per frame. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/buf.h"
#include "kiln/export.h"

typedef struct fold_line {
    size_t off, len;  /* stack bytes in the lines buffer */
    double v;
} fold_line;

typedef struct fold_set {
    kiln_buf bytes;
    fold_line *lines;
    size_t n, cap;
} fold_set;

/* Per-frame sanitized names, computed on first use. */
typedef struct name_cache {
    kiln_buf bytes;
    size_t *off;       /* SIZE_MAX = not computed yet */
    uint32_t *len;
    unsigned char *skip;
    uint32_t count;
} name_cache;

static int is_machine_kind(uint32_t k)
{
    return k == KILN_KIND_NATIVE || k == KILN_KIND_KERNEL || k == KILN_KIND_INLINED ||
           k == KILN_KIND_JIT;
}

static int looks_like_go_method(const char *s, size_t n)
{
    /* ".(" ... ")." as in "net/http.(*Client).Do" */
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '.' && s[i + 1] == '(')
            for (size_t j = i + 2; j + 1 < n; j++)
                if (s[j] == ')' && s[j + 1] == '.')
                    return 1;
    return 0;
}

/* Appends the folded spelling of frame f to b; returns 1 when the frame is
 * left out, -1 on OOM. */
static int sanitize(const kiln_profile *p, kiln_frame_id fid, kiln_buf *b)
{
    const kiln_frame *f = kiln_profile_frame_get(p, fid);
    size_t n = 0;
    const char *s = f ? kiln_profile_str(p, f->name, &n) : "";
    uint32_t kind = f ? f->kind : KILN_KIND_UNKNOWN;
    char tmp_name[4096];
    if (is_machine_kind(kind)) {
        if (n == 9 && memcmp(s, "[unknown]", 9) == 0) {
            size_t mn = 0;
            const char *m = kiln_profile_str(p, f->module, &mn);
            if (mn && !(mn == 9 && memcmp(m, "[unknown]", 9) == 0)) {
                const char *slash = memrchr(m, '/', mn);
                if (slash) {
                    mn -= (size_t)(slash + 1 - m);
                    m = slash + 1;
                }
                if (mn > sizeof tmp_name - 3)
                    mn = sizeof tmp_name - 3;
                tmp_name[0] = '[';
                memcpy(tmp_name + 1, m, mn);
                tmp_name[mn + 1] = ']';
                s = tmp_name;
                n = mn + 2;
            }
        } else if (n && s[0] == '(') {
            return 1;
        }
        size_t cut = n;
        if (!looks_like_go_method(s, n)) {
            for (size_t i = 0; i < n; i++) {
                if (s[i] != '(')
                    continue;
                if (n - i >= 21 && memcmp(s + i, "(anonymous namespace)", 21) == 0)
                    continue;
                cut = i; /* "f (x)" -> "f " like stackcollapse-perf */
                break;
            }
        }
        for (size_t i = 0; i < cut; i++) {
            char c = s[i];
            if (c == '"' || c == '\'')
                continue;
            if (c == ';')
                c = ':';
            else if (c == '\n' || c == '\r')
                c = ' ';
            kiln_buf_addch(b, c);
        }
    } else {
        if (kiln_buf_grow(b, n) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            if (c == ';')
                c = ':';
            else if (c == '\n' || c == '\r')
                c = ' ';
            else if (c == ' ' && kind == KILN_KIND_PROCESS)
                c = '_';
            b->data[b->len++] = c;
        }
        if (b->data)
            b->data[b->len] = 0;
    }
    return b->failed ? -1 : 0;
}

static int name_get(name_cache *nc, const kiln_profile *p, kiln_frame_id fid, const char **s,
                    size_t *n)
{
    if (fid >= nc->count) {
        *s = "";
        *n = 0;
        return 0;
    }
    if (nc->off[fid] == SIZE_MAX) {
        size_t start = nc->bytes.len;
        int rc = sanitize(p, fid, &nc->bytes);
        if (rc < 0)
            return -1;
        nc->off[fid] = start;
        nc->len[fid] = (uint32_t)(nc->bytes.len - start);
        nc->skip[fid] = rc == 1;
    }
    if (nc->skip[fid])
        return 1;
    *n = nc->len[fid];
    *s = *n ? nc->bytes.data + nc->off[fid] : "";
    return 0;
}

static int fold_push(fold_set *fs, size_t off, size_t len, double v)
{
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 1024;
        fold_line *nl = realloc(fs->lines, cap * sizeof *nl);
        if (!nl)
            return -1;
        fs->lines = nl;
        fs->cap = cap;
    }
    fs->lines[fs->n++] = (fold_line){off, len, v};
    return 0;
}

static int cmp_lines(const void *a, const void *b, void *ctx)
{
    const fold_line *x = a, *y = b;
    const char *base = ctx;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(base + x->off, base + y->off, m);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static void fold_set_release(fold_set *fs)
{
    kiln_buf_release(&fs->bytes);
    free(fs->lines);
    memset(fs, 0, sizeof *fs);
}

/* Collects the sorted, merged lines of p into fs. */
static kiln_status collect(const kiln_profile *p, int type, fold_set *fs, kiln_error *err)
{
    if (type < 0 || type >= kiln_profile_sample_type_count(p))
        return kiln_error_set(err, KILN_ERR_USAGE, "folded export: no sample type %d", type);
    memset(fs, 0, sizeof *fs);
    kiln_buf_init(&fs->bytes);
    name_cache nc;
    memset(&nc, 0, sizeof nc);
    kiln_buf_init(&nc.bytes);
    nc.count = kiln_profile_frame_count(p);
    nc.off = malloc((nc.count + 1) * sizeof *nc.off);
    nc.len = malloc((nc.count + 1) * sizeof *nc.len);
    nc.skip = malloc(nc.count + 1);
    kiln_frame_id *path = NULL;
    size_t path_cap = 0;
    kiln_status st = KILN_OK;
    if (!nc.off || !nc.len || !nc.skip) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "folded export: out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < nc.count; i++)
        nc.off[i] = SIZE_MAX;
    uint32_t nodes = kiln_profile_node_count(p);
    for (kiln_node_id node = 1; node < nodes; node++) {
        double v = kiln_profile_node_self(p, node, type);
        if (v == 0 || v != v)
            continue;
        size_t depth = 0;
        for (kiln_node_id n = node; n != KILN_ROOT && n != KILN_NONE;
             n = kiln_profile_node_parent(p, n)) {
            if (depth == path_cap) {
                size_t cap = path_cap ? path_cap * 2 : 256;
                kiln_frame_id *np = realloc(path, cap * sizeof *np);
                if (!np) {
                    st = kiln_error_set(err, KILN_ERR_NOMEM, "folded export: out of memory");
                    goto done;
                }
                path = np;
                path_cap = cap;
            }
            path[depth++] = kiln_profile_node_frame(p, n);
        }
        /* A process frame named "java*" at the root turns on Java tidying. */
        int java = 0;
        {
            const kiln_frame *rf = depth ? kiln_profile_frame_get(p, path[depth - 1]) : NULL;
            if (rf && rf->kind == KILN_KIND_PROCESS) {
                size_t rn;
                const char *r = kiln_profile_str(p, rf->name, &rn);
                java = rn >= 4 && memcmp(r, "java", 4) == 0;
            }
        }
        size_t start = fs->bytes.len;
        int first = 1;
        for (size_t i = depth; i-- > 0;) {
            const char *s;
            size_t sn;
            int rc = name_get(&nc, p, path[i], &s, &sn);
            if (rc < 0) {
                st = kiln_error_set(err, KILN_ERR_NOMEM, "folded export: out of memory");
                goto done;
            }
            if (rc == 1)
                continue;
            if (java && sn > 1 && s[0] == 'L' && memchr(s, '/', sn) &&
                is_machine_kind(kiln_profile_frame_get(p, path[i])->kind)) {
                s++;
                sn--;
            }
            if (!first)
                kiln_buf_addch(&fs->bytes, ';');
            kiln_buf_add(&fs->bytes, s, sn);
            first = 0;
        }
        if (fs->bytes.failed || fold_push(fs, start, fs->bytes.len - start, v) < 0) {
            st = kiln_error_set(err, KILN_ERR_NOMEM, "folded export: out of memory");
            goto done;
        }
    }
    if (fs->n > 1)
        qsort_r(fs->lines, fs->n, sizeof *fs->lines, cmp_lines, fs->bytes.data);
    /* Merge stacks that print the same. */
    size_t w = 0;
    for (size_t i = 0; i < fs->n; i++) {
        if (w && cmp_lines(&fs->lines[w - 1], &fs->lines[i], fs->bytes.data) == 0)
            fs->lines[w - 1].v += fs->lines[i].v;
        else
            fs->lines[w++] = fs->lines[i];
    }
    fs->n = w;
done:
    free(path);
    free(nc.off);
    free(nc.len);
    free(nc.skip);
    kiln_buf_release(&nc.bytes);
    if (st != KILN_OK)
        fold_set_release(fs);
    return st;
}

/* Integers as integers, the rest in the shortest round-trip form. */
static int format_count(char *buf, size_t cap, double v)
{
    if (v == 0)
        return snprintf(buf, cap, "0");
    if (v == floor(v) && fabs(v) < 1e18) {
        /* integers: by hand, printf's float path is slow for a million lines */
        char tmp[24];
        int n = 0, neg = v < 0;
        uint64_t u = (uint64_t)(neg ? -v : v);
        do {
            tmp[n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        int k = 0;
        if (neg)
            buf[k++] = '-';
        while (n)
            buf[k++] = tmp[--n];
        buf[k] = 0;
        return k;
    }
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v || prec == 17)
            return n;
    }
    return 0;
}

typedef struct out_buf {
    kiln_sink *sink;
    kiln_buf b;
} out_buf;

static int out_flush(out_buf *o)
{
    if (o->b.failed)
        return -1;
    if (o->b.len && kiln_sink_write(o->sink, o->b.data, o->b.len) < 0)
        return -1;
    kiln_buf_reset(&o->b);
    return 0;
}

static int out_add(out_buf *o, const void *d, size_t n)
{
    if (kiln_buf_add(&o->b, d, n) < 0)
        return -1;
    return o->b.len >= 65536 ? out_flush(o) : 0;
}

static kiln_status write_error(kiln_sink *s, kiln_error *err)
{
    if (s->err_no)
        return kiln_error_set(err, KILN_ERR_WRITE, "write error: %s", strerror(s->err_no));
    return kiln_error_set(err, KILN_ERR_WRITE, "write error");
}

kiln_status kiln_export_folded(const kiln_profile *p, int type, kiln_sink *out, kiln_error *err)
{
    fold_set fs;
    kiln_status st = collect(p, type, &fs, err);
    if (st != KILN_OK)
        return st;
    out_buf o = {out, KILN_BUF_INIT};
    char num[64];
    for (size_t i = 0; i < fs.n && st == KILN_OK; i++) {
        int k = format_count(num + 1, sizeof num - 2, fs.lines[i].v);
        num[0] = ' ';
        num[k + 1] = '\n';
        if (out_add(&o, fs.bytes.data + fs.lines[i].off, fs.lines[i].len) < 0 ||
            out_add(&o, num, (size_t)k + 2) < 0)
            st = write_error(out, err);
    }
    if (st == KILN_OK && out_flush(&o) < 0)
        st = write_error(out, err);
    kiln_buf_release(&o.b);
    fold_set_release(&fs);
    return st;
}

kiln_status kiln_export_folded_diff(const kiln_profile *base, int base_type,
                                    const kiln_profile *new_, int new_type, kiln_sink *out,
                                    kiln_error *err)
{
    fold_set a, b;
    kiln_status st = collect(base, base_type, &a, err);
    if (st != KILN_OK)
        return st;
    st = collect(new_, new_type, &b, err);
    if (st != KILN_OK) {
        fold_set_release(&a);
        return st;
    }
    out_buf o = {out, KILN_BUF_INIT};
    char num[64];
    size_t i = 0, j = 0;
    while ((i < a.n || j < b.n) && st == KILN_OK) {
        int c;
        if (i == a.n)
            c = 1;
        else if (j == b.n)
            c = -1;
        else {
            const fold_line *x = &a.lines[i], *y = &b.lines[j];
            size_t m = x->len < y->len ? x->len : y->len;
            c = memcmp(a.bytes.data + x->off, b.bytes.data + y->off, m);
            if (!c)
                c = x->len < y->len ? -1 : x->len > y->len;
        }
        const char *s = c <= 0 ? a.bytes.data + a.lines[i].off : b.bytes.data + b.lines[j].off;
        size_t sn = c <= 0 ? a.lines[i].len : b.lines[j].len;
        double va = c <= 0 ? a.lines[i].v : 0, vb = c >= 0 ? b.lines[j].v : 0;
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
        int k = 0;
        num[k++] = ' ';
        k += format_count(num + k, sizeof num / 2 - 2, va);
        num[k++] = ' ';
        k += format_count(num + k, sizeof num / 2 - 2, vb);
        num[k++] = '\n';
        if (out_add(&o, s, sn) < 0 || out_add(&o, num, (size_t)k) < 0)
            st = write_error(out, err);
    }
    if (st == KILN_OK && out_flush(&o) < 0)
        st = write_error(out, err);
    kiln_buf_release(&o.b);
    fold_set_release(&a);
    fold_set_release(&b);
    return st;
}
