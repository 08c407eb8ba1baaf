/* render/callgraph_png.c: a fast PNG writer for cairo RGB24 images.
 *
 * cairo_surface_write_to_png goes through libpng's defaults (zlib level 6,
 * adaptive filtering over all five filters), which took more than half of
 * the call graph's run time for a 4000 x 2000 picture. A diagram is mostly
 * flat colour: the "Sub" filter plus zlib's run-length strategy at level 1
 * compresses it about as well in a fraction of the time. Only the framing
 * (signature, IHDR, IDAT, IEND with CRC-32, PNG spec section 5) is written
 * here; zlib does the compression and the checksums. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "callgraph_png.h"

static int put_chunk(kiln_sink *out, const char type[4], const unsigned char *data, size_t len)
{
    unsigned char head[8] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
                             (unsigned char)(len >> 8), (unsigned char)len,
                             (unsigned char)type[0], (unsigned char)type[1],
                             (unsigned char)type[2], (unsigned char)type[3]};
    uLong crc = crc32(0L, head + 4, 4);
    if (len) crc = crc32(crc, data, (uInt)len);
    unsigned char tail[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
                             (unsigned char)(crc >> 8), (unsigned char)crc};
    if (kiln_sink_write(out, head, 8) != 0) return -1;
    if (len && kiln_sink_write(out, data, len) != 0) return -1;
    return kiln_sink_write(out, tail, 4);
}

#define IDAT_CHUNK (256u * 1024u)

kiln_status ki_png_write_rgb24(cairo_surface_t *img, kiln_sink *out, kiln_error *err)
{
    cairo_surface_flush(img);
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    int stride = cairo_image_surface_get_stride(img);
    const unsigned char *pix = cairo_image_surface_get_data(img);
    if (!pix || w <= 0 || h <= 0 || cairo_image_surface_get_format(img) != CAIRO_FORMAT_RGB24)
        return kiln_error_set(err, KILN_ERR_INTERNAL, "PNG writer: not an RGB24 image");

    size_t row_len = 1 + 3 * (size_t)w;
    unsigned char *row = malloc(row_len);
    unsigned char *zbuf = malloc(IDAT_CHUNK);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (!row || !zbuf || deflateInit2(&z, 1, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) {
        free(row);
        free(zbuf);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    kiln_status st = KILN_OK;
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13] = {(unsigned char)(w >> 24), (unsigned char)(w >> 16),
                              (unsigned char)(w >> 8), (unsigned char)w,
                              (unsigned char)(h >> 24), (unsigned char)(h >> 16),
                              (unsigned char)(h >> 8), (unsigned char)h,
                              8, 2, 0, 0, 0}; /* 8-bit RGB, deflate, filters, no interlace */
    if (kiln_sink_write(out, sig, 8) != 0 || put_chunk(out, "IHDR", ihdr, 13) != 0) st = KILN_ERR_WRITE;

    z.next_out = zbuf;
    z.avail_out = IDAT_CHUNK;
    for (int y = 0; st == KILN_OK && y <= h; y++) {
        int flush = Z_NO_FLUSH;
        if (y < h) {
            const uint32_t *src = (const uint32_t *)(pix + (size_t)y * (size_t)stride);
            unsigned char *d = row + 1;
            row[0] = 1; /* filter type Sub: each byte minus the byte 3 to its left */
            uint32_t prev = 0;
            for (int x = 0; x < w; x++) {
                uint32_t p = src[x];
                d[0] = (unsigned char)(((p >> 16) & 255) - ((prev >> 16) & 255));
                d[1] = (unsigned char)(((p >> 8) & 255) - ((prev >> 8) & 255));
                d[2] = (unsigned char)((p & 255) - (prev & 255));
                prev = p;
                d += 3;
            }
            z.next_in = row;
            z.avail_in = (uInt)row_len;
        } else {
            z.next_in = NULL;
            z.avail_in = 0;
            flush = Z_FINISH;
        }
        for (;;) {
            int zr = deflate(&z, flush);
            if (zr == Z_STREAM_ERROR) {
                st = KILN_ERR_INTERNAL;
                break;
            }
            if (z.avail_out == 0 || (flush == Z_FINISH && zr == Z_STREAM_END)) {
                if (put_chunk(out, "IDAT", zbuf, IDAT_CHUNK - z.avail_out) != 0) {
                    st = KILN_ERR_WRITE;
                    break;
                }
                z.next_out = zbuf;
                z.avail_out = IDAT_CHUNK;
                if (zr == Z_STREAM_END) break;
                continue;
            }
            if (flush == Z_NO_FLUSH && z.avail_in == 0) break;
        }
    }
    if (st == KILN_OK && put_chunk(out, "IEND", NULL, 0) != 0) st = KILN_ERR_WRITE;
    deflateEnd(&z);
    free(row);
    free(zbuf);
    if (st == KILN_ERR_WRITE) return kiln_error_set(err, st, "cannot write the PNG");
    if (st != KILN_OK) return kiln_error_set(err, st, "PNG compression failed");
    return KILN_OK;
}
