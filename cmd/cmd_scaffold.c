/* kiln scaffold python: writes a pytest-benchmark file and a cProfile script
 * for one function of the user's project (kiln/scaffold.h). */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "kiln/scaffold.h"

enum { OPT_TARGET = 256, OPT_CALL, OPT_INPUT, OPT_SIZES, OPT_DIR, OPT_FORCE };

static const cli_option scaffold_options[] = {
    {"target", OPT_TARGET, "NAME",
     "names the files: tests/benchmarks/test_NAME_benchmark.py, scripts/profile_NAME.py "
     "(an identifier; required)"},
    {"call", OPT_CALL, "MOD:FUNC", "the function to measure, as 'pkg.module:function' (required)"},
    {"input", OPT_INPUT, "MOD:FUNC",
     "'pkg.module:factory' where factory(size) returns the function's argument "
     "(default: list(range(size)), to be replaced with representative data)"},
    {"sizes", OPT_SIZES, "N,N,...", "input sizes to benchmark (default 500,1000,2000,4000; "
     "the profile script uses the largest)"},
    {"dir", OPT_DIR, "DIR", "the project root to write into (default: the current directory)"},
    {"force", OPT_FORCE, NULL, "overwrite existing files (default: refuse)"},
    {0, 0, 0, 0}};

static const cli_command scaffold_cmd = {
    "scaffold", "python --target NAME --call 'pkg.module:function' [options]",
    "Writes the two measurement files of the seed workflow into a Python project:\n"
    "tests/benchmarks/test_NAME_benchmark.py (pytest-benchmark, one benchmark per input size,\n"
    "rounds and iterations set for statistical significance) and scripts/profile_NAME.py\n"
    "(cProfile around the call, pstats summaries, a .prof file). Their outputs are what\n"
    "`kiln report` reads. Names are checked strictly (identifiers only), so nothing given on\n"
    "the command line can end up as code in the generated files.",
    scaffold_options};

int cmd_scaffold(int argc, char **argv);

/* "500,1000,2000" into sizes[]; returns the count, or -1. */
static int parse_sizes(const char *text, long *sizes, int max)
{
    int n = 0;
    const char *p = text;
    for (;;) {
        if (*p < '0' || *p > '9' || n == max)
            return -1;
        char *end;
        long v = strtol(p, &end, 10);
        if (v < 1 || v > KILN_SCAFFOLD_MAX_SIZE)
            return -1;
        sizes[n++] = v;
        if (*end == '\0')
            return n;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
}

int cmd_scaffold(int argc, char **argv)
{
    kiln_scaffold_options opt;
    memset(&opt, 0, sizeof opt);
    long sizes[KILN_SCAFFOLD_MAX_SIZES];
    cli_parser ps;
    cli_parser_init(&ps, &scaffold_cmd, argc, argv);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case OPT_TARGET: opt.target = arg; break;
        case OPT_CALL: opt.call = arg; break;
        case OPT_INPUT: opt.input = arg; break;
        case OPT_DIR: opt.dir = arg; break;
        case OPT_FORCE: opt.force = 1; break;
        case OPT_SIZES: {
            int n = parse_sizes(arg, sizes, KILN_SCAFFOLD_MAX_SIZES);
            if (n < 0) {
                cli_parser_release(&ps);
                return cli_usage_error(&scaffold_cmd,
                                       "--sizes: '%s' is not a list of 1 to %d sizes between 1 "
                                       "and %ld, like 500,1000,2000", arg,
                                       KILN_SCAFFOLD_MAX_SIZES, KILN_SCAFFOLD_MAX_SIZE);
            }
            opt.sizes = sizes;
            opt.nsizes = (size_t)n;
            break;
        }
        default: cli_parser_release(&ps); return KILN_EXIT_USAGE;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    if (argc - first != 1 || strcmp(argv[first], "python") != 0)
        return cli_usage_error(&scaffold_cmd,
                               "scaffold needs the language, and only 'python' is supported "
                               "(see kiln scaffold -h)");
    if (!opt.target || !opt.call)
        return cli_usage_error(&scaffold_cmd, "scaffold python needs --target and --call");

    kiln_error err;
    kiln_error_clear(&err);
    kiln_buf written = KILN_BUF_INIT;
    kiln_status st = kiln_scaffold_python(&opt, &written, &err);
    if (st != KILN_OK) {
        kiln_buf_release(&written);
        return cli_fail(NULL, &err);
    }
    if (!cli_quiet && written.data) {
        printf("%s", written.data);
        printf("next: mkdir -p reports\n"
               "      python3 -m pytest tests/benchmarks/test_%s_benchmark.py "
               "--benchmark-json reports/baseline_%s.json\n"
               "      python3 scripts/profile_%s.py --output reports/%s.prof\n",
               opt.target, opt.target, opt.target, opt.target);
    }
    kiln_buf_release(&written);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write to standard output");
        return KILN_EXIT_IOERR;
    }
    return KILN_EXIT_OK;
}
