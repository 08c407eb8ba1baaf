/* kiln scaling: empirical complexity, from pytest-benchmark runs whose
 * benchmarks are parameterised by a size, or from profiles of one workload
 * at several sizes. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "kiln/bench.h"
#include "kiln/charts.h"
#include "kiln/complexity.h"

enum { OPT_SIZES = 256, OPT_PARAM, OPT_METRIC, OPT_SVG, OPT_TITLE, OPT_TOP, OPT_MIN_SHARE, OPT_FROM };

static const cli_option scaling_options[] = {
    {"sizes", OPT_SIZES, "N,N,...", "profiles: the input size of each profile, in order"},
    {"param", OPT_PARAM, "NAME", "benchmarks: the size parameter (default: the only numeric one)"},
    {"metric", OPT_METRIC, "FIELD", "benchmarks: the statistic fitted (default mean)"},
    {"output", 'o', "FILE", "draw the scaling plot (PNG, or SVG with --svg) into FILE"},
    {"svg", OPT_SVG, NULL, "write the plot as SVG"},
    {"title", OPT_TITLE, "TEXT", "plot title"},
    {"top", OPT_TOP, "N", "profiles: report at most N functions (default 20)"},
    {"min-share", OPT_MIN_SHARE, "PCT", "profiles: skip functions below PCT% of the largest run (default 1)"},
    {"from", OPT_FROM, "FMT", "profiles: input format (default: sniffed)"},
    {0, 0, 0, 0}};

static const cli_command scaling_cmd = {
    "scaling", "[options] RUN.json...\n       kiln scaling [options] --sizes N,N,... PROFILE...",
    "Fits time against input size on log-log axes (time = c * n^k) and names the growth:\n"
    "constant, logarithmic, linear, n log n, quadratic, cubic. With pytest-benchmark runs, the\n"
    "benchmarks parameterised by a numeric size form one series per test; with profiles of one\n"
    "workload at several sizes (--sizes), each function's call count and cumulative time form a\n"
    "series. Prints one line per series ('test_dedupe: time ∝ n^1.98, R² 0.999: quadratic').\n"
    "Exit status: 0, 2 on a usage error, 65 on malformed input, 66 when an input cannot be read.",
    scaling_options};

int cmd_scaling(int argc, char **argv);

static int looks_like_json(const char *path)
{
    if (strcmp(path, "-") == 0)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    for (ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == 0xEF || c == 0xBB || c == 0xBF || isspace(c))
            continue;
        return c == '{';
    }
    return 0;
}

static void warn_cb(void *ctx, const char *msg)
{
    if (!cli_quiet)
        cli_error("'%s': warning: %s", (const char *)ctx, msg);
}

static int draw(const char *path, const kiln_scaling_set *set, size_t count, int svg, const char *title)
{
    kiln_error err;
    kiln_error_clear(&err);
    kiln_outfile of;
    if (kiln_outfile_open(&of, path, &err))
        return cli_fail(path, &err);
    kiln_chart_opts co = {0, svg, title};
    kiln_status st = kiln_chart_scaling(kiln_scaling_series_array(set), count, &co, &of.sink, &err);
    if (st) {
        kiln_outfile_abort(&of);
        return cli_fail(path, &err);
    }
    if (kiln_outfile_commit(&of, &err))
        return cli_fail(path, &err);
    return 0;
}

int cmd_scaling(int argc, char **argv)
{
    const char *sizes_arg = NULL, *param = NULL, *chart = NULL, *title = NULL, *from = NULL;
    kiln_bench_field metric = KILN_FIELD_MEAN;
    int svg = 0;
    long long top = 20;
    double min_share = 1;
    cli_parser ps;
    cli_parser_init(&ps, &scaling_cmd, argc, argv);
    const char *arg;
    int c, rc = 0;
    while (!rc && (c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case OPT_SIZES: sizes_arg = arg; break;
        case OPT_PARAM: param = arg; break;
        case OPT_METRIC:
            if (!kiln_bench_field_parse(arg, &metric))
                rc = cli_usage_error(&scaling_cmd, "--metric: unknown field '%s'", arg);
            break;
        case 'o': chart = arg; break;
        case OPT_SVG: svg = 1; break;
        case OPT_TITLE: title = arg; break;
        case OPT_TOP: top = cli_parse_count(&scaling_cmd, "top", arg); break;
        case OPT_MIN_SHARE: min_share = cli_parse_double(&scaling_cmd, "min-share", arg); break;
        case OPT_FROM: from = arg; break;
        default: rc = KILN_EXIT_USAGE; break;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    if (rc)
        return rc;
    int nfiles = argc - first;
    if (nfiles < 1)
        return cli_usage_error(&scaling_cmd, "scaling needs input files (see kiln scaling -h)");

    kiln_scaling_set *set = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    int bench_mode = !sizes_arg && looks_like_json(argv[first]);
    size_t shown = 0;
    if (bench_mode) {
        for (int i = 0; i < nfiles && !rc; i++) {
            const char *path = argv[first + i];
            kiln_bench_run *run = NULL;
            kiln_bench_load_opts lo = {warn_cb, (void *)path, 0};
            if (kiln_bench_load_path(path, &lo, &run, &err)) {
                rc = cli_fail(path, &err);
                break;
            }
            const char *label = nfiles > 1 ? kiln_bench_run_info(run)->source : NULL;
            if (kiln_scaling_add_bench(&set, run, metric, param, label, &err))
                rc = cli_fail(path, &err);
            kiln_bench_run_free(run);
        }
        if (!rc && kiln_scaling_count(set) == 0) {
            cli_error("no benchmark is parameterised by a numeric size at two or more values%s%s",
                      param ? " (--param " : "", param ? ")" : "");
            rc = KILN_EXIT_DATA;
        }
        for (size_t i = 0; !rc && i < kiln_scaling_count(set); i++) {
            const kiln_scaling_series *s = kiln_scaling_at(set, i);
            char desc[256];
            printf("%s: %s\n", s->name, kiln_powerfit_describe(&s->fit, "time", desc, sizeof desc));
        }
        shown = kiln_scaling_count(set);
    } else {
        double *sizes = NULL;
        size_t nsizes = 0;
        if (!sizes_arg)
            rc = cli_usage_error(&scaling_cmd, "profiles need --sizes (one size per profile)");
        else if (cli_parse_sizes(sizes_arg, &sizes, &nsizes))
            rc = cli_usage_error(&scaling_cmd, "--sizes: expected positive numbers separated by commas");
        else if (nsizes != (size_t)nfiles)
            rc = cli_usage_error(&scaling_cmd, "--sizes gives %zu sizes for %d profiles", nsizes, nfiles);
        else if (nfiles < 2)
            rc = cli_usage_error(&scaling_cmd, "scaling needs profiles at two or more sizes");
        kiln_profile **profs = rc ? NULL : calloc((size_t)nfiles, sizeof *profs);
        if (!rc && !profs)
            rc = KILN_EXIT_INTERNAL;
        for (int i = 0; i < nfiles && !rc; i++)
            rc = cli_load_profile(argv[first + i], from, 0, &profs[i]);
        if (!rc && kiln_scaling_from_profiles((const kiln_profile *const *)profs, sizes, (size_t)nfiles,
                                              &set, &err))
            rc = cli_fail(NULL, &err);
        /* keep the functions that matter, largest share first */
        for (size_t i = 0; !rc && i < kiln_scaling_count(set) && (long long)shown < top; i++) {
            const kiln_scaling_series *s = kiln_scaling_at(set, i);
            if (s->share * 100 < min_share)
                break;
            char dc[256], dt[256];
            kiln_powerfit_describe(&s->calls_fit, "calls", dc, sizeof dc);
            kiln_powerfit_describe(&s->fit, "time", dt, sizeof dt);
            kiln_buf b = KILN_BUF_INIT;
            /* function names come from the profiled program: escape for the terminal */
            for (const unsigned char *p = (const unsigned char *)s->name; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                    kiln_buf_printf(&b, "\\x%02x", *p);
                else
                    kiln_buf_addch(&b, (char)*p);
            char dm[256] = "";
            if (s->calls_out_fit.cls != KILN_CX_UNKNOWN) {
                char t[240];
                snprintf(dm, sizeof dm, "; %s", kiln_powerfit_describe(&s->calls_out_fit, "calls made", t, sizeof t));
            }
            printf("%s (%.1f%% of the largest run): %s; %s%s\n", b.data ? b.data : "", s->share * 100, dc, dt, dm);
            kiln_buf_release(&b);
            shown++;
        }
        for (int i = 0; profs && i < nfiles; i++)
            kiln_profile_free(profs[i]);
        free(profs);
        free(sizes);
    }
    if (fflush(stdout) != 0 && !rc) {
        cli_error("write error on standard output");
        rc = KILN_EXIT_IOERR;
    }
    if (!rc && chart)
        rc = draw(chart, set, shown, svg, title);
    kiln_scaling_free(set);
    return rc;
}
