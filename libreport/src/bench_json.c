/* bench_json.c: pytest-benchmark JSON into a kiln_bench_run (kiln/bench.h).
 *
 * jansson 2.14 has no NaN support, so the text is pre-scanned first: bare
 * NaN / Infinity / -Infinity tokens outside strings are replaced in place by
 * string sentinels of the same length (so jansson's line/column stay right),
 * lone surrogate escapes and \u0000 by \uFFFD. The parsed document is kept
 * alive inside the run: benchmark names are borrowed from it. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "kiln/bench.h"

/* Same-length replacements for the non-JSON tokens Python writes. */
#define SENT_NAN "\"N\""             /* NaN       (3) */
#define SENT_PINF "\"+Infin\""       /* Infinity  (8) */
#define SENT_NINF "\"-Infini\""      /* -Infinity (9) */

struct kiln_bench_run {
    json_t *root;           /* owns every borrowed string */
    kiln_bench *benches;
    size_t count;
    kiln_bench_param *params; /* all benchmarks' params, one array */
    double *data;             /* all raw data, one array */
    char **owned;             /* strings we made */
    size_t nowned, capowned;
    int had_sentinels;
    kiln_bench_info info;
};

typedef struct loader {
    kiln_bench_run *run;
    const kiln_bench_load_opts *opts;
    kiln_error *err;
    char path[160];           /* JSON pointer of the value being read */
} loader;

static void warnf(const kiln_bench_load_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(const kiln_bench_load_opts *o, const char *fmt, ...)
{
    if (!o || !o->warn)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->warn(o->warn_ctx, msg);
}

static const char *keep(kiln_bench_run *run, char *s)
{
    if (!s)
        return NULL;
    if (run->nowned == run->capowned) {
        size_t cap = run->capowned ? run->capowned * 2 : 64;
        char **n = realloc(run->owned, cap * sizeof *n);
        if (!n) {
            free(s);
            return NULL;
        }
        run->owned = n;
        run->capowned = cap;
    }
    run->owned[run->nowned++] = s;
    return s;
}

/* ---- pre-scan ------------------------------------------------------------ */

static int is_ident(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '+' || c == '-';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 4 hex digits at s (s has at least 4 bytes), or -1. */
static long hex4(const char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static int token_at(const char *buf, size_t len, size_t i, const char *tok)
{
    size_t n = strlen(tok);
    if (i + n > len || memcmp(buf + i, tok, n) != 0)
        return 0;
    if (i > 0 && is_ident((unsigned char)buf[i - 1]))
        return 0;
    if (i + n < len && is_ident((unsigned char)buf[i + n]))
        return 0;
    return 1;
}

/* Rewrites buf in place. Returns the number of non-finite tokens replaced
 * (count of fixed surrogates in *surrogates). */
static size_t prescan(char *buf, size_t len, size_t *surrogates, size_t *first_line)
{
    size_t replaced = 0, line = 1;
    int in_str = 0;
    *surrogates = 0;
    *first_line = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\n')
            line++;
        if (in_str) {
            if (c == '"') {
                in_str = 0;
            } else if (c == '\\' && i + 1 < len) {
                if (buf[i + 1] == 'u' && i + 6 <= len) {
                    long u = hex4(buf + i + 2);
                    int bad = 0;
                    if (u == 0) {
                        bad = 1;
                    } else if (u >= 0xD800 && u <= 0xDBFF) {
                        long lo = (i + 12 <= len && buf[i + 6] == '\\' && buf[i + 7] == 'u')
                                      ? hex4(buf + i + 8) : -1;
                        if (lo >= 0xDC00 && lo <= 0xDFFF) {
                            i += 11; /* a valid pair: skip both escapes */
                            continue;
                        }
                        bad = 1;
                    } else if (u >= 0xDC00 && u <= 0xDFFF) {
                        bad = 1;
                    }
                    if (bad) {
                        memcpy(buf + i + 2, "FFFD", 4);
                        (*surrogates)++;
                    }
                    i += 5;
                } else {
                    i++; /* skip the escaped character */
                }
            }
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == 'N' && token_at(buf, len, i, "NaN")) {
            memcpy(buf + i, SENT_NAN, 3);
            replaced++;
            i += 2;
        } else if (c == 'I' && token_at(buf, len, i, "Infinity")) {
            memcpy(buf + i, SENT_PINF, 8);
            replaced++;
            i += 7;
        } else if (c == '-' && token_at(buf, len, i, "-Infinity")) {
            memcpy(buf + i, SENT_NINF, 9);
            replaced++;
            i += 8;
        } else {
            continue;
        }
        if (replaced == 1 && !*first_line)
            *first_line = line;
    }
    return replaced;
}

/* ---- typed access with JSON-pointer errors ------------------------------- */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

static kiln_status type_error(loader *L, const char *key, const char *want, const json_t *got)
{
    return kiln_error_set(L->err, KILN_ERR_DATA, "%s%s%s: expected %s, got %s", L->path,
                          key ? "/" : "", key ? key : "", want, got ? type_name(got) : "nothing");
}

/* A sentinel string written by the pre-scan, as a double; 0 if not one. */
static int sentinel_value(const loader *L, const json_t *v, double *out)
{
    if (!L->run->had_sentinels || !json_is_string(v))
        return 0;
    const char *s = json_string_value(v);
    if (strcmp(s, "N") == 0)
        *out = NAN;
    else if (strcmp(s, "+Infin") == 0)
        *out = INFINITY;
    else if (strcmp(s, "-Infini") == 0)
        *out = -INFINITY;
    else
        return 0;
    return 1;
}

static int as_number(const loader *L, const json_t *v, double *out)
{
    if (json_is_real(v)) {
        *out = json_real_value(v);
        return 1;
    }
    if (json_is_integer(v)) {
        *out = (double)json_integer_value(v);
        return 1;
    }
    return sentinel_value(L, v, out);
}

/* Optional number field: 1 read, 0 absent/null, -1 error. */
static int get_number(loader *L, const json_t *obj, const char *key, double *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!as_number(L, v, out)) {
        type_error(L, key, "a number", v);
        return -1;
    }
    return 1;
}

static int get_int(loader *L, const json_t *obj, const char *key, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 9.2e18) {
            *out = (int64_t)d;
            return 1;
        }
    }
    type_error(L, key, "an integer", v);
    return -1;
}

/* Optional string (or null): borrowed from the document. */
static int get_string(loader *L, const json_t *obj, const char *key, const char **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        type_error(L, key, "a string", v);
        return -1;
    }
    *out = json_string_value(v);
    return 1;
}

/* Python-like shortest text for a double. */
static void format_double(char *buf, size_t cap, double d)
{
    if (isnan(d)) {
        snprintf(buf, cap, "nan");
        return;
    }
    if (isinf(d)) {
        snprintf(buf, cap, d > 0 ? "inf" : "-inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
}

/* ---- the document --------------------------------------------------------- */

static const char *str_or_empty(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static void read_info(kiln_bench_run *run)
{
    kiln_bench_info *in = &run->info;
    json_t *ci = json_object_get(run->root, "commit_info");
    json_t *mi = json_object_get(run->root, "machine_info");
    in->commit_id = str_or_empty(ci, "id");
    in->commit_time = str_or_empty(ci, "time");
    in->branch = str_or_empty(ci, "branch");
    in->project = str_or_empty(ci, "project");
    json_t *d = json_object_get(ci, "dirty");
    in->dirty = json_is_boolean(d) ? json_is_true(d) : -1;
    in->datetime = str_or_empty(run->root, "datetime");
    in->version = str_or_empty(run->root, "version");
    in->machine_node = str_or_empty(mi, "node");
    in->machine = str_or_empty(mi, "machine");
    in->system = str_or_empty(mi, "system");
    in->release = str_or_empty(mi, "release");
    in->python_implementation = str_or_empty(mi, "python_implementation");
    in->python_version = str_or_empty(mi, "python_version");
    in->cpu_brand = str_or_empty(json_object_get(mi, "cpu"), "brand");
    if (!in->machine_id)
        in->machine_id = "";
    if (!in->source)
        in->source = "";
}

static kiln_status read_params(loader *L, const json_t *params, kiln_bench_param *out, size_t *n)
{
    const char *key;
    json_t *v;
    size_t i = 0;
    json_object_foreach((json_t *)params, key, v) {
        kiln_bench_param *p = &out[i++];
        p->name = key;
        p->number = NAN;
        p->is_number = 0;
        double d;
        char tmp[64];
        if (json_is_string(v) && !sentinel_value(L, v, &d)) {
            p->value = json_string_value(v);
            continue;
        }
        if (json_is_integer(v)) {
            snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            p->number = (double)json_integer_value(v);
            p->is_number = 1;
            p->value = keep(L->run, strdup(tmp));
        } else if (as_number(L, v, &d)) {
            format_double(tmp, sizeof tmp, d);
            p->number = d;
            p->is_number = isfinite(d);
            p->value = keep(L->run, strdup(tmp));
        } else {
            p->value = keep(L->run, json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
        }
        if (!p->value)
            return kiln_error_set(L->err, KILN_ERR_NOMEM, "out of memory");
    }
    *n = i;
    return KILN_OK;
}

static const struct {
    const char *key;
    unsigned bit;
    size_t off;
} number_fields[] = {
#define F(k, b) {#k, b, offsetof(kiln_bench_stats, k)}
    F(min, KILN_BSTAT_MIN), F(max, KILN_BSTAT_MAX), F(mean, KILN_BSTAT_MEAN),
    F(stddev, KILN_BSTAT_STDDEV), F(median, KILN_BSTAT_MEDIAN), F(q1, KILN_BSTAT_Q1),
    F(q3, KILN_BSTAT_Q3), F(iqr, KILN_BSTAT_IQR), F(ops, KILN_BSTAT_OPS),
    F(total, KILN_BSTAT_TOTAL), F(ld15iqr, KILN_BSTAT_LD15IQR), F(hd15iqr, KILN_BSTAT_HD15IQR),
#undef F
};

static kiln_status read_stats(loader *L, const json_t *st, kiln_bench_stats *s, double **data_cursor,
                              size_t *data_left)
{
    size_t base = strlen(L->path);
    snprintf(L->path + base, sizeof L->path - base, "/stats");
    if (!json_is_object(st))
        return type_error(L, NULL, "an object", st);
    s->stddev_outliers = s->iqr_outliers = -1;
    for (size_t i = 0; i < sizeof number_fields / sizeof number_fields[0]; i++) {
        int r = get_number(L, st, number_fields[i].key, (double *)((char *)s + number_fields[i].off));
        if (r < 0)
            return L->err->status;
        if (r > 0)
            s->present |= number_fields[i].bit;
        else
            *(double *)((char *)s + number_fields[i].off) = NAN;
    }
    int r = get_int(L, st, "rounds", &s->rounds);
    if (r < 0)
        return L->err->status;
    if (r > 0)
        s->present |= KILN_BSTAT_ROUNDS;
    r = get_int(L, st, "iterations", &s->iterations);
    if (r < 0)
        return L->err->status;
    if (r > 0)
        s->present |= KILN_BSTAT_ITERATIONS;
    else
        s->iterations = 1;
    static const char *const required[] = {"min", "max", "mean"};
    for (size_t i = 0; i < 3; i++)
        if (!(s->present & number_fields[i].bit))
            return kiln_error_set(L->err, KILN_ERR_DATA, "%s/%s: missing", L->path, required[i]);
    if (s->rounds < 0)
        return kiln_error_set(L->err, KILN_ERR_DATA, "%s/rounds: negative (%lld)", L->path,
                              (long long)s->rounds);
    if (!(s->present & KILN_BSTAT_OPS)) {
        /* files before pytest-benchmark 3.1 have no ops */
        s->ops = s->mean > 0 ? 1.0 / s->mean : 0.0;
        s->present |= KILN_BSTAT_OPS;
    }
    if (!(s->present & KILN_BSTAT_IQR) && (s->present & KILN_BSTAT_Q1) && (s->present & KILN_BSTAT_Q3)) {
        s->iqr = s->q3 - s->q1;
        s->present |= KILN_BSTAT_IQR;
    }
    const char *outl;
    r = get_string(L, st, "outliers", &outl);
    if (r < 0)
        return L->err->status;
    if (r > 0) {
        long long a, b;
        if (sscanf(outl, "%lld;%lld", &a, &b) == 2) {
            s->stddev_outliers = a;
            s->iqr_outliers = b;
            s->present |= KILN_BSTAT_OUTLIERS;
        }
    }
    json_t *data = json_object_get(st, "data");
    if (data && !json_is_null(data)) {
        if (!json_is_array(data))
            return type_error(L, "data", "an array", data);
        size_t n = json_array_size(data);
        if (n > KILN_BENCH_MAX_DATA || n > *data_left)
            return kiln_error_set(L->err, KILN_ERR_LIMIT, "%s/data: %zu points exceed the cap of %u",
                                  L->path, n, KILN_BENCH_MAX_DATA);
        double *d = *data_cursor;
        for (size_t i = 0; i < n; i++) {
            if (!as_number(L, json_array_get(data, i), &d[i]))
                return kiln_error_set(L->err, KILN_ERR_DATA, "%s/data/%zu: expected a number, got %s",
                                      L->path, i, type_name(json_array_get(data, i)));
        }
        s->data = d;
        s->data_len = n;
        *data_cursor += n;
        *data_left -= n;
    }
    L->path[base] = '\0';
    return KILN_OK;
}

static kiln_status read_document(loader *L)
{
    kiln_bench_run *run = L->run;
    if (!json_is_object(run->root))
        return kiln_error_set(L->err, KILN_ERR_DATA, "/: expected an object, got %s (not a "
                              "pytest-benchmark file)", type_name(run->root));
    json_t *arr = json_object_get(run->root, "benchmarks");
    if (!arr)
        return kiln_error_set(L->err, KILN_ERR_DATA, "/benchmarks: missing (not a pytest-benchmark file)");
    if (!json_is_array(arr))
        return type_error(L, "benchmarks", "an array", arr);
    size_t n = json_array_size(arr);
    if (n > KILN_BENCH_MAX_BENCHMARKS)
        return kiln_error_set(L->err, KILN_ERR_LIMIT, "/benchmarks: %zu entries exceed the cap of %u",
                              n, KILN_BENCH_MAX_BENCHMARKS);

    /* Size the shared arrays first (counts come from the parsed document,
     * which already exists in memory, so they are bounded by the input). */
    size_t nparams = 0, ndata = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *b = json_array_get(arr, i);
        json_t *p = json_object_get(b, "params");
        if (json_is_object(p))
            nparams += json_object_size(p);
        json_t *d = json_object_get(json_object_get(b, "stats"), "data");
        if (json_is_array(d))
            ndata += json_array_size(d);
    }
    run->benches = calloc(n ? n : 1, sizeof *run->benches);
    run->params = calloc(nparams ? nparams : 1, sizeof *run->params);
    run->data = malloc((ndata ? ndata : 1) * sizeof *run->data);
    if (!run->benches || !run->params || !run->data)
        return kiln_error_set(L->err, KILN_ERR_NOMEM, "out of memory for %zu benchmarks", n);

    kiln_bench_param *pcur = run->params;
    double *dcur = run->data;
    size_t dleft = ndata;
    for (size_t i = 0; i < n; i++) {
        json_t *b = json_array_get(arr, i);
        kiln_bench *kb = &run->benches[i];
        snprintf(L->path, sizeof L->path, "/benchmarks/%zu", i);
        if (!json_is_object(b))
            return type_error(L, NULL, "an object", b);
        if (get_string(L, b, "name", &kb->name) <= 0)
            return L->err->status ? L->err->status : type_error(L, "name", "a string", NULL);
        int r = get_string(L, b, "fullname", &kb->fullname);
        if (r < 0)
            return L->err->status;
        if (r == 0) {
            warnf(L->opts, "%s/fullname: missing, matching by name", L->path);
            kb->fullname = kb->name;
        }
        if (get_string(L, b, "group", &kb->group) < 0 || get_string(L, b, "param", &kb->param) < 0)
            return L->err->status;
        json_t *params = json_object_get(b, "params");
        if (params && !json_is_null(params)) {
            if (!json_is_object(params))
                return type_error(L, "params", "an object", params);
            kb->params = pcur;
            kiln_status st = read_params(L, params, pcur, &kb->nparams);
            if (st)
                return st;
            pcur += kb->nparams;
        }
        json_t *stats = json_object_get(b, "stats");
        if (!stats)
            return kiln_error_set(L->err, KILN_ERR_DATA, "%s/stats: missing", L->path);
        kiln_status st = read_stats(L, stats, &kb->stats, &dcur, &dleft);
        if (st)
            return st;
        run->count++;
    }
    read_info(run);
    return KILN_OK;
}

/* ---- entry points ---------------------------------------------------------- */

static void set_source_from_path(kiln_bench_run *run, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char label[13];
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    if (n > 12)
        n = 12;
    memcpy(label, base, n);
    label[n] = '\0';
    kiln_bench_run_set_source(run, label);

    /* .benchmarks/<machine-id>/NNNN_x.json: the parent directory is the id */
    if (base != path) {
        const char *end = base - 1, *start = end;
        while (start > path && start[-1] != '/')
            start--;
        char *id = strndup(start, (size_t)(end - start));
        if (id && strchr(id, '-') && kiln_bench_parse_filename(base, &(kiln_bench_filename){0}))
            run->info.machine_id = keep(run, id);
        else
            free(id);
    }
}

kiln_status kiln_bench_load_memory(const void *data, size_t len, const kiln_bench_load_opts *opts,
                                   kiln_bench_run **out, kiln_error *err)
{
    *out = NULL;
    if (!data && len)
        return kiln_error_set(err, KILN_ERR_USAGE, "no data");
    if (len > KILN_BENCH_MAX_INPUT)
        return kiln_error_set(err, KILN_ERR_LIMIT, "input of %zu bytes exceeds the cap of %u", len,
                              KILN_BENCH_MAX_INPUT);
    const unsigned char *u = data;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF) ||
                     (u[0] != 0 && u[1] == 0) || (u[0] == 0 && u[1] != 0)))
        return kiln_error_set(err, KILN_ERR_DATA, "offset 0 (0x0): UTF-16 input is not supported; "
                              "save the file as UTF-8");
    size_t skip = (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) ? 3 : 0;

    char *buf = malloc(len - skip + 1);
    kiln_bench_run *run = calloc(1, sizeof *run);
    if (!buf || !run) {
        free(buf);
        free(run);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    memcpy(buf, u + skip, len - skip);
    buf[len - skip] = '\0';
    size_t surrogates, first_line;
    size_t nonfinite = prescan(buf, len - skip, &surrogates, &first_line);
    kiln_status st = KILN_OK;
    if (nonfinite && opts && opts->strict) {
        st = kiln_error_set(err, KILN_ERR_DATA, "line %zu: NaN/Infinity is not JSON (strict mode)",
                            first_line);
    } else if (surrogates && opts && opts->strict) {
        st = kiln_error_set(err, KILN_ERR_DATA, "lone surrogate or \\u0000 escape (strict mode)");
    }
    if (st) {
        free(buf);
        free(run);
        return st;
    }
    if (nonfinite)
        warnf(opts, "line %zu: %zu NaN/Infinity value%s (not JSON; accepted)", first_line, nonfinite,
              nonfinite == 1 ? "" : "s");
    if (surrogates)
        warnf(opts, "%zu lone surrogate or \\u0000 escape%s replaced by U+FFFD", surrogates,
              surrogates == 1 ? "" : "s");
    run->had_sentinels = nonfinite > 0;

    json_error_t jerr;
    run->root = json_loadb(buf, len - skip, 0, &jerr);
    free(buf);
    if (!run->root) {
        kiln_bench_run_free(run);
        return kiln_error_set(err, KILN_ERR_DATA, "line %d, column %d: %s", jerr.line, jerr.column,
                              jerr.text);
    }
    loader L = {run, opts, err, ""};
    kiln_error local;
    if (!err) {
        kiln_error_clear(&local);
        L.err = &local;
    }
    st = read_document(&L);
    if (st) {
        kiln_bench_run_free(run);
        return st;
    }
    *out = run;
    return KILN_OK;
}

kiln_status kiln_bench_load_fd(int fd, const kiln_bench_load_opts *opts, kiln_bench_run **out,
                               kiln_error *err)
{
    *out = NULL;
    size_t cap = 1 << 16, len = 0;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if ((uint64_t)sb.st_size > KILN_BENCH_MAX_INPUT)
            return kiln_error_set(err, KILN_ERR_LIMIT, "file of %lld bytes exceeds the cap of %u",
                                  (long long)sb.st_size, KILN_BENCH_MAX_INPUT);
        cap = (size_t)sb.st_size + 1;
    }
    char *buf = malloc(cap);
    if (!buf)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    for (;;) {
        if (len == cap) {
            if (cap > KILN_BENCH_MAX_INPUT) {
                free(buf);
                return kiln_error_set(err, KILN_ERR_LIMIT, "input exceeds the cap of %u bytes",
                                      KILN_BENCH_MAX_INPUT);
            }
            char *n = realloc(buf, cap * 2);
            if (!n) {
                free(buf);
                return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
            }
            buf = n;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return kiln_error_set(err, KILN_ERR_READ, "read error: %s", strerror(e));
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    kiln_status st = kiln_bench_load_memory(buf, len, opts, out, err);
    free(buf);
    return st;
}

kiln_status kiln_bench_load_path(const char *path, const kiln_bench_load_opts *opts,
                                 kiln_bench_run **out, kiln_error *err)
{
    *out = NULL;
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kiln_error_set(err, KILN_ERR_READ, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (!is_stdin && fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(fd);
        return kiln_error_set(err, KILN_ERR_READ, "is a directory");
    }
    kiln_status st = kiln_bench_load_fd(fd, opts, out, err);
    if (!is_stdin)
        close(fd);
    if (st == KILN_OK && !is_stdin)
        set_source_from_path(*out, path);
    return st;
}

void kiln_bench_run_free(kiln_bench_run *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->nowned; i++)
        free(run->owned[i]);
    free(run->owned);
    free(run->benches);
    free(run->params);
    free(run->data);
    if (run->root)
        json_decref(run->root);
    free(run);
}

size_t kiln_bench_run_count(const kiln_bench_run *run)
{
    return run ? run->count : 0;
}

const kiln_bench *kiln_bench_run_at(const kiln_bench_run *run, size_t i)
{
    return run && i < run->count ? &run->benches[i] : NULL;
}

const kiln_bench *kiln_bench_run_find(const kiln_bench_run *run, const char *fullname)
{
    for (size_t i = 0; run && i < run->count; i++)
        if (strcmp(run->benches[i].fullname, fullname) == 0)
            return &run->benches[i];
    return NULL;
}

const kiln_bench_info *kiln_bench_run_info(const kiln_bench_run *run)
{
    return &run->info;
}

kiln_status kiln_bench_run_set_source(kiln_bench_run *run, const char *label)
{
    const char *s = keep(run, strdup(label ? label : ""));
    if (!s)
        return KILN_ERR_NOMEM;
    run->info.source = s;
    return KILN_OK;
}
