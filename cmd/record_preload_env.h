/* cmd/record_preload_env.h: environment of a preloaded collector's child. */
#ifndef KILN_CMD_RECORD_PRELOAD_ENV_H
#define KILN_CMD_RECORD_PRELOAD_ENV_H

#include "record.h"

/* Finds lib (kiln_collector_path), prepends it to LD_PRELOAD, sets
 * KILN_OUTPUT from o->output (when given) and clears KILN_ROOT_PID so
 * the program's first process takes the main file. Returns 0 or a kiln exit
 * code after one error line. */
int record_preload_env(const record_opts *o, const char *lib);

#endif
