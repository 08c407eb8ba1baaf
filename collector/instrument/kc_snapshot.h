/* collector/instrument/kc_snapshot.h: writing one whole-process snapshot. */
#ifndef KC_SNAPSHOT_H
#define KC_SNAPSHOT_H

#include "kc_maps.h"
#include "kc_rt.h"

/* Merges every registered thread tree and writes path atomically (temporary
 * file + rename). meta(add, ctx) supplies the metadata pairs. 0 or -1. */
KC_HIDDEN int kc_snapshot_write(const char *path, const kc_mode *mode, kc_thread *threads,
                                const kc_maps *maps,
                                void (*meta)(void (*)(void *, const char *, const char *), void *));

#endif
