/* collector/instrument/kc_maps.h: executable mappings with build-ids. */
#ifndef KC_MAPS_H
#define KC_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "kc_tree.h"

typedef struct kc_mapping {
    uint64_t start, end, offset;
    char *path;            /* owned */
    char build_id[129];    /* lowercase hex, "" when the file has none */
} kc_mapping;

typedef struct kc_maps {
    kc_mapping *v;
    size_t n, cap;
} kc_maps;

/* Adds the executable file mappings of /proc/self/maps not seen before. */
KC_HIDDEN void kc_maps_update(kc_maps *m);
KC_HIDDEN void kc_maps_free(kc_maps *m);

#endif
