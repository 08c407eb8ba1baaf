/* kiln merge: many profiles of one program into one (owner: helper "interchange"). */
#include <string.h>
#include <unistd.h>

#include <stdlib.h>

#include "common.h"
#include "kiln/kfile.h"
#include "kiln/merge.h"

enum { OPT_SCALE = 256, OPT_FROM, OPT_STRICT };

static const cli_option merge_options[] = {
    {"output", 'o', "FILE", "write the merged .kiln here ('-' = standard output, not a terminal)"},
    {"scale", OPT_SCALE, NULL,
     "weigh every input the same: scale each to the mean of the inputs' totals (per sample type)"},
    {"from", OPT_FROM, "FMT", "input format of every input (default: sniffed per input)"},
    {"strict", OPT_STRICT, NULL, "treat damaged input (ignored lines, torn tail) as an error"},
    {0, 0, 0, 0}};

static const cli_command merge_cmd = {
    "merge", "[options] -o OUT IN...",
    "Merges profiles of one program (runs on many machines, many runs of a benchmark) into one\n"
    ".kiln: values are summed per calling context and, for cProfile inputs, per function and\n"
    "call edge like pstats' Stats.add(). Each input's metadata is kept under \"input.N.\". The\n"
    "merge is associative and commutative, so a map-reduce job or `xargs -P` may merge in any\n"
    "order and grouping (--scale excepted: give it all inputs at once). Inputs may be in any\n"
    "format kiln reads; '-' reads one from standard input.",
    merge_options};

int cmd_merge(int argc, char **argv);

int cmd_merge(int argc, char **argv)
{
    const char *output = NULL, *from = NULL;
    int scale = 0, strict = 0;
    cli_parser ps;
    cli_parser_init(&ps, &merge_cmd, argc, argv);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case 'o': output = arg; break;
        case OPT_SCALE: scale = 1; break;
        case OPT_FROM: from = arg; break;
        case OPT_STRICT: strict = 1; break;
        default: cli_parser_release(&ps); return KILN_EXIT_USAGE;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    if (!output)
        return cli_usage_error(&merge_cmd, "merge needs -o OUT (see kiln merge -h)");
    if (argc - first < 1)
        return cli_usage_error(&merge_cmd, "merge needs at least one input (see kiln merge -h)");
    if (strcmp(output, "-") == 0 && isatty(STDOUT_FILENO))
        return cli_usage_error(&merge_cmd, "refusing to write binary .kiln to a terminal; use -o FILE");
    size_t n = (size_t)(argc - first);
    kiln_profile **in = calloc(n, sizeof *in);
    if (!in) {
        cli_error("out of memory");
        return KILN_EXIT_INTERNAL;
    }
    int rc = KILN_EXIT_OK;
    for (size_t i = 0; i < n && rc == KILN_EXIT_OK; i++)
        rc = cli_load_profile(argv[first + (int)i], from, strict, &in[i]);
    kiln_profile *out = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    if (rc == KILN_EXIT_OK) {
        kiln_status st = kiln_merge((const kiln_profile *const *)in, n, scale ? KILN_MERGE_SCALE : 0, &out, &err);
        if (st != KILN_OK)
            rc = cli_fail(NULL, &err);
    }
    for (size_t i = 0; i < n; i++)
        kiln_profile_free(in[i]);
    free(in);
    if (rc != KILN_EXIT_OK)
        return rc;
    kiln_outfile of;
    kiln_status st = kiln_outfile_open(&of, output, &err);
    if (st == KILN_OK) {
        st = kiln_kfile_write(out, &of.sink, &err);
        if (st != KILN_OK)
            kiln_outfile_abort(&of);
        else
            st = kiln_outfile_commit(&of, &err);
    }
    kiln_profile_free(out);
    return st == KILN_OK ? KILN_EXIT_OK : cli_fail(output, &err);
}
