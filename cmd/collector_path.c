/* Finding the collector libraries from the kiln binary's own location, so a
 * build tree and an installed tree both work without configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector_path.h"

static char *try_path(const char *dir, const char *sub, const char *name)
{
    size_t n = strlen(dir) + strlen(sub) + strlen(name) + 3;
    char *p = malloc(n);
    if (!p)
        return NULL;
    snprintf(p, n, "%s%s/%s", dir, sub, name);
    char *real = access(p, R_OK) == 0 ? realpath(p, NULL) : NULL;
    free(p);
    return real;
}

char *kiln_collector_path(const char *name)
{
    const char *env = getenv("KILN_COLLECTOR_DIR");
    char *p;
    if (env && *env && (p = try_path(env, "", name)))
        return p;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = 0;  /* exe is now the binary's directory */
    static const char *const subs[] = {"/../collector", "/../lib/kiln", "/../lib64/kiln",
                                       "/../lib/x86_64-linux-gnu/kiln", "/../lib/aarch64-linux-gnu/kiln"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if ((p = try_path(exe, subs[i], name)))
            return p;
    return NULL;
}
