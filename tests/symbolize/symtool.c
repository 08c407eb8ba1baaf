/* symtool: the symbolization tests' bridge to the library. It builds a
 * profile through the profile.h API from a small text spec (what a collector
 * would record), then either symbolizes it and dumps the result, or writes
 * it as .kiln, or imports a .kiln (the import hook) and dumps that.
 *
 * Spec lines (hex numbers without or with 0x):
 *   meta KEY VALUE
 *   type NAME UNIT
 *   map START END OFFSET BUILDID|- PATH
 *   stack VALUE CALLS ADDR...        (outermost first, one value per type)
 * Unresolved frames are kind native, empty name, absolute address.
 *
 * Usage:
 *   symtool dump [--no-inline] [--no-demangle] [--debuginfo-path P] [--perf-map-dir D] SPEC
 *   symtool write SPEC OUT.kiln
 *   symtool load [--no-symbolize] FILE.kiln
 * Dump lines (tab-separated): "in_total T V", "total T V", "meta K V",
 * "node DEPTH KIND NAME FILE LINE MODULE ADDRESS SELF0 CALLS". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/import.h"
#include "kiln/kfile.h"
#include "kiln/profile.h"
#include "kiln/symbolize.h"

static void warn_cb(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "warning: %s\n", msg);
}

static int die(const char *what, const kiln_error *err)
{
    fprintf(stderr, "symtool: %s: %s\n", what, err ? err->msg : "");
    return 1;
}

static kiln_profile *build(const char *spec)
{
    FILE *f = fopen(spec, "r");
    if (!f)
        return NULL;
    kiln_profile *p = kiln_profile_new();
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        if (!tok)
            continue;
        if (strcmp(tok, "meta") == 0) {
            char *k = strtok_r(NULL, " ", &save), *v = strtok_r(NULL, "", &save);
            if (k && v)
                kiln_profile_meta_set(p, k, v);
        } else if (strcmp(tok, "type") == 0) {
            char *n = strtok_r(NULL, " ", &save), *u = strtok_r(NULL, " ", &save);
            if (n && u)
                kiln_profile_add_sample_type(p, n, u);
        } else if (strcmp(tok, "map") == 0) {
            kiln_mapping m;
            memset(&m, 0, sizeof m);
            m.start = strtoull(strtok_r(NULL, " ", &save), NULL, 16);
            m.end = strtoull(strtok_r(NULL, " ", &save), NULL, 16);
            m.offset = strtoull(strtok_r(NULL, " ", &save), NULL, 16);
            char *bid = strtok_r(NULL, " ", &save), *path = strtok_r(NULL, "", &save);
            m.build_id = strcmp(bid, "-") == 0 ? 0 : kiln_profile_intern_cstr(p, bid);
            m.path = path ? kiln_profile_intern_cstr(p, path) : 0;
            kiln_profile_add_mapping(p, &m);
        } else if (strcmp(tok, "stack") == 0) {
            double v = strtod(strtok_r(NULL, " ", &save), NULL);
            uint64_t calls = strtoull(strtok_r(NULL, " ", &save), NULL, 10);
            kiln_frame_id ids[256];
            size_t n = 0;
            char *a;
            while (n < 256 && (a = strtok_r(NULL, " ", &save))) {
                kiln_frame fr;
                memset(&fr, 0, sizeof fr);
                fr.kind = KILN_KIND_NATIVE;
                fr.address = strtoull(a, NULL, 16);
                ids[n++] = kiln_profile_frame(p, &fr);
            }
            double vals[KILN_MAX_SAMPLE_TYPES];
            for (int t = 0; t < KILN_MAX_SAMPLE_TYPES; t++)
                vals[t] = v;
            kiln_node_id leaf = kiln_profile_add_stack(p, ids, n, vals);
            if (calls)
                kiln_profile_add_node_calls(p, leaf, calls);
        }
    }
    fclose(f);
    return p;
}

static void dump(const kiln_profile *p)
{
    for (int t = 0; t < kiln_profile_sample_type_count(p); t++)
        printf("total\t%d\t%.17g\n", t, kiln_profile_total(p, t));
    for (uint32_t i = 0; i < kiln_profile_meta_count(p); i++) {
        const char *k, *v;
        kiln_profile_meta_at(p, i, &k, &v);
        printf("meta\t%s\t%s\n", k, v);
    }
    kiln_tree_iter it;
    kiln_node_id n;
    kiln_event ev;
    kiln_tree_iter_init(&it, p, KILN_ROOT);
    while ((ev = kiln_tree_iter_next(&it, &n)) != KILN_EVENT_DONE) {
        if (ev != KILN_EVENT_ENTER || n == KILN_ROOT)
            continue;
        const kiln_frame *f = kiln_profile_frame_get(p, kiln_profile_node_frame(p, n));
        printf("node\t%u\t%s\t%s\t%s\t%u\t%s\t0x%" PRIx64 "\t%.17g\t%" PRIu64 "\n",
               kiln_profile_node_depth(p, n), kiln_frame_kind_name((kiln_frame_kind)f->kind),
               kiln_profile_str(p, f->name, NULL), kiln_profile_str(p, f->file, NULL), f->line,
               kiln_profile_str(p, f->module, NULL), f->address,
               kiln_profile_sample_type_count(p) ? kiln_profile_node_self(p, n, 0) : 0.0,
               kiln_profile_node_calls(p, n));
    }
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    kiln_error err;
    kiln_error_clear(&err);
    if (strcmp(argv[1], "dump") == 0) {
        kiln_symbolize_opts o = {.warn = warn_cb};
        int i = 2;
        for (; i < argc - 1; i++) {
            if (strcmp(argv[i], "--no-inline") == 0)
                o.no_inline = 1;
            else if (strcmp(argv[i], "--no-demangle") == 0)
                o.no_demangle = 1;
            else if (strcmp(argv[i], "--debuginfo-path") == 0)
                o.debuginfo_path = argv[++i];
            else if (strcmp(argv[i], "--perf-map-dir") == 0)
                o.perf_map_dir = argv[++i];
        }
        kiln_profile *p = build(argv[argc - 1]);
        if (!p || kiln_profile_finish(p, &err) != KILN_OK)
            return die("spec", &err);
        for (int t = 0; t < kiln_profile_sample_type_count(p); t++)
            printf("in_total\t%d\t%.17g\n", t, kiln_profile_total(p, t));
        kiln_profile *s = kiln_profile_symbolize(p, &o, &err);
        kiln_profile_free(p);
        if (!s)
            return die("symbolize", &err);
        dump(s);
        kiln_profile_free(s);
        return 0;
    }
    if (strcmp(argv[1], "write") == 0 && argc == 4) {
        kiln_profile *p = build(argv[2]);
        if (!p || kiln_profile_finish(p, &err) != KILN_OK)
            return die("spec", &err);
        FILE *f = fopen(argv[3], "wb");
        kiln_sink sink;
        kiln_sink_init_file(&sink, f);
        kiln_status st = kiln_kfile_write(p, &sink, &err);
        fclose(f);
        kiln_profile_free(p);
        return st == KILN_OK ? 0 : die("write", &err);
    }
    if (strcmp(argv[1], "load") == 0) {
        kiln_import_opts o = {.warn = warn_cb};
        if (argc == 4 && strcmp(argv[2], "--no-symbolize") == 0)
            o.no_symbolize = 1;
        kiln_profile *p = NULL;
        if (kiln_import_path(argv[argc - 1], &o, &p, &err) != KILN_OK)
            return die("load", &err);
        dump(p);
        kiln_profile_free(p);
        return 0;
    }
    return 2;
}
