/* kiln top: the flat function table, in kiln's layout or exactly as
 * Python's pstats prints it (--pstats). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "kiln/top.h"

enum { OPT_PSTATS = 256, OPT_SORT, OPT_LIMIT, OPT_FROM, OPT_STRICT, OPT_NO_MARKS };

static const cli_option top_options[] = {
    {"pstats", OPT_PSTATS, NULL,
     "print exactly what Python's pstats.Stats(FILE).sort_stats(KEY).print_stats(N) prints"},
    {"sort", OPT_SORT, "KEY",
     "order: cumulative (default), self/tottime, calls or name; with --pstats any pstats key "
     "or unique prefix (cumulative tottime time calls ncalls pcalls name filename module line "
     "nfl stdname)"},
    {"limit", OPT_LIMIT, "N", "show at most N functions (default 25; with --pstats: all)"},
    {"from", OPT_FROM, "FMT", "input format: prof, perf, folded or kiln (default: sniffed)"},
    {"strict", OPT_STRICT, NULL, "treat damaged input (ignored lines, torn tail) as an error"},
    {"no-marks", OPT_NO_MARKS, NULL, "do not mark slow leaves (L) and busy junctions (J)"},
    {0, 0, 0, 0}};

static const cli_command top_cmd = {
    "top", "[options] FILE",
    "Lists the functions of a profile (FILE may be '-' for standard input) with their share of\n"
    "the run: total (including callees) and self time, call counts ('-' when the profile does\n"
    "not know them), name and location. Names are escaped for the terminal. With --pstats the\n"
    "output is byte for byte what Python's pstats prints for the same .prof file (names are\n"
    "then escaped only when standard output is a terminal).",
    top_options};

int cmd_top(int argc, char **argv);

int cmd_top(int argc, char **argv)
{
    const char *sort = NULL, *from = NULL;
    long long limit = -2; /* -2: the mode's default */
    int pstats = 0, strict = 0, marks = 1;
    cli_parser ps;
    cli_parser_init(&ps, &top_cmd, argc, argv);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case OPT_PSTATS: pstats = 1; break;
        case OPT_SORT: sort = arg; break;
        case OPT_LIMIT: limit = cli_parse_count(&top_cmd, "limit", arg); break;
        case OPT_FROM: from = arg; break;
        case OPT_STRICT: strict = 1; break;
        case OPT_NO_MARKS: marks = 0; break;
        default: cli_parser_release(&ps); return KILN_EXIT_USAGE;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    if (argc - first != 1)
        return cli_usage_error(&top_cmd, "top needs exactly one input (see kiln top -h)");
    const char *input = argv[first];

    kiln_top_opts topts;
    kiln_pstats_opts popts;
    kiln_top_opts_default(&topts);
    kiln_pstats_opts_default(&popts);
    if (pstats) {
        if (sort && !kiln_pstats_sort_valid(sort))
            return cli_usage_error(&top_cmd, "--sort: '%s' is not a pstats sort key", sort);
        if (sort)
            popts.sort = sort;
        popts.limit = limit == -2 ? -1 : limit;
    } else {
        if (sort && kiln_top_sort_parse(sort, &topts.sort) < 0)
            return cli_usage_error(&top_cmd, "--sort: unknown key '%s' (cumulative, self, calls, name)", sort);
        if (limit != -2)
            topts.limit = limit;
        topts.marks = marks;
    }

    struct stat sb;
    int have_stat = strcmp(input, "-") != 0 && stat(input, &sb) == 0;
    kiln_profile *p = NULL;
    kiln_import_opts io;
    memset(&io, 0, sizeof io);
    io.format = from;
    io.strict = strict;
    io.graph_only = 1; /* top reads the call graph only */
    int rc = cli_load_profile_opts(input, &io, &p);
    if (rc)
        return rc;

    if (pstats && have_stat) {
        /* pstats prints time.ctime(os.stat(path).st_mtime), computed like this. */
        popts.path = input;
        popts.mtime = (double)sb.st_mtim.tv_sec + (double)sb.st_mtim.tv_nsec * 1e-9;
    }
    popts.escape = isatty(STDOUT_FILENO);

    kiln_error err;
    kiln_error_clear(&err);
    kiln_outfile of;
    kiln_status st = kiln_outfile_open(&of, "-", &err);
    if (st == KILN_OK) {
        st = pstats ? kiln_pstats_write(p, &popts, &of.sink, &err) : kiln_top_write(p, &topts, &of.sink, &err);
        if (st == KILN_OK)
            st = kiln_outfile_commit(&of, &err);
        else
            kiln_outfile_abort(&of);
    }
    kiln_profile_free(p);
    return st == KILN_OK ? KILN_EXIT_OK : cli_fail(NULL, &err);
}
