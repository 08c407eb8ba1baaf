/* Shared CLI plumbing: option tables, help, errors, loading profiles. */
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_quiet;

int cli_progress_enabled(void)
{
    return !cli_quiet && isatty(STDERR_FILENO) && !getenv("CI");
}

void cli_print_help(FILE *out, const cli_command *cmd)
{
    fprintf(out, "usage: kiln %s %s\n\n", cmd->name, cmd->synopsis);
    if (cmd->description)
        fprintf(out, "%s\n\n", cmd->description);
    fprintf(out, "options:\n");
    for (const cli_option *o = cmd->options; o && o->long_name; o++) {
        char left[64];
        if (o->short_name > 0 && o->short_name < 256)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->long_name,
                     o->arg ? " " : "", o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->long_name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        fprintf(out, "  %-26s %s\n", left, o->help);
    }
    fprintf(out, "  %-26s %s\n", "-h, --help", "show this help and exit");
}

void cli_parser_init(cli_parser *ps, const cli_command *cmd, int argc, char **argv)
{
    size_t n = 0;
    for (const cli_option *o = cmd->options; o && o->long_name; o++)
        n++;
    struct option *lo = calloc(n + 2, sizeof *lo);
    char *so = calloc(2 * n + 8, 1);
    if (!lo || !so) {
        fprintf(stderr, "kiln: out of memory\n");
        exit(KILN_EXIT_INTERNAL);
    }
    size_t k = 0, j = 0;
    so[j++] = ':'; /* report a missing value as ':' */
    for (const cli_option *o = cmd->options; o && o->long_name; o++, k++) {
        lo[k].name = o->long_name;
        lo[k].has_arg = o->arg ? required_argument : no_argument;
        lo[k].val = o->short_name;
        if (o->short_name > 0 && o->short_name < 256) {
            so[j++] = (char)o->short_name;
            if (o->arg)
                so[j++] = ':';
        }
    }
    lo[k].name = "help";
    lo[k].val = 'h';
    so[j++] = 'h';
    ps->cmd = cmd;
    ps->argc = argc;
    ps->argv = argv;
    ps->longopts = lo;
    ps->shortopts = so;
    optind = 1;
    opterr = 0;
}

int cli_parser_next(cli_parser *ps, const char **arg)
{
    int c = getopt_long(ps->argc, ps->argv, ps->shortopts, ps->longopts, NULL);
    if (c == 'h') {
        cli_print_help(stdout, ps->cmd);
        cli_parser_release(ps);
        exit(fflush(stdout) == 0 ? KILN_EXIT_OK : KILN_EXIT_IOERR);
    }
    if (c == '?' || c == ':') {
        const char *bad = ps->argv[optind - 1];
        if (optopt && optopt < 256 && c == '?')
            fprintf(stderr, "kiln %s: unknown option '-%c'\n", ps->cmd->name, optopt);
        else if (c == ':' || (optopt && optopt < 256))
            fprintf(stderr, "kiln %s: option '%s' needs a value\n", ps->cmd->name, bad);
        else
            fprintf(stderr, "kiln %s: unknown or incomplete option '%s'\n", ps->cmd->name, bad);
        fprintf(stderr, "Try 'kiln %s --help'.\n", ps->cmd->name);
        cli_parser_release(ps);
        exit(KILN_EXIT_USAGE);
    }
    if (arg)
        *arg = optarg;
    return c;
}

int cli_optind(void)
{
    return optind;
}

void cli_parser_release(cli_parser *ps)
{
    free(ps->longopts);
    free(ps->shortopts);
    ps->longopts = NULL;
    ps->shortopts = NULL;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "kiln %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'kiln %s --help'.\n", cmd->name);
    return KILN_EXIT_USAGE;
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("kiln: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_code(kiln_status st)
{
    switch (st) {
    case KILN_OK: return KILN_EXIT_OK;
    case KILN_ERR_USAGE: return KILN_EXIT_USAGE;
    case KILN_ERR_DATA:
    case KILN_ERR_LIMIT:
    case KILN_ERR_FORMAT: return KILN_EXIT_DATA;
    case KILN_ERR_READ: return KILN_EXIT_NOINPUT;
    case KILN_ERR_CREATE: return KILN_EXIT_CANTCREAT;
    case KILN_ERR_WRITE: return KILN_EXIT_IOERR;
    case KILN_ERR_NOMEM:
    case KILN_ERR_INTERNAL: return KILN_EXIT_INTERNAL;
    }
    return KILN_EXIT_INTERNAL;
}

/* File names are user input too: keep control bytes out of the terminal. */
static void put_name(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

int cli_fail(const char *file, const kiln_error *err)
{
    fputs("kiln: ", stderr);
    if (file) {
        fputc('\'', stderr);
        int output = err->status == KILN_ERR_WRITE || err->status == KILN_ERR_CREATE;
        put_name(stderr, strcmp(file, "-") == 0 ? (output ? "<stdout>" : "<stdin>") : file);
        fputs("': ", stderr);
    }
    put_name(stderr, err->msg[0] ? err->msg : kiln_strerror(err->status));
    fputc('\n', stderr);
    return cli_exit_code(err->status);
}

static void warn_cb(void *ctx, const char *msg)
{
    const char *file = ctx;
    fputs("kiln: '", stderr);
    put_name(stderr, strcmp(file, "-") == 0 ? "<stdin>" : file);
    fputs("': warning: ", stderr);
    put_name(stderr, msg);
    fputc('\n', stderr);
}

static void progress_cb(void *ctx, uint64_t done)
{
    (void)ctx;
    fprintf(stderr, "\rkiln: read %llu MiB", (unsigned long long)(done >> 20));
}

int cli_load_profile_opts(const char *path, const kiln_import_opts *given, kiln_profile **out)
{
    kiln_import_opts opts = *given;
    opts.warn = warn_cb;
    opts.warn_ctx = (void *)path;
    int progress = cli_progress_enabled();
    opts.progress = progress ? progress_cb : NULL;
    kiln_error err;
    kiln_status st = kiln_import_path(path, &opts, out, &err);
    if (progress)
        fputs("\r\033[K", stderr);
    if (st != KILN_OK)
        return cli_fail(path, &err);
    return 0;
}

int cli_load_profile(const char *path, const char *format, int strict, kiln_profile **out)
{
    kiln_import_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.format = format;
    opts.strict = strict;
    return cli_load_profile_opts(path, &opts, out);
}

int cli_sample_type(const kiln_profile *p, const char *spec)
{
    if (!spec)
        return 0;
    int t = kiln_profile_sample_type_find(p, spec);
    if (t >= 0)
        return t;
    char *end;
    long v = strtol(spec, &end, 10);
    if (*spec && !*end && v >= 0 && v < kiln_profile_sample_type_count(p))
        return (int)v;
    return -1;
}

long long cli_parse_count(const cli_command *cmd, const char *opt, const char *value)
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < 0)
        exit(cli_usage_error(cmd, "--%s wants a non-negative integer, not '%s'", opt, value));
    return v;
}

double cli_parse_double(const cli_command *cmd, const char *opt, const char *value)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || v != v)
        exit(cli_usage_error(cmd, "--%s wants a number, not '%s'", opt, value));
    return v;
}

int cli_parse_sizes(const char *s, double **out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    double *v = calloc(cap, sizeof *v);
    if (!v)
        return -1;
    size_t k = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        double d = strtod(p, &end);
        if (end == p || errno || !(d > 0) || !isfinite(d) || (*end && *end != ',')) {
            free(v);
            return -1;
        }
        v[k++] = d;
        p = *end ? end + 1 : end;
    }
    *out = v;
    *n = k;
    return 0;
}
