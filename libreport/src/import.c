/* Picks an importer (by name or by sniffing the first bytes), runs it, and
 * finishes the profile. Importers live one per file (import_<fmt>.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "import_internal.h"
#include "kiln/symbolize.h"

#define SNIFF_BYTES 65536

typedef struct {
    const char *name;
    ki_sniff_fn sniff;
    ki_import_fn import;
} importer;

static const importer importers[] = {
    {"kiln", ki_sniff_kiln, ki_import_kiln},
    {"prof", ki_sniff_prof, ki_import_prof},
    {"perf", ki_sniff_perf, ki_import_perf},
    {"folded", ki_sniff_folded, ki_import_folded},
    {"pprof", ki_sniff_pprof, ki_import_pprof},
    {"speedscope", ki_sniff_speedscope, ki_import_speedscope},
};
#define NIMPORTERS (sizeof importers / sizeof importers[0])

const char *const *kiln_import_formats(void)
{
    static const char *const names[] = {"kiln", "prof", "perf", "folded", "pprof", "speedscope", NULL};
    return names;
}

void ki_warn(const kiln_import_opts *opts, const char *fmt, ...)
{
    if (!opts || !opts->warn)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    opts->warn(opts->warn_ctx, msg);
}

static const importer *find(const char *name)
{
    for (size_t i = 0; i < NIMPORTERS; i++)
        if (strcmp(importers[i].name, name) == 0)
            return &importers[i];
    return NULL;
}

static const importer *sniff(const unsigned char *head, size_t len)
{
    const importer *best = NULL;
    int best_bid = 0;
    for (size_t i = 0; i < NIMPORTERS; i++) {
        int bid = importers[i].sniff(head, len);
        if (bid > best_bid) {
            best_bid = bid;
            best = &importers[i];
        }
    }
    return best;
}

const char *kiln_import_sniff(const void *head, size_t len)
{
    const importer *im = sniff(head, len);
    return im ? im->name : NULL;
}

static kiln_status run(ki_reader *r, const kiln_import_opts *opts, kiln_profile **out, kiln_error *err)
{
    static const kiln_import_opts defaults;
    if (!opts)
        opts = &defaults;
    r->progress = opts->progress;
    r->progress_ctx = opts->progress_ctx;
    const importer *im = NULL;
    if (opts->format) {
        im = find(opts->format);
        if (!im)
            return kiln_error_set(err, KILN_ERR_USAGE,
                                  "unknown format '%s' (known: kiln, prof, perf, folded, pprof, speedscope)", opts->format);
    } else {
        const unsigned char *head;
        long n = ki_reader_peek(r, SNIFF_BYTES, &head);
        if (n < 0)
            return err->status;
        if (n == 0)
            return kiln_error_set(err, KILN_ERR_FORMAT, "offset 0: empty input");
        im = sniff(head, (size_t)n);
        if (!im)
            return kiln_error_set(err, KILN_ERR_FORMAT,
                                  "offset 0: not a profile kiln recognises (.kiln, cProfile .prof, "
                                  "perf script, folded stacks, pprof, speedscope); use --from to force a format");
    }
    kiln_profile *p = kiln_profile_new();
    if (!p)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    kiln_status st = im->import(r, opts, p, err);
    if (st == KILN_OK && !kiln_profile_meta_get(p, KILN_META_FORMAT))
        st = kiln_profile_meta_set(p, KILN_META_FORMAT, im->name);
    if (st == KILN_OK && !opts->no_symbolize && !kiln_profile_graph_given(p) &&
        kiln_profile_has_unresolved(p)) {
        kiln_symbolize_opts so = {.warn = opts->warn, .warn_ctx = opts->warn_ctx};
        kiln_profile *sym = kiln_profile_symbolize(p, &so, err);
        kiln_profile_free(p);
        p = sym;
        if (!p)
            return err->status;
    }
    if (st == KILN_OK) {
        kiln_profile_set_rebuild_tree(p, !opts->graph_only);
        st = kiln_profile_finish(p, err);
    }
    if (st != KILN_OK) {
        if (err && err->status == KILN_OK)
            kiln_error_set(err, st, "%s", kiln_strerror(st));
        kiln_profile_free(p);
        return st;
    }
    *out = p;
    return KILN_OK;
}

kiln_status kiln_import_fd(int fd, const kiln_import_opts *opts, kiln_profile **out, kiln_error *err)
{
    kiln_error local;
    if (!err)
        err = &local;
    kiln_error_clear(err);
    *out = NULL;
    ki_reader r;
    if (ki_reader_init_fd(&r, fd, err) < 0) {
        ki_reader_release(&r);
        return err->status;
    }
    kiln_status st = run(&r, opts, out, err);
    ki_reader_release(&r);
    return st;
}

kiln_status kiln_import_memory(const void *data, size_t len, const kiln_import_opts *opts,
                               kiln_profile **out, kiln_error *err)
{
    kiln_error local;
    if (!err)
        err = &local;
    kiln_error_clear(err);
    *out = NULL;
    ki_reader r;
    if (ki_reader_init_mem(&r, data, len, err) < 0) {
        ki_reader_release(&r);
        return err->status;
    }
    kiln_status st = run(&r, opts, out, err);
    ki_reader_release(&r);
    return st;
}

kiln_status kiln_import_path(const char *path, const kiln_import_opts *opts, kiln_profile **out,
                             kiln_error *err)
{
    kiln_error local;
    if (!err)
        err = &local;
    kiln_error_clear(err);
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return kiln_import_fd(STDIN_FILENO, opts, out, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kiln_error_set(err, KILN_ERR_READ, "cannot open: %s", strerror(errno));
    kiln_status st = kiln_import_fd(fd, opts, out, err);
    close(fd);
    return st;
}
