/* cmd/common.h: what every kiln subcommand shares: the declarative option
 * table (which also generates --help), error reporting with exit codes, and
 * loading a profile with warnings shown. Only cmd/ may exit; the library
 * returns statuses. */
#ifndef KILN_CMD_COMMON_H
#define KILN_CMD_COMMON_H

#include <stdio.h>

#include "kiln/import.h"
#include "kiln/io.h"
#include "kiln/profile.h"
#include "kiln/status.h"

/* Exit codes, documented in docs/exit-codes.md and `kiln --help`. */
enum {
    KILN_EXIT_OK = 0,
    KILN_EXIT_CHECK = 1,      /* a checked condition failed (e.g. a regression) */
    KILN_EXIT_USAGE = 2,      /* bad command line */
    KILN_EXIT_DATA = 65,      /* malformed input or an exceeded limit (EX_DATAERR) */
    KILN_EXIT_NOINPUT = 66,   /* an input cannot be opened or read (EX_NOINPUT) */
    KILN_EXIT_INTERNAL = 70,  /* a bug in kiln, or out of memory (EX_SOFTWARE) */
    KILN_EXIT_CANTCREAT = 73, /* an output cannot be created (EX_CANTCREAT) */
    KILN_EXIT_IOERR = 74      /* an output could not be written (EX_IOERR) */
};

typedef int (*kiln_cmd_fn)(int argc, char **argv);

/* One option of a command. The table ends with a zeroed entry. */
typedef struct cli_option {
    const char *long_name;  /* "output" */
    int short_name;         /* 'o', or 0; values >= 256 are long-only ids */
    const char *arg;        /* "FILE" when the option takes a value, else NULL */
    const char *help;       /* one line; say the default */
} cli_option;

/* A command's help: synopsis lines, description paragraph, options. */
typedef struct cli_command {
    const char *name;        /* "top" */
    const char *synopsis;    /* "[options] FILE" (after "kiln top ") */
    const char *description; /* a paragraph; "\n" allowed */
    const cli_option *options;
} cli_command;

/* getopt_long over the table, with -h/--help built in (prints help to stdout
 * and exits 0) and unknown options reported (exit 2). Returns the option's
 * short_name (or long-only id), -1 at the end; optarg as usual. After the
 * loop, argv[cli_optind()] is the first operand. */
typedef struct cli_parser {
    const cli_command *cmd;
    int argc;
    char **argv;
    void *longopts;   /* struct option[] (owned) */
    char *shortopts;  /* (owned) */
} cli_parser;

void cli_parser_init(cli_parser *ps, const cli_command *cmd, int argc, char **argv);
int cli_parser_next(cli_parser *ps, const char **arg);
int cli_optind(void);
void cli_parser_release(cli_parser *ps);
void cli_print_help(FILE *out, const cli_command *cmd);

/* "kiln: <message>" on stderr. Returns KILN_EXIT_USAGE for convenience. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "kiln: <message>" on stderr (no exit code implied). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports a library failure as "kiln: '<file>': <err->msg>" and returns the
 * exit code for its status. file may be NULL. */
int cli_fail(const char *file, const kiln_error *err);
int cli_exit_code(kiln_status st);

/* Loads a profile ("-" = stdin); warnings go to stderr as
 * "kiln: '<file>': warning: ...". Returns 0 with *out set, or an exit code
 * after printing the error. */
int cli_load_profile(const char *path, const char *format, int strict, kiln_profile **out);
/* The same with every import option (perf event, no comm...); the warning
 * and progress handlers in opts are replaced by the CLI's. */
int cli_load_profile_opts(const char *path, const kiln_import_opts *opts, kiln_profile **out);

/* A --type value: a sample type's name or its index; NULL gives 0. Returns
 * -1 when the profile has no such type. */
int cli_sample_type(const kiln_profile *p, const char *spec);

/* Quiet mode and whether progress may be drawn (stderr is a terminal, not
 * --quiet, CI unset). */
extern int cli_quiet;
int cli_progress_enabled(void);

/* Parses a non-negative integer option value; exits 2 with a message when
 * it is not one. */
long long cli_parse_count(const cli_command *cmd, const char *opt, const char *value);
double cli_parse_double(const cli_command *cmd, const char *opt, const char *value);
/* "1000,2000,4000": positive finite numbers separated by commas. Returns 0
 * with *out new (free()) and *n its length, or -1 on a malformed list. */
int cli_parse_sizes(const char *s, double **out, size_t *n);

#endif
