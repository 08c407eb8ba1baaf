/* bench_names.c: what pytest-benchmark encodes in names: the saved-run file
 * name (NNNN_<commit>_<time>[_uncommited-changes].json) and the size
 * parameter of a parameterised benchmark. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kiln/bench.h"

static int all_of(const char *s, size_t n, int (*pred)(int))
{
    for (size_t i = 0; i < n; i++)
        if (!pred((unsigned char)s[i]))
            return 0;
    return 1;
}

static void copy_cut(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int kiln_bench_parse_filename(const char *basename, kiln_bench_filename *out)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(basename);
    if (n > 5 && strcmp(basename + n - 5, ".json") == 0)
        n -= 5;
    if (n < 6 || !all_of(basename, 4, isdigit) || basename[4] != '_')
        return 0;
    out->counter = (basename[0] - '0') * 1000 + (basename[1] - '0') * 100 + (basename[2] - '0') * 10 +
                   (basename[3] - '0');
    const char *rest = basename + 5;
    size_t rn = n - 5;
    copy_cut(out->name, sizeof out->name, rest, rn);

    /* Both the released misspelling and the fixed spelling. */
    static const char *const suffixes[] = {"_uncommited-changes", "_uncommitted-changes"};
    for (size_t i = 0; i < 2; i++) {
        size_t sl = strlen(suffixes[i]);
        if (rn > sl && memcmp(rest + rn - sl, suffixes[i], sl) == 0) {
            out->dirty = 1;
            rn -= sl;
            break;
        }
    }
    /* <commit>_<YYYYmmdd>_<HHMMSS>: the commit is hex (40 or more digits for
     * git, or "unversioned"), the time 15 characters. */
    if (rn > 16 && rest[rn - 7] == '_' && rest[rn - 16] == '_' && all_of(rest + rn - 15, 8, isdigit) &&
        all_of(rest + rn - 6, 6, isdigit)) {
        size_t cl = rn - 16;
        if (cl < sizeof out->commit) {
            copy_cut(out->commit, sizeof out->commit, rest, cl);
            copy_cut(out->timestamp, sizeof out->timestamp, rest + rn - 15, 15);
        }
    }
    return 1;
}

int kiln_bench_size_param(const kiln_bench *b, const char *param, double *value)
{
    int found = 0;
    double v = NAN;
    for (size_t i = 0; i < b->nparams; i++) {
        const kiln_bench_param *p = &b->params[i];
        if (!p->is_number)
            continue;
        if (param) {
            if (strcmp(p->name, param) == 0) {
                *value = p->number;
                return 1;
            }
            continue;
        }
        if (found++)
            return 0; /* more than one numeric parameter: ambiguous */
        v = p->number;
    }
    if (found == 1) {
        *value = v;
        return 1;
    }
    return 0;
}

char *kiln_bench_base_name(const kiln_bench *b, char *buf, size_t cap)
{
    if (!cap)
        return buf;
    const char *name = b->name ? b->name : "";
    size_t n = strcspn(name, "[");
    copy_cut(buf, cap, name, n);
    return buf;
}
