/* Internal: the pieces of symbolization (kiln/symbolize.h).
 *   symbolize.c       rewrites the profile: frames -> frame chains, nodes
 *   symbolize_elf.c   ELF modules through libdwfl, one Dwfl per module
 *   symbolize_jit.c   JIT perf maps (/tmp/perf-<pid>.map)
 *   symbolize_util.c  demangling, opening regular files safely */
#ifndef KI_SYMBOLIZE_INTERNAL_H
#define KI_SYMBOLIZE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/profile.h"
#include "kiln/symbolize.h"

/* A growing list of output frame ids (one address's chain, outermost first). */
typedef struct ki_frame_vec {
    kiln_frame_id *ids;
    size_t n, cap;
} ki_frame_vec;
int ki_frame_vec_push(ki_frame_vec *v, kiln_frame_id id); /* -1 on OOM */

/* ---- ELF modules ---------------------------------------------------------- */

typedef struct ki_symelf ki_symelf;

/* A new resolver for nmaps mappings (indices of the input profile's MAPS).
 * NULL on OOM. opts is borrowed for the resolver's lifetime. */
ki_symelf *ki_symelf_new(uint32_t nmaps, const kiln_symbolize_opts *opts);
void ki_symelf_free(ki_symelf *e);

/* Resolves addr inside mapping number map_idx (m, with its path and build-id
 * as C strings). On success appends the frame chain (outermost first) to
 * chain, interning into out, and returns 1. Returns 0 when the address has
 * no symbol (chain untouched); *rel is then the address relative to the
 * module's load bias, or UINT64_MAX when the file could not be used.
 * Returns -1 on OOM or a profile limit. */
int ki_symelf_resolve(ki_symelf *e, uint32_t map_idx, const kiln_mapping *m, const char *path,
                      const char *build_id, uint64_t addr, kiln_profile *out, ki_frame_vec *chain,
                      uint64_t *rel);

/* ---- JIT perf maps ---------------------------------------------------------- */

typedef struct ki_perfmap ki_perfmap;

/* Loads <dir>/perf-<pid>.map. NULL when pid is not a process id, when the
 * file is absent or unreadable (not an error: most programs have none), or
 * on OOM. */
ki_perfmap *ki_perfmap_load(const char *dir, const char *pid);
void ki_perfmap_free(ki_perfmap *pm);
/* The path the map was read from (borrowed). */
const char *ki_perfmap_path(const ki_perfmap *pm);
/* The symbol covering addr (the latest entry when code was reused), or
 * NULL; *start gets its start address. Borrowed. */
const char *ki_perfmap_find(const ki_perfmap *pm, uint64_t addr, uint64_t *start);

/* ---- utilities ---------------------------------------------------------- */

/* Demangled C++ / Rust name (malloc'd), or NULL when name is not mangled
 * (or on OOM). Full signatures, as addr2line -C and perf print them. */
char *ki_demangle(const char *name);
/* Opens path read-only only if it is a regular file of at least min_size
 * bytes (never blocks on a FIFO or device). Returns the fd or -1. */
int ki_open_regular(const char *path, long long min_size);

#endif
