/* .kiln bad structure, one crafted file per row: every index checked against
 * the tables read so far, cycles impossible, caps enforced before inflating,
 * zlib misuse rejected, and errors inside a chunk located as
 * "offset <chunk> (chunk K, +M in decompressed data)". */
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

#include "check.h"
#include "kfile_testutil.h"

/* ---- raw chunk crafting (bypassing the writer) -------------------------------- */

static void raw_header(kiln_buf *b, unsigned version, unsigned oldest)
{
    unsigned char h[16];
    memcpy(h, KI_KF_MAGIC, 8);
    ki_kf_put_u16(h + 8, (uint16_t)version);
    ki_kf_put_u16(h + 10, (uint16_t)oldest);
    ki_kf_put_u32(h + 12, 0);
    kiln_buf_add(b, h, 16);
}

static void raw_chunk(kiln_buf *b, uint32_t type, uint32_t clen, uint32_t ulen, uint32_t crc,
                      const void *payload, size_t n)
{
    unsigned char h[16];
    ki_kf_put_u32(h, type);
    ki_kf_put_u32(h + 4, clen);
    ki_kf_put_u32(h + 8, ulen);
    ki_kf_put_u32(h + 12, crc);
    kiln_buf_add(b, h, 16);
    kiln_buf_add(b, payload, n);
}

/* A correct chunk, except that the declared ulen may lie and extra bytes
 * may follow the zlib stream (both inside the CRC). */
static void zchunk(kiln_buf *b, uint32_t type, const void *data, size_t n, long ulen_override,
                   const void *extra, size_t extra_n)
{
    uLongf clen = compressBound((uLong)n) + extra_n;
    unsigned char *z = malloc(clen);
    compress2(z, &clen, data, (uLong)n, 6);
    if (extra_n)
        memcpy(z + clen, extra, extra_n);
    clen += extra_n;
    uint32_t crc = (uint32_t)crc32(0, z, (uInt)clen);
    raw_chunk(b, type, (uint32_t)clen, ulen_override >= 0 ? (uint32_t)ulen_override : (uint32_t)n, crc, z,
              clen);
    free(z);
}

/* ---- the table ------------------------------------------------------------------------ */

typedef struct bad_case {
    const char *name;
    void (*build)(craft *c);
    kiln_status want;   /* KILN_OK: read succeeds (with one warning) */
    const char *substr; /* in the error (or the warning) */
    long plus;          /* expected "+M in decompressed data", -1 = not inside a chunk */
} bad_case;

#define W (&c->w)
#define PRE(g) craft_preamble(c, g)

static void b_self_parent(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_NODE); ki_kfw_varint(W, 3); ki_kfw_varint(W, 0); ki_kfw_varint(W, 0); ki_kfw_end(W); }
static void b_forward_parent(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_NODE); ki_kfw_varint(W, 3); ki_kfw_varint(W, 4); ki_kfw_varint(W, 0); ki_kfw_end(W); }
static void b_second_node_cycle(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_NODE); ki_kfw_varint(W, 3); ki_kfw_varint(W, 1); ki_kfw_varint(W, 0); ki_kfw_varint(W, 0); ki_kfw_varint(W, 0); ki_kfw_end(W); }
static void b_node_frame(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_NODE); ki_kfw_varint(W, 3); ki_kfw_varint(W, 1); ki_kfw_varint(W, 9); ki_kfw_end(W); }
static void b_node_gap(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_NODE); ki_kfw_varint(W, 7); ki_kfw_varint(W, 1); ki_kfw_varint(W, 0); ki_kfw_end(W); }
static void b_frame_string(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_FRMS); ki_kfw_varint(W, 2); ki_kfw_varint(W, 77); ki_kfw_end(W); }
static void b_strs_gap(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_STRS); ki_kfw_varint(W, 5); craft_str(W, "x"); ki_kfw_end(W); }
static void b_samp_node(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_SAMP); ki_kfw_varint(W, 99); ki_kfw_double(W, 1); ki_kfw_end(W); }
static void b_samp_nan(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_SAMP); ki_kfw_varint(W, 1); ki_kfw_double(W, __builtin_nan("")); ki_kfw_end(W); }
static void b_samp_inf(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_SAMP); ki_kfw_varint(W, 2); ki_kfw_double(W, 1); ki_kfw_varint(W, 1); ki_kfw_double(W, __builtin_inf()); ki_kfw_end(W); }
static void b_samp_short(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_SAMP); ki_kfw_varint(W, 1); ki_kfw_bytes(W, "1234", 4); ki_kfw_end(W); }
static void b_samp_no_types(craft *c) { ki_kfw_begin(W, KI_CHUNK_SAMP); ki_kfw_varint(W, 0); ki_kfw_double(W, 1); ki_kfw_end(W); }
static void b_call_node(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_CALL); ki_kfw_varint(W, 1); ki_kfw_varint(W, 5); ki_kfw_varint(W, 3); ki_kfw_varint(W, 5); ki_kfw_end(W); }
static void b_long_string(craft *c)
{
    PRE(0);
    ki_kfw_begin(W, KI_CHUNK_STRS);
    ki_kfw_varint(W, 3);
    ki_kfw_varint(W, KILN_MAX_STRING_LEN + 1);
    for (unsigned i = 0; i <= KILN_MAX_STRING_LEN; i++)
        ki_kfw_bytes(W, "y", 1);
    ki_kfw_end(W);
}
static void b_string_past_end(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_STRS); ki_kfw_varint(W, 3); ki_kfw_varint(W, 10); ki_kfw_bytes(W, "abc", 3); ki_kfw_end(W); }
static void b_trunc_varint(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_STRS); ki_kfw_varint(W, 3); ki_kfw_bytes(W, "\x80", 1); ki_kfw_end(W); }
static void b_varint_overflow(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_STRS); ki_kfw_bytes(W, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10); ki_kfw_end(W); }
static void b_frame_line(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_FRMS); ki_kfw_varint(W, 2); ki_kfw_varint(W, 1); ki_kfw_varint(W, 0); ki_kfw_varint(W, 0); ki_kfw_varint(W, 1ull << 40); ki_kfw_end(W); }
static void b_func_no_graph(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_FUNC); ki_kfw_varint(W, 0); ki_kfw_end(W); }
static void put_func(ki_kfw *w, uint64_t frame)
{
    ki_kfw_varint(w, frame);
    ki_kfw_svarint(w, 3);
    ki_kfw_svarint(w, -1);
    ki_kfw_double(w, 0.5);
    ki_kfw_double(w, 1.5);
}
static void put_edge(ki_kfw *w, uint64_t a, uint64_t b)
{
    ki_kfw_varint(w, a);
    ki_kfw_varint(w, b);
    ki_kfw_svarint(w, 1);
    ki_kfw_svarint(w, 1);
    ki_kfw_double(w, 0.1);
    ki_kfw_double(w, 0.2);
}
static void b_func_dup(craft *c) { PRE(1); ki_kfw_begin(W, KI_CHUNK_FUNC); ki_kfw_varint(W, 0); put_func(W, 0); put_func(W, 0); ki_kfw_end(W); }
static void b_func_frame(craft *c) { PRE(1); ki_kfw_begin(W, KI_CHUNK_FUNC); ki_kfw_varint(W, 0); put_func(W, 2); ki_kfw_end(W); }
static void funcs2(craft *c) { PRE(1); ki_kfw_begin(W, KI_CHUNK_FUNC); ki_kfw_varint(W, 0); put_func(W, 0); put_func(W, 1); }
static void b_edge_dup(craft *c) { funcs2(c); ki_kfw_begin(W, KI_CHUNK_EDGE); put_edge(W, 0, 1); put_edge(W, 0, 1); ki_kfw_end(W); }
static void b_edge_func(craft *c) { funcs2(c); ki_kfw_begin(W, KI_CHUNK_EDGE); put_edge(W, 0, 1); put_edge(W, 0, 2); ki_kfw_end(W); }
static void b_end_mismatch(craft *c)
{
    PRE(0);
    ki_kfw_begin(W, KI_CHUNK_END);
    uint64_t v[] = {5, 3, 2, 4 /* nodes: there are 3 */, 0, 0, 0};
    for (int i = 0; i < 7; i++)
        ki_kfw_varint(W, v[i]);
    ki_kfw_double(W, 0);
    ki_kfw_end(W);
}
static void b_end_total(craft *c)
{
    PRE(0);
    ki_kfw_begin(W, KI_CHUNK_SAMP);
    ki_kfw_varint(W, 2);
    ki_kfw_double(W, 10);
    ki_kfw_begin(W, KI_CHUNK_END);
    uint64_t v[] = {6, 3, 2, 3, 0, 0, 1};
    for (int i = 0; i < 7; i++)
        ki_kfw_varint(W, v[i]);
    ki_kfw_double(W, 11);
    ki_kfw_end(W);
}
static void b_styp_twice(craft *c) { PRE(0); ki_kfw_begin(W, KI_CHUNK_STYP); craft_str(W, "a"); craft_str(W, "b"); ki_kfw_end(W); }
static void b_styp_many(craft *c)
{
    ki_kfw_begin(W, KI_CHUNK_STYP);
    for (int i = 0; i <= KILN_MAX_SAMPLE_TYPES; i++) {
        craft_str(W, "t");
        craft_str(W, "count");
    }
    ki_kfw_end(W);
}
static void b_styp_nul(craft *c) { ki_kfw_begin(W, KI_CHUNK_STYP); ki_kfw_string(W, "c\0pu", 4); craft_str(W, "count"); ki_kfw_end(W); }
static void b_meta_nul(craft *c) { ki_kfw_begin(W, KI_CHUNK_META); craft_str(W, "host"); ki_kfw_string(W, "a\0b", 3); ki_kfw_end(W); }
static void b_graph_type(craft *c) { ki_kfw_begin(W, KI_CHUNK_FLAG); ki_kfw_varint(W, 0); ki_kfw_varint(W, 5); ki_kfw_end(W); }
static void b_approx_nodes(craft *c)
{
    ki_kfw_begin(W, KI_CHUNK_FLAG);
    ki_kfw_varint(W, KI_KF_FLAG_GRAPH_GIVEN | KI_KF_FLAG_TREE_APPROX);
    ki_kfw_varint(W, 0);
    ki_kfw_begin(W, KI_CHUNK_NODE);
    ki_kfw_varint(W, 1);
    ki_kfw_end(W);
}

/* chunk framing and zlib */
static void b_clen0(craft *c) { PRE(0); raw_chunk(&c->b, KI_CHUNK_STRS, 0, 0, 0, "", 0); }
static void b_clen_huge(craft *c) { PRE(0); raw_chunk(&c->b, KI_CHUNK_STRS, 0xffffffffu, 10, 0, "", 0); }
static void b_ulen_huge(craft *c) { PRE(0); raw_chunk(&c->b, KI_CHUNK_STRS, 1u << 20, (64u << 20) + 1, 0, "", 0); }
static void b_ratio(craft *c) { PRE(0); raw_chunk(&c->b, KI_CHUNK_STRS, 10, 1000000, 0, "0123456789", 10); }
static unsigned char strs_payload[] = {3, 1, 'x', 1, 'y', 1, 'z'};
static void b_liar_short(craft *c) { PRE(0); zchunk(&c->b, KI_CHUNK_STRS, strs_payload, 7, 9, NULL, 0); }
static void b_liar_long(craft *c) { PRE(0); zchunk(&c->b, KI_CHUNK_STRS, strs_payload, 7, 5, NULL, 0); }
static void b_trailing(craft *c) { PRE(0); zchunk(&c->b, KI_CHUNK_STRS, strs_payload, 7, -1, "abc", 3); }
static void b_two_streams(craft *c)
{
    PRE(0);
    unsigned char z2[64];
    uLongf n2 = sizeof z2;
    compress2(z2, &n2, strs_payload, 7, 6);
    zchunk(&c->b, KI_CHUNK_STRS, strs_payload, 7, -1, z2, n2);
}
static void b_dict(craft *c)
{
    PRE(0);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit(&zs, 6);
    deflateSetDictionary(&zs, (const Bytef *)"xyz", 3);
    unsigned char z[128];
    zs.next_in = strs_payload;
    zs.avail_in = 7;
    zs.next_out = z;
    zs.avail_out = sizeof z;
    deflate(&zs, Z_FINISH);
    uint32_t n = (uint32_t)zs.total_out;
    deflateEnd(&zs);
    raw_chunk(&c->b, KI_CHUNK_STRS, n, 7, (uint32_t)crc32(0, z, n), z, n);
}
static void b_bad_deflate(craft *c)
{
    PRE(0);
    unsigned char z[] = {0x78, 0x9c, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00};
    raw_chunk(&c->b, KI_CHUNK_STRS, sizeof z, 7, (uint32_t)crc32(0, z, sizeof z), z, sizeof z);
}
static void b_cut_deflate(craft *c)
{
    PRE(0);
    unsigned char z[64];
    uLongf n = sizeof z;
    compress2(z, &n, strs_payload, 7, 6);
    n -= 5; /* drop part of the final block and the adler32 */
    raw_chunk(&c->b, KI_CHUNK_STRS, (uint32_t)n, 7, (uint32_t)crc32(0, z, (uInt)n), z, n);
}

/* file header */
static void h_magic(craft *c) { c->b.data[1] = 'X'; }
static void h_future(craft *c) { kiln_buf_reset(&c->b); raw_header(&c->b, 3, 2); }
static void h_zero(craft *c) { kiln_buf_reset(&c->b); raw_header(&c->b, 0, 0); }
static void h_swapped(craft *c) { kiln_buf_reset(&c->b); raw_header(&c->b, 0x100, 0x100); }
static void h_short(craft *c) { c->b.len = 12; }
static void h_empty(craft *c) { c->b.len = 0; }
static void end_chunk(ki_kfw *w, uint64_t chunks, uint64_t strs, uint64_t nodes)
{
    ki_kfw_begin(w, KI_CHUNK_END);
    uint64_t v[] = {chunks, strs, 2, nodes, 0, 0, 0};
    for (int i = 0; i < 7; i++)
        ki_kfw_varint(w, v[i]);
    ki_kfw_double(w, 0);
    ki_kfw_end(w);
}
static void future_minor_start(craft *c)
{
    /* version 2 that version-1 readers may read, with a chunk type they do not know */
    kiln_buf_reset(&c->b);
    raw_header(&c->b, 2, 1);
    PRE(0);
    ki_kfw_begin(W, KI_FOURCC('X', 'T', 'R', 'A'));
    craft_str(W, "future stuff");
    ki_kfw_end(W);
}
static void h_future_minor(craft *c)
{
    future_minor_start(c);
    end_chunk(W, 6, 3, 3);
}

/* damage and completeness (OK + one warning unless strict) */
static void d_crc_middle(craft *c)
{
    PRE(0);
    ki_kfw_begin(W, KI_CHUNK_STRS);
    ki_kfw_varint(W, 3);
    craft_str(W, "lost");
    ki_kfw_end(W);
    c->b.data[c->b.len - 3] ^= 0x10; /* inside the compressed bytes of the last chunk */
    ki_kfw_begin(W, KI_CHUNK_META); /* a chunk after the damage: ignored */
    craft_str(W, "k");
    craft_str(W, "v");
    ki_kfw_end(W);
}
static void d_no_end(craft *c) { PRE(0); }
static void d_after_end(craft *c)
{
    PRE(0);
    end_chunk(W, 5, 3, 3);
    kiln_buf_add(&c->b, "garbage", 7);
}

static const bad_case cases[] = {
    {"node is its own parent", b_self_parent, KILN_ERR_DATA, "node 3 is its own parent", 1},
    {"parent before the root", b_forward_parent, KILN_ERR_DATA, "points before the root", 1},
    {"second node self-cycle", b_second_node_cycle, KILN_ERR_DATA, "node 4 is its own parent", 3},
    {"node frame out of range", b_node_frame, KILN_ERR_DATA, "node frame id 9 out of range", 2},
    {"node id gap", b_node_gap, KILN_ERR_DATA, "node ids start at 7, expected 3", 0},
    {"frame name out of range", b_frame_string, KILN_ERR_DATA, "frame name string id 77 out of range", 1},
    {"string id gap", b_strs_gap, KILN_ERR_DATA, "string ids start at 5, expected 3", 0},
    {"sample node out of range", b_samp_node, KILN_ERR_DATA, "sample node id 99 out of range", 0},
    {"sample NaN", b_samp_nan, KILN_ERR_DATA, "not a finite number", 1},
    {"sample infinity", b_samp_inf, KILN_ERR_DATA, "not a finite number", 10},
    {"sample value cut", b_samp_short, KILN_ERR_DATA, "truncated double", 1},
    {"samples before types", b_samp_no_types, KILN_ERR_DATA, "no sample types", 0},
    {"call node out of range", b_call_node, KILN_ERR_DATA, "call-count node id 3 out of range", 2},
    {"string over the cap", b_long_string, KILN_ERR_LIMIT, "exceeds the cap of 65536", 1},
    {"string past the chunk", b_string_past_end, KILN_ERR_DATA, "runs past the end", 1},
    {"truncated varint", b_trunc_varint, KILN_ERR_DATA, "truncated varint", 1},
    {"varint over 64 bits", b_varint_overflow, KILN_ERR_DATA, "overflows 64 bits", 0},
    {"frame line over 32 bits", b_frame_line, KILN_ERR_DATA, "frame line 1099511627776 does not fit", 4},
    {"functions without given graph", b_func_no_graph, KILN_ERR_DATA, "not mark the graph as given", 0},
    {"duplicate function", b_func_dup, KILN_ERR_DATA, "function 1 repeats the frame", 20},
    {"function frame out of range", b_func_frame, KILN_ERR_DATA, "function frame id 2 out of range", 1},
    {"duplicate edge", b_edge_dup, KILN_ERR_DATA, "edge 1 repeats", 20},
    {"edge function out of range", b_edge_func, KILN_ERR_DATA, "edge callee function id 2 out of range", 21},
    {"end marker counts", b_end_mismatch, KILN_ERR_DATA, "end marker counts 4 nodes but the file has 3", 3},
    {"end marker total", b_end_total, KILN_ERR_DATA, "end marker total 11", 7},
    {"sample types twice", b_styp_twice, KILN_ERR_DATA, "a second sample-type chunk", 0},
    {"too many sample types", b_styp_many, KILN_ERR_LIMIT, "more than 8 sample types", 64},
    {"NUL in sample type", b_styp_nul, KILN_ERR_DATA, "sample type name contains a NUL", 0},
    {"NUL in metadata", b_meta_nul, KILN_ERR_DATA, "metadata value contains a NUL", 5},
    {"graph type out of range", b_graph_type, KILN_ERR_DATA, "graph sample type 5 out of range", 1},
    {"nodes in approximate tree", b_approx_nodes, KILN_ERR_DATA, "marked approximate", 0},
    {"compressed length 0", b_clen0, KILN_ERR_DATA, "compressed length is 0", -1},
    {"compressed length 2^32-1", b_clen_huge, KILN_ERR_LIMIT, "compressed length 4294967295 exceeds", -1},
    {"uncompressed over 64 MiB", b_ulen_huge, KILN_ERR_LIMIT, "uncompressed length 67108865 exceeds", -1},
    {"ratio over 1100:1", b_ratio, KILN_ERR_LIMIT, "compression ratio 1000000:10", -1},
    {"declared size too big", b_liar_short, KILN_ERR_DATA, "decompressed 7 bytes, the header declares 9", 7},
    {"declared size too small", b_liar_long, KILN_ERR_DATA, "longer than the declared 5", 5},
    {"bytes after zlib stream", b_trailing, KILN_ERR_DATA, "3 bytes after the end of the zlib stream", 7},
    {"two zlib streams", b_two_streams, KILN_ERR_DATA, "after the end of the zlib stream", 7},
    {"preset dictionary", b_dict, KILN_ERR_DATA, "preset dictionary", 0},
    {"invalid deflate data", b_bad_deflate, KILN_ERR_DATA, "zlib: invalid", 0},
    {"deflate stream cut short", b_cut_deflate, KILN_ERR_DATA, "cut short", -2},
    {"bad magic", h_magic, KILN_ERR_DATA, "offset 0 (0x0): not a .kiln file", -1},
    {"future major version", h_future, KILN_ERR_DATA, "needs a reader of version 2", -1},
    {"version 0", h_zero, KILN_ERR_DATA, "invalid format version 0", -1},
    {"byte-swapped version", h_swapped, KILN_ERR_DATA, "needs a reader of version 256", -1},
    {"header cut", h_short, KILN_ERR_DATA, "truncated file header (12 of 16 bytes)", -1},
    {"empty file", h_empty, KILN_ERR_DATA, "offset 0 (0x0): empty file", -1},
    {"future minor version, unknown chunk", h_future_minor, KILN_OK, "unknown type (first: 'XTRA'", -1},
    {"CRC mismatch in a middle chunk", d_crc_middle, KILN_OK, "CRC mismatch in chunk 'STRS'", -1},
    {"no end marker", d_no_end, KILN_OK, "incomplete (process ended abnormally?): no end marker after 5", -1},
    {"data after the end marker", d_after_end, KILN_OK, "data after the end marker ignored", -1},
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *bc = &cases[i];
        craft c;
        craft_init(&c);
        bc->build(&c);
        ki_kfw_end(&c.w);
        for (int strict = 0; strict <= 1; strict++) {
            warnings w = {0};
            kiln_error err;
            kiln_profile *q = NULL;
            kiln_status st = read_kiln(c.b.data, c.b.len, strict, &w, &q, &err);
            /* strict turns damage and incompleteness into errors, not unknown chunks */
            int damage = bc->want == KILN_OK && bc->build != h_future_minor;
            kiln_status want = damage && strict ? KILN_ERR_DATA : bc->want;
            int ok = st == want;
            if (want == KILN_OK)
                ok = ok && w.count == 1 && strstr(w.last, bc->substr) && !strncmp(w.last, "offset ", 7);
            else if (bc->want != KILN_OK)
                ok = ok && strstr(err.msg, bc->substr) && !strncmp(err.msg, "offset ", 7) &&
                     err.offset <= c.b.len;
            if (ok && bc->plus >= -1 && bc->want != KILN_OK) {
                const char *pl = strstr(err.msg, "in decompressed data");
                if (bc->plus == -1) {
                    ok = pl == NULL;
                } else {
                    unsigned long long chunk_off, plus = ~0ull;
                    const char *pp = strstr(err.msg, ", +");
                    ok = pl && pp && sscanf(err.msg, "offset %llu", &chunk_off) == 1 &&
                         sscanf(pp, ", +%llu", &plus) == 1 && plus == (unsigned long long)bc->plus &&
                         chunk_off == err.offset;
                }
            }
            if (!ok)
                fprintf(stderr, "case '%s' (strict=%d): status %d (want %d), error '%s', %d warnings '%s'\n",
                        bc->name, strict, st, want, err.msg, w.count, w.last);
            CHECK(ok);
            if (st == KILN_OK && q)
                CHECK_EQ_INT(kiln_profile_check(q, &err), KILN_OK);
            kiln_profile_free(q);
        }
        craft_release(&c);
    }
}

/* What the damaged and forward-compatible files still give. */
static void test_recovered_content(void)
{
    craft c;
    craft_init(&c);
    d_crc_middle(&c);
    warnings w = {0};
    kiln_error err;
    kiln_profile *q = NULL;
    CHECK_EQ_INT(read_kiln(c.b.data, c.b.len, 0, &w, &q, &err), KILN_OK);
    if (q) {
        CHECK_EQ_INT(kiln_profile_str_count(q), 3);   /* "", f, g: "lost" dropped */
        CHECK_EQ_INT(kiln_profile_node_count(q), 3);
        CHECK(kiln_profile_meta_get(q, "k") == NULL); /* after the damage */
    }
    kiln_profile_free(q);
    craft_release(&c);

    craft_init(&c);
    future_minor_start(&c);
    ki_kfw_begin(&c.w, KI_CHUNK_STRS); /* data after the unknown chunk is still read */
    ki_kfw_varint(&c.w, 3);
    craft_str(&c.w, "after");
    end_chunk(&c.w, 7, 4, 3);
    memset(&w, 0, sizeof w);
    CHECK_EQ_INT(read_kiln(c.b.data, c.b.len, 1, &w, &q, &err), KILN_OK);
    CHECK_EQ_INT(w.count, 1);
    CHECK(q && kiln_profile_str_count(q) == 4);
    kiln_profile_free(q);
    craft_release(&c);
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 256 MiB of zeros deflated into one chunk (about 260 KB, ratio 1029:1): refused before
 * inflating past the declared size, in milliseconds, without memory growth. */
static void test_zip_bomb(void)
{
    kiln_buf z = KILN_BUF_INIT;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit(&zs, 9);
    static unsigned char zeros[1 << 20], out[1 << 16];
    for (int i = 0; i < 256; i++) {
        zs.next_in = zeros;
        zs.avail_in = sizeof zeros;
        int flush = i == 255 ? Z_FINISH : Z_NO_FLUSH;
        do {
            zs.next_out = out;
            zs.avail_out = sizeof out;
            deflate(&zs, flush);
            kiln_buf_add(&z, out, sizeof out - zs.avail_out);
        } while (zs.avail_out == 0);
    }
    deflateEnd(&zs);
    printf("bomb: 256 MiB of zeros deflates to %zu bytes (%.0f:1)\n", z.len, 268435456.0 / (double)z.len);
    /* declared 1000: inflate stops at 1001 bytes; 64 MiB (the cap): stops
     * after 64 MiB + 1; 256 MiB: refused from the header; a 50 KB prefix
     * declaring 64 MiB: ratio over 1100:1, refused from the header. */
    uint32_t declared[] = {1000, 64u << 20, 256u << 20, 64u << 20};
    uint32_t clens[] = {(uint32_t)z.len, (uint32_t)z.len, (uint32_t)z.len, 50000};
    kiln_status want[] = {KILN_ERR_DATA, KILN_ERR_DATA, KILN_ERR_LIMIT, KILN_ERR_LIMIT};
    const char *msg[] = {"longer than the declared 1000", "longer than the declared 67108864",
                         "uncompressed length 268435456 exceeds", "compression ratio 67108864:50000"};
    long rss_budget_kib[] = {8 << 10, 80 << 10, 8 << 10, 8 << 10}; /* 64 MiB buffer + ASan shadow */
    for (int i = 0; i < 4; i++) {
        craft c;
        craft_init(&c);
        craft_preamble(&c, 0);
        uint32_t crc = (uint32_t)crc32(0, (unsigned char *)z.data, clens[i]);
        raw_chunk(&c.b, KI_CHUNK_STRS, clens[i], declared[i], crc, z.data, clens[i]);
        long rss0 = max_rss_kb();
        /* CPU time, not wall: CI runs tests two at a time on a loaded machine */
        clock_t t0 = clock();
        kiln_error err;
        kiln_profile *q = NULL;
        kiln_status st = read_kiln(c.b.data, c.b.len, 0, NULL, &q, &err);
        double dt = (double)(clock() - t0) / CLOCKS_PER_SEC;
        long grew = max_rss_kb() - rss0;
        printf("bomb declared %u: %.4f s, max RSS grew %ld KiB: %s\n", declared[i], dt, grew, err.msg);
        CHECK_EQ_INT(st, want[i]);
        CHECK(strstr(err.msg, msg[i]) != NULL);
        CHECK(dt < 2.0); /* a 64 MiB inflate under ASan takes ~0.3 s */
        CHECK(grew < rss_budget_kib[i]);
        kiln_profile_free(q);
        craft_release(&c);
    }
    kiln_buf_release(&z);
}

int main(void)
{
    test_table();
    test_recovered_content();
    test_zip_bomb();
    return check_done();
}
