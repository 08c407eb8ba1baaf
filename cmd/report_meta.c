/* Metadata for `kiln report`: input hashes, host, CPU, git commit. */
#include "report_meta.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------ */

typedef struct {
    uint32_t h[8];
    unsigned char block[64];
    size_t used;
    uint64_t bits;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void compress(sha256_ctx *c, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6],
             h = c->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = cc;
        cc = b;
        b = a;
        a = t1 + t2;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
    c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void sha_init(sha256_ctx *c)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->used = 0;
    c->bits = 0;
}

static void sha_update(sha256_ctx *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    c->bits += (uint64_t)len * 8;
    while (len) {
        size_t take = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->block + c->used, p, take);
        c->used += take;
        p += take;
        len -= take;
        if (c->used == 64) {
            compress(c, c->block);
            c->used = 0;
        }
    }
}

static void sha_final(sha256_ctx *c, unsigned char out[32])
{
    uint64_t bits = c->bits;
    unsigned char pad = 0x80, zero = 0;
    sha_update(c, &pad, 1);
    while (c->used != 56)
        sha_update(c, &zero, 1);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update(c, len, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(c->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)c->h[i];
    }
}

void rep_sha256(const void *data, size_t len, unsigned char digest[32])
{
    sha256_ctx c;
    sha_init(&c);
    sha_update(&c, data, len);
    sha_final(&c, digest);
}

int rep_file_sha256(const char *path, char out[65], uint64_t *size)
{
    out[0] = 0;
    *size = 0;
    if (strcmp(path, "-") == 0)
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    sha256_ctx c;
    sha_init(&c);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sha_update(&c, buf, n);
        *size += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return -1;
    unsigned char d[32];
    sha_final(&c, d);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    return 0;
}

/* ---- host and CPU --------------------------------------------------------- */

void rep_host(char *out, size_t n)
{
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(out, n, "%s (%s %s %s)", u.nodename, u.sysname, u.release, u.machine);
    else
        snprintf(out, n, "unknown");
}

void rep_cpu(char *out, size_t n)
{
    out[0] = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    int cpus = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "processor", 9) == 0)
            cpus++;
        if (!out[0] && (strncmp(line, "model name", 10) == 0 || strncmp(line, "Hardware", 8) == 0)) {
            char *v = strchr(line, ':');
            if (v) {
                v++;
                while (*v == ' ' || *v == '\t')
                    v++;
                v[strcspn(v, "\n")] = 0;
                snprintf(out, n, "%s", v);
            }
        }
    }
    fclose(f);
    if (out[0] && cpus > 0) {
        size_t len = strlen(out);
        snprintf(out + len, n - len, " × %d", cpus);
    }
}

/* ---- git ------------------------------------------------------------------ */

static int read_first_line(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(out, (int)n, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\r\n")] = 0;
    return ok;
}

static int is_hex40(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return i == 40 || i == 64;
}

/* The .git directory for work tree dir (following a "gitdir:" file). */
static int git_dir_of(const char *dir, char *out, size_t n)
{
    char p[PATH_MAX];
    struct stat st;
    if ((size_t)snprintf(p, sizeof p, "%s/.git", dir) >= sizeof p)
        return 0;   /* a path this long is no work tree we can name */
    if (stat(p, &st) != 0)
        return 0;
    if (S_ISDIR(st.st_mode)) {
        snprintf(out, n, "%s", p);
        return 1;
    }
    char line[PATH_MAX];
    if (!read_first_line(p, line, sizeof line) || strncmp(line, "gitdir: ", 8) != 0)
        return 0;
    int len = line[8] == '/' ? snprintf(out, n, "%s", line + 8) : snprintf(out, n, "%s/%s", dir, line + 8);
    return len >= 0 && (size_t)len < n;
}

int rep_git_commit(const char *path, char *out, size_t n, char *why, size_t wn)
{
    char dir[PATH_MAX];
    out[0] = 0;
    if (!realpath(path, dir)) {
        snprintf(why, wn, "unknown (input not a file)");
        return 0;
    }
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *(slash == dir ? slash + 1 : slash) = 0;
    }
    char gd[PATH_MAX];
    for (;;) {
        if (git_dir_of(dir, gd, sizeof gd))
            break;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
            snprintf(why, wn, "unknown: the input is not in a git work tree");
            return 0;
        }
        *slash = 0;
    }
    char head[PATH_MAX + 16], line[PATH_MAX];
    snprintf(head, sizeof head, "%s/HEAD", gd);
    if (!read_first_line(head, line, sizeof line)) {
        snprintf(why, wn, "unknown: unreadable git HEAD");
        return 0;
    }
    if (is_hex40(line)) {   /* detached HEAD */
        snprintf(out, n, "%s", line);
        return 1;
    }
    if (strncmp(line, "ref: ", 5) != 0) {
        snprintf(why, wn, "unknown: unrecognised git HEAD");
        return 0;
    }
    const char *ref = line + 5;
    char refpath[PATH_MAX * 2], val[256];
    snprintf(refpath, sizeof refpath, "%s/%s", gd, ref);
    if (read_first_line(refpath, val, sizeof val) && is_hex40(val)) {
        snprintf(out, n, "%s", val);
        return 1;
    }
    /* packed refs: "<sha> <ref>" lines */
    snprintf(refpath, sizeof refpath, "%s/packed-refs", gd);
    FILE *f = fopen(refpath, "r");
    if (f) {
        char l[PATH_MAX + 128];
        while (fgets(l, sizeof l, f)) {
            l[strcspn(l, "\r\n")] = 0;
            char *sp = strchr(l, ' ');
            if (sp && strcmp(sp + 1, ref) == 0) {
                *sp = 0;
                if (is_hex40(l)) {
                    snprintf(out, n, "%s", l);
                    fclose(f);
                    return 1;
                }
            }
        }
        fclose(f);
    }
    snprintf(why, wn, "none: the git work tree has no commit yet");
    return 0;
}
