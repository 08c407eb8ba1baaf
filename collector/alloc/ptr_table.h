/* collector/alloc/ptr_table.h: live blocks -> (context, size), sharded. */
#ifndef KC_PTR_TABLE_H
#define KC_PTR_TABLE_H

#include <stddef.h>

#include "kc_tree.h"

/* Called with the recursion guard held (they allocate with the real
 * allocator through malloc/free, which pass straight through). */
KC_HIDDEN void kc_pt_insert(void *p, kc_node *node, size_t size);
/* 1 and the entry when p was recorded (and removes it), else 0. */
KC_HIDDEN int kc_pt_remove(void *p, kc_node **node, size_t *size);
/* Forgets everything (in a forked child). */
KC_HIDDEN void kc_pt_clear(void);

#endif
