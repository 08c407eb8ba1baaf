/* cmd/collector_path.h: where the collector libraries are. */
#ifndef KILN_CMD_COLLECTOR_PATH_H
#define KILN_CMD_COLLECTOR_PATH_H

/* Path of a collector file (e.g. "libkiln-instrument.so"): $KILN_COLLECTOR_DIR,
 * then the build tree next to the kiln binary (<exe>/../collector), then the
 * installed lib directories (<exe>/../lib/kiln and multiarch variants). Returns a new malloc'd path
 * (caller frees) or NULL when none exists. */
char *kiln_collector_path(const char *name);

#endif
