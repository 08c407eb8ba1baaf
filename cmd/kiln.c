/* kiln: the command-line front end. Dispatches to one function per
 * subcommand (cmd/commands.def); everything else is in libkiln. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "kiln/import.h"

#define KILN_COMMAND(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef KILN_COMMAND

static const struct {
    const char *name;
    kiln_cmd_fn fn;
    const char *summary;
} commands[] = {
#define KILN_COMMAND(name, fn, summary) {#name, fn, summary},
#include "commands.def"
#undef KILN_COMMAND
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: kiln <command> [options] [FILE|-]...\n\n"
                 "kiln measures a slow program, finds the code that costs the time, explains why,\n"
                 "ranks what to change, and shows whether the change helped.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'kiln <command> --help' describes a command. '-' is standard input or output.\n"
                 "Inputs are recognised by content: .kiln, cProfile/profile .prof, perf script text,\n"
                 "folded stacks, speedscope JSON, pprof (gzip-compressed too); --from forces a format.\n\n"
                 "exit codes: 0 ok, 1 a checked condition failed, 2 usage error, 65 bad input data,\n"
                 "            66 input cannot be read, 70 internal error, 73 output cannot be created,\n"
                 "            74 output write error (see docs/exit-codes.md)\n");
}

static void version(void)
{
    printf("kiln %s\n", KILN_VERSION);
    printf("formats in:  ");
    for (const char *const *f = kiln_import_formats(); *f; f++)
        printf("%s%s", *f, f[1] ? ", " : "\n");
    printf("commands:    ");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("%s%s", commands[i].name, i + 1 < NCOMMANDS ? ", " : "\n");
}

static void on_signal(int sig)
{
    kiln_outfile_abort_all_signal_safe();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return KILN_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return fflush(stdout) == 0 ? KILN_EXIT_OK : KILN_EXIT_IOERR;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        version();
        return fflush(stdout) == 0 ? KILN_EXIT_OK : KILN_EXIT_IOERR;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, cmd) != 0)
            continue;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGHUP, on_signal);
        if (getenv("KILN_QUIET"))
            cli_quiet = 1;
        int rc = commands[i].fn(argc - 1, argv + 1);
        /* A report cut short by a full disk or a closed pipe must not exit 0. */
        if ((fflush(stdout) != 0 || ferror(stdout)) && rc == KILN_EXIT_OK) {
            /* (a command that already reported its write error said so once) */
            cli_error("write error on standard output");
            rc = KILN_EXIT_IOERR;
        }
        return rc;
    }
    fprintf(stderr, "kiln: '%s' is not a kiln command. See 'kiln --help'.\n", cmd);
    return KILN_EXIT_USAGE;
}
