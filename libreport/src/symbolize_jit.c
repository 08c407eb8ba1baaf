/* JIT perf maps: /tmp/perf-<pid>.map, one "START SIZE NAME" line per piece
 * of generated code (hex numbers, with or without 0x), appended as the JIT
 * runs (Node's --perf-basic-prof, the JVM's perf-map-agent, ...). Code can be
 * freed and its memory reused: the latest line covering an address wins.
 *
 * Caps: the file is read up to 1 GiB and 2^24 entries; longer names are cut
 * by the profile's string cap. Malformed lines are skipped. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize_internal.h"

#define PERFMAP_MAX_BYTES (1ull << 30)
#define PERFMAP_MAX_ENTRIES (1u << 24)
#define PERFMAP_SCAN_BACK 64 /* overlapping entries examined per lookup */

typedef struct pm_entry {
    uint64_t start, size;
    uint32_t seq;      /* line order: larger = later */
    uint32_t pad;
    size_t name_off;   /* into names */
} pm_entry;

struct ki_perfmap {
    pm_entry *e;
    size_t n, cap;
    char *names;
    size_t names_len, names_cap;
    char *path;
};

static int parse_hex(const char **s, uint64_t *out)
{
    const char *p = *s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    uint64_t v = 0;
    int digits = 0;
    while (isxdigit((unsigned char)*p)) {
        if (digits == 16)
            return -1;
        int d = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
        v = (v << 4) | (uint64_t)d;
        digits++;
        p++;
    }
    if (!digits)
        return -1;
    *out = v;
    *s = p;
    return 0;
}

static int add_entry(ki_perfmap *pm, uint64_t start, uint64_t size, const char *name, size_t len)
{
    if (pm->n == pm->cap) {
        size_t cap = pm->cap ? pm->cap * 2 : 256;
        pm_entry *e = realloc(pm->e, cap * sizeof *e);
        if (!e)
            return -1;
        pm->e = e;
        pm->cap = cap;
    }
    if (pm->names_len + len + 1 > pm->names_cap) {
        size_t cap = pm->names_cap ? pm->names_cap : 4096;
        while (cap < pm->names_len + len + 1)
            cap *= 2;
        char *nn = realloc(pm->names, cap);
        if (!nn)
            return -1;
        pm->names = nn;
        pm->names_cap = cap;
    }
    memcpy(pm->names + pm->names_len, name, len);
    pm->names[pm->names_len + len] = '\0';
    pm_entry *x = &pm->e[pm->n];
    x->start = start;
    x->size = size;
    x->seq = (uint32_t)pm->n;
    x->pad = 0;
    x->name_off = pm->names_len;
    pm->names_len += len + 1;
    pm->n++;
    return 0;
}

/* One line (without its newline); malformed lines are ignored. */
static int parse_line(ki_perfmap *pm, const char *line, size_t len)
{
    const char *s = line;
    uint64_t start, size;
    if (parse_hex(&s, &start) < 0 || (*s != ' ' && *s != '\t'))
        return 0;
    while (*s == ' ' || *s == '\t')
        s++;
    if (parse_hex(&s, &size) < 0 || (*s != ' ' && *s != '\t') || size == 0)
        return 0;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = len - (size_t)(s - line);
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    if (!n)
        return 0;
    if (start + size < start) /* wraps */
        size = UINT64_MAX - start;
    return add_entry(pm, start, size, s, n);
}

static int by_start(const void *a, const void *b)
{
    const pm_entry *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

ki_perfmap *ki_perfmap_load(const char *dir, const char *pid)
{
    if (!pid)
        return NULL;
    size_t pl = strlen(pid);
    if (pl == 0 || pl > 10)
        return NULL;
    for (size_t i = 0; i < pl; i++)
        if (!isdigit((unsigned char)pid[i]))
            return NULL;
    if (!dir || !*dir)
        dir = "/tmp";
    size_t plen = strlen(dir) + pl + 16;
    char *path = malloc(plen);
    if (!path)
        return NULL;
    snprintf(path, plen, "%s/perf-%s.map", dir, pid);
    int fd = ki_open_regular(path, 1);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        free(path);
        return NULL;
    }
    ki_perfmap *pm = calloc(1, sizeof *pm);
    if (!pm) {
        fclose(f);
        free(path);
        return NULL;
    }
    pm->path = path;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    uint64_t total = 0;
    int bad = 0;
    while ((got = getline(&line, &cap, f)) > 0) {
        total += (uint64_t)got;
        if (total > PERFMAP_MAX_BYTES || pm->n >= PERFMAP_MAX_ENTRIES)
            break;
        size_t n = (size_t)got;
        if (line[n - 1] == '\n')
            n--;
        /* A NUL inside the line ends the name there (C strings from here on). */
        size_t c = strnlen(line, n);
        if (parse_line(pm, line, c) < 0) {
            bad = 1;
            break;
        }
    }
    free(line);
    fclose(f);
    if (bad || pm->n == 0) {
        ki_perfmap_free(pm);
        return NULL;
    }
    qsort(pm->e, pm->n, sizeof *pm->e, by_start);
    return pm;
}

void ki_perfmap_free(ki_perfmap *pm)
{
    if (!pm)
        return;
    free(pm->e);
    free(pm->names);
    free(pm->path);
    free(pm);
}

const char *ki_perfmap_path(const ki_perfmap *pm)
{
    return pm->path;
}

const char *ki_perfmap_find(const ki_perfmap *pm, uint64_t addr, uint64_t *start)
{
    if (!pm || !pm->n || addr < pm->e[0].start)
        return NULL;
    size_t lo = 0, hi = pm->n; /* last entry with start <= addr */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (pm->e[mid].start <= addr)
            lo = mid;
        else
            hi = mid;
    }
    const pm_entry *best = NULL;
    for (size_t i = lo + 1, k = 0; i-- > 0 && k < PERFMAP_SCAN_BACK; k++) {
        const pm_entry *x = &pm->e[i];
        if (addr - x->start < x->size && (!best || x->seq > best->seq))
            best = x;
    }
    if (!best)
        return NULL;
    *start = best->start;
    return pm->names + best->name_off;
}
