/* Internal: the streamed text importers (folded stacks, `perf script`) and
 * the two helpers they share:
 *
 *   ki_slice_cache  maps the raw bytes of a frame as it appears in the input
 *                   ("sym+0x1f (/lib/libc.so.6)", "main") to what the
 *                   importer derived from them, so a name seen a million times
 *                   is parsed and interned once and afterwards costs one hash
 *                   of its bytes and one memcmp. Keys live in one arena.
 *   ki_stack_build  turns a root-first array of frame ids into a tree node,
 *                   reusing the node path of the previous stack for the common
 *                   prefix (consecutive samples and sorted folded lines share
 *                   long prefixes), so most frames cost no tree lookup.
 *
 * Memory of both grows with unique frames / depth, never with input size. */
#ifndef KI_TEXT_IMPORT_H
#define KI_TEXT_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kiln/import.h"
#include "kiln/profile.h"
#include "kiln/status.h"
#include "reader.h"

/* Importers: read everything from r into p (a new empty profile, not
 * finished: the caller runs kiln_profile_finish). Warnings go to
 * opts->warn; with opts->strict the first damaged line is an error. */
kiln_status ki_import_folded(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p,
                             kiln_error *err);
kiln_status ki_import_perf(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p,
                           kiln_error *err);
/* Bids 0..100 on the first bytes of an input (0 = certainly not). */
int ki_sniff_folded(const unsigned char *head, size_t len);
int ki_sniff_perf(const unsigned char *head, size_t len);

/* ---- slice cache -------------------------------------------------------- */

typedef struct ki_slice_val {
    uint32_t frame;   /* frame id, or KILN_NONE when resolved per use */
    uint32_t name;    /* interned name */
    uint32_t module;  /* interned module, 0 if none */
    uint32_t kind;    /* kiln_frame_kind */
    uint32_t memo_module, memo_frame; /* importer's per-entry memo */
    uint32_t next, next2; /* importer's prediction: entries that followed this one */
} ki_slice_val;

typedef struct ki_slice_entry {
    uint64_t hash;
    uint32_t key_off;     /* key bytes in the arena: part a, then part b */
    uint32_t a_len, b_len;
    ki_slice_val val;
} ki_slice_entry;

/* Keys are one or two byte slices (a, b): the perf importer keys frames on
 * (symbol without +0xoff, dso) without copying them together. Entries sit in
 * one array and the slots hold entry indices, so a lookup touches one slot,
 * one entry and the key bytes. */
typedef struct ki_slice_cache {
    uint32_t *slots;      /* entry index + 1, 0 = empty */
    size_t mask;
    ki_slice_entry *entries;
    uint32_t count, cap;
    char *arena;          /* key bytes */
    size_t arena_len, arena_cap;
} ki_slice_cache;

/* Byte equality, inline: keys are short, a libc call costs more. */
static inline int ki_bytes_eq(const char *a, const char *b, size_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return 0;
        a += 8;
        b += 8;
        n -= 8;
    }
    while (n--)
        if (*a++ != *b++)
            return 0;
    return 1;
}

void ki_slice_cache_init(ki_slice_cache *c);
void ki_slice_cache_release(ki_slice_cache *c);
uint64_t ki_slice_hash(const char *s, size_t n);
static inline uint64_t ki_slice_hash2(const char *a, size_t an, const char *b, size_t bn)
{
    return ki_slice_hash(a, an) * 0x9e3779b97f4a7c15ull ^ ki_slice_hash(b, bn);
}
/* The value stored for key (a, b) with hash h, or NULL. Borrowed until the
 * next add. */
ki_slice_val *ki_slice_cache_find(ki_slice_cache *c, uint64_t h, const char *a, size_t an,
                                  const char *b, size_t bn);
/* Adds key -> v (key must be absent); returns the stored value, or NULL on
 * OOM or past the cache's caps (callers then resolve without caching). */
ki_slice_val *ki_slice_cache_add(ki_slice_cache *c, uint64_t h, const char *a, size_t an,
                                 const char *b, size_t bn, const ki_slice_val *v);
/* Index of a value returned by find/add (stable across adds). */
static inline uint32_t ki_slice_cache_index(const ki_slice_cache *c, const ki_slice_val *v)
{
    return (uint32_t)((const ki_slice_entry *)((const char *)v - offsetof(ki_slice_entry, val)) -
                      c->entries);
}

/* ---- stack builder ------------------------------------------------------ */

typedef struct ki_stack_memo_entry {
    uint64_t hash;
    size_t off;            /* frames in ids[] */
    uint32_t depth;
    kiln_node_id leaf;
} ki_stack_memo_entry;

typedef struct ki_stack_build {
    kiln_frame_id *prev_frames; /* root-first frames of the previous stack */
    kiln_node_id *prev_nodes;   /* their nodes */
    size_t prev_depth, cap;
    /* Optional whole-stack memo (samples repeat the same stacks): frames as
     * given -> leaf node. Bounded by KI_STACK_MEMO_MAX_IDS frame ids. */
    int memo_on;
    uint32_t *memo_slots;
    size_t memo_mask;
    ki_stack_memo_entry *memo;
    uint32_t memo_count, memo_cap;
    kiln_frame_id *memo_ids;
    size_t memo_ids_len, memo_ids_cap;
} ki_stack_build;

#define KI_STACK_MEMO_MAX_IDS (16u << 20) /* 64 MiB of frame ids */

void ki_stack_build_init(ki_stack_build *b);
/* Turns the whole-stack memo on (worth it when stacks repeat, as samples do). */
void ki_stack_build_enable_memo(ki_stack_build *b);
void ki_stack_build_release(ki_stack_build *b);
/* The node of the root-first stack frames[0..depth) (KILN_ROOT for depth 0),
 * created when missing; KILN_NONE on OOM or a tree limit. When reversed is
 * set, frames are leaf-first and read backwards. */
kiln_node_id ki_stack_build_node(ki_stack_build *b, kiln_profile *p, const kiln_frame_id *frames,
                                 size_t depth, int reversed);

#endif
