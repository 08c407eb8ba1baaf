/* Sinks and atomically replaced output files. */
#include "kiln/io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int buf_write(kiln_sink *s, const void *data, size_t n)
{
    return kiln_buf_add(s->ctx, data, n);
}

static int file_write(kiln_sink *s, const void *data, size_t n)
{
    if (n && fwrite(data, 1, n, s->ctx) != n) {
        s->err_no = errno;
        return -1;
    }
    return 0;
}

void kiln_sink_init_buf(kiln_sink *s, kiln_buf *b)
{
    memset(s, 0, sizeof *s);
    s->write = buf_write;
    s->ctx = b;
}

void kiln_sink_init_file(kiln_sink *s, FILE *f)
{
    memset(s, 0, sizeof *s);
    s->write = file_write;
    s->ctx = f;
}

int kiln_sink_write(kiln_sink *s, const void *data, size_t n)
{
    if (s->failed)
        return -1;
    if (s->write(s, data, n) < 0) {
        s->failed = 1;
        return -1;
    }
    return 0;
}

int kiln_sink_puts(kiln_sink *s, const char *str)
{
    return kiln_sink_write(s, str, strlen(str));
}

int kiln_sink_printf(kiln_sink *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof tmp)
        return kiln_sink_write(s, tmp, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) {
        s->failed = 1;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int r = kiln_sink_write(s, big, (size_t)n);
    free(big);
    return r;
}

/* Temp files still open, so a signal handler can remove them. A small fixed
 * table is enough: a command writes a handful of outputs at once. */
#define MAX_OPEN_TMP 32
static char *volatile open_tmp[MAX_OPEN_TMP];

static void track(char *tmp, int on)
{
    for (int i = 0; i < MAX_OPEN_TMP; i++) {
        if (on && !open_tmp[i]) {
            open_tmp[i] = tmp;
            return;
        }
        if (!on && open_tmp[i] == tmp) {
            open_tmp[i] = NULL;
            return;
        }
    }
}

void kiln_outfile_abort_all_signal_safe(void)
{
    for (int i = 0; i < MAX_OPEN_TMP; i++)
        if (open_tmp[i])
            unlink(open_tmp[i]);
}

kiln_status kiln_outfile_open(kiln_outfile *of, const char *path, kiln_error *err)
{
    memset(of, 0, sizeof *of);
    if (strcmp(path, "-") == 0) {
        of->is_stdout = 1;
        of->fp = stdout;
        kiln_sink_init_file(&of->sink, stdout);
        return KILN_OK;
    }
    size_t n = strlen(path) + 32;
    of->path = strdup(path);
    of->tmp_path = malloc(n);
    if (!of->path || !of->tmp_path) {
        kiln_outfile_abort(of);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    snprintf(of->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(of->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        free(of->tmp_path);
        of->tmp_path = NULL;
        kiln_outfile_abort(of);
        return kiln_error_set(err, KILN_ERR_CREATE, "cannot create: %s", strerror(e));
    }
    of->fp = fdopen(fd, "wb");
    if (!of->fp) {
        close(fd);
        kiln_outfile_abort(of);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    track(of->tmp_path, 1);
    kiln_sink_init_file(&of->sink, of->fp);
    return KILN_OK;
}

kiln_status kiln_outfile_commit(kiln_outfile *of, kiln_error *err)
{
    kiln_status st = KILN_OK;
    if (of->is_stdout) {
        if (fflush(stdout) != 0 || ferror(stdout) || of->sink.failed)
            st = kiln_error_set(err, KILN_ERR_WRITE, "write error on standard output: %s",
                                strerror(of->sink.err_no ? of->sink.err_no : errno));
        memset(of, 0, sizeof *of);
        return st;
    }
    int e = 0;
    if (of->sink.failed)
        e = of->sink.err_no ? of->sink.err_no : EIO;
    else if (fflush(of->fp) != 0 || ferror(of->fp))
        e = errno ? errno : EIO;
    /* No fsync: the rename alone guarantees that readers never see a partial
     * file; syncing every output cost more wall time than the work itself
     * on a busy disk (0.4 s for one call graph). KILN_FSYNC=1 asks for it. */
    else if (getenv("KILN_FSYNC") && fsync(fileno(of->fp)) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (fclose(of->fp) != 0 && !e)
        e = errno ? errno : EIO;
    of->fp = NULL;
    if (!e && rename(of->tmp_path, of->path) != 0)
        e = errno;
    if (e) {
        st = kiln_error_set(err, KILN_ERR_WRITE, "write error: %s", strerror(e));
        unlink(of->tmp_path);
    }
    track(of->tmp_path, 0);
    free(of->tmp_path);
    free(of->path);
    memset(of, 0, sizeof *of);
    return st;
}

void kiln_outfile_abort(kiln_outfile *of)
{
    if (of->is_stdout) {
        memset(of, 0, sizeof *of);
        return;
    }
    if (of->fp)
        fclose(of->fp);
    if (of->tmp_path) {
        unlink(of->tmp_path);
        track(of->tmp_path, 0);
    }
    free(of->tmp_path);
    free(of->path);
    memset(of, 0, sizeof *of);
}
