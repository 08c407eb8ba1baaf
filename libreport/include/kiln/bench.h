/* kiln/bench.h: benchmark runs (pytest-benchmark JSON, 3.x to 5.x).
 *
 * One kiln_bench_run is one file: `--benchmark-json` output or a saved run
 * from the `.benchmarks/<machine-id>/NNNN_<name>.json` tree. It holds the
 * machine and commit info and, per benchmark, its identity (group, name,
 * fullname, params) and statistics, plus the raw per-round times when the
 * file has them (`--benchmark-json`, or `--benchmark-save-data`).
 *
 * All times are seconds per iteration, exactly as the file says; nothing is
 * recomputed except `ops` for files older than 3.1 (filled as 1/mean).
 *
 * Leniency (documented): Python's json writes bare NaN, Infinity and
 * -Infinity tokens, which strict JSON forbids. The loader accepts them with a
 * warning (an error when opts->strict is set). Lone surrogate escapes such as
 * "\udce9" (surrogateescape file names) become U+FFFD with a warning; NUL
 * bytes inside names become U+FFFD. A UTF-8 byte-order mark is skipped;
 * UTF-16 input is rejected. Unknown keys are ignored; with duplicate keys the
 * last one wins. Caps: input size KILN_BENCH_MAX_INPUT, benchmarks per file
 * KILN_BENCH_MAX_BENCHMARKS, raw data points per benchmark
 * KILN_BENCH_MAX_DATA, nesting depth 2048 (jansson's own limit).
 *
 * Errors name the place by JSON pointer ("/benchmarks/3/stats/mean: expected
 * a number, got a string") or, for syntax errors, by line and column. */
#ifndef KILN_BENCH_H
#define KILN_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_BENCH_MAX_INPUT (1024u * 1024u * 1024u) /* 1 GiB */
#define KILN_BENCH_MAX_BENCHMARKS 1000000u
#define KILN_BENCH_MAX_DATA 10000000u

/* Which stats fields a file carried (bits of kiln_bench_stats.present). */
enum {
    KILN_BSTAT_MIN = 1u << 0, KILN_BSTAT_MAX = 1u << 1, KILN_BSTAT_MEAN = 1u << 2,
    KILN_BSTAT_STDDEV = 1u << 3, KILN_BSTAT_MEDIAN = 1u << 4, KILN_BSTAT_Q1 = 1u << 5,
    KILN_BSTAT_Q3 = 1u << 6, KILN_BSTAT_IQR = 1u << 7, KILN_BSTAT_OPS = 1u << 8,
    KILN_BSTAT_TOTAL = 1u << 9, KILN_BSTAT_ROUNDS = 1u << 10, KILN_BSTAT_ITERATIONS = 1u << 11,
    KILN_BSTAT_LD15IQR = 1u << 12, KILN_BSTAT_HD15IQR = 1u << 13, KILN_BSTAT_OUTLIERS = 1u << 14
};

typedef struct kiln_bench_stats {
    double min, max, mean, stddev, median, q1, q3, iqr;
    double ld15iqr, hd15iqr, ops, total;   /* seconds; ops in 1/s */
    int64_t rounds, iterations;
    int64_t stddev_outliers, iqr_outliers; /* from "outliers": "<sd>;<iqr>", -1 if absent */
    const double *data;                    /* per-round times, or NULL */
    size_t data_len;
    unsigned present;                      /* KILN_BSTAT_* bits */
} kiln_bench_stats;

/* One entry of "params": name and value as text. Numbers are kept both as
 * text (Python's repr as the file wrote it) and as a double. */
typedef struct kiln_bench_param {
    const char *name;
    const char *value;   /* "1000", "\"abc\"" style JSON text for non-strings */
    double number;       /* the value when is_number, else NAN */
    int is_number;
} kiln_bench_param;

/* One benchmark. All strings are borrowed from the run, valid until
 * kiln_bench_run_free, NUL-terminated, valid UTF-8 apart from what the file
 * itself holds (renderers still sanitize). */
typedef struct kiln_bench {
    const char *group;    /* or NULL (pytest-benchmark writes null) */
    const char *name;     /* "test_parse[1000]" */
    const char *fullname; /* "tests/test_x.py::test_parse[1000]": the identity */
    const char *param;    /* "1000", or NULL */
    const kiln_bench_param *params;
    size_t nparams;
    kiln_bench_stats stats;
} kiln_bench;

/* What a run says about where and when it was made. Strings borrowed, ""
 * when absent. */
typedef struct kiln_bench_info {
    const char *commit_id;    /* full SHA, "unversioned" or "unknown" */
    const char *commit_time;  /* ISO 8601 */
    const char *branch;
    const char *project;
    int dirty;                /* 1, 0, or -1 when unknown */
    const char *datetime;     /* when the run was made (UTC, ISO 8601) */
    const char *version;      /* pytest-benchmark version */
    const char *machine_node, *machine, *system, *release;
    const char *python_implementation, *python_version;
    const char *cpu_brand;
    const char *machine_id;   /* "Linux-CPython-3.11-64bit" (built like pytest-benchmark) */
    const char *source;       /* label of the run: file stem cut to 12 bytes, as
                                 pytest-benchmark names a saved run ("0001_2236866"),
                                 or the name given with kiln_bench_run_set_source */
} kiln_bench_info;

typedef struct kiln_bench_run kiln_bench_run;

typedef struct kiln_bench_load_opts {
    kiln_warn_fn warn;  /* may be NULL */
    void *warn_ctx;
    int strict;         /* NaN/Infinity tokens and lone surrogates become errors */
} kiln_bench_load_opts;

/* Load one run. On success *out is new (free with kiln_bench_run_free); on
 * failure *out is NULL and err says where and why. opts may be NULL. The
 * source label is taken from the file name (path) or is "-"/"memory". */
kiln_status kiln_bench_load_path(const char *path, const kiln_bench_load_opts *opts,
                                 kiln_bench_run **out, kiln_error *err);
/* fd is read to its end, not closed. */
kiln_status kiln_bench_load_fd(int fd, const kiln_bench_load_opts *opts, kiln_bench_run **out,
                               kiln_error *err);
/* data is borrowed for the call only. */
kiln_status kiln_bench_load_memory(const void *data, size_t len, const kiln_bench_load_opts *opts,
                                   kiln_bench_run **out, kiln_error *err);
void kiln_bench_run_free(kiln_bench_run *run);

size_t kiln_bench_run_count(const kiln_bench_run *run);
/* Borrowed; NULL when i is out of range. */
const kiln_bench *kiln_bench_run_at(const kiln_bench_run *run, size_t i);
/* The benchmark with this fullname, or NULL (borrowed). */
const kiln_bench *kiln_bench_run_find(const kiln_bench_run *run, const char *fullname);
/* Borrowed, valid until kiln_bench_run_free. */
const kiln_bench_info *kiln_bench_run_info(const kiln_bench_run *run);
/* Replace the source label (copied). Returns KILN_ERR_NOMEM or KILN_OK. */
kiln_status kiln_bench_run_set_source(kiln_bench_run *run, const char *label);

/* The parts of an autosave/save file name, NNNN_<commit>_<YYYYmmdd_HHMMSS>
 * [_uncommited-changes].json (both spellings of "uncommitted") or
 * NNNN_<name>.json. Strings are written into the caller's buffers (always
 * NUL-terminated). Returns 1 when the name has the NNNN_ form, else 0. */
typedef struct kiln_bench_filename {
    int counter;          /* NNNN */
    char commit[64];      /* 40-hex commit id when it is an autosave, else "" */
    char timestamp[16];   /* "20261124_221603", or "" */
    char name[256];       /* everything after "NNNN_" without ".json" */
    int dirty;            /* the uncommit(t)ed-changes suffix was present */
} kiln_bench_filename;
int kiln_bench_parse_filename(const char *basename, kiln_bench_filename *out);

/* Value of a numeric parameter named `param` (or, when param is NULL, of the
 * only numeric parameter). Returns 1 and sets *value, or 0. */
int kiln_bench_size_param(const kiln_bench *b, const char *param, double *value);

/* The benchmark's name without its "[param]" suffix ("test_parse"), written
 * into buf (NUL-terminated, cut to cap-1 bytes). Returns buf. */
char *kiln_bench_base_name(const kiln_bench *b, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
