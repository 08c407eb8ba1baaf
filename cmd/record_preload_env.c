/* The environment shared by the preloaded modes calls and alloc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_path.h"
#include "common.h"
#include "record_preload_env.h"

int record_preload_env(const record_opts *o, const char *lib)
{
    char *path = kiln_collector_path(lib);
    if (!path) {
        cli_error("cannot find the collector %s (set KILN_COLLECTOR_DIR)", lib);
        return KILN_EXIT_INTERNAL;
    }
    const char *old = getenv("LD_PRELOAD");
    size_t n = strlen(path) + (old ? strlen(old) : 0) + 2;
    char *v = malloc(n);
    if (!v) {
        free(path);
        cli_error("out of memory");
        return KILN_EXIT_INTERNAL;
    }
    if (old && *old)
        snprintf(v, n, "%s:%s", path, old);
    else
        snprintf(v, n, "%s", path);
    int rc = setenv("LD_PRELOAD", v, 1);
    free(v);
    free(path);
    if (rc == 0 && o->output)
        rc = setenv("KILN_OUTPUT", o->output, 1);
    unsetenv("KILN_ROOT_PID");
    if (rc != 0) {
        cli_error("cannot set the collector's environment");
        return KILN_EXIT_INTERNAL;
    }
    return 0;
}
