/* Symbolization helpers: demangling through libiberty and a file opener that
 * refuses anything but regular files (a recorded path may name a FIFO or a
 * device; opening one must not hang the reader). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libiberty/demangle.h>

#include "symbolize_internal.h"

int ki_frame_vec_push(ki_frame_vec *v, kiln_frame_id id)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        kiln_frame_id *ids = realloc(v->ids, cap * sizeof *ids);
        if (!ids)
            return -1;
        v->ids = ids;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
    return 0;
}

char *ki_demangle(const char *name)
{
    if (!name)
        return NULL;
    int style;
    if (strncmp(name, "_R", 2) == 0)
        style = DMGL_RUST;          /* Rust v0 */
    else if (strncmp(name, "_Z", 2) == 0)
        style = DMGL_AUTO;          /* Itanium C++, and legacy Rust (hash dropped) */
    else
        return NULL;                /* C names; no Java/Ada/D guessing */
    return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | style);
}

int ki_open_regular(const char *path, long long min_size)
{
    if (!path || !*path)
        return -1;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < min_size) {
        close(fd);
        return -1;
    }
    /* Back to blocking reads: O_NONBLOCK was only for the open itself. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}
