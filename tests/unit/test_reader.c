/* The input reader: lines across buffer boundaries, CRLF, no final newline,
 * gzip transparency (also split in odd places), truncated gzip. */
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "kiln/buf.h"
#include "reader.h"

static void lines_of(ki_reader *r, const char *want[], int n)
{
    const char *line;
    size_t len;
    for (int i = 0; i < n; i++) {
        int rc = ki_reader_line(r, &line, &len);
        CHECK_EQ_INT(rc, 1);
        if (rc == 1) {
            CHECK_EQ_INT(len, strlen(want[i]));
            CHECK(memcmp(line, want[i], len) == 0);
        }
    }
    CHECK_EQ_INT(ki_reader_line(r, &line, &len), 0);
}

static void test_mem_lines(void)
{
    const char *text = "a;b 1\r\n\nlast 2";
    const char *want[] = {"a;b 1", "", "last 2"};
    ki_reader r;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(ki_reader_init_mem(&r, text, strlen(text), &err), 0);
    lines_of(&r, want, 3);
    CHECK_EQ_INT(r.line, 3);
    ki_reader_release(&r);
}

static void test_fd_gzip_long_lines(void)
{
    /* 3 lines, one of 3 MiB (longer than the 1 MiB window), gzip'd through a pipe */
    size_t big = 3u << 20;
    char *line2 = malloc(big + 1);
    memset(line2, 'x', big);
    line2[big] = '\0';
    kiln_buf plain = KILN_BUF_INIT;
    kiln_buf_addstr(&plain, "first\n");
    kiln_buf_addstr(&plain, line2);
    kiln_buf_addstr(&plain, "\nthird\n");
    uLongf zcap = compressBound(plain.len) + 64;
    unsigned char *gz = malloc(zcap);
    z_stream z = {0};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)plain.data;
    z.avail_in = (uInt)plain.len;
    z.next_out = gz;
    z.avail_out = (uInt)zcap;
    CHECK_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t gzlen = z.total_out;
    deflateEnd(&z);

    FILE *tmp = tmpfile();
    fwrite(gz, 1, gzlen, tmp);
    fflush(tmp);
    rewind(tmp);
    ki_reader r;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(ki_reader_init_fd(&r, fileno(tmp), &err), 0);
    const char *want[] = {"first", line2, "third"};
    lines_of(&r, want, 3);
    ki_reader_release(&r);
    fclose(tmp);

    /* truncated gzip: an error, not a silent short read */
    ki_reader_init_mem(&r, gz, gzlen / 2, &err);
    const char *line;
    size_t len;
    int rc;
    while ((rc = ki_reader_line(&r, &line, &len)) == 1)
        ;
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(err.status, KILN_ERR_DATA);
    ki_reader_release(&r);
    free(gz);
    free(line2);
    kiln_buf_release(&plain);
}

int main(void)
{
    test_mem_lines();
    test_fd_gzip_long_lines();
    return check_done();
}
