/* Executable mappings of the process (/proc/self/maps) with the build-id of
 * each mapped file, read from the file's PT_NOTE segments. Runs in the
 * writer (normal context, malloc allowed). The list accumulates: mappings
 * seen at start stay when a library is unloaded later. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc_maps.h"

KC_NOINST static void build_id_of(const char *path, char *out, size_t outsz)
{
    out[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
        goto out;
    for (unsigned i = 0; i < eh.e_phnum && !out[0]; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph)
            break;
        if (ph.p_type != PT_NOTE || ph.p_filesz > 65536 || ph.p_filesz < sizeof(Elf64_Nhdr))
            continue;
        unsigned char buf[65536];
        ssize_t got = pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset);
        if (got != (ssize_t)ph.p_filesz)
            continue;
        size_t off = 0;
        while (off + sizeof(Elf64_Nhdr) <= (size_t)got) {
            Elf64_Nhdr nh;
            memcpy(&nh, buf + off, sizeof nh);
            size_t name_at = off + sizeof nh;
            size_t desc_at = name_at + ((nh.n_namesz + 3u) & ~3u);
            size_t next = desc_at + ((nh.n_descsz + 3u) & ~3u);
            if (next > (size_t)got || next <= off)
                break;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(buf + name_at, "GNU", 4) &&
                nh.n_descsz > 0 && nh.n_descsz * 2 + 1 <= outsz) {
                for (size_t k = 0; k < nh.n_descsz; k++)
                    snprintf(out + 2 * k, 3, "%02x", buf[desc_at + k]);
                break;
            }
            off = next;
        }
    }
out:
    close(fd);
}

KC_NOINST static int known(const kc_maps *m, uint64_t s, uint64_t e, uint64_t o, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].start == s && m->v[i].end == e && m->v[i].offset == o && !strcmp(m->v[i].path, path))
            return 1;
    return 0;
}

KC_NOINST void kc_maps_update(kc_maps *m)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return;
    char line[4608];
    while (fgets(line, sizeof line, f)) {
        unsigned long long s, e, o;
        char perms[8];
        int pos = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &o, &pos) < 4 || pos == 0)
            continue;
        if (perms[2] != 'x')
            continue;
        char *path = line + pos;
        path[strcspn(path, "\n")] = 0;
        if (path[0] != '/' || known(m, s, e, o, path))
            continue;
        if (m->n == m->cap) {
            size_t nc = m->cap ? 2 * m->cap : 32;
            kc_mapping *nv = realloc(m->v, nc * sizeof *nv);
            if (!nv)
                break;
            m->v = nv;
            m->cap = nc;
        }
        kc_mapping *x = &m->v[m->n];
        x->path = strdup(path);
        if (!x->path)
            break;
        x->start = s;
        x->end = e;
        x->offset = o;
        x->build_id[0] = 0;
        /* the same file mapped twice: reuse its build-id */
        int found = 0;
        for (size_t i = 0; i < m->n && !found; i++)
            if (!strcmp(m->v[i].path, path)) {
                memcpy(x->build_id, m->v[i].build_id, sizeof x->build_id);
                found = 1;
            }
        if (!found)
            build_id_of(path, x->build_id, sizeof x->build_id);
        m->n++;
    }
    fclose(f);
}

KC_NOINST void kc_maps_free(kc_maps *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].path);
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}
