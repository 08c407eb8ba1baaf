/* Symbolization unit tests: this test binary's own functions (compiled with
 * -g in Debug/Asan builds) resolved from their runtime addresses and
 * /proc/self/maps; totals and call counts preserved; pass-through frames;
 * unknown, huge and unmapped addresses; missing, corrupt, FIFO and device
 * "files"; build-id mismatch; JIT perf maps (malformed lines, reused code). */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "kiln/profile.h"
#include "kiln/symbolize.h"

int symbolize_target_fn(int x);
static const int target_line = __LINE__ + 1;
__attribute__((noinline)) int symbolize_target_fn(int x)
{
    return x * 7 + 1;
}

static int warnings;
static void count_warn(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
    warnings++;
}

/* Adds /proc/self/maps' executable mappings (build-id given or none). */
static void add_self_maps(kiln_profile *p, const char *fake_build_id)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long s, e, off;
        char perms[8], path[4096] = "";
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &s, &e, perms, &off, path) < 4)
            continue;
        if (!strchr(perms, 'x'))
            continue;
        kiln_mapping m = {.start = s, .end = e, .offset = off};
        m.path = kiln_profile_intern_cstr(p, path);
        m.build_id = fake_build_id ? kiln_profile_intern_cstr(p, fake_build_id) : 0;
        kiln_profile_add_mapping(p, &m);
    }
    if (f)
        fclose(f);
}

static kiln_frame_id raw(kiln_profile *p, uint64_t addr)
{
    kiln_frame f = {.kind = KILN_KIND_NATIVE, .address = addr};
    return kiln_profile_frame(p, &f);
}

/* The single leaf name under the root of a one-stack profile. */
static const char *leaf_name(const kiln_profile *s, const kiln_frame **fr)
{
    kiln_node_id n = kiln_profile_node_first_child(s, KILN_ROOT), c;
    while (n != KILN_NONE && (c = kiln_profile_node_first_child(s, n)) != KILN_NONE)
        n = c;
    if (n == KILN_NONE)
        return "";
    if (fr)
        *fr = kiln_profile_frame_get(s, kiln_profile_node_frame(s, n));
    return kiln_profile_node_frame(s, n) == KILN_NONE ? "" : kiln_profile_frame_name(s, kiln_profile_node_frame(s, n));
}

/* Symbolizes a one-frame profile with the given mapping. */
static kiln_profile *one(const char *path, uint64_t start, uint64_t end, uint64_t off,
                         uint64_t addr, const kiln_symbolize_opts *o)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "samples", "count");
    if (path) {
        kiln_mapping m = {.start = start, .end = end, .offset = off};
        m.path = kiln_profile_intern_cstr(p, path);
        kiln_profile_add_mapping(p, &m);
    }
    kiln_frame_id id = raw(p, addr);
    double v = 1;
    kiln_profile_add_stack(p, &id, 1, &v);
    kiln_error err;
    kiln_error_clear(&err);
    kiln_profile *s = kiln_profile_symbolize(p, o, &err);
    CHECK(s != NULL);
    kiln_profile_free(p);
    return s;
}

static void test_self(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "samples", "count");
    kiln_profile_add_sample_type(p, "cpu", "nanoseconds");
    kiln_profile_meta_set(p, "command", "test_symbolize");
    add_self_maps(p, NULL);
    CHECK_EQ_INT(kiln_profile_has_unresolved(p), 0);
    uint64_t fn = (uint64_t)(uintptr_t)&symbolize_target_fn;
    kiln_frame done = {.kind = KILN_KIND_PYTHON, .line = 42, .address = 0};
    done.name = kiln_profile_intern_cstr(p, "already_named");
    done.file = kiln_profile_intern_cstr(p, "x.py");
    kiln_frame_id py = kiln_profile_frame(p, &done);
    /* Two different addresses in the same function: one node after. */
    kiln_frame_id a = raw(p, fn), b = raw(p, fn + 1);
    kiln_frame_id far = raw(p, 0xdeadbeef000ull), huge = raw(p, UINT64_MAX);
    double v1[2] = {3, 30}, v2[2] = {4, 40}, v3[2] = {5, 50}, v4[2] = {0.25, 2.5};
    kiln_frame_id s1[2] = {py, a}, s2[2] = {py, b}, s3[1] = {far}, s4[2] = {huge, a};
    kiln_profile_add_node_calls(p, kiln_profile_add_stack(p, s1, 2, v1), 2);
    kiln_profile_add_node_calls(p, kiln_profile_add_stack(p, s2, 2, v2), 5);
    kiln_profile_add_stack(p, s3, 1, v3);
    kiln_profile_add_stack(p, s4, 2, v4);
    CHECK_EQ_INT(kiln_profile_has_unresolved(p), 1);
    kiln_error err;
    kiln_error_clear(&err);
    CHECK(kiln_profile_finish(p, &err) == KILN_OK);
    kiln_profile *s = kiln_profile_symbolize(p, NULL, &err);
    CHECK(s != NULL);
    if (!s) {
        kiln_profile_free(p);
        return;
    }
    CHECK_EQ_INT(kiln_profile_has_unresolved(s), 0);
    for (int t = 0; t < 2; t++)
        CHECK_EQ_DBL(kiln_profile_total(s, t), kiln_profile_total(p, t), 0);
    CHECK_EQ_STR(kiln_profile_meta_get(s, "command"), "test_symbolize");
    CHECK_EQ_STR(kiln_profile_meta_get(s, "symbolized"), "2 of 4 addresses");
    CHECK_EQ_INT(kiln_profile_mapping_count(s), kiln_profile_mapping_count(p));
    CHECK_EQ_STR(kiln_profile_sample_type_name(s, 1), "cpu");
    /* root -> already_named -> symbolize_target_fn (merged: 7 samples, 7 calls) */
    kiln_node_id n = kiln_profile_node_first_child(s, KILN_ROOT);
    CHECK_EQ_STR(kiln_profile_frame_name(s, kiln_profile_node_frame(s, n)), "already_named");
    const kiln_frame *pf = kiln_profile_frame_get(s, kiln_profile_node_frame(s, n));
    CHECK_EQ_INT(pf->line, 42);
    CHECK_EQ_INT(pf->kind, KILN_KIND_PYTHON);
    CHECK_EQ_STR(kiln_profile_str(s, pf->file, NULL), "x.py");
    kiln_node_id c = kiln_profile_node_first_child(s, n);
    CHECK(c != KILN_NONE && kiln_profile_node_next_sibling(s, c) == KILN_NONE);
    const kiln_frame *f = kiln_profile_frame_get(s, kiln_profile_node_frame(s, c));
    CHECK_EQ_STR(kiln_profile_frame_name(s, kiln_profile_node_frame(s, c)), "symbolize_target_fn");
    CHECK_EQ_DBL(kiln_profile_node_self(s, c, 0), 7, 0);
    CHECK_EQ_DBL(kiln_profile_node_self(s, c, 1), 70, 0);
    CHECK_EQ_INT(kiln_profile_node_calls(s, c), 7);
    CHECK_EQ_INT(f->kind, KILN_KIND_NATIVE);
    const char *file = kiln_profile_str(s, f->file, NULL);
    size_t fl = strlen(file);
    CHECK(fl >= 16 && strcmp(file + fl - 16, "test_symbolize.c") == 0);
    CHECK_EQ_INT(f->line, target_line);
    char exe[PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[el > 0 ? el : 0] = '\0';
    CHECK_EQ_STR(kiln_profile_str(s, f->module, NULL), exe);
    /* The unmapped and huge addresses stay, named by address. */
    kiln_node_id u = kiln_profile_node_next_sibling(s, n);
    CHECK_EQ_STR(kiln_profile_frame_name(s, kiln_profile_node_frame(s, u)), "[unknown]+0xdeadbeef000");
    CHECK_EQ_DBL(kiln_profile_node_self(s, u, 0), 5, 0);
    u = kiln_profile_node_next_sibling(s, u);
    CHECK_EQ_STR(kiln_profile_frame_name(s, kiln_profile_node_frame(s, u)),
                 "[unknown]+0xffffffffffffffff");
    kiln_profile_free(s);

    /* A recorded build-id that does not match the file: not trusted. */
    kiln_profile *q = kiln_profile_new();
    kiln_profile_add_sample_type(q, "samples", "count");
    add_self_maps(q, "00112233445566778899aabbccddeeff00112233");
    kiln_frame_id id = raw(q, fn);
    double one_v = 1;
    kiln_profile_add_stack(q, &id, 1, &one_v);
    kiln_symbolize_opts o = {.warn = count_warn, .debuginfo_path = "/nonexistent-debug"};
    warnings = 0;
    s = kiln_profile_symbolize(q, &o, &err);
    CHECK(s != NULL);
    if (s) {
        const char *nm = leaf_name(s, NULL);
        const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
        CHECK(strncmp(nm, base, strlen(base)) == 0 && strstr(nm, "+0x") != NULL);
        CHECK(warnings >= 1);
    }
    kiln_profile_free(s);
    kiln_profile_free(q);
    kiln_profile_free(p);
}

static void test_bad_files(const char *dir)
{
    char path[PATH_MAX];
    const kiln_frame *f = NULL;
    /* Missing file: module+offset (file offset 0x2000 + 0x234). */
    kiln_profile *s = one("/nonexistent/libfoo.so", 0x10000, 0x20000, 0x2000, 0x10234, NULL);
    CHECK_EQ_STR(leaf_name(s, &f), "libfoo.so+0x2234");
    CHECK(f && strcmp(kiln_profile_str(s, f->module, NULL), "/nonexistent/libfoo.so") == 0);
    kiln_profile_free(s);
    /* Corrupt ELF: the magic then garbage. */
    snprintf(path, sizeof path, "%s/corrupt.so", dir);
    FILE *w = fopen(path, "wb");
    unsigned char junk[4096];
    memcpy(junk, "\x7f" "ELF\x02\x01\x01", 7);
    for (size_t i = 7; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 131 + 7);
    fwrite(junk, 1, sizeof junk, w);
    fclose(w);
    s = one(path, 0x10000, 0x20000, 0, 0x10010, NULL);
    CHECK_EQ_STR(leaf_name(s, NULL), "corrupt.so+0x10");
    kiln_profile_free(s);
    /* A truncated copy of a real ELF (this binary's first 8 KiB). */
    snprintf(path, sizeof path, "%s/truncated.so", dir);
    int in = open("/proc/self/exe", O_RDONLY);
    char buf[8192];
    ssize_t got = read(in, buf, sizeof buf);
    close(in);
    w = fopen(path, "wb");
    fwrite(buf, 1, got > 0 ? (size_t)got : 0, w);
    fclose(w);
    s = one(path, 0x10000, 0x20000, 0x1000, 0x10500, NULL);
    CHECK(s && strstr(leaf_name(s, NULL), "truncated.so+0x") != NULL);
    kiln_profile_free(s);
    /* A FIFO and a device: never opened for reading (would block / be
     * endless). */
    snprintf(path, sizeof path, "%s/fifo", dir);
    CHECK(mkfifo(path, 0600) == 0);
    s = one(path, 0x10000, 0x20000, 0, 0x10001, NULL);
    CHECK_EQ_STR(leaf_name(s, NULL), "fifo+0x1");
    kiln_profile_free(s);
    s = one("/dev/zero", 0x10000, 0x20000, 0, 0x10001, NULL);
    CHECK_EQ_STR(leaf_name(s, NULL), "zero+0x1");
    kiln_profile_free(s);
    /* A directory. */
    s = one(dir, 0x10000, 0x20000, 0, 0x10001, NULL);
    CHECK(s && strstr(leaf_name(s, NULL), "+0x1") != NULL);
    kiln_profile_free(s);
    /* An anonymous mapping without a perf map, and a mapping with no path. */
    s = one("", 0x10000, 0x20000, 0, 0x10001, NULL);
    CHECK_EQ_STR(leaf_name(s, NULL), "[unknown]+0x10001");
    kiln_profile_free(s);
    /* A mapping whose end is before its start, at the top of the space. */
    s = one("/nonexistent/x", UINT64_MAX - 10, 5, 0, UINT64_MAX - 3, NULL);
    CHECK_EQ_STR(leaf_name(s, NULL), "[unknown]+0xfffffffffffffffc");
    kiln_profile_free(s);
}

static void test_perf_map(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/perf-4242.map", dir);
    FILE *w = fopen(path, "w");
    fputs("not a line\n"
          "1000 100 LazyCompile:~old /x.js:1\n"
          "zz 10 bad\n"
          "1050 10\n"
          "0x2000 0x20 JS:*fib /x.js:3\r\n"
          "1000 80 LazyCompile:~new /x.js:9\n"
          "ffffffffffffff00 1000 wraps\n",
          w);
    fclose(w);
    kiln_symbolize_opts o = {.perf_map_dir = dir};
    struct { uint64_t addr; const char *want; } cases[] = {
        {0x1010, "LazyCompile:~new /x.js:9"}, /* reused memory: the later line wins */
        {0x1090, "LazyCompile:~old /x.js:1"}, /* past the newer entry's end */
        {0x2005, "JS:*fib /x.js:3"},
        {0x3000, "[unknown]+0x3000"},
        {0xffffffffffffff10ull, "wraps"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kiln_profile *p = kiln_profile_new();
        kiln_profile_add_sample_type(p, "samples", "count");
        kiln_profile_meta_set(p, "pid", "4242");
        kiln_frame_id id = raw(p, cases[i].addr);
        double v = 1;
        kiln_profile_add_stack(p, &id, 1, &v);
        kiln_error err;
        kiln_error_clear(&err);
        kiln_profile *s = kiln_profile_symbolize(p, &o, &err);
        const kiln_frame *f = NULL;
        CHECK_EQ_STR(s ? leaf_name(s, &f) : "", cases[i].want);
        if (f && i < 3) {
            CHECK_EQ_INT(f->kind, KILN_KIND_JIT);
            CHECK_EQ_STR(kiln_profile_str(s, f->module, NULL), path);
        }
        kiln_profile_free(s);
        kiln_profile_free(p);
    }
    /* A pid that is not a number names no file. */
    kiln_profile *p = kiln_profile_new();
    kiln_profile_meta_set(p, "pid", "../../etc/passwd");
    kiln_frame_id id = raw(p, 0x1010);
    kiln_profile_add_stack(p, &id, 1, NULL);
    kiln_profile *s = kiln_profile_symbolize(p, &o, NULL);
    CHECK_EQ_STR(s ? leaf_name(s, NULL) : "", "[unknown]+0x1010");
    kiln_profile_free(s);
    kiln_profile_free(p);
}

static void test_given_graph(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "cpu", "seconds");
    kiln_profile_set_graph_given(p, 1);
    kiln_frame_id id = raw(p, 0x1234);
    kiln_profile_func(p, id);
    kiln_error err;
    kiln_error_clear(&err);
    CHECK(kiln_profile_symbolize(p, NULL, &err) == NULL);
    CHECK_EQ_INT(err.status, KILN_ERR_USAGE);
    kiln_profile_free(p);
}

int main(void)
{
    char dir[] = "/tmp/kiln-symbolize-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_self();
    test_bad_files(dir);
    test_perf_map(dir);
    test_given_graph();
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done();
}
