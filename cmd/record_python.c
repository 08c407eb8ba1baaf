/* `kiln record --python`: prepares the environment of a Python program so
 * that every Python process it starts loads kiln's profiler
 * (collector/python): kiln's sitecustomize.py directory goes first on
 * PYTHONPATH (the user's entries are kept after it), KILN_OUTPUT names the
 * main process's profile (other processes write <output>.<pid>),
 * KILN_PY_ALSO_PROF the optional classic .prof, KILN_PY_COLLECTOR where the
 * per-interpreter builds are. The sitecustomize picks the build matching the
 * interpreter it runs in, so a Python subprocess of another version is
 * profiled with its own build. */
#include "common.h"
#include "record.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int record_setup_python(const record_opts *o);

/* The collector directory (holding site/sitecustomize.py): $KILN_PY_COLLECTOR,
 * the build tree next to the kiln binary, or the installed lib directory. */
static char *find_python_collector(void)
{
    char exe[PATH_MAX];
    const char *env = getenv("KILN_PY_COLLECTOR");
    static const char *const rel[] = {"/../collector/python", "/../lib/kiln/python",
                                      "/../lib/x86_64-linux-gnu/kiln/python", "/../lib64/kiln/python"};
    char path[PATH_MAX + 64];
    if (env && *env) {
        snprintf(path, sizeof path, "%s/site/sitecustomize.py", env);
        return access(path, R_OK) == 0 ? realpath(env, NULL) : NULL;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        snprintf(path, sizeof path, "%s%s/site/sitecustomize.py", exe, rel[i]);
        if (access(path, R_OK) == 0) {
            snprintf(path, sizeof path, "%s%s", exe, rel[i]);
            return realpath(path, NULL);
        }
    }
    return NULL;
}

/* An absolute spelling of an output path whose directory must exist. */
static char *absolute_output(const char *file)
{
    if (file[0] == '/')
        return strdup(file);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    size_t n = strlen(cwd) + strlen(file) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", cwd, file);
    return p;
}

static int writable_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return 0;
    char *slash = strrchr(copy, '/');
    if (slash == copy)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    int ok = access(copy, W_OK) == 0;
    free(copy);
    return ok;
}

int record_setup_python(const record_opts *o)
{
    const char *out = o->output ? o->output : "python.kiln";
    char *root = find_python_collector();
    if (!root) {
        fprintf(stderr, "kiln: record --python: the Python collector is not built "
                        "(needs Python 3 headers, e.g. Debian's python3-dev; or set KILN_PY_COLLECTOR)\n");
        return KILN_EXIT_INTERNAL;
    }
    char *abs_out = absolute_output(out);
    char *abs_prof = o->also_prof ? absolute_output(o->also_prof) : NULL;
    size_t site_len = strlen(root) + 8;
    const char *old = getenv("PYTHONPATH");
    size_t len = site_len + (old ? strlen(old) + 1 : 0) + 1;
    char *pythonpath = malloc(len);
    int rc = KILN_EXIT_OK;
    if (!abs_out || (o->also_prof && !abs_prof) || !pythonpath) {
        fprintf(stderr, "kiln: record --python: out of memory\n");
        rc = KILN_EXIT_INTERNAL;
        goto done;
    }
    const char *bad = !writable_dir_of(abs_out) ? out : abs_prof && !writable_dir_of(abs_prof) ? o->also_prof : NULL;
    if (bad) {
        fprintf(stderr, "kiln: '%s': cannot create: %s\n", bad, strerror(errno ? errno : EACCES));
        rc = KILN_EXIT_CANTCREAT;
        goto done;
    }
    snprintf(pythonpath, len, "%s/site%s%s", root, old && *old ? ":" : "", old && *old ? old : "");
    if (setenv("PYTHONPATH", pythonpath, 1) < 0 || setenv("KILN_OUTPUT", abs_out, 1) < 0 ||
        setenv("KILN_PY_COLLECTOR", root, 1) < 0 ||
        (abs_prof ? setenv("KILN_PY_ALSO_PROF", abs_prof, 1) : unsetenv("KILN_PY_ALSO_PROF")) < 0) {
        fprintf(stderr, "kiln: record --python: cannot set the environment: %s\n", strerror(errno));
        rc = KILN_EXIT_INTERNAL;
        goto done;
    }
    unsetenv("KILN_PY_CLAIMED"); /* set by the first profiled process for its descendants */
    unsetenv("KILN_PY_DISABLE");
done:
    free(root);
    free(abs_out);
    free(abs_prof);
    free(pythonpath);
    return rc;
}
