/* kiln flame: interactive HTML flame graph (one offline file), its
 * differential variant, and static PNG/SVG snapshots. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "kiln/flame.h"

enum { OPT_DIFF = 256, OPT_PNG, OPT_SVG, OPT_TITLE, OPT_TYPE, OPT_FROM, OPT_ICICLE, OPT_HEAVY,
       OPT_LEVELS, OPT_WIDTH, OPT_STRICT, OPT_NO_TIMELINE };

static const cli_option flame_options[] = {
    {"output", 'o', "OUT.html", "write the interactive HTML here ('-' = standard output; default: "
                                "flame.html unless only --png/--svg are given)"},
    {"diff", OPT_DIFF, NULL, "differential: the two inputs are BASE NEW (red = larger share in NEW)"},
    {"png", OPT_PNG, "OUT.png", "also write a static flame graph as PNG"},
    {"svg", OPT_SVG, "OUT.svg", "also write a static flame graph as SVG"},
    {"title", OPT_TITLE, "TEXT", "title (default: 'Flame graph' and the input's name)"},
    {"type", OPT_TYPE, "SAMPLETYPE", "sample type to draw, by name or index (default: the first)"},
    {"from", OPT_FROM, "FMT", "input format: prof, perf, folded or kiln (default: sniffed)"},
    {"icicle", OPT_ICICLE, NULL, "root at the top (default: flame, root at the bottom)"},
    {"widest-first", OPT_HEAVY, NULL, "order siblings widest first (default: alphabetical)"},
    {"levels", OPT_LEVELS, "N", "static output: draw at most N levels (default: 64)"},
    {"width", OPT_WIDTH, "PX", "static output: image width in pixels (default: 1200)"},
    {"strict", OPT_STRICT, NULL, "treat damaged input (ignored lines, torn tail) as an error"},
    {"no-timeline", OPT_NO_TIMELINE, NULL, "leave out the samples' time order (smaller file, no flame chart)"},
    {0, 0, 0, 0}};

static const cli_command flame_cmd = {
    "flame", "[options] IN... | --diff BASE NEW",
    "Draws a flame graph. The HTML output is one self-contained file that works offline: click to\n"
    "zoom, regex search (/), flame/icicle, alphabetical or widest-first order, a sandwich view of\n"
    "one function's callers and callees, a function table, colours by name, kind or module, and\n"
    "the view kept in the URL. Several inputs are summed. With --diff, one graph of NEW coloured\n"
    "by each frame's change of share against BASE. --png/--svg write static images for pull\n"
    "requests. When one input has timestamps (perf script), the page also has a time-ordered\n"
    "flame chart: stacks left to right in the order they were sampled (at most 1,048,576).",
    flame_options};

typedef kiln_status (*render_fn)(const kiln_profile *, const kiln_flame_opts *, kiln_sink *,
                                 kiln_error *);

static int write_one(const char *path, render_fn fn, const kiln_profile *p,
                     const kiln_profile *base, const kiln_flame_opts *o)
{
    kiln_error err;
    kiln_error_clear(&err);
    kiln_outfile of;
    kiln_status st = kiln_outfile_open(&of, path, &err);
    if (st != KILN_OK)
        return cli_fail(path, &err);
    st = base ? kiln_render_flame_diff_html(base, p, o, &of.sink, &err) : fn(p, o, &of.sink, &err);
    if (st != KILN_OK) {
        kiln_outfile_abort(&of);
        return cli_fail(path, &err);
    }
    st = kiln_outfile_commit(&of, &err);
    return st == KILN_OK ? 0 : cli_fail(path, &err);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int cmd_flame(int argc, char **argv);

int cmd_flame(int argc, char **argv)
{
    const char *output = NULL, *png = NULL, *svg = NULL, *title = NULL, *type = NULL, *from = NULL;
    int diff = 0, strict = 0, no_timeline = 0;
    kiln_flame_opts o;
    kiln_flame_opts_init(&o);
    cli_parser ps;
    cli_parser_init(&ps, &flame_cmd, argc, argv);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case 'o': output = arg; break;
        case OPT_DIFF: diff = 1; break;
        case OPT_PNG: png = arg; break;
        case OPT_SVG: svg = arg; break;
        case OPT_TITLE: title = arg; break;
        case OPT_TYPE: type = arg; break;
        case OPT_FROM: from = arg; break;
        case OPT_ICICLE: o.inverted = 1; break;
        case OPT_HEAVY: o.widest_first = 1; break;
        case OPT_LEVELS: o.max_levels = (int)cli_parse_count(&flame_cmd, "levels", arg); break;
        case OPT_WIDTH: o.width = (int)cli_parse_count(&flame_cmd, "width", arg); break;
        case OPT_STRICT: strict = 1; break;
        case OPT_NO_TIMELINE: no_timeline = 1; break;
        default: cli_parser_release(&ps); return KILN_EXIT_USAGE;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    int nin = argc - first;
    if (nin < 1)
        return cli_usage_error(&flame_cmd, "flame needs at least one input (see kiln flame -h)");
    if (diff && nin != 2)
        return cli_usage_error(&flame_cmd, "--diff needs exactly two inputs: BASE NEW");
    if (diff && (png || svg))
        return cli_usage_error(&flame_cmd, "--png/--svg do not draw differential graphs");
    if (o.width && (o.width < 200 || o.width > 16000))
        return cli_usage_error(&flame_cmd, "--width must be between 200 and 16000");
    if (o.max_levels < 0 || o.max_levels > 1500)
        return cli_usage_error(&flame_cmd, "--levels must be at most 1500");
    if (!output && !png && !svg)
        output = "flame.html";

    kiln_profile **in = calloc((size_t)nin, sizeof *in);
    if (!in)
        return KILN_EXIT_INTERNAL;
    int rc = 0;
    kiln_import_opts io;
    memset(&io, 0, sizeof io);
    io.format = from;
    io.strict = strict;
    /* the flame chart: one input drawn as HTML */
    io.keep_timeline = nin == 1 && !diff && !no_timeline && output;
    for (int i = 0; i < nin && !rc; i++)
        rc = cli_load_profile_opts(argv[first + i], &io, &in[i]);
    kiln_profile *merged = NULL;
    const kiln_profile *p = NULL, *base = NULL;
    char auto_title[512];
    if (rc)
        goto out;

    int t = cli_sample_type(in[nin - 1], type);
    if (t < 0) {
        cli_error("'%s': no sample type '%s'", argv[first + nin - 1], type);
        rc = KILN_EXIT_USAGE;
        goto out;
    }
    o.sample_type = t;
    if (diff) {
        base = in[0];
        p = in[1];
        o.base_label = base_name(argv[first]);
        o.new_label = base_name(argv[first + 1]);
        snprintf(auto_title, sizeof auto_title, "Differential flame graph: %s \u2192 %s", o.base_label,
                 o.new_label);
    } else if (nin > 1) {
        kiln_error err;
        kiln_error_clear(&err);
        if (kiln_flame_merge((const kiln_profile *const *)in, (size_t)nin, t, &merged, &err) != KILN_OK) {
            rc = cli_fail(NULL, &err);
            goto out;
        }
        p = merged;
        o.sample_type = 0;
        snprintf(auto_title, sizeof auto_title, "Flame graph: %s and %d more", base_name(argv[first]),
                 nin - 1);
    } else {
        p = in[0];
        snprintf(auto_title, sizeof auto_title, "Flame graph: %s", base_name(argv[first]));
    }
    o.title = title ? title : auto_title;
    o.subtitle = kiln_profile_meta_get(p, KILN_META_COMMAND);

    if (output && (rc = write_one(output, kiln_render_flame_html, p, base, &o)))
        goto out;
    if (png && (rc = write_one(png, kiln_render_flame_png, p, NULL, &o)))
        goto out;
    if (svg && (rc = write_one(svg, kiln_render_flame_svg, p, NULL, &o)))
        goto out;
out:
    for (int i = 0; i < nin; i++)
        kiln_profile_free(in[i]);
    free(in);
    kiln_profile_free(merged);
    return rc;
}
