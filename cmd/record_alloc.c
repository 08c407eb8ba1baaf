/* kiln record --mode alloc: bytes and counts allocated per calling context,
 * bytes live at exit and the peak, by preloading libkiln-alloc.so. */
#include "record_preload_env.h"

int record_setup_alloc(const record_opts *o);

int record_setup_alloc(const record_opts *o)
{
    return record_preload_env(o, "libkiln-alloc.so");
}
