/* Internal: the low-level layer of the `.kiln` format (docs/format.md):
 * constants shared by reader and writer, and a chunk writer that depends on
 * zlib and libc only, so collectors can link it without the rest of libkiln.
 *
 * Writing a file:
 *
 *   ki_kfw w;
 *   ki_kfw_init(&w, my_write, my_ctx);        // my_write: 0 ok, -1 error
 *   ki_kfw_file_header(&w);
 *   ki_kfw_begin(&w, KI_CHUNK_STRS);
 *   ki_kfw_varint(&w, first_id); ...          // build the payload
 *   ki_kfw_end(&w);                           // deflate + header + CRC + write
 *   ...
 *   if (w.failed) ...                          // sticky: KI_KFW_NOMEM / KI_KFW_IO
 *   ki_kfw_release(&w);
 *
 * The writer never seeks; every ki_kfw_end hands one complete chunk to the
 * write callback in a single call, so a crash loses at most the chunk that
 * was being built. Not async-signal-safe (it allocates). */
#ifndef KI_KFILE_CHUNK_H
#define KI_KFILE_CHUNK_H

#include <stddef.h>
#include <stdint.h>

/* ---- layout ---------------------------------------------------------------- */

#define KI_KF_MAGIC "\x89KILN\r\n\x1a"
#define KI_KF_MAGIC_LEN 8
#define KI_KF_FILE_HEADER_LEN 16   /* magic, u16 version, u16 oldest, u32 flags */
#define KI_KF_CHUNK_HEADER_LEN 16  /* u32 type, clen, ulen, crc32 */
#define KI_KF_VERSION 1            /* what this code writes */
#define KI_KF_OLDEST_READABLE 1    /* oldest reader version that can read it */

/* ---- caps (enforced by the reader before allocating or inflating) ----------- */

#define KI_KF_MAX_PAYLOAD (64u << 20)                        /* uncompressed, per chunk */
#define KI_KF_MAX_COMPRESSED (KI_KF_MAX_PAYLOAD + (1u << 20)) /* compressed, per chunk */
#define KI_KF_MAX_RATIO 1100u                                /* ulen <= ratio * clen */
#define KI_KF_MAX_TOTAL (4ull << 30)                         /* uncompressed, whole file */
/* The writer closes a chunk once its payload passes this size. */
#define KI_KF_SPLIT (1u << 20)

/* ---- chunk types: FourCC, the four ASCII bytes in file order ---------------- */

#define KI_FOURCC(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

enum {
    KI_CHUNK_META = KI_FOURCC('M', 'E', 'T', 'A'), /* metadata key/value pairs */
    KI_CHUNK_STYP = KI_FOURCC('S', 'T', 'Y', 'P'), /* sample types */
    KI_CHUNK_FLAG = KI_FOURCC('F', 'L', 'A', 'G'), /* profile flags, graph type */
    KI_CHUNK_STRS = KI_FOURCC('S', 'T', 'R', 'S'), /* strings */
    KI_CHUNK_FRMS = KI_FOURCC('F', 'R', 'M', 'S'), /* frames */
    KI_CHUNK_MAPS = KI_FOURCC('M', 'A', 'P', 'S'), /* memory maps */
    KI_CHUNK_NODE = KI_FOURCC('N', 'O', 'D', 'E'), /* tree nodes */
    KI_CHUNK_SAMP = KI_FOURCC('S', 'A', 'M', 'P'), /* values added to node self */
    KI_CHUNK_CALL = KI_FOURCC('C', 'A', 'L', 'L'), /* node call counts */
    KI_CHUNK_FUNC = KI_FOURCC('F', 'U', 'N', 'C'), /* call-graph functions */
    KI_CHUNK_EDGE = KI_FOURCC('E', 'D', 'G', 'E'), /* call-graph edges */
    KI_CHUNK_END = KI_FOURCC('E', 'N', 'D', ' ')   /* end marker with totals */
};

/* FLAG bits */
#define KI_KF_FLAG_GRAPH_GIVEN 1u
#define KI_KF_FLAG_TREE_APPROX 2u
#define KI_KF_FLAG_KNOWN 3u

/* ---- little-endian helpers -------------------------------------------------- */

static inline void ki_kf_put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void ki_kf_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint16_t ki_kf_get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t ki_kf_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ki_kf_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t ki_kf_unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* ---- the chunk writer --------------------------------------------------------- */

typedef int (*ki_kfw_write_fn)(void *ctx, const void *data, size_t n);

enum { KI_KFW_OK = 0, KI_KFW_NOMEM = 1, KI_KFW_IO = 2, KI_KFW_LIMIT = 3 };

typedef struct ki_kfw {
    ki_kfw_write_fn write;   /* borrowed */
    void *ctx;
    unsigned char *buf;      /* payload of the open chunk (owned) */
    size_t len, cap;
    unsigned char *zbuf;     /* deflate output (owned) */
    size_t zcap;
    uint32_t type;           /* type of the open chunk */
    int open;                /* a chunk is being built */
    int failed;              /* sticky KI_KFW_* code of the first failure */
    int level;               /* zlib level, default 6 */
    uint64_t chunks;         /* chunks written so far */
    uint64_t offset;         /* bytes written so far */
} ki_kfw;

void ki_kfw_init(ki_kfw *w, ki_kfw_write_fn write, void *ctx);
void ki_kfw_release(ki_kfw *w);
/* Writes the 16-byte file header. 0 or -1 (w->failed set). */
int ki_kfw_file_header(ki_kfw *w);
/* Starts a chunk (an open one is ended first). */
void ki_kfw_begin(ki_kfw *w, uint32_t type);
void ki_kfw_varint(ki_kfw *w, uint64_t v);
void ki_kfw_svarint(ki_kfw *w, int64_t v);
void ki_kfw_double(ki_kfw *w, double v);
void ki_kfw_bytes(ki_kfw *w, const void *data, size_t n);
/* A length-prefixed byte string: varint n, then n bytes. */
void ki_kfw_string(ki_kfw *w, const void *data, size_t n);
/* Payload bytes in the open chunk, so callers can split at KI_KF_SPLIT. */
static inline size_t ki_kfw_size(const ki_kfw *w)
{
    return w->len;
}
/* Deflates the payload and writes header + payload in one write call.
 * 0 or -1 (w->failed set; also when an earlier put failed). */
int ki_kfw_end(ki_kfw *w);

#endif
