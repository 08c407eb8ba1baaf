/* ELF modules through libdwfl: one Dwfl per (file, load bias), opened on the
 * first address that needs it and kept for the whole symbolization.
 *
 * Load bias: the mapping puts file offset `offset` at `start`; the PT_LOAD
 * segment holding that offset puts file offset p_offset at vaddr p_vaddr, so
 * bias = start - offset + p_offset - p_vaddr (0 for non-PIE executables).
 *
 * Debug info: the callbacks below look in the file itself, then by build-id
 * under the debug directories, then by .gnu_debuglink (CRC checked). There is
 * deliberately no debuginfod: elfutils' standard callbacks would query the
 * network when DEBUGINFOD_URLS is set (Debian sets it in login shells). */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "symbolize_internal.h"

#define MAX_MODULES 4096          /* distinct files opened per symbolization */
#define MAX_BUILD_ID_HEX 128
#define ELF_MIN_SIZE 64           /* an ELF header */

typedef struct elf_module {
    char *path;
    uint64_t bias;      /* runtime address - ELF vaddr, from the mapping */
    uint64_t dwfl_bias; /* what libdwfl applied (0 for ET_EXEC) */
    Dwfl *dwfl;
    Dwfl_Module *mod;
    /* symbol entry + 1 -> DIE offset of its subprogram (open addressing) */
    struct sub_slot { uint64_t key; Dwarf_Off off; } *subs;
    uint32_t nsubs, cap_subs;
    /* function symbols sorted by address (names borrowed from libelf) */
    struct sym_ent { uint64_t addr, size; const char *name; int rank; } *syms;
    size_t nsyms;
    int syms_loaded;
} elf_module;

typedef struct map_slot {
    int state;          /* 0 not tried, 1 usable, -1 unusable */
    uint32_t module;    /* index into mods when usable */
} map_slot;

struct ki_symelf {
    const kiln_symbolize_opts *opts;
    char *debuginfo_path; /* for Dwfl_Callbacks (a char ** there) */
    Dwfl_Callbacks cb;
    map_slot *slots;
    uint32_t nslots;
    elf_module *mods;
    uint32_t nmods, cap_mods;
};

static void warn(const ki_symelf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const ki_symelf *e, const char *fmt, ...)
{
    if (!e->opts || !e->opts->warn)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->opts->warn(e->opts->warn_ctx, msg);
}

/* ---- debug file lookup (no network) ------------------------------------- */

static int no_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                       char **file_name, Elf **elfp)
{
    (void)mod, (void)userdata, (void)modname, (void)base, (void)file_name, (void)elfp;
    return -1; /* every module is reported with its file already open */
}

static int crc_matches(int fd, GElf_Word want)
{
    unsigned char buf[65536];
    uLong crc = crc32(0L, Z_NULL, 0);
    ssize_t n;
    off_t off = 0;
    while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
        crc = crc32(crc, buf, (uInt)n);
        off += n;
    }
    return n == 0 && (GElf_Word)crc == want;
}

/* Tries one candidate debug file; returns its fd or -1. */
static int try_debug_candidate(const char *cand, const char *file_name, GElf_Word crc,
                               char **debuginfo_file_name)
{
    if (file_name && strcmp(cand, file_name) == 0)
        return -1;
    int fd = ki_open_regular(cand, ELF_MIN_SIZE);
    if (fd < 0)
        return -1;
    /* crc 0: an alternate (dwz) file, already identified by its name. */
    if (crc != 0 && !crc_matches(fd, crc)) {
        close(fd);
        return -1;
    }
    char *dup = strdup(cand);
    if (!dup) {
        close(fd);
        return -1;
    }
    *debuginfo_file_name = dup;
    return fd;
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                          const char *file_name, const char *debuglink_file,
                          GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                          debuglink_crc, debuginfo_file_name);
    if (fd >= 0 || !debuglink_file || !*debuglink_file)
        return fd;
    if (debuglink_file[0] == '/')
        return try_debug_candidate(debuglink_file, file_name, debuglink_crc, debuginfo_file_name);
    if (!file_name || strchr(debuglink_file, '/'))
        return -1;
    /* dir of the file; then dir/.debug; then <debug root>/dir for each
     * absolute entry of the search path (default /usr/lib/debug). */
    const char *slash = strrchr(file_name, '/');
    size_t dl = slash ? (size_t)(slash - file_name) : 0;
    char cand[4096];
    if (slash) {
        if (snprintf(cand, sizeof cand, "%.*s/%s", (int)dl, file_name, debuglink_file) <
                (int)sizeof cand &&
            (fd = try_debug_candidate(cand, file_name, debuglink_crc, debuginfo_file_name)) >= 0)
            return fd;
        if (snprintf(cand, sizeof cand, "%.*s/.debug/%s", (int)dl, file_name, debuglink_file) <
                (int)sizeof cand &&
            (fd = try_debug_candidate(cand, file_name, debuglink_crc, debuginfo_file_name)) >= 0)
            return fd;
    }
    /* The module's userdata is its resolver (set by report_module). */
    const ki_symelf *e = userdata ? *userdata : NULL;
    const char *path = e ? e->debuginfo_path : "/usr/lib/debug";
    while (path && *path) {
        const char *end = strchr(path, ':');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        const char *elem = path;
        if (n && (*elem == '+' || *elem == '-')) {
            elem++;
            n--;
        }
        if (n && *elem == '/' && slash &&
            snprintf(cand, sizeof cand, "%.*s%.*s/%s", (int)n, elem, (int)dl, file_name,
                     debuglink_file) < (int)sizeof cand &&
            (fd = try_debug_candidate(cand, file_name, debuglink_crc, debuginfo_file_name)) >= 0)
            return fd;
        path = end ? end + 1 : NULL;
    }
    return -1;
}

/* ---- opening a module ------------------------------------------------------ */

static void hex_of(const unsigned char *bits, int len, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    size_t j = 0;
    for (int i = 0; i < len && j + 2 < cap; i++) {
        out[j++] = digits[bits[i] >> 4];
        out[j++] = digits[bits[i] & 15];
    }
    out[j] = '\0';
}

/* The file's build-id as lowercase hex ("" when it has none). */
static void elf_build_id(Elf *elf, char *out, size_t cap)
{
    const void *bits = NULL;
    ssize_t len = dwelf_elf_gnu_build_id(elf, &bits);
    out[0] = '\0';
    if (len > 0 && bits)
        hex_of(bits, (int)(len > 64 ? 64 : len), out, cap);
}

/* Load bias of the mapping from the file's program headers; -1 when no
 * loadable segment holds the mapping's file offset. */
static int compute_bias(Elf *elf, const kiln_mapping *m, uint64_t *bias)
{
    size_t phnum;
    if (elf_getphdrnum(elf, &phnum) != 0)
        return -1;
    int found = -1;
    for (size_t i = 0; i < phnum && i < 65536; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
            continue;
        uint64_t seg_page = ph.p_offset & ~(uint64_t)4095;
        if (m->offset < seg_page || m->offset - ph.p_offset >= ph.p_filesz + 4096)
            continue;
        /* Prefer the executable segment when two share a page. */
        if (found < 0 || (ph.p_flags & PF_X)) {
            *bias = m->start - m->offset + ph.p_offset - ph.p_vaddr;
            found = 0;
            if (ph.p_flags & PF_X)
                break;
        }
    }
    return found;
}

/* Opens path as an ELF file; fills its build-id and the bias for m. The fd
 * is returned open (for dwfl_report_elf), or -1. */
static int open_elf(const char *path, const kiln_mapping *m, char *bid, size_t bidcap,
                    uint64_t *bias)
{
    int fd = ki_open_regular(path, ELF_MIN_SIZE);
    if (fd < 0)
        return -1;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    int ok = elf && elf_kind(elf) == ELF_K_ELF;
    if (ok) {
        elf_build_id(elf, bid, bidcap);
        ok = compute_bias(elf, m, bias) == 0;
    }
    elf_end(elf);
    if (!ok) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Looks for the file by build-id under the absolute entries of the debug
 * path: .build-id/xx/yyyy (the binary) then .build-id/xx/yyyy.debug. */
static int open_by_build_id(const ki_symelf *e, const char *want, const kiln_mapping *m,
                            char *found_path, size_t fpcap, uint64_t *bias)
{
    size_t wl = strlen(want);
    if (wl < 4 || wl > MAX_BUILD_ID_HEX)
        return -1;
    for (size_t i = 0; i < wl; i++)
        if (!((want[i] >= '0' && want[i] <= '9') || (want[i] >= 'a' && want[i] <= 'f')))
            return -1;
    const char *path = e->debuginfo_path;
    while (path && *path) {
        const char *end = strchr(path, ':');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        const char *elem = path;
        if (n && (*elem == '+' || *elem == '-')) {
            elem++;
            n--;
        }
        for (int dbg = 0; n && *elem == '/' && dbg < 2; dbg++) {
            if (snprintf(found_path, fpcap, "%.*s/.build-id/%.2s/%s%s", (int)n, elem, want,
                         want + 2, dbg ? ".debug" : "") >= (int)fpcap)
                continue;
            char bid[2 * MAX_BUILD_ID_HEX + 1];
            int fd = open_elf(found_path, m, bid, sizeof bid, bias);
            if (fd >= 0 && strcmp(bid, want) == 0)
                return fd;
            if (fd >= 0)
                close(fd);
        }
        path = end ? end + 1 : NULL;
    }
    return -1;
}

static int report_module(ki_symelf *e, const char *path, int fd, uint64_t bias, uint32_t *out)
{
    for (uint32_t i = 0; i < e->nmods; i++)
        if (e->mods[i].bias == bias && strcmp(e->mods[i].path, path) == 0) {
            close(fd);
            *out = i;
            return 0;
        }
    if (e->nmods >= MAX_MODULES) {
        close(fd);
        return -1;
    }
    if (e->nmods == e->cap_mods) {
        uint32_t cap = e->cap_mods ? e->cap_mods * 2 : 8;
        elf_module *mods = realloc(e->mods, cap * sizeof *mods);
        if (!mods) {
            close(fd);
            return -1;
        }
        e->mods = mods;
        e->cap_mods = cap;
    }
    elf_module *em = &e->mods[e->nmods];
    memset(em, 0, sizeof *em);
    em->path = strdup(path);
    em->dwfl = dwfl_begin(&e->cb);
    if (!em->path || !em->dwfl) {
        close(fd);
        goto fail;
    }
    dwfl_report_begin(em->dwfl);
    em->mod = dwfl_report_elf(em->dwfl, path, path, fd, bias, true);
    if (!em->mod) {
        close(fd); /* not consumed on failure */
        goto fail;
    }
    if (dwfl_report_end(em->dwfl, NULL, NULL) != 0)
        goto fail;
    void **userdata = NULL;
    if (dwfl_module_info(em->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL) && userdata)
        *userdata = e;
    /* Where libdwfl put the file: equal to bias for PIE, 0 for ET_EXEC. */
    Dwarf_Addr b = 0;
    if (!dwfl_module_getelf(em->mod, &b))
        goto fail;
    em->bias = bias;
    em->dwfl_bias = b;
    *out = e->nmods++;
    return 0;
fail:
    if (em->dwfl)
        dwfl_end(em->dwfl);
    free(em->path);
    return -1;
}

static int open_module(ki_symelf *e, const kiln_mapping *m, const char *path, const char *want,
                       uint32_t *out)
{
    char bid[2 * MAX_BUILD_ID_HEX + 1];
    uint64_t bias = 0;
    int fd = open_elf(path, m, bid, sizeof bid, &bias);
    const char *used = path;
    char alt[4096];
    if (fd >= 0 && want && *want && bid[0] && strcmp(bid, want) != 0) {
        close(fd);
        fd = -1;
        warn(e, "symbolize: '%s': build-id %s differs from the recorded %s (file changed "
             "since recording)", path, bid, want);
    }
    if (fd < 0 && want && *want) {
        fd = open_by_build_id(e, want, m, alt, sizeof alt, &bias);
        used = alt;
    }
    if (fd < 0)
        return -1;
    return report_module(e, used, fd, bias, out);
}

/* ---- lookups -------------------------------------------------------------- */

/* The function's name for a DIE: its linkage name demangled, else its name.
 * malloc'd, or NULL. */
static char *die_name(Dwarf_Die *die, int no_demangle)
{
    Dwarf_Attribute attr;
    const char *ln = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!ln)
        ln = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (ln) {
        char *d = no_demangle ? NULL : ki_demangle(ln);
        return d ? d : strdup(ln);
    }
    const char *n = dwarf_diename(die);
    return n ? strdup(n) : NULL;
}

static kiln_frame_id add_frame(kiln_profile *out, const char *name, const char *file, uint32_t line,
                               kiln_str module, uint32_t kind, uint64_t address)
{
    kiln_frame f;
    memset(&f, 0, sizeof f);
    f.name = kiln_profile_intern_cstr(out, name ? name : "");
    f.file = file && *file ? kiln_profile_intern_cstr(out, file) : 0;
    if (f.name == KILN_NONE || f.file == KILN_NONE)
        return KILN_NONE;
    f.module = module;
    f.line = line;
    f.kind = kind;
    f.address = address;
    return kiln_profile_frame(out, &f);
}

static int decl_line(Dwarf_Die *die)
{
    int line = 0;
    if (dwarf_decl_line(die, &line) != 0 || line < 0)
        line = 0;
    return line;
}

/* The subprogram DIE whose code holds pc among parent's children, looking
 * into namespaces and classes (C++ definitions may sit there). */
static int find_subprogram(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *out, int depth)
{
    Dwarf_Die child;
    if (depth > 64 || dwarf_child(parent, &child) != 0)
        return 0;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram) {
            if (dwarf_haspc(&child, pc) > 0) {
                *out = child;
                return 1;
            }
        } else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
                   tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
                   tag == DW_TAG_module) {
            if (find_subprogram(&child, pc, out, depth + 1))
                return 1;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

static Dwarf_Off *sub_cache_find(elf_module *em, uint64_t key, int insert)
{
    if (insert && (em->nsubs + 1) * 2 > em->cap_subs) {
        uint32_t cap = em->cap_subs ? em->cap_subs * 2 : 256;
        struct sub_slot *t = calloc(cap, sizeof *t);
        if (!t)
            return NULL;
        for (uint32_t i = 0; i < em->cap_subs; i++)
            if (em->subs[i].key) {
                uint32_t j = (uint32_t)((em->subs[i].key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
                while (t[j].key)
                    j = (j + 1) & (cap - 1);
                t[j] = em->subs[i];
            }
        free(em->subs);
        em->subs = t;
        em->cap_subs = cap;
    }
    if (!em->cap_subs)
        return NULL;
    uint32_t j = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (em->cap_subs - 1);
    while (em->subs[j].key && em->subs[j].key != key)
        j = (j + 1) & (em->cap_subs - 1);
    if (em->subs[j].key == key)
        return &em->subs[j].off;
    if (!insert)
        return NULL;
    em->subs[j].key = key;
    em->nsubs++;
    return &em->subs[j].off;
}

/* The function scopes at pc (a CU-relative DWARF address), innermost first:
 * the inlined subroutines, then the physical subprogram. The subprogram is
 * found once per symbol (cached by symkey, the symbol's entry + 1, or 0 when
 * there is no symbol); then only its own subtree is walked. Far cheaper than
 * dwarf_getscopes, which visits the whole CU per address. Returns the count
 * (0 when pc has no subprogram) with *scopes malloc'd, or -1 on OOM. */
static int function_scopes(ki_symelf *e, uint32_t mi, Dwarf_Die *cu, Dwarf_Addr pc,
                           uint64_t symkey, Dwarf_Die **scopes)
{
    elf_module *em = &e->mods[mi];
    Dwarf_Die sub;
    int have = 0;
    Dwarf_Addr dbias;
    Dwarf *dbg = dwfl_module_getdwarf(em->mod, &dbias);
    Dwarf_Off *cached = symkey ? sub_cache_find(em, symkey, 0) : NULL;
    if (cached && dbg && dwarf_offdie(dbg, *cached, &sub) && dwarf_haspc(&sub, pc) > 0)
        have = 1;
    if (!have) {
        have = find_subprogram(cu, pc, &sub, 0);
        if (have && symkey && (cached = sub_cache_find(em, symkey, 1)) != NULL)
            *cached = dwarf_dieoffset(&sub);
    }
    if (!have)
        return 0;
    Dwarf_Die *inl = NULL;
    size_t n = 0, cap = 0;
    Dwarf_Die cur = sub;
    for (int depth = 0; depth < 4096; depth++) {
        Dwarf_Die ch;
        int found = 0;
        if (dwarf_child(&cur, &ch) == 0) {
            do {
                int tag = dwarf_tag(&ch);
                if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) &&
                    dwarf_haspc(&ch, pc) > 0) {
                    found = 1;
                    break;
                }
            } while (dwarf_siblingof(&ch, &ch) == 0);
        }
        if (!found)
            break;
        if (dwarf_tag(&ch) == DW_TAG_inlined_subroutine) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                Dwarf_Die *g = realloc(inl, cap * sizeof *g);
                if (!g) {
                    free(inl);
                    return -1;
                }
                inl = g;
            }
            inl[n++] = ch;
        }
        cur = ch;
    }
    Dwarf_Die *out = malloc((n + 1) * sizeof *out);
    if (!out) {
        free(inl);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = inl[n - 1 - i];
    out[n] = sub;
    free(inl);
    *scopes = out;
    return (int)(n + 1);
}

static int sym_cmp(const void *a, const void *b)
{
    const struct sym_ent *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->rank - y->rank;
}

/* libdwfl's dwfl_module_addrinfo scans the whole symbol table per call;
 * one sorted copy per module makes each lookup a binary search. */
static void load_symbols(elf_module *em)
{
    em->syms_loaded = 1;
    int n = dwfl_module_getsymtab(em->mod);
    if (n <= 1)
        return;
    em->syms = malloc((size_t)n * sizeof *em->syms);
    if (!em->syms)
        return;
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        Elf *elf;
        Dwarf_Addr bias;
        const char *name = dwfl_module_getsym_info(em->mod, i, &sym, &addr, &shndx, &elf, &bias);
        int type = GELF_ST_TYPE(sym.st_info);
        if (!name || !*name || (type != STT_FUNC && type != STT_GNU_IFUNC) ||
            sym.st_shndx == SHN_UNDEF)
            continue;
        int bind = GELF_ST_BIND(sym.st_info);
        struct sym_ent *x = &em->syms[em->nsyms++];
        x->addr = addr;
        x->size = sym.st_size;
        x->name = name;
        x->rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    }
    qsort(em->syms, em->nsyms, sizeof *em->syms, sym_cmp);
}

/* The function symbol holding dwfl address a, or NULL; *off = a - start. */
static const char *lookup_symbol(elf_module *em, Dwarf_Addr a, GElf_Off *off)
{
    if (!em->syms_loaded)
        load_symbols(em);
    size_t lo = 0, hi = em->nsyms;
    while (lo < hi) { /* first symbol with addr > a */
        size_t mid = lo + (hi - lo) / 2;
        if (em->syms[mid].addr <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    size_t i = lo - 1;
    while (i > 0 && em->syms[i - 1].addr == em->syms[i].addr)
        i--; /* the best-ranked of equal addresses */
    const struct sym_ent *x = &em->syms[i];
    int inside = x->size ? a - x->addr < x->size : (lo == em->nsyms || em->syms[lo].addr > a);
    if (!inside)
        return NULL;
    *off = a - x->addr;
    return x->name;
}

int ki_symelf_resolve(ki_symelf *e, uint32_t map_idx, const kiln_mapping *m, const char *path,
                      const char *build_id, uint64_t addr, kiln_profile *out, ki_frame_vec *chain,
                      uint64_t *rel)
{
    *rel = UINT64_MAX;
    if (map_idx >= e->nslots)
        return 0;
    map_slot *slot = &e->slots[map_idx];
    if (slot->state == 0) {
        uint32_t mi;
        slot->state = open_module(e, m, path, build_id, &mi) == 0 ? 1 : -1;
        slot->module = slot->state == 1 ? mi : 0;
    }
    if (slot->state != 1)
        return 0;
    const elf_module *em = &e->mods[slot->module];
    *rel = addr - em->bias;
    Dwarf_Addr a = addr - em->bias + em->dwfl_bias;
    int no_demangle = e->opts && e->opts->no_demangle;
    int no_inline = e->opts && e->opts->no_inline;

    GElf_Off symoff = 0;
    const char *sname = lookup_symbol(&e->mods[slot->module], a, &symoff);

    Dwarf_Addr cubias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(em->mod, a, &cubias);
    Dwarf_Die *scopes = NULL;
    int nscopes = cu ? function_scopes(e, slot->module, cu, a - cubias,
                                       sname ? (a - symoff) + 1 : 0, &scopes)
                     : 0;
    if (nscopes < 0)
        return -1;
    /* Function scopes innermost first, up to the physical function. */
    int outer = -1;
    for (int i = 0; i < nscopes; i++)
        if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram) {
            outer = i;
            break;
        }
    if (outer < 0 && !sname) {
        free(scopes);
        return 0;
    }
    kiln_str module = kiln_profile_intern_cstr(out, em->path);
    if (module == KILN_NONE) {
        free(scopes);
        return -1;
    }
    int rc = 1;
    /* The physical function. */
    char *name = NULL;
    const char *file = NULL;
    uint32_t line = 0;
    uint64_t entry = sname ? (a - symoff) - em->dwfl_bias : 0;
    if (outer >= 0) {
        name = die_name(&scopes[outer], no_demangle);
        file = dwarf_decl_file(&scopes[outer]);
        line = (uint32_t)decl_line(&scopes[outer]);
        Dwarf_Addr lo;
        if (dwarf_entrypc(&scopes[outer], &lo) == 0)
            entry = lo + cubias - em->dwfl_bias;
    }
    if (!name && sname) {
        char *d = no_demangle ? NULL : ki_demangle(sname);
        name = d ? d : strdup(sname);
    }
    if (!name) {
        free(scopes);
        return -1;
    }
    kiln_frame_id fid = add_frame(out, name, file, line, module, KILN_KIND_NATIVE, entry);
    free(name);
    if (fid == KILN_NONE || ki_frame_vec_push(chain, fid) < 0)
        rc = -1;
    /* Inlined functions, outermost first. */
    for (int i = outer - 1; rc == 1 && !no_inline && i >= 0; i--) {
        if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
            continue;
        char *iname = die_name(&scopes[i], no_demangle);
        fid = add_frame(out, iname ? iname : "[inlined]", dwarf_decl_file(&scopes[i]),
                        (uint32_t)decl_line(&scopes[i]), module, KILN_KIND_INLINED, 0);
        free(iname);
        if (fid == KILN_NONE || ki_frame_vec_push(chain, fid) < 0)
            rc = -1;
    }
    free(scopes);
    return rc;
}

/* ---- lifecycle -------------------------------------------------------------- */

ki_symelf *ki_symelf_new(uint32_t nmaps, const kiln_symbolize_opts *opts)
{
    ki_symelf *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->opts = opts;
    const char *dp = opts && opts->debuginfo_path ? opts->debuginfo_path : ":.debug:/usr/lib/debug";
    e->debuginfo_path = strdup(dp);
    e->slots = calloc(nmaps ? nmaps : 1, sizeof *e->slots);
    if (!e->debuginfo_path || !e->slots) {
        ki_symelf_free(e);
        return NULL;
    }
    e->nslots = nmaps;
    e->cb.find_elf = no_find_elf;
    e->cb.find_debuginfo = find_debuginfo;
    e->cb.section_address = dwfl_offline_section_address;
    e->cb.debuginfo_path = &e->debuginfo_path;
    elf_version(EV_CURRENT);
    return e;
}

void ki_symelf_free(ki_symelf *e)
{
    if (!e)
        return;
    for (uint32_t i = 0; i < e->nmods; i++) {
        dwfl_end(e->mods[i].dwfl);
        free(e->mods[i].path);
        free(e->mods[i].subs);
        free(e->mods[i].syms);
    }
    free(e->mods);
    free(e->slots);
    free(e->debuginfo_path);
    free(e);
}
