/* Internal: the flame graph's embedded data (render/flame_data.c).
 *
 * The blob is little-endian, every section 8-byte aligned so the page can
 * view it with typed arrays without copying:
 *
 *   u32[16] header: magic "KFL1", version 1, nstr, str_bytes, nframes,
 *                   nnodes, flags (1 = base values present, 2 = node calls
 *                   present), reserved...
 *   u32[nstr+1]     string offsets into the byte table
 *   u8[str_bytes]   strings, UTF-8, sanitized (control bytes shown as
 *                   U+2400 pictures, invalid bytes as U+FFFD)
 *   u32[nframes] x6 frame name, file, module (string ids), line, kind,
 *                   analysis marks (1 = slow leaf, 2 = busy junction)
 *   f64[nframes]    calls of each function (0 = unknown)
 *   u32[nnodes] x2  node depth (root = 0) and frame (root = 0xffffffff), in
 *                   pre-order, so a node's parent is the nearest earlier
 *                   node one level up
 *   f64[nnodes]     self value
 *   f64[nnodes]     base self value            (flags & 1)
 *   f64[nnodes]     calls in this context       (flags & 2)
 *   timeline (flags & 4), header[7] = its sample count m, samples in time
 *   order (the time-ordered flame chart):
 *   f64             time of the first sample, seconds
 *   u32[m]          time since the previous sample, microseconds (saturated)
 *   u32[m]          leaf node (pre-order index)
 *   f32[m]          value of the sample (sample type of the graph)
 */
#ifndef KI_FLAME_DATA_H
#define KI_FLAME_DATA_H

#include "kiln/buf.h"
#include "kiln/profile.h"
#include "kiln/status.h"

#define KI_FLAME_MAGIC 0x314c464bu /* "KFL1" */

#define KI_FLAME_SLOW_LEAF 1u
#define KI_FLAME_BUSY_JUNCTION 2u

/* Encodes p with values of sample type `type` and, when base_type >= 0,
 * base values of that type; marks (per frame, may be NULL) are the
 * analysis marks. Appends to blob. */
kiln_status ki_flame_encode(const kiln_profile *p, int type, int base_type, const uint32_t *marks,
                            kiln_buf *blob, kiln_error *err);

/* A new finished profile (free with kiln_profile_free) holding the union of
 * both trees, frames matched by (name, file, module); sample type 0 holds
 * base's values of base_type, type 1 cur's values of cur_type. */
kiln_status ki_flame_union(const kiln_profile *base, int base_type, const kiln_profile *cur,
                           int cur_type, kiln_profile **out, kiln_error *err);

/* Appends s (len bytes, any content) as sanitized UTF-8: invalid sequences
 * become U+FFFD, C0 controls and DEL their U+2400 control pictures. */
void ki_flame_sanitize(kiln_buf *b, const char *s, size_t len);

#endif
