/* kiln report: the seed workflow's report bundle in one folder:
 *   performance_analysis_<target>_<date>.md and .html, plan.md,
 *   flame_<target>.html, callgraph_<target>.png, improvement_<target>.png
 *   (with --baseline and --bench), and on request a compact --summary.
 * Each artifact is one small function; an artifact that cannot be made is
 * named in the report as not available (with the reason), never linked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"
#include "kiln/analysis.h"
#include "kiln/bench.h"
#include "kiln/callgraph.h"
#include "kiln/charts.h"
#include "kiln/compare.h"
#include "kiln/complexity.h"
#include "kiln/flame.h"
#include "kiln/report.h"
#include "report_meta.h"

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif

enum { OPT_BASELINE = 256, OPT_BENCH, OPT_TARGET, OPT_SUMMARY, OPT_IMAGE_URL, OPT_SOURCE_ROOT, OPT_FROM,
       OPT_STRICT, OPT_TOP, OPT_LEAF_SELF, OPT_LEAF_SHARE, OPT_JUNCTION_SHARE, OPT_JUNCTION_SELF,
       OPT_RECURSION, OPT_MIN_SHARE, OPT_NO_IMAGES, OPT_SIZES, OPT_PARAM, OPT_GROWTH };

static const cli_option report_options[] = {
    {"output", 'o', "DIR", "write the bundle into DIR (default: reports), created when missing"},
    {"target", OPT_TARGET, "NAME", "target name used in file names (default: the first profile's file name)"},
    {"baseline", OPT_BASELINE, "OLD.json", "pytest-benchmark JSON of the baseline (needs --bench)"},
    {"bench", OPT_BENCH, "NEW.json", "pytest-benchmark JSON after the change: adds the before/after table"},
    {"summary", OPT_SUMMARY, "FILE", "also write a compact Markdown summary (< 65,536 characters) for a PR "
                                     "comment or $GITHUB_STEP_SUMMARY ('-' = standard output)"},
    {"image-base-url", OPT_IMAGE_URL, "URL", "summary: link images as URL/<file> (absolute URLs)"},
    {"source-root", OPT_SOURCE_ROOT, "DIR|OLD=NEW", "where to find the profiled sources for excerpts "
                                                    "(repeatable): DIR matched by path suffix, or a prefix "
                                                    "mapping OLD=NEW"},
    {"from", OPT_FROM, "FMT", "input format: prof, perf, folded or kiln (default: sniffed)"},
    {"strict", OPT_STRICT, NULL, "treat damaged input as an error"},
    {"top", OPT_TOP, "N", "rows of the baseline table (default: 25)"},
    {"leaf-self-ratio", OPT_LEAF_SELF, "R", "slow leaf: minimum self/total (default: 0.80)"},
    {"leaf-share", OPT_LEAF_SHARE, "R", "slow leaf: minimum self share of the run (default: 0.05)"},
    {"junction-share", OPT_JUNCTION_SHARE, "R", "busy junction: minimum total share of the run (default: 0.10)"},
    {"junction-self-ratio", OPT_JUNCTION_SELF, "R", "busy junction: maximum self/total (default: 0.20)"},
    {"recursion-ratio", OPT_RECURSION, "R", "recursion blow-up: minimum calls/primitive calls (default: 500)"},
    {"min-share", OPT_MIN_SHARE, "R", "findings below this share of the run are dropped (default: 0.01)"},
    {"sizes", OPT_SIZES, "N,N,...", "the PROFILEs are one workload at these input sizes (one per PROFILE): "
                                    "each function's growth of time and calls becomes evidence"},
    {"param", OPT_PARAM, "NAME", "the size parameter of sized benchmarks in --baseline (default: the only "
                                 "numeric one)"},
    {"growth-exponent", OPT_GROWTH, "K", "superlinear growth: minimum fitted exponent (default: 1.6)"},
    {"no-images", OPT_NO_IMAGES, NULL, "do not render the flame graph, call graph and chart"},
    {0, 0, 0, 0}};

static const cli_command report_cmd = {
    "report", "[options] PROFILE... [--baseline OLD.json --bench NEW.json]",
    "Analyses the first PROFILE (slow leaf nodes, busy junctions, pattern findings, ranked\n"
    "recommendations with Amdahl estimates and the 80/20 set) and writes the report bundle of\n"
    "the seed workflow: performance_analysis_<target>_<date>.md and .html, plan.md,\n"
    "flame_<target>.html, callgraph_<target>.png and, with --baseline/--bench,\n"
    "improvement_<target>.png and a before/after table. Further PROFILEs are summarised in one\n"
    "table. Empirical complexity is evidence for Category B (algorithmic) recommendations: the\n"
    "benchmarks of --baseline parameterised by a size are fitted (time = c * n^k) and matched to\n"
    "the function they name (test_dedupe -> dedupe); with --sizes, the PROFILEs are the same\n"
    "workload at those sizes and every function's time and calls are fitted. SOURCE_DATE_EPOCH\n"
    "fixes the timestamp and date, making the output reproducible.",
    report_options};

typedef struct {
    const char *dir;
    const char *target;
    const kiln_profile *p;
    const kiln_compare *cmp;
} bundle;

/* dir/name, owned by the caller. */
static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dir, name);
    return s;
}

static int mkdirs(const char *dir)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return -1;
    for (char *s = tmp + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(tmp, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

typedef kiln_status (*artifact_fn)(const bundle *b, kiln_sink *out, kiln_error *err);

/* Writes one file atomically. Returns 0; on a renderer failure fills why
 * and returns 1 (the report says it is not available); on an output error
 * prints it and returns the exit code. */
static int write_file(const char *path, artifact_fn fn, const bundle *b, char *why, size_t wn)
{
    kiln_error err;
    kiln_error_clear(&err);
    kiln_outfile of;
    if (kiln_outfile_open(&of, path, &err) != KILN_OK)
        return cli_fail(path, &err);
    kiln_status st = fn(b, &of.sink, &err);
    if (st != KILN_OK) {
        kiln_outfile_abort(&of);
        if (st == KILN_ERR_WRITE || st == KILN_ERR_NOMEM)
            return cli_fail(path, &err);
        snprintf(why, wn, "could not be rendered: %s", err.msg);
        if (!cli_quiet)
            fprintf(stderr, "kiln: '%s': warning: %s\n", path, err.msg);
        return -1;
    }
    if (kiln_outfile_commit(&of, &err) != KILN_OK)
        return cli_fail(path, &err);
    return 0;
}

static kiln_status make_flame(const bundle *b, kiln_sink *out, kiln_error *err)
{
    kiln_flame_opts o;
    kiln_flame_opts_init(&o);
    char title[512];
    snprintf(title, sizeof title, "Flame graph: %s", b->target);
    o.title = title;
    return kiln_render_flame_html(b->p, &o, out, err);
}

static kiln_status make_callgraph(const bundle *b, kiln_sink *out, kiln_error *err)
{
    kiln_callgraph_opts o;
    kiln_callgraph_opts_init(&o);
    char title[512];
    snprintf(title, sizeof title, "Call graph: %s", b->target);
    o.title = title;
    o.format = KILN_CALLGRAPH_PNG;
    return kiln_render_callgraph(b->p, &o, out, err);
}

static kiln_status make_improvement(const bundle *b, kiln_sink *out, kiln_error *err)
{
    kiln_chart_opts o = {0, 0, NULL};
    return kiln_chart_improvement(b->cmp, &o, out, err);
}

/* One artifact: written into the bundle, or described as unavailable. */
static int artifact(const bundle *b, const char *prefix, const char *ext, artifact_fn fn, int wanted,
                    const char *why_unwanted, kiln_report_artifact *out, char *name, char *why, size_t n)
{
    out->file = NULL;
    out->why_not = why;
    if (!wanted) {
        snprintf(why, n, "%s", why_unwanted);
        return 0;
    }
    snprintf(name, n, "%s_%s.%s", prefix, b->target, ext);
    char *path = path_in(b->dir, name);
    if (!path)
        return KILN_EXIT_INTERNAL;
    int rc = write_file(path, fn, b, why, n);
    free(path);
    if (rc > 0)
        return rc;
    if (rc == 0)
        out->file = name;
    return 0;
}

/* Target name for file names: letters, digits, '-', '_', '.' only. */
static void sanitize_target(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (const char *s = in; *s && k + 1 < n && k < 64; s++) {
        char c = *s;
        out[k++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.')
                       ? c
                       : '_';
    }
    out[k] = 0;
    if (!k || out[0] == '.')
        snprintf(out, n, "profile");
}

static void default_target(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", strcmp(path, "-") == 0 ? "stdin" : base);
    char *dot = strchr(tmp, '.');
    if (dot && dot != tmp)
        *dot = 0;
    sanitize_target(tmp, out, n);
}

/* Timestamp and date: SOURCE_DATE_EPOCH when set, else now (UTC). */
static int report_time(char *ts, size_t tn, char *date, size_t dn)
{
    time_t t = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        errno = 0;
        long long v = strtoll(sde, &end, 10);
        if (errno || *end || v < 0 || v > 253402300799LL) {
            cli_error("SOURCE_DATE_EPOCH must be a non-negative integer, not '%s'", sde);
            return KILN_EXIT_USAGE;
        }
        t = (time_t)v;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, tn, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(date, dn, "%Y-%m-%d", &tm);
    return 0;
}

typedef kiln_status (*text_fn)(const kiln_profile *, const kiln_analysis *, const kiln_report_opts *,
                               kiln_sink *, kiln_error *);

static int write_text(const char *path, text_fn fn, const kiln_profile *p, const kiln_analysis *a,
                      const kiln_report_opts *o, kiln_buf *keep)
{
    kiln_error err;
    kiln_error_clear(&err);
    kiln_buf buf = KILN_BUF_INIT;
    kiln_sink mem;
    kiln_sink_init_buf(&mem, &buf);
    if (fn(p, a, o, &mem, &err) != KILN_OK) {
        kiln_buf_release(&buf);
        return cli_fail(path, &err);
    }
    kiln_outfile of;
    if (kiln_outfile_open(&of, path, &err) != KILN_OK) {
        kiln_buf_release(&buf);
        return cli_fail(path, &err);
    }
    kiln_sink_write(&of.sink, buf.data ? buf.data : "", buf.len);
    if (kiln_outfile_commit(&of, &err) != KILN_OK) {
        kiln_buf_release(&buf);
        return cli_fail(path, &err);
    }
    if (keep)
        *keep = buf;
    else
        kiln_buf_release(&buf);
    return 0;
}

static int write_html(const char *path, const kiln_buf *md, const char *title)
{
    kiln_error err;
    kiln_error_clear(&err);
    kiln_outfile of;
    if (kiln_outfile_open(&of, path, &err) != KILN_OK)
        return cli_fail(path, &err);
    if (kiln_report_md_to_html(md->data ? md->data : "", md->len, title, &of.sink, &err) != KILN_OK) {
        kiln_outfile_abort(&of);
        return cli_fail(path, &err);
    }
    return kiln_outfile_commit(&of, &err) == KILN_OK ? 0 : cli_fail(path, &err);
}

static int write_summary(const char *path, const kiln_profile *p, const kiln_analysis *a,
                         const kiln_report_opts *o)
{
    kiln_error err;
    kiln_error_clear(&err);
    kiln_outfile of;
    if (kiln_outfile_open(&of, path, &err) != KILN_OK)
        return cli_fail(path, &err);
    if (kiln_report_write_summary(p, a, o, 0, &of.sink, &err) != KILN_OK) {
        kiln_outfile_abort(&of);
        return cli_fail(path, &err);
    }
    return kiln_outfile_commit(&of, &err) == KILN_OK ? 0 : cli_fail(path, &err);
}

static void bench_warn(void *ctx, const char *msg)
{
    if (!cli_quiet)
        fprintf(stderr, "kiln: '%s': warning: %s\n", (const char *)ctx, msg);
}

static int load_bench(const char *path, kiln_bench_run **out)
{
    kiln_error err;
    kiln_error_clear(&err);
    kiln_bench_load_opts lo = {bench_warn, (void *)path, 0};
    if (kiln_bench_load_path(path, &lo, out, &err) != KILN_OK)
        return cli_fail(path, &err);
    return 0;
}

static double ratio_opt(const char *opt, const char *v, double max)
{
    double d = cli_parse_double(&report_cmd, opt, v);
    if (!(d >= 0 && d <= max))
        exit(cli_usage_error(&report_cmd, "--%s must be between 0 and %g", opt, max));
    return d;
}

/* The scaling series (profiles at --sizes, then the baseline's and the new
 * run's sized benchmarks) and their growth matched to the first profile's
 * functions; only the profiles and the baseline describe the profiled code,
 * so the new run's series are listed but not matched. */
static int measured_growth(kiln_profile **in, const double *sizes, size_t nsizes, const kiln_bench_run *base,
                           const kiln_bench_run *head, const char *param, kiln_scaling_set **set,
                           kiln_growth **growth, kiln_analysis_opts *aopts)
{
    kiln_error err;
    kiln_error_clear(&err);
    if (nsizes &&
        kiln_scaling_from_profiles((const kiln_profile *const *)in, sizes, nsizes, set, &err) != KILN_OK)
        return cli_fail("--sizes", &err);
    if (base && kiln_scaling_add_bench(set, base, KILN_FIELD_MEAN, param, "baseline", &err) != KILN_OK)
        return cli_fail("--baseline", &err);
    size_t matched = kiln_scaling_count(*set);
    if (head && kiln_scaling_add_bench(set, head, KILN_FIELD_MEAN, param, "new", &err) != KILN_OK)
        return cli_fail("--bench", &err);
    if (kiln_growth_match(in[0], *set, 0, matched, growth, &aopts->n_growth, &err) != KILN_OK)
        return cli_fail("--sizes", &err);
    aopts->growth = *growth;
    return 0;
}

int cmd_report(int argc, char **argv);

int cmd_report(int argc, char **argv)
{
    const char *dir = "reports", *target_opt = NULL, *baseline = NULL, *bench_path = NULL, *summary = NULL,
               *image_url = NULL, *from = NULL, *sizes_arg = NULL, *param = NULL;
    const char *roots[64];
    size_t nroots = 0;
    int strict = 0, no_images = 0;
    size_t top = 25;
    kiln_analysis_opts aopts;
    kiln_analysis_opts_default(&aopts);
    cli_parser ps;
    cli_parser_init(&ps, &report_cmd, argc, argv);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case 'o':
            if (strcmp(arg, "-") == 0) {
                cli_parser_release(&ps);
                return cli_usage_error(&report_cmd, "the bundle is a directory: -o - is not possible "
                                                    "(--summary - writes the summary to stdout)");
            }
            dir = arg;
            break;
        case OPT_TARGET: target_opt = arg; break;
        case OPT_BASELINE: baseline = arg; break;
        case OPT_BENCH: bench_path = arg; break;
        case OPT_SUMMARY: summary = arg; break;
        case OPT_IMAGE_URL: image_url = arg; break;
        case OPT_SOURCE_ROOT:
            if (nroots == sizeof roots / sizeof *roots) {
                cli_parser_release(&ps);
                return cli_usage_error(&report_cmd, "at most 64 --source-root options");
            }
            roots[nroots++] = arg;
            break;
        case OPT_FROM: from = arg; break;
        case OPT_STRICT: strict = 1; break;
        case OPT_TOP: top = (size_t)cli_parse_count(&report_cmd, "top", arg); break;
        case OPT_LEAF_SELF: aopts.leaf_min_self_ratio = ratio_opt("leaf-self-ratio", arg, 1); break;
        case OPT_LEAF_SHARE: aopts.leaf_min_share = ratio_opt("leaf-share", arg, 1); break;
        case OPT_JUNCTION_SHARE: aopts.junction_min_share = ratio_opt("junction-share", arg, 1); break;
        case OPT_JUNCTION_SELF: aopts.junction_max_self_ratio = ratio_opt("junction-self-ratio", arg, 1); break;
        case OPT_RECURSION: aopts.recursion_min_ratio = ratio_opt("recursion-ratio", arg, 1e12); break;
        case OPT_MIN_SHARE: aopts.finding_min_share = ratio_opt("min-share", arg, 1); break;
        case OPT_NO_IMAGES: no_images = 1; break;
        case OPT_SIZES: sizes_arg = arg; break;
        case OPT_PARAM: param = arg; break;
        case OPT_GROWTH: aopts.growth_min_exponent = ratio_opt("growth-exponent", arg, 100); break;
        default: cli_parser_release(&ps); return KILN_EXIT_USAGE;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    int nin = argc - first;
    if (nin < 1)
        return cli_usage_error(&report_cmd, "report needs at least one PROFILE (see kiln report -h)");
    if (!baseline != !bench_path)
        return cli_usage_error(&report_cmd, "--baseline and --bench go together");
    if (top == 0 || top > 10000)
        return cli_usage_error(&report_cmd, "--top must be between 1 and 10000");
    if (image_url && strncmp(image_url, "https://", 8) != 0 && strncmp(image_url, "http://", 7) != 0)
        return cli_usage_error(&report_cmd, "--image-base-url must be an absolute http(s) URL");

    double *sizes = NULL;
    size_t nsizes = 0;
    if (sizes_arg) {
        if (cli_parse_sizes(sizes_arg, &sizes, &nsizes))
            return cli_usage_error(&report_cmd, "--sizes: expected positive numbers separated by commas");
        if (nsizes != (size_t)nin || nin < 2) {
            free(sizes);
            return cli_usage_error(&report_cmd, "--sizes gives %zu sizes for %d PROFILEs (one each, two or more)",
                                   nsizes, nin);
        }
    }

    char ts[32], date[16];
    int rc = report_time(ts, sizeof ts, date, sizeof date);
    if (rc) {
        free(sizes);
        return rc;
    }

    kiln_profile **in = calloc((size_t)nin, sizeof *in);
    kiln_report_input *inputs = calloc((size_t)nin + 2, sizeof *inputs);
    char (*hashes)[65] = calloc((size_t)nin + 2, sizeof *hashes);
    char **names = calloc((size_t)nin + 1, sizeof *names);
    kiln_bench_run *run_base = NULL, *run_new = NULL;
    kiln_compare *cmp = NULL;
    kiln_analysis *a = NULL;
    kiln_scaling_set *scaling = NULL;
    kiln_growth *growth = NULL;
    kiln_buf md = KILN_BUF_INIT;
    char *md_path = NULL, *html_path = NULL, *plan_path = NULL;
    if (!in || !inputs || !hashes || !names) {
        rc = KILN_EXIT_INTERNAL;
        goto out;
    }
    for (int i = 0; i < nin && !rc; i++)
        rc = cli_load_profile(argv[first + i], from, strict, &in[i]);
    if (!rc && baseline)
        rc = load_bench(baseline, &run_base);
    if (!rc && bench_path)
        rc = load_bench(bench_path, &run_new);
    if (rc)
        goto out;
    if (run_base && run_new) {
        kiln_error err;
        kiln_error_clear(&err);
        kiln_compare_opts co;
        memset(&co, 0, sizeof co);
        if (kiln_compare_runs(run_base, run_new, &co, &cmp, &err) != KILN_OK) {
            rc = cli_fail(bench_path, &err);
            goto out;
        }
    }

    /* inputs: sizes and hashes */
    size_t ninputs = 0;
    const char *roles[3] = {"profile", "baseline", "bench"};
    for (int i = 0; i < nin + 2; i++) {
        const char *path = i < nin ? argv[first + i] : i == nin ? baseline : bench_path;
        if (!path)
            continue;
        kiln_report_input *r = &inputs[ninputs];
        r->path = path;
        r->role = roles[i < nin ? 0 : i - nin + 1];
        r->sha256 = rep_file_sha256(path, hashes[ninputs], &r->size) == 0 ? hashes[ninputs] : NULL;
        ninputs++;
    }

    char target[80];
    if (target_opt)
        sanitize_target(target_opt, target, sizeof target);
    else
        default_target(argv[first], target, sizeof target);

    kiln_error err;
    kiln_error_clear(&err);
    rc = measured_growth(in, sizes, nsizes, run_base, run_new, param, &scaling, &growth, &aopts);
    if (rc)
        goto out;
    if (kiln_analyze(in[0], &aopts, &a, &err) != KILN_OK) {
        rc = cli_fail(argv[first], &err);
        goto out;
    }
    if (mkdirs(dir) != 0) {
        cli_error("'%s': cannot create directory: %s", dir, strerror(errno));
        rc = KILN_EXIT_CANTCREAT;
        goto out;
    }

    kiln_report_opts o;
    kiln_report_opts_init(&o);
    char host[512], cpu[256], commit[80], git_why[160];
    rep_host(host, sizeof host);
    rep_cpu(cpu, sizeof cpu);
    o.git_commit = strcmp(argv[first], "-") != 0 &&
                           rep_git_commit(argv[first], commit, sizeof commit, git_why, sizeof git_why)
                       ? commit
                       : NULL;
    if (!o.git_commit && strcmp(argv[first], "-") == 0)
        snprintf(git_why, sizeof git_why, "unknown: the profile came from standard input");
    o.git_note = git_why;
    const char *meta_commit = kiln_profile_meta_get(in[0], KILN_META_TARGET_VERSION);
    if (!o.git_commit && meta_commit && *meta_commit)
        o.git_commit = meta_commit;
    o.target = target;
    o.timestamp = ts;
    o.date = date;
    o.kiln_version = KILN_VERSION;
    o.host = host;
    o.cpu = cpu;
    o.inputs = inputs;
    o.n_inputs = ninputs;
    o.source_roots = roots;
    o.n_source_roots = nroots;
    o.compare = cmp;
    o.image_base_url = image_url;
    o.max_rows = top;
    o.scaling = scaling;
    if (nin > 1) {
        o.others = (const kiln_profile *const *)(in + 1);
        for (int i = 1; i < nin; i++)
            names[i - 1] = argv[first + i];
        o.other_names = (const char *const *)names;
        o.n_others = (size_t)(nin - 1);
    }

    /* the rendered artifacts, each on its own */
    bundle b = {dir, target, in[0], cmp};
    char flame_name[1200], flame_why[1200], cg_name[1200], cg_why[1200], imp_name[1200], imp_why[1200];
    rc = artifact(&b, "flame", "html", make_flame, !no_images, "not generated (--no-images)", &o.flame,
                  flame_name, flame_why, sizeof flame_name);
    if (!rc)
        rc = artifact(&b, "callgraph", "png", make_callgraph, !no_images, "not generated (--no-images)",
                      &o.callgraph, cg_name, cg_why, sizeof cg_name);
    if (!rc)
        rc = artifact(&b, "improvement", "png", make_improvement, !no_images && cmp != NULL,
                      no_images ? "not generated (--no-images)"
                                : "needs benchmark runs before and after (--baseline OLD.json --bench NEW.json)",
                      &o.improvement, imp_name, imp_why, sizeof imp_name);
    if (rc)
        goto out;

    char md_name[256], html_name[256];
    snprintf(md_name, sizeof md_name, "performance_analysis_%s_%s.md", target, date);
    snprintf(html_name, sizeof html_name, "performance_analysis_%s_%s.html", target, date);
    o.report_file = md_name;
    md_path = path_in(dir, md_name);
    html_path = path_in(dir, html_name);
    plan_path = path_in(dir, "plan.md");
    if (!md_path || !html_path || !plan_path) {
        rc = KILN_EXIT_INTERNAL;
        goto out;
    }
    rc = write_text(md_path, kiln_report_write_md, in[0], a, &o, &md);
    if (!rc) {
        char title[256];
        snprintf(title, sizeof title, "Performance analysis: %s", target);
        rc = write_html(html_path, &md, title);
    }
    if (!rc)
        rc = write_text(plan_path, kiln_report_write_plan, in[0], a, &o, NULL);
    if (!rc && summary)
        rc = write_summary(summary, in[0], a, &o);
    if (!rc && !cli_quiet)
        fprintf(stderr, "kiln: wrote %s, %s, %s%s%s%s%s%s%s\n", md_path, html_path, plan_path,
                o.flame.file ? ", " : "", o.flame.file ? o.flame.file : "", o.callgraph.file ? ", " : "",
                o.callgraph.file ? o.callgraph.file : "", o.improvement.file ? ", " : "",
                o.improvement.file ? o.improvement.file : "");
out:
    kiln_buf_release(&md);
    free(md_path);
    free(html_path);
    free(plan_path);
    kiln_analysis_free(a);
    kiln_scaling_free(scaling);
    free(growth);
    free(sizes);
    kiln_compare_free(cmp);
    kiln_bench_run_free(run_base);
    kiln_bench_run_free(run_new);
    if (in)
        for (int i = 0; i < nin; i++)
            kiln_profile_free(in[i]);
    free(in);
    free(inputs);
    free(hashes);
    free(names);
    return rc;
}
