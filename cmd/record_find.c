/* Where kiln's collector libraries are: KILN_COLLECTOR_DIR when set, then
 * next to the kiln binary in a build tree (<build>/cmd/kiln ->
 * <build>/collector/), then the installed <prefix>/<libdir>/kiln/. */
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

static char *try_path(const char *dir, const char *sub, const char *name)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/%s%s", dir, sub, name) >= (int)sizeof p)
        return NULL;
    if (access(p, R_OK) != 0)
        return NULL;
    return realpath(p, NULL);
}

char *record_find_collector(const char *name)
{
    const char *env = getenv("KILN_COLLECTOR_DIR");
    if (env && *env)
        return try_path(env, "", name);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = 0;
    static const char *subs[] = {"../collector/", "../lib/kiln/", "../lib64/kiln/", NULL};
    for (int i = 0; subs[i]; i++) {
        char *p = try_path(exe, subs[i], name);
        if (p)
            return p;
    }
    /* multiarch lib directories (Debian: lib/x86_64-linux-gnu) */
    char pat[PATH_MAX];
    if (snprintf(pat, sizeof pat, "%s/../lib/*/kiln/%s", exe, name) >= (int)sizeof pat)
        return NULL;
    glob_t g;
    char *found = NULL;
    if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0)
        found = realpath(g.gl_pathv[0], NULL);
    globfree(&g);
    return found;
}
