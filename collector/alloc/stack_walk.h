/* collector/alloc/stack_walk.h: the allocation tracker's stack walker.
 *
 * The CFI interpreter of the sampling collector (collector/preload/unwind.c)
 * with a per-thread cache of unwind rules keyed by pc: the first time a pc
 * is seen its FDE is found and interpreted once; when the rule is the usual
 * one (CFA = rsp or rbp + offset, return address and saved rbp at fixed
 * offsets from the CFA) later walks through that pc cost a table lookup and
 * two loads. Other rules (signal frames, CFA expressions of PLT entries and
 * realigned stacks) take the full interpreter step every time; code without
 * unwind tables is walked by frame pointer. Every stack read is bounded by
 * the thread's stack. */
#ifndef KC_STACK_WALK_H
#define KC_STACK_WALK_H

#include <stdint.h>

/* Loads the module tables (call once at start, with the recursion guard
 * held: it allocates). */
__attribute__((visibility("hidden"))) void kc_walk_init(void);

/* Fills out[] with up to max return addresses minus one (call sites) of the
 * calling thread, innermost first, leaving out the frames at the innermost
 * end whose call site lies in [skip_lo, skip_hi) (the tracker itself).
 * *cache is the thread's rule cache (NULL: made here; it may be handed to
 * another thread later). Returns the count, or -1 when this stack cannot be
 * walked here (not on the thread's own stack: a sigaltstack, a coroutine):
 * the caller falls back to backtrace(). Not async-signal-safe on a cache
 * miss (dl_iterate_phdr, and the tables are reloaded after dlopen). */
__attribute__((visibility("hidden"))) int kc_walk(void **cache, uint64_t *out, int max, uintptr_t skip_lo,
                                                  uintptr_t skip_hi);

#endif
