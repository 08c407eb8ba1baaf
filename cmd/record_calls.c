/* kiln record --calls (--mode calls): exact call counts and exclusive time
 * per calling context for programs built with -finstrument-functions, by
 * preloading libkiln-instrument.so (it overrides glibc's empty
 * __cyg_profile_func_enter/exit, so no relink is needed). */
#include "record_preload_env.h"

int record_setup_calls(const record_opts *o);

int record_setup_calls(const record_opts *o)
{
    return record_preload_env(o, "libkiln-instrument.so");
}
