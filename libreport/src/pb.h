/* Internal: the protobuf wire format, just what pprof's profile.proto needs.
 * Owner: helper "interchange".
 *
 * Writing appends to a kiln_buf (sub-messages are built in their own buffer
 * and appended with their length). Reading is bounded: every length is
 * checked against the bytes left in the enclosing message, varints are at
 * most 10 bytes, and nothing is allocated here. */
#ifndef KI_PB_H
#define KI_PB_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/buf.h"

enum { KI_PB_VARINT = 0, KI_PB_I64 = 1, KI_PB_LEN = 2, KI_PB_I32 = 5 };

void ki_pb_varint(kiln_buf *b, uint64_t v);
/* Field with a varint value; skipped when v == 0 (proto3 default). */
void ki_pb_uint(kiln_buf *b, uint32_t field, uint64_t v);
void ki_pb_int(kiln_buf *b, uint32_t field, int64_t v);
/* Length-delimited field (bytes, string, sub-message). Always written. */
void ki_pb_bytes(kiln_buf *b, uint32_t field, const void *data, size_t n);
/* Packed repeated varints. Skipped when n == 0. `scratch` is reset first. */
void ki_pb_packed_u64(kiln_buf *b, uint32_t field, const uint64_t *v, size_t n, kiln_buf *scratch);
void ki_pb_packed_i64(kiln_buf *b, uint32_t field, const int64_t *v, size_t n, kiln_buf *scratch);

/* A read cursor over one message. */
typedef struct ki_pb_in {
    const unsigned char *p, *end;
    const unsigned char *start; /* of the whole input, for offsets in errors */
} ki_pb_in;

/* One field as read. For KI_PB_LEN, sub holds its bytes. */
typedef struct ki_pb_field {
    uint32_t num;
    int wire;
    uint64_t v;   /* varint / fixed value */
    ki_pb_in sub; /* length-delimited contents */
    size_t at;    /* offset of the tag in the input */
} ki_pb_field;

/* Returns 1 with *f set, 0 at the end of the message, -1 on malformed data
 * (*why is set to a static message, *at to its offset). */
int ki_pb_next(ki_pb_in *in, ki_pb_field *f, const char **why, size_t *at);
/* Reads one varint from a packed blob; 0/1/-1 like ki_pb_next. */
int ki_pb_read_varint(ki_pb_in *in, uint64_t *v);

#endif
