/* Helpers for the .kiln unit tests: write/read in memory, collect warnings,
 * and craft raw files chunk by chunk with the low-level chunk writer. */
#ifndef KILN_TEST_KFILE_UTIL_H
#define KILN_TEST_KFILE_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "kfile_chunk.h"
#include "kiln/buf.h"
#include "kiln/io.h"
#include "kiln/kfile.h"
#include "kiln/profile.h"

typedef struct warnings {
    int count;
    char last[1024];
} warnings;

static inline void collect_warning(void *ctx, const char *msg)
{
    warnings *w = ctx;
    w->count++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

/* Writes p as .kiln into b (reset first). Returns the status. */
static inline kiln_status write_kiln(const kiln_profile *p, kiln_buf *b)
{
    kiln_buf_reset(b);
    kiln_sink s;
    kiln_sink_init_buf(&s, b);
    kiln_error err;
    kiln_error_clear(&err);
    kiln_status st = kiln_kfile_write(p, &s, &err);
    if (st != KILN_OK)
        fprintf(stderr, "write failed: %s\n", err.msg);
    return st;
}

/* Reads len bytes of .kiln into a new finished profile (*out, or NULL on
 * failure with err filled). Warnings go to w (may be NULL). */
static inline kiln_status read_kiln(const void *data, size_t len, int strict, warnings *w, kiln_profile **out,
                             kiln_error *err)
{
    kiln_error_clear(err);
    *out = NULL;
    kiln_profile *p = kiln_profile_new();
    if (!p)
        return KILN_ERR_NOMEM;
    kiln_status st = kiln_kfile_read_memory(data, len, p, strict, w ? collect_warning : NULL, w, err);
    if (st == KILN_OK)
        st = kiln_profile_finish(p, err);
    if (st != KILN_OK) {
        kiln_profile_free(p);
        return st;
    }
    *out = p;
    return KILN_OK;
}

/* ---- crafting raw files ---------------------------------------------------------- */

static inline int craft_write(void *ctx, const void *data, size_t n)
{
    return kiln_buf_add((kiln_buf *)ctx, data, n);
}

/* A crafted file in b, built through w. */
typedef struct craft {
    kiln_buf b;
    ki_kfw w;
} craft;

static inline void craft_init(craft *c)
{
    kiln_buf_init(&c->b);
    ki_kfw_init(&c->w, craft_write, &c->b);
    ki_kfw_file_header(&c->w);
}

static inline void craft_release(craft *c)
{
    ki_kfw_release(&c->w);
    kiln_buf_release(&c->b);
}

static inline void craft_str(ki_kfw *w, const char *s)
{
    ki_kfw_string(w, s, strlen(s));
}

/* A valid beginning: one sample type (cpu), flags 0, strings 1="f" 2="g",
 * frames 0=f 1=g, nodes 1=(root,f) 2=(1,g). */
static inline void craft_preamble(craft *c, int graph_given)
{
    ki_kfw *w = &c->w;
    ki_kfw_begin(w, KI_CHUNK_STYP);
    craft_str(w, "cpu");
    craft_str(w, "nanoseconds");
    ki_kfw_begin(w, KI_CHUNK_FLAG);
    ki_kfw_varint(w, graph_given ? KI_KF_FLAG_GRAPH_GIVEN : 0);
    ki_kfw_varint(w, 0);
    ki_kfw_begin(w, KI_CHUNK_STRS);
    ki_kfw_varint(w, 1);
    craft_str(w, "f");
    craft_str(w, "g");
    ki_kfw_begin(w, KI_CHUNK_FRMS);
    ki_kfw_varint(w, 0);
    for (int i = 1; i <= 2; i++) {
        ki_kfw_varint(w, (uint64_t)i); /* name */
        ki_kfw_varint(w, 0);
        ki_kfw_varint(w, 0);
        ki_kfw_varint(w, 0);
        ki_kfw_varint(w, 0);
        ki_kfw_varint(w, 0);
    }
    if (!graph_given) {
        ki_kfw_begin(w, KI_CHUNK_NODE);
        ki_kfw_varint(w, 1);
        ki_kfw_varint(w, 1); /* node 1: parent 0 */
        ki_kfw_varint(w, 0); /* frame f */
        ki_kfw_varint(w, 1); /* node 2: parent 1 */
        ki_kfw_varint(w, 1); /* frame g */
    }
    ki_kfw_end(w);
}

/* Offsets of every chunk header in a .kiln buffer, and the end of each chunk
 * (parsed independently of the reader, from the spec). Returns the count. */
static inline size_t chunk_bounds(const unsigned char *d, size_t len, size_t *start, size_t *end, size_t max)
{
    size_t n = 0, off = KI_KF_FILE_HEADER_LEN;
    while (off + KI_KF_CHUNK_HEADER_LEN <= len && n < max) {
        uint32_t clen = ki_kf_get_u32(d + off + 4);
        start[n] = off;
        end[n] = off + KI_KF_CHUNK_HEADER_LEN + clen;
        off = end[n++];
    }
    return n;
}

#endif
