/* kiln record: run a program under one of kiln's collectors and write a
 * .kiln profile. The modes (cpu, wall, and whatever other collectors add)
 * are listed in record_modes.def; this file knows none of them: it parses
 * the common options, sets the common KILN_* variables, lets the mode
 * prepare the environment, runs the program and passes its exit status or
 * terminating signal through. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "record.h"

#define KILN_RECORD_MODE(name, fn, summary) int fn(const record_opts *o);
#include "record_modes.def"
#undef KILN_RECORD_MODE

typedef struct record_mode {
    const char *name;
    record_setup_fn setup;
    const char *summary;
} record_mode;

static const record_mode modes[] = {
#define KILN_RECORD_MODE(name, fn, summary) {#name, fn, summary},
#include "record_modes.def"
#undef KILN_RECORD_MODE
};
#define NMODES (sizeof modes / sizeof modes[0])

enum { OPT_MODE = 256, OPT_CALLS, OPT_PYTHON, OPT_ALSO_PROF };

static const cli_option record_options[] = {
    {"output", 'o', "FILE", "the main process's profile (default: kiln.kiln); other processes "
                            "write FILE.<pid> (see below)"},
    {"freq", 'F', "HZ", "sampling rate per thread for the sampling modes (default 100)"},
    {"mode", OPT_MODE, "NAME", "the collector (default cpu); see the list below"},
    {"calls", OPT_CALLS, NULL, "shorthand for --mode calls"},
    {"python", OPT_PYTHON, NULL, "shorthand for --mode python"},
    {"also-prof", OPT_ALSO_PROF, "FILE", "python mode: also write a cProfile .prof file"},
    {"quiet", 'q', NULL, "do not say where the profile went"},
    {0, 0, 0, 0}};

static char description[8192];

static const cli_command record_cmd = {
    "record", "[options] -- PROGRAM [ARGS...]", description, record_options};

static void build_description(void)
{
    size_t n = (size_t)snprintf(
        description, sizeof description,
        "Runs PROGRAM with a kiln collector and writes a .kiln profile that every other command\n"
        "reads. The program's standard streams, exit status and terminating signal are passed\n"
        "through unchanged. Modes:\n");
    for (size_t i = 0; i < NMODES && n < sizeof description; i++)
        n += (size_t)snprintf(description + n, sizeof description - n, "  %-8s %s\n", modes[i].name,
                              modes[i].summary);
    if (n < sizeof description)
        snprintf(description + n, sizeof description - n,
                 "Files: the first process writes FILE; a child made by fork writes FILE.<pid>; a new\n"
                 "program started by exec (or spawned) writes FILE.<pid>, or FILE.<pid>.<n> when that\n"
                 "pid already wrote one. Profiles are streamed (at least every 100 ms), so a program\n"
                 "that crashes or is killed leaves a profile readable up to the last flush.\n"
                 "Environment (set by kiln record; can be set by hand with\n"
                 "LD_PRELOAD=<libdir>/kiln/libkiln-preload.so, like gperftools' CPUPROFILE):\n"
                 "  KILN_OUTPUT  profile path (the collector does nothing without it)\n"
                 "  KILN_HZ      sampling rate per thread (default 100)\n"
                 "  KILN_MODE    cpu or wall (default cpu)\n"
                 "  KILN_DEBUG   when set, the collector reports to standard error\n"
                 "  KILN_ROOT_PID  set by the collector in the first process; children inherit it\n"
                 "  KILN_COLLECTOR_DIR  where kiln record looks for the collector libraries\n"
                 "See docs/record.md.");
}

/* The options end at "--" or at the first word that is not an option (or an
 * option's value): everything after is the program's. */
static int split_point(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return i;
        if (a[0] != '-' || a[1] == 0)
            return i;
        if (strchr(a, '='))
            continue;
        for (const cli_option *o = record_options; o->long_name; o++) {
            if (!o->arg)
                continue;
            if ((a[1] == '-' && strcmp(a + 2, o->long_name) == 0) ||
                (a[1] == o->short_name && a[2] == 0 && o->short_name < 256)) {
                i++;
                break;
            }
        }
    }
    return argc;
}

static void report_files(const char *out, time_t started)
{
    struct stat sb;
    int main_ok = stat(out, &sb) == 0;
    char pat[PATH_MAX + 8];
    snprintf(pat, sizeof pat, "%s.*", out);
    glob_t g;
    size_t more = 0;
    off_t main_size = main_ok ? sb.st_size : 0, big_size = 0;
    char big[PATH_MAX] = "";
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (stat(g.gl_pathv[i], &sb) == 0 && sb.st_mtime >= started) {
                more++;
                if (sb.st_size > big_size) {
                    big_size = sb.st_size;
                    snprintf(big, sizeof big, "%s", g.gl_pathv[i]);
                }
            }
        globfree(&g);
    }
    if (!main_ok) {
        cli_error("'%s': no profile was written (is the program statically linked or setuid, or "
                  "did it clear LD_PRELOAD?)",
                  out);
        return;
    }
    if (more && big_size > 2 * main_size)
        fprintf(stderr, "kiln: profile written to '%s' (and %zu more from child processes and exec'd "
                        "programs: '%s.<pid>'; the largest is '%s')\n", out, more, out, big);
    else if (more)
        fprintf(stderr, "kiln: profile written to '%s' (and %zu more from child processes and exec'd "
                        "programs: '%s.<pid>')\n", out, more, out);
    else
        fprintf(stderr, "kiln: profile written to '%s'\n", out);
}

int cmd_record(int argc, char **argv);

int cmd_record(int argc, char **argv)
{
    build_description();
    int split = split_point(argc, argv);
    record_opts o;
    memset(&o, 0, sizeof o);
    o.output = "kiln.kiln";
    o.hz = 100;
    o.mode = "cpu";
    cli_parser ps;
    cli_parser_init(&ps, &record_cmd, split, argv);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, &arg)) != -1) {
        switch (c) {
        case 'o': o.output = arg; break;
        case 'F':
            o.hz = cli_parse_double(&record_cmd, "freq", arg);
            if (!(o.hz >= 1 && o.hz <= 20000)) {
                cli_parser_release(&ps);
                return cli_usage_error(&record_cmd, "-F: the rate must be between 1 and 20000 Hz");
            }
            break;
        case OPT_MODE: o.mode = arg; break;
        case OPT_CALLS: o.mode = "calls"; break;
        case OPT_PYTHON: o.mode = "python"; break;
        case OPT_ALSO_PROF: o.also_prof = arg; break;
        case 'q': o.quiet = 1; break;
        default: cli_parser_release(&ps); return KILN_EXIT_USAGE;
        }
    }
    int first = cli_optind();
    cli_parser_release(&ps);
    if (first < split)
        return cli_usage_error(&record_cmd, "unexpected '%s' before the program (use -- PROGRAM ARGS)",
                               argv[first]);
    if (split < argc && strcmp(argv[split], "--") == 0)
        split++;
    if (split >= argc)
        return cli_usage_error(&record_cmd, "record needs a program to run (kiln record -- PROGRAM ARGS)");
    o.argc = argc - split;
    o.argv = argv + split;
    o.quiet = o.quiet || cli_quiet;

    const record_mode *m = NULL;
    for (size_t i = 0; i < NMODES; i++)
        if (strcmp(modes[i].name, o.mode) == 0)
            m = &modes[i];
    if (!m) {
        char list[512] = "";
        for (size_t i = 0; i < NMODES; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", modes[i].name);
        return cli_usage_error(&record_cmd, "--mode: unknown mode '%s' (known: %s)", o.mode, list);
    }

    /* the common environment; the path is made absolute because the program
     * may change directory */
    char abs[PATH_MAX];
    if (o.output[0] == '/') {
        snprintf(abs, sizeof abs, "%s", o.output);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) || snprintf(abs, sizeof abs, "%s/%s", cwd, o.output) >= (int)sizeof abs) {
            cli_error("'%s': cannot make the path absolute", o.output);
            return KILN_EXIT_CANTCREAT;
        }
    }
    char hz[64];
    snprintf(hz, sizeof hz, "%g", o.hz);
    setenv("KILN_OUTPUT", abs, 1);
    setenv("KILN_HZ", hz, 1);
    setenv("KILN_MODE", m->name, 1);
    unsetenv("KILN_ROOT_PID");
    int rc = m->setup(&o);
    if (rc)
        return rc;

    /* the terminal's interrupt goes to the program; kiln waits for it */
    struct sigaction ign, old_int, old_quit;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    time_t started = time(NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        cli_error("cannot start '%s': %s", o.argv[0], strerror(errno));
        return KILN_EXIT_INTERNAL;
    }
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        execvp(o.argv[0], o.argv);
        int e = errno;
        fprintf(stderr, "kiln: '%s': cannot run: %s\n", o.argv[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            cli_error("waiting for '%s': %s", o.argv[0], strerror(errno));
            return KILN_EXIT_INTERNAL;
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    int cannot_run = WIFEXITED(status) && (WEXITSTATUS(status) == 127 || WEXITSTATUS(status) == 126) &&
                     access(abs, F_OK) != 0;
    if (!o.quiet && !cannot_run)
        report_files(abs, started);
    fflush(NULL);
    if (WIFSIGNALED(status)) {
        /* die the same way, without a core file of our own */
        int sig = WTERMSIG(status);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        return 128 + sig;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : KILN_EXIT_INTERNAL;
}
