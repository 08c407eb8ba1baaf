/* kiln record --mode cpu / wall: the sampling collector libkiln-preload.so,
 * preloaded into the program (collector/preload/). cmd_record.c has already
 * set KILN_OUTPUT, KILN_HZ and KILN_MODE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "record.h"

int record_setup_sampling(const record_opts *o);

int record_setup_sampling(const record_opts *o)
{
    (void)o;
    char *lib = record_find_collector("libkiln-preload.so");
    if (!lib) {
        cli_error("cannot find libkiln-preload.so (looked next to kiln's build tree and in its "
                  "lib/kiln directory; set KILN_COLLECTOR_DIR)");
        return KILN_EXIT_INTERNAL;
    }
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(lib) + (old ? strlen(old) : 0) + 2;
    char *v = malloc(len);
    if (!v) {
        free(lib);
        return KILN_EXIT_INTERNAL;
    }
    if (old && *old)
        snprintf(v, len, "%s:%s", lib, old);
    else
        snprintf(v, len, "%s", lib);
    setenv("LD_PRELOAD", v, 1);
    free(v);
    free(lib);
    return 0;
}
