/* The protobuf wire format (pb.h). */
#include "pb.h"

void ki_pb_varint(kiln_buf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        tmp[n++] = (unsigned char)(c | (v ? 0x80 : 0));
    } while (v);
    kiln_buf_add(b, tmp, n);
}

static void tag(kiln_buf *b, uint32_t field, int wire)
{
    ki_pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

void ki_pb_uint(kiln_buf *b, uint32_t field, uint64_t v)
{
    if (!v)
        return;
    tag(b, field, KI_PB_VARINT);
    ki_pb_varint(b, v);
}

void ki_pb_int(kiln_buf *b, uint32_t field, int64_t v)
{
    ki_pb_uint(b, field, (uint64_t)v); /* int64 is two's complement, 10 bytes when negative */
}

void ki_pb_bytes(kiln_buf *b, uint32_t field, const void *data, size_t n)
{
    tag(b, field, KI_PB_LEN);
    ki_pb_varint(b, n);
    if (n)
        kiln_buf_add(b, data, n);
}

void ki_pb_packed_u64(kiln_buf *b, uint32_t field, const uint64_t *v, size_t n, kiln_buf *scratch)
{
    if (!n)
        return;
    kiln_buf_reset(scratch);
    for (size_t i = 0; i < n; i++)
        ki_pb_varint(scratch, v[i]);
    ki_pb_bytes(b, field, scratch->data, scratch->len);
}

void ki_pb_packed_i64(kiln_buf *b, uint32_t field, const int64_t *v, size_t n, kiln_buf *scratch)
{
    if (!n)
        return;
    kiln_buf_reset(scratch);
    for (size_t i = 0; i < n; i++)
        ki_pb_varint(scratch, (uint64_t)v[i]);
    ki_pb_bytes(b, field, scratch->data, scratch->len);
}

int ki_pb_read_varint(ki_pb_in *in, uint64_t *v)
{
    if (in->p >= in->end)
        return 0;
    uint64_t r = 0;
    for (int i = 0; i < 10; i++) {
        if (in->p >= in->end)
            return -1;
        unsigned char c = *in->p++;
        if (i == 9 && c > 1)
            return -1; /* more than 64 bits */
        r |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *v = r;
            return 1;
        }
    }
    return -1;
}

int ki_pb_next(ki_pb_in *in, ki_pb_field *f, const char **why, size_t *at)
{
    if (in->p >= in->end)
        return 0;
    f->at = (size_t)(in->p - in->start);
    uint64_t key;
    if (ki_pb_read_varint(in, &key) != 1) {
        *why = "truncated or overlong field tag";
        *at = f->at;
        return -1;
    }
    f->num = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    if (f->num == 0 || (key >> 3) > 0x1fffffff) {
        *why = "invalid field number";
        *at = f->at;
        return -1;
    }
    size_t left;
    switch (f->wire) {
    case KI_PB_VARINT:
        if (ki_pb_read_varint(in, &f->v) != 1) {
            *why = "truncated or overlong varint";
            *at = f->at;
            return -1;
        }
        return 1;
    case KI_PB_I64:
    case KI_PB_I32: {
        size_t n = f->wire == KI_PB_I64 ? 8 : 4;
        if ((size_t)(in->end - in->p) < n) {
            *why = "truncated fixed-width field";
            *at = f->at;
            return -1;
        }
        f->v = 0;
        for (size_t i = 0; i < n; i++)
            f->v |= (uint64_t)in->p[i] << (8 * i);
        in->p += n;
        return 1;
    }
    case KI_PB_LEN: {
        uint64_t n;
        if (ki_pb_read_varint(in, &n) != 1) {
            *why = "truncated length";
            *at = f->at;
            return -1;
        }
        left = (size_t)(in->end - in->p);
        if (n > left) {
            *why = "length runs past the end of its message";
            *at = f->at;
            return -1;
        }
        f->sub.start = in->start;
        f->sub.p = in->p;
        f->sub.end = in->p + n;
        in->p += n;
        return 1;
    }
    default:
        *why = "unsupported wire type (groups or invalid)";
        *at = f->at;
        return -1;
    }
}
