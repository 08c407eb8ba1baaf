/* kiln cflags: the flags to build a program with kiln's -finstrument-functions
 * runtime linked in (exact call counts and exclusive time per calling
 * context, written to $KILN_OUTPUT or kiln-calls.kiln at exit), e.g.
 *   cc -O2 -g $(kiln cflags) prog.c -o prog && ./prog && kiln top kiln-calls.kiln
 * The runtime is the static libkiln-instrument.a with hidden hooks, so the
 * instrumented calls are direct (no PLT). */
#include <stdio.h>
#include <stdlib.h>

#include "collector_path.h"
#include "common.h"

int cmd_cflags(int argc, char **argv);

enum { OPT_COMPILE = 256, OPT_LINK, OPT_PRELOAD };

static const cli_option cflags_options[] = {
    {"compile", OPT_COMPILE, NULL, "print only the compiler flags"},
    {"link", OPT_LINK, NULL, "print only the linker flags (the runtime archive and its libraries)"},
    {"preload", OPT_PRELOAD, NULL, "print the path of the preloadable runtime (what `kiln record --calls` uses)"},
    {0}};

static const cli_command cflags_cmd = {
    "cflags", "[--compile | --link | --preload]",
    "Prints the flags that build a program with kiln's instrumentation runtime linked in:\n"
    "-finstrument-functions for the compiler, the runtime archive and -lz -lpthread for the\n"
    "linker (by default both, on one line, for `cc $(kiln cflags) prog.c`). Running the\n"
    "program then writes exact call counts and exclusive times per calling context to\n"
    "$KILN_OUTPUT (default kiln-calls.kiln); `kiln top` shows them like pstats. Programs built\n"
    "with only -finstrument-functions can be profiled without relinking: kiln record --calls.",
    cflags_options};

int cmd_cflags(int argc, char **argv)
{
    cli_parser ps;
    cli_parser_init(&ps, &cflags_cmd, argc, argv);
    const char *arg;
    int c, compile = 0, link = 0, preload = 0;
    while ((c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case OPT_COMPILE: compile = 1; break;
        case OPT_LINK: link = 1; break;
        case OPT_PRELOAD: preload = 1; break;
        default: cli_parser_release(&ps); return KILN_EXIT_USAGE;
        }
    }
    cli_parser_release(&ps);
    if (cli_optind() < argc)
        return cli_usage_error(&cflags_cmd, "cflags takes no operands");
    if (compile + link + preload > 1)
        return cli_usage_error(&cflags_cmd, "--compile, --link and --preload exclude each other");
    if (!compile && !link && !preload)
        compile = link = 1;
    const char *lib = preload ? "libkiln-instrument.so" : "libkiln-instrument.a";
    char *path = NULL;
    if (link || preload) {
        path = kiln_collector_path(lib);
        if (!path) {
            cli_error("cannot find %s (set KILN_COLLECTOR_DIR)", lib);
            return KILN_EXIT_INTERNAL;
        }
    }
    if (preload)
        printf("%s\n", path);
    else if (compile && link)
        printf("-finstrument-functions %s -lz -lpthread\n", path);
    else if (compile)
        printf("-finstrument-functions\n");
    else
        printf("%s -lz -lpthread\n", path);
    free(path);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("write error on standard output");
        return KILN_EXIT_IOERR;
    }
    return 0;
}
