/* cmd/record.h: what the modes of `kiln record` share.
 *
 * cmd_record.c parses the common options, picks a mode (--mode NAME; --calls
 * and --python are shorthands for --mode calls / --mode python), calls the
 * mode's setup to prepare the child's environment (LD_PRELOAD, PYTHONPATH,
 * KILN_* variables: the child is forked, so setenv in setup is fine), runs
 * PROGRAM ARGS, waits, passes its exit status or terminating signal through,
 * and reports where the profile went. Modes are listed in
 * cmd/record_modes.def; each lives in its own file. */
#ifndef KILN_CMD_RECORD_H
#define KILN_CMD_RECORD_H

typedef struct record_opts {
    const char *output;   /* -o FILE: the main process's profile */
    double hz;            /* -F HZ (sampling modes) */
    const char *mode;     /* the mode's name */
    int quiet;
    int argc;             /* PROGRAM ARGS... */
    char **argv;
    const char *also_prof; /* --also-prof FILE (python mode) */
} record_opts;

/* A mode's setup: prepares the environment for the child. Returns 0, or a
 * kiln exit code after printing one error line. */
typedef int (*record_setup_fn)(const record_opts *o);

/* Path of a collector library or file shipped with kiln (e.g.
 * "libkiln-preload.so"): next to the kiln binary's build tree, or in the
 * installed lib directory. Returns a malloc'd path or NULL. */
char *record_find_collector(const char *name);

#endif
