/* kiln convert: any supported profile to .kiln (default), folded stacks,
 * speedscope JSON, pprof or callgrind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "kiln/export.h"
#include "kiln/kfile.h"

enum { OPT_TO = 256, OPT_FROM, OPT_TYPE, OPT_STRICT, OPT_EVENT, OPT_NO_COMM };

static const cli_option convert_options[] = {
    {"output", 'o', "FILE", "write here ('-' = standard output; default: standard output)"},
    {"to", OPT_TO, "FMT",
     "output format: kiln, folded, speedscope, pprof or callgrind (default: from FILE's ending: "
     ".folded, .speedscope.json, .pb.gz/.pprof, callgrind.out*; else kiln)"},
    {"from", OPT_FROM, "FMT",
     "input format: prof, perf, folded, kiln, pprof or speedscope (default: sniffed)"},
    {"type", OPT_TYPE, "SAMPLETYPE",
     "sample type the folded counts use, by name or index (default: the first, e.g. the perf "
     "period)"},
    {"strict", OPT_STRICT, NULL, "treat damaged input (ignored lines, torn tail) as an error"},
    {"event", OPT_EVENT, "EVENT",
     "perf script: keep only samples of EVENT, e.g. cpu-clock (default: the first event seen)"},
    {"no-comm", OPT_NO_COMM, NULL, "perf script: do not put the process name at the root"},
    {0, 0, 0, 0}};

static const cli_command convert_cmd = {
    "convert", "[options] IN",
    "Reads a profile in any supported format (IN may be '-' for standard input) and writes it as\n"
    "kiln's compact binary .kiln, as folded stacks (\"a;b;c 42\") for flamegraph.pl and friends,\n"
    "as speedscope JSON, as gzipped pprof protobuf (go tool pprof, Pyroscope, Parca), or in\n"
    "callgrind's format (KCachegrind, callgrind_annotate). pprof and callgrind carry integers:\n"
    "seconds are written as nanoseconds. Outputs are written atomically: a failed run leaves no\n"
    "partial file. Binary outputs (.kiln, pprof) are not written to a terminal.",
    convert_options};

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

enum { TO_KILN, TO_FOLDED, TO_SPEEDSCOPE, TO_PPROF, TO_CALLGRIND };

static const char *const to_names[] = {"kiln", "folded", "speedscope", "pprof", "callgrind", NULL};

static const char *default_to(const char *output)
{
    const char *base = strrchr(output, '/');
    base = base ? base + 1 : output;
    if (ends_with(output, ".folded"))
        return "folded";
    if (ends_with(output, ".speedscope.json") || ends_with(output, ".speedscope"))
        return "speedscope";
    if (ends_with(output, ".pb.gz") || ends_with(output, ".pprof"))
        return "pprof";
    if (strncmp(base, "callgrind.out", 13) == 0 || ends_with(output, ".callgrind"))
        return "callgrind";
    return "kiln";
}

int cmd_convert(int argc, char **argv);

int cmd_convert(int argc, char **argv)
{
    const char *output = "-", *to = NULL, *from = NULL, *type = NULL, *event = NULL;
    int strict = 0, no_comm = 0;
    cli_parser ps;
    cli_parser_init(&ps, &convert_cmd, argc, argv);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case 'o': output = arg; break;
        case OPT_TO: to = arg; break;
        case OPT_FROM: from = arg; break;
        case OPT_TYPE: type = arg; break;
        case OPT_STRICT: strict = 1; break;
        case OPT_EVENT: event = arg; break;
        case OPT_NO_COMM: no_comm = 1; break;
        default: cli_parser_release(&ps); return KILN_EXIT_USAGE;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    if (argc - first != 1)
        return cli_usage_error(&convert_cmd, "convert needs exactly one input (see kiln convert -h)");
    const char *input = argv[first];
    if (!to)
        to = default_to(output);
    int kind = -1;
    for (int i = 0; to_names[i]; i++)
        if (strcmp(to, to_names[i]) == 0)
            kind = i;
    if (kind < 0)
        return cli_usage_error(&convert_cmd,
                               "--to: unknown output format '%s' (kiln, folded, speedscope, pprof, callgrind)",
                               to);
    int binary = kind == TO_KILN || kind == TO_PPROF;
    if (binary && strcmp(output, "-") == 0 && isatty(STDOUT_FILENO))
        return cli_usage_error(&convert_cmd,
                               "refusing to write binary %s to a terminal; use -o FILE or --to folded", to);

    kiln_profile *p = NULL;
    kiln_import_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.format = from;
    opts.strict = strict;
    opts.perf_event = event;
    opts.perf_no_comm = no_comm;
    int rc = cli_load_profile_opts(input, &opts, &p);
    if (rc)
        return rc;
    int t = cli_sample_type(p, type);
    if (t < 0) {
        char names[512] = "";
        size_t used = 0;
        for (int i = 0; i < kiln_profile_sample_type_count(p) && used < sizeof names; i++) {
            int k = snprintf(names + used, sizeof names - used, "%s%d=%s", i ? ", " : "", i,
                             kiln_profile_sample_type_name(p, i));
            used += k > 0 ? (size_t)k : 0;
        }
        for (char *q = names; *q; q++) /* names come from the input: keep them inert */
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                *q = '?';
        cli_error("'%s': no sample type '%s' (it has: %s)", input, type, names);
        kiln_profile_free(p);
        return KILN_EXIT_USAGE;
    }

    kiln_error err;
    kiln_error_clear(&err);
    kiln_outfile of;
    kiln_status st = kiln_outfile_open(&of, output, &err);
    if (st != KILN_OK) {
        kiln_profile_free(p);
        return cli_fail(output, &err);
    }
    switch (kind) {
    case TO_FOLDED: st = kiln_export_folded(p, t, &of.sink, &err); break;
    case TO_SPEEDSCOPE: {
        const char *base = strrchr(input, '/');
        const char *name = kiln_profile_meta_get(p, KILN_META_COMMAND)
                               ? NULL
                               : strcmp(input, "-") == 0 ? "stdin" : base ? base + 1 : input;
        st = kiln_export_speedscope(p, name, &of.sink, &err);
        break;
    }
    case TO_PPROF: st = kiln_export_pprof(p, 1, &of.sink, &err); break;
    case TO_CALLGRIND: st = kiln_export_callgrind(p, &of.sink, &err); break;
    default: st = kiln_kfile_write(p, &of.sink, &err); break;
    }
    kiln_profile_free(p);
    if (st != KILN_OK) {
        kiln_outfile_abort(&of);
        return cli_fail(output, &err);
    }
    st = kiln_outfile_commit(&of, &err);
    if (st != KILN_OK)
        return cli_fail(output, &err);
    return KILN_EXIT_OK;
}
