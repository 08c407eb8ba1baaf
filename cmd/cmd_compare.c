/* kiln compare: two pytest-benchmark runs side by side, with the change per
 * benchmark, a noise verdict, a regression gate, a Markdown table for a
 * pull request and the improvement chart. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "kiln/bench.h"
#include "kiln/charts.h"
#include "kiln/compare.h"

enum { OPT_MD = 256, OPT_JSON, OPT_FAIL_ON, OPT_METRIC, OPT_ALPHA, OPT_SVG, OPT_STRICT, OPT_STORAGE,
       OPT_TITLE, OPT_WIDTH, OPT_MAX_ROWS };

static const cli_option compare_options[] = {
    {"output", 'o', "FILE", "draw the improvement chart (PNG, or SVG with --svg) into FILE"},
    {"svg", OPT_SVG, NULL, "write the chart as SVG instead of PNG"},
    {"md", OPT_MD, "FILE", "write a Markdown table for a pull-request comment ('-' = stdout)"},
    {"json", OPT_JSON, "FILE", "write the comparison as JSON with full-precision numbers"},
    {"fail-on", OPT_FAIL_ON, "EXPR",
     "gate: FIELD:P% (fails when new/base*100-100 > P) or FIELD:SECONDS (fails when new-base > "
     "SECONDS); FIELD is min, max, mean, median, stddev or iqr; repeatable, or several separated "
     "by spaces (pytest-benchmark's --benchmark-compare-fail semantics)"},
    {"metric", OPT_METRIC, "FIELD", "the statistic compared and charted: mean (default), median, min, "
     "max, stddev, iqr or ops"},
    {"alpha", OPT_ALPHA, "P", "significance level of the Mann-Whitney U test (default 0.05)"},
    {"storage", OPT_STORAGE, "DIR",
     "where to look up runs given as NNNN (default .benchmarks, as pytest-benchmark)"},
    {"title", OPT_TITLE, "TEXT", "chart title (default: the commits and dates of both runs)"},
    {"width", OPT_WIDTH, "PX", "chart width in pixels (default 1100)"},
    {"max-rows", OPT_MAX_ROWS, "N", "rows in the Markdown table (default 200; the rest summarized)"},
    {"strict", OPT_STRICT, NULL, "reject NaN/Infinity values and bad escapes instead of warning"},
    {0, 0, 0, 0}};

static const cli_command compare_cmd = {
    "compare", "[options] BASE NEW",
    "Compares two pytest-benchmark runs (--benchmark-json output or saved runs from\n"
    ".benchmarks/<machine>/NNNN_*.json; BASE and NEW may be files, '-', or a run number NNNN looked\n"
    "up in --storage). Benchmarks are matched by fullname. For each: baseline and new mean,\n"
    "median, IQR and ops, the improvement (baseline - new) / baseline in percent, the speedup\n"
    "baseline / new, and whether the difference is beyond noise (Mann-Whitney U test when both\n"
    "runs saved raw data, else whether the interquartile ranges overlap); then added and removed\n"
    "benchmarks.\n"
    "Exit status: 0 when no benchmark regressed past a --fail-on threshold, 1 when one did,\n"
    "2 on a usage error, 65 on malformed input data, 66 when an input cannot be read, 73/74 when\n"
    "an output cannot be written.",
    compare_options};

int cmd_compare(int argc, char **argv);

/* BASE/NEW given as "0001": the single <storage>/<machine>/0001_*.json. */
static int resolve_run(const char *arg, const char *storage, char **path)
{
    *path = NULL;
    struct stat sb;
    if (strcmp(arg, "-") == 0 || stat(arg, &sb) == 0 || strlen(arg) != 4 ||
        strspn(arg, "0123456789") != 4) {
        *path = strdup(arg);
        return *path ? 0 : KILN_EXIT_INTERNAL;
    }
    DIR *top = opendir(storage);
    if (!top) {
        cli_error("'%s': no such file, and no storage directory '%s' to look it up in", arg, storage);
        return KILN_EXIT_NOINPUT;
    }
    int found = 0;
    struct dirent *m;
    while ((m = readdir(top)) && found < 2) {
        if (m->d_name[0] == '.')
            continue;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", storage, m->d_name);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        struct dirent *f;
        while ((f = readdir(d))) {
            kiln_bench_filename fn;
            size_t l = strlen(f->d_name);
            if (l > 5 && strcmp(f->d_name + l - 5, ".json") == 0 && kiln_bench_parse_filename(f->d_name, &fn) &&
                strncmp(f->d_name, arg, 4) == 0 && f->d_name[4] == '_') {
                if (++found == 1) {
                    size_t need = strlen(dir) + l + 2;
                    *path = malloc(need);
                    if (*path)
                        snprintf(*path, need, "%s/%s", dir, f->d_name);
                }
            }
        }
        closedir(d);
    }
    closedir(top);
    if (found == 1 && *path)
        return 0;
    free(*path);
    *path = NULL;
    cli_error("'%s': %s saved run numbered %s in '%s'", arg, found ? "more than one" : "no", arg, storage);
    return found ? KILN_EXIT_USAGE : KILN_EXIT_NOINPUT;
}

static void warn_cb(void *ctx, const char *msg)
{
    if (!cli_quiet)
        cli_error("'%s': warning: %s", (const char *)ctx, msg);
}

static int load(const char *path, int strict, kiln_bench_run **out)
{
    kiln_bench_load_opts o = {warn_cb, (void *)path, strict};
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_bench_load_path(path, &o, out, &err) != KILN_OK)
        return cli_fail(path, &err);
    return 0;
}

typedef kiln_status (*writer_fn)(const kiln_compare *, void *, kiln_sink *, kiln_error *);

static kiln_status w_md(const kiln_compare *c, void *ctx, kiln_sink *s, kiln_error *e)
{
    return kiln_compare_write_markdown(c, *(size_t *)ctx, s, e);
}
static kiln_status w_json(const kiln_compare *c, void *ctx, kiln_sink *s, kiln_error *e)
{
    (void)ctx;
    return kiln_compare_write_json(c, s, e);
}
static kiln_status w_chart(const kiln_compare *c, void *ctx, kiln_sink *s, kiln_error *e)
{
    return kiln_chart_improvement(c, ctx, s, e);
}

static int write_output(const char *path, const kiln_compare *c, writer_fn fn, void *ctx)
{
    kiln_error err;
    kiln_error_clear(&err);
    kiln_outfile of;
    kiln_status st = kiln_outfile_open(&of, path, &err);
    if (st)
        return cli_fail(path, &err);
    st = fn(c, ctx, &of.sink, &err);
    if (st) {
        kiln_outfile_abort(&of);
        return cli_fail(path, &err);
    }
    st = kiln_outfile_commit(&of, &err);
    if (st)
        return cli_fail(path, &err) == KILN_EXIT_CANTCREAT ? KILN_EXIT_IOERR : cli_exit_code(st);
    return 0;
}

int cmd_compare(int argc, char **argv)
{
    const char *chart = NULL, *md = NULL, *json = NULL, *storage = ".benchmarks", *title = NULL;
    int svg = 0, strict = 0, width = 0;
    size_t max_rows = 200;
    kiln_gate gates[KILN_MAX_GATES];
    size_t ngates = 0;
    kiln_compare_opts copts = {0};
    cli_parser ps;
    cli_parser_init(&ps, &compare_cmd, argc, argv);
    const char *arg;
    int c, rc = 0;
    while (!rc && (c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case 'o': chart = arg; break;
        case OPT_SVG: svg = 1; break;
        case OPT_MD: md = arg; break;
        case OPT_JSON: json = arg; break;
        case OPT_STORAGE: storage = arg; break;
        case OPT_TITLE: title = arg; break;
        case OPT_STRICT: strict = 1; break;
        case OPT_WIDTH: width = (int)cli_parse_count(&compare_cmd, "width", arg); break;
        case OPT_MAX_ROWS: max_rows = (size_t)cli_parse_count(&compare_cmd, "max-rows", arg); break;
        case OPT_ALPHA:
            copts.alpha = cli_parse_double(&compare_cmd, "alpha", arg);
            if (!(copts.alpha > 0 && copts.alpha < 1))
                rc = cli_usage_error(&compare_cmd, "--alpha wants a number between 0 and 1");
            break;
        case OPT_METRIC:
            if (!kiln_bench_field_parse(arg, &copts.metric))
                rc = cli_usage_error(&compare_cmd, "--metric: unknown field '%s'", arg);
            break;
        case OPT_FAIL_ON: {
            char *copy = strdup(arg), *save = NULL;
            for (char *tok = copy ? strtok_r(copy, " ,", &save) : NULL; tok && !rc;
                 tok = strtok_r(NULL, " ,", &save)) {
                kiln_error err;
                kiln_error_clear(&err);
                if (ngates == KILN_MAX_GATES)
                    rc = cli_usage_error(&compare_cmd, "--fail-on: at most %d expressions", KILN_MAX_GATES);
                else if (kiln_gate_parse(tok, &gates[ngates], &err) != KILN_OK)
                    rc = cli_usage_error(&compare_cmd, "--fail-on: %s", err.msg);
                else
                    ngates++;
            }
            free(copy);
            break;
        }
        default: rc = KILN_EXIT_USAGE; break;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    if (rc)
        return rc;
    if (argc - first != 2)
        return cli_usage_error(&compare_cmd, "compare needs BASE and NEW (see kiln compare -h)");
    if (strcmp(argv[first], "-") == 0 && strcmp(argv[first + 1], "-") == 0)
        return cli_usage_error(&compare_cmd, "only one of BASE and NEW can be standard input");
    int outs_to_stdout = (md && strcmp(md, "-") == 0) + (json && strcmp(json, "-") == 0) +
                         (chart && strcmp(chart, "-") == 0);
    if (outs_to_stdout > 1)
        return cli_usage_error(&compare_cmd, "only one output can go to standard output");

    char *paths[2] = {NULL, NULL};
    kiln_bench_run *runs[2] = {NULL, NULL};
    kiln_compare *cmp = NULL;
    for (int i = 0; i < 2 && !rc; i++)
        rc = resolve_run(argv[first + i], storage, &paths[i]);
    for (int i = 0; i < 2 && !rc; i++)
        rc = load(paths[i], strict, &runs[i]);
    if (!rc) {
        if (strcmp(paths[0], "-") == 0)
            kiln_bench_run_set_source(runs[0], "BASE");
        if (strcmp(paths[1], "-") == 0)
            kiln_bench_run_set_source(runs[1], "NOW");
        const kiln_bench_info *a = kiln_bench_run_info(runs[0]), *b = kiln_bench_run_info(runs[1]);
        if (!cli_quiet && (strcmp(a->machine_node, b->machine_node) || strcmp(a->cpu_brand, b->cpu_brand) ||
                           strcmp(a->python_version, b->python_version)))
            cli_error("warning: the runs were made on different machines or Pythons (%s/%s/%s vs "
                      "%s/%s/%s); differences may not be due to the code",
                      a->machine_node, a->cpu_brand, a->python_version, b->machine_node, b->cpu_brand,
                      b->python_version);
        copts.gates = gates;
        copts.ngates = ngates;
        kiln_error err;
        kiln_error_clear(&err);
        if (kiln_compare_runs(runs[0], runs[1], &copts, &cmp, &err) != KILN_OK)
            rc = cli_fail(NULL, &err);
    }
    if (!rc && !outs_to_stdout) {
        kiln_outfile of;
        kiln_error err;
        kiln_error_clear(&err);
        kiln_status st = kiln_outfile_open(&of, "-", &err);
        if (!st) {
            st = kiln_compare_write_text(cmp, &of.sink, &err);
            if (!st && kiln_compare_regressions(cmp)) {
                kiln_sink_puts(&of.sink, "\nPerformance has regressed:\n");
                st = kiln_compare_write_failures(cmp, &of.sink, &err);
            }
            if (!st)
                st = kiln_outfile_commit(&of, &err);
            else
                kiln_outfile_abort(&of);
        }
        if (st)
            rc = cli_fail(NULL, &err);
    }
    if (!rc && md)
        rc = write_output(md, cmp, w_md, &max_rows);
    if (!rc && json)
        rc = write_output(json, cmp, w_json, NULL);
    if (!rc && chart) {
        kiln_chart_opts co = {width, svg, title};
        rc = write_output(chart, cmp, w_chart, &co);
    }
    if (!rc && kiln_compare_regressions(cmp)) {
        cli_error("performance has regressed: %zu benchmark%s past the threshold",
                  kiln_compare_regressions(cmp), kiln_compare_regressions(cmp) == 1 ? "" : "s");
        rc = KILN_EXIT_CHECK;
    }
    kiln_compare_free(cmp);
    for (int i = 0; i < 2; i++) {
        kiln_bench_run_free(runs[i]);
        free(paths[i]);
    }
    return rc;
}
