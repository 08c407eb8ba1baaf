/* The `.kiln` chunk writer: builds one payload in memory, deflates it as one
 * complete zlib stream and emits header + payload with a single write call.
 * Depends on zlib and libc only (collectors link it). */
#include "kfile_chunk.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void ki_kfw_init(ki_kfw *w, ki_kfw_write_fn write, void *ctx)
{
    memset(w, 0, sizeof *w);
    w->write = write;
    w->ctx = ctx;
    w->level = Z_DEFAULT_COMPRESSION;
}

void ki_kfw_release(ki_kfw *w)
{
    free(w->buf);
    free(w->zbuf);
    w->buf = w->zbuf = NULL;
    w->len = w->cap = w->zcap = 0;
    w->open = 0;
}

static int emit(ki_kfw *w, const void *data, size_t n)
{
    if (w->failed)
        return -1;
    if (w->write(w->ctx, data, n) != 0) {
        w->failed = KI_KFW_IO;
        return -1;
    }
    w->offset += n;
    return 0;
}

int ki_kfw_file_header(ki_kfw *w)
{
    unsigned char h[KI_KF_FILE_HEADER_LEN];
    memcpy(h, KI_KF_MAGIC, KI_KF_MAGIC_LEN);
    ki_kf_put_u16(h + 8, KI_KF_VERSION);
    ki_kf_put_u16(h + 10, KI_KF_OLDEST_READABLE);
    ki_kf_put_u32(h + 12, 0);
    return emit(w, h, sizeof h);
}

static int reserve(ki_kfw *w, size_t extra)
{
    if (w->failed)
        return -1;
    if (extra > KI_KF_MAX_PAYLOAD - w->len) {
        w->failed = KI_KFW_LIMIT; /* a chunk may not exceed the reader's cap */
        return -1;
    }
    if (w->len + extra <= w->cap)
        return 0;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + extra)
        cap *= 2;
    unsigned char *nb = realloc(w->buf, cap);
    if (!nb) {
        w->failed = KI_KFW_NOMEM;
        return -1;
    }
    w->buf = nb;
    w->cap = cap;
    return 0;
}

void ki_kfw_begin(ki_kfw *w, uint32_t type)
{
    if (w->open)
        ki_kfw_end(w);
    w->type = type;
    w->len = 0;
    w->open = 1;
}

void ki_kfw_bytes(ki_kfw *w, const void *data, size_t n)
{
    if (n == 0 || reserve(w, n) != 0)
        return;
    memcpy(w->buf + w->len, data, n);
    w->len += n;
}

void ki_kfw_varint(ki_kfw *w, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        unsigned char b = v & 0x7f;
        v >>= 7;
        tmp[n++] = b | (v ? 0x80 : 0);
    } while (v);
    ki_kfw_bytes(w, tmp, n);
}

void ki_kfw_svarint(ki_kfw *w, int64_t v)
{
    ki_kfw_varint(w, ki_kf_zigzag(v));
}

void ki_kfw_double(ki_kfw *w, double v)
{
    uint64_t bits;
    unsigned char tmp[8];
    memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 8; i++)
        tmp[i] = (unsigned char)(bits >> (8 * i));
    ki_kfw_bytes(w, tmp, 8);
}

void ki_kfw_string(ki_kfw *w, const void *data, size_t n)
{
    ki_kfw_varint(w, n);
    ki_kfw_bytes(w, data, n);
}

int ki_kfw_end(ki_kfw *w)
{
    if (!w->open)
        return w->failed ? -1 : 0;
    w->open = 0;
    if (w->failed)
        return -1;
    uLong bound = compressBound((uLong)w->len);
    size_t need = KI_KF_CHUNK_HEADER_LEN + (size_t)bound;
    if (need > w->zcap) {
        unsigned char *nz = realloc(w->zbuf, need);
        if (!nz) {
            w->failed = KI_KFW_NOMEM;
            return -1;
        }
        w->zbuf = nz;
        w->zcap = need;
    }
    uLongf clen = bound;
    static const unsigned char empty[1];
    int zr = compress2(w->zbuf + KI_KF_CHUNK_HEADER_LEN, &clen, w->len ? w->buf : empty,
                       (uLong)w->len, w->level);
    if (zr != Z_OK) {
        w->failed = zr == Z_MEM_ERROR ? KI_KFW_NOMEM : KI_KFW_LIMIT;
        return -1;
    }
    uint32_t crc = (uint32_t)crc32(0L, w->zbuf + KI_KF_CHUNK_HEADER_LEN, (uInt)clen);
    ki_kf_put_u32(w->zbuf, w->type);
    ki_kf_put_u32(w->zbuf + 4, (uint32_t)clen);
    ki_kf_put_u32(w->zbuf + 8, (uint32_t)w->len);
    ki_kf_put_u32(w->zbuf + 12, crc);
    if (emit(w, w->zbuf, KI_KF_CHUNK_HEADER_LEN + (size_t)clen) != 0)
        return -1;
    w->chunks++;
    w->len = 0;
    return 0;
}
