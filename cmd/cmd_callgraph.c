/* kiln callgraph: draw a profile's call graph as PNG, SVG, PDF (or DOT). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "kiln/callgraph.h"

enum { OPT_FORMAT = 256, OPT_MAX_NODES, OPT_SCALE, OPT_TITLE, OPT_FROM, OPT_STRICT };

static const cli_option callgraph_options[] = {
    {"output", 'o', "FILE",
     "write here: .png, .svg, .pdf or .dot ('-' = standard output; default: callgraph_<IN>.png)"},
    {"format", OPT_FORMAT, "FMT", "png, svg, pdf or dot (default: from the output's extension, else png)"},
    {"node-threshold", 'n', "PCT", "hide functions whose total is below PCT % (default 0.5)"},
    {"edge-threshold", 'e', "PCT", "hide calls whose total is below PCT % (default 0.1)"},
    {"max-nodes", OPT_MAX_NODES, "N", "draw at most N functions, hottest first (default 300, max 5000)"},
    {"scale", OPT_SCALE, "X", "PNG pixels per point (default 1.25; large graphs are scaled down to fit 32767 px)"},
    {"title", OPT_TITLE, "TEXT", "title line (default: \"kiln call graph: <IN>\")"},
    {"from", OPT_FROM, "FMT", "input format: prof, perf, folded or kiln (default: sniffed)"},
    {"strict", OPT_STRICT, NULL, "treat damaged input (ignored lines, torn tail) as an error"},
    {0, 0, 0, 0}};

static const cli_command callgraph_cmd = {
    "callgraph", "[options] IN",
    "Draws the call graph of a profile: one box per function (name, file:line, total % and\n"
    "self % of all time, calls), one arrow per caller->callee pair (total % passed along, calls),\n"
    "coloured by total % on a heat scale; recursion is a loop. Functions and calls below the\n"
    "thresholds are hidden and the title says how many. SLOW LEAF marks functions that spend\n"
    "most of their time themselves, BUSY JUNCTION those that pass much time on to several callees.\n"
    "Graphviz lays the graph out; cairo and pango draw it. Outputs are written atomically.",
    callgraph_options};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* callgraph_<stem>.png in the current directory. Returns new. */
static char *default_output(const char *input)
{
    const char *b = strcmp(input, "-") == 0 ? "stdin" : base_name(input);
    size_t n = strlen(b);
    const char *dot = strrchr(b, '.');
    if (dot && dot != b) n = (size_t)(dot - b);
    char *out = malloc(n + 32);
    if (out) snprintf(out, n + 32, "callgraph_%.*s.png", (int)n, b);
    return out;
}

static int parse_format(const char *s)
{
    static const char *const names[] = {"png", "svg", "pdf", "dot"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

int cmd_callgraph(int argc, char **argv);

int cmd_callgraph(int argc, char **argv)
{
    const char *output = NULL, *format = NULL, *from = NULL, *title = NULL;
    int strict = 0;
    kiln_callgraph_opts opts;
    kiln_callgraph_opts_init(&opts);
    cli_parser ps;
    cli_parser_init(&ps, &callgraph_cmd, argc, argv);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case 'o': output = arg; break;
        case OPT_FORMAT: format = arg; break;
        case 'n': opts.node_threshold = cli_parse_double(&callgraph_cmd, "--node-threshold", arg); break;
        case 'e': opts.edge_threshold = cli_parse_double(&callgraph_cmd, "--edge-threshold", arg); break;
        case OPT_MAX_NODES: {
            long long v = cli_parse_count(&callgraph_cmd, "--max-nodes", arg);
            if (v < 1 || v > KILN_CALLGRAPH_MAX_NODES_LIMIT) {
                cli_parser_release(&ps);
                return cli_usage_error(&callgraph_cmd, "--max-nodes: must be within 1..%u",
                                       KILN_CALLGRAPH_MAX_NODES_LIMIT);
            }
            opts.max_nodes = (uint32_t)v;
            break;
        }
        case OPT_SCALE: opts.scale = cli_parse_double(&callgraph_cmd, "--scale", arg); break;
        case OPT_TITLE: title = arg; break;
        case OPT_FROM: from = arg; break;
        case OPT_STRICT: strict = 1; break;
        default: cli_parser_release(&ps); return KILN_EXIT_USAGE;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    if (argc - first != 1)
        return cli_usage_error(&callgraph_cmd, "callgraph needs exactly one input (see kiln callgraph -h)");
    const char *input = argv[first];
    if (opts.node_threshold > 100 || opts.edge_threshold > 100)
        return cli_usage_error(&callgraph_cmd, "thresholds are percentages within 0..100");
    if (opts.scale > 8)
        return cli_usage_error(&callgraph_cmd, "--scale: must be at most 8");

    char *owned_output = NULL;
    if (!output) output = owned_output = default_output(input);
    if (!output) {
        cli_error("out of memory");
        return KILN_EXIT_INTERNAL;
    }
    int fmt = format ? parse_format(format) : kiln_callgraph_format_from_path(output);
    if (format && fmt < 0) {
        free(owned_output);
        return cli_usage_error(&callgraph_cmd, "--format: unknown format '%s' (png, svg, pdf, dot)", format);
    }
    if (fmt < 0) fmt = KILN_CALLGRAPH_PNG;
    opts.format = (kiln_callgraph_format)fmt;
    if (strcmp(output, "-") == 0 && (fmt == KILN_CALLGRAPH_PNG || fmt == KILN_CALLGRAPH_PDF) &&
        isatty(STDOUT_FILENO)) {
        free(owned_output);
        return cli_usage_error(&callgraph_cmd, "refusing to write a binary image to a terminal; use -o FILE");
    }

    char *auto_title = NULL;
    if (!title) {
        const char *b = strcmp(input, "-") == 0 ? "standard input" : base_name(input);
        size_t n = strlen(b) + 32;
        auto_title = malloc(n);
        if (auto_title) snprintf(auto_title, n, "kiln call graph: %s", b);
        title = auto_title;
    }
    opts.title = title;

    kiln_profile *p = NULL;
    kiln_import_opts io;
    memset(&io, 0, sizeof io);
    io.format = from;
    io.strict = strict;
    io.graph_only = 1; /* the call graph needs no reconstructed tree */
    int rc = cli_load_profile_opts(input, &io, &p);
    if (rc) {
        free(owned_output);
        free(auto_title);
        return rc;
    }
    kiln_error err;
    kiln_error_clear(&err);
    kiln_outfile of;
    kiln_status st = kiln_outfile_open(&of, output, &err);
    if (st == KILN_OK) {
        st = kiln_render_callgraph(p, &opts, &of.sink, &err);
        if (st == KILN_OK) st = kiln_outfile_commit(&of, &err);
        else kiln_outfile_abort(&of);
        /* Errors about the data name the input; output errors name the output. */
        if (st != KILN_OK)
            rc = cli_fail(st == KILN_ERR_DATA || st == KILN_ERR_LIMIT ? input : output, &err);
    } else {
        rc = cli_fail(output, &err);
    }
    kiln_profile_free(p);
    free(owned_output);
    free(auto_title);
    return rc;
}
