/* The marshal reader and the .prof importer on edge cases: every prefix of a
 * real cProfile file, LONG limits, references, Python 2 string refs,
 * surrogates, nesting and size caps. Byte strings below follow the marshal
 * format; each was checked against CPython's marshal.loads when written
 * (the comments give the Python value). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kiln/import.h"
#include "kiln/profile.h"
#include "marshal.h"

static unsigned char *read_fixture(const char *rel, size_t *len)
{
    const char *src = getenv("KILN_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", src ? src : ".", rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc(n > 0 ? (size_t)n : 1);
    *len = d ? fread(d, 1, (size_t)n, f) : 0;
    fclose(f);
    return d;
}

static kiln_status parse(const void *bytes, size_t n, ki_marshal *m, kiln_error *e)
{
    kiln_error_clear(e);
    return ki_marshal_parse(m, bytes, n, e);
}

/* Every proper prefix fails with an offset inside the prefix; the whole
 * file parses; the importer agrees. */
static void test_prefixes(const char *rel)
{
    size_t len;
    unsigned char *d = read_fixture(rel, &len);
    CHECK(d != NULL);
    if (!d)
        return;
    ki_marshal m;
    kiln_error e;
    int bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        unsigned char *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
        memcpy(copy, d, cut);
        kiln_status st = parse(copy, cut, &m, &e);
        if (st == KILN_OK || e.offset > cut || strncmp(e.msg, "offset ", 7) != 0) {
            if (!bad++)
                fprintf(stderr, "prefix %zu of %s: status %d offset %llu msg %s\n", cut, rel, st,
                        (unsigned long long)e.offset, e.msg);
        }
        if (st == KILN_OK)
            ki_marshal_release(&m);
        kiln_profile *p = NULL;
        kiln_import_opts o;
        memset(&o, 0, sizeof o);
        o.format = "prof";
        kiln_error_clear(&e);
        st = kiln_import_memory(copy, cut, &o, &p, &e);
        if (st == KILN_OK || p != NULL)
            bad++;
        kiln_profile_free(p);
        free(copy);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(parse(d, len, &m, &e), KILN_OK);
    CHECK_EQ_INT(m.end, len);
    ki_marshal_release(&m);
    free(d);
}

static const ki_mnode *root(const ki_marshal *m)
{
    return ki_marshal_node(m, m->root);
}

static void test_longs(void)
{
    ki_marshal m;
    kiln_error e;
    /* 2**40 + 5: digits (base 2**15) 5, 0, 1024 */
    static const unsigned char l1[] = {'l', 3, 0, 0, 0, 5, 0, 0, 0, 0, 4};
    CHECK_EQ_INT(parse(l1, sizeof l1, &m, &e), KILN_OK);
    CHECK_EQ_INT(root(&m)->v.i, (1LL << 40) + 5);
    ki_marshal_release(&m);
    /* -(2**31) */
    static const unsigned char l2[] = {'l', 0xfd, 0xff, 0xff, 0xff, 0, 0, 0, 0, 2, 0};
    CHECK_EQ_INT(parse(l2, sizeof l2, &m, &e), KILN_OK);
    CHECK_EQ_INT(root(&m)->v.i, -(1LL << 31));
    ki_marshal_release(&m);
    /* 2**63 - 1 fits; 2**63 does not (digits of 2**63: 0,0,0,0,8) */
    static const unsigned char l3[] = {'l', 5, 0, 0, 0, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 7, 0};
    CHECK_EQ_INT(parse(l3, sizeof l3, &m, &e), KILN_OK);
    CHECK(root(&m)->v.i == INT64_MAX);
    ki_marshal_release(&m);
    static const unsigned char l4[] = {'l', 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    CHECK_EQ_INT(parse(l4, sizeof l4, &m, &e), KILN_ERR_LIMIT);
    CHECK(strstr(e.msg, "offset 1 (0x1)") != NULL);
    /* -(2**63) fits */
    static const unsigned char l5[] = {'l', 0xfb, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0};
    CHECK_EQ_INT(parse(l5, sizeof l5, &m, &e), KILN_OK);
    CHECK(root(&m)->v.i == INT64_MIN);
    ki_marshal_release(&m);
    /* unnormalized (top digit 0) and digit > 0x7fff are rejected like CPython */
    static const unsigned char l6[] = {'l', 2, 0, 0, 0, 1, 0, 0, 0};
    CHECK_EQ_INT(parse(l6, sizeof l6, &m, &e), KILN_ERR_DATA);
    static const unsigned char l7[] = {'l', 1, 0, 0, 0, 0, 0x80};
    CHECK_EQ_INT(parse(l7, sizeof l7, &m, &e), KILN_ERR_DATA);
    /* a digit count beyond the bytes left fails before reading */
    static const unsigned char l8[] = {'l', 0xff, 0xff, 0xff, 0x3f, 1, 0};
    CHECK_EQ_INT(parse(l8, sizeof l8, &m, &e), KILN_ERR_DATA);
    CHECK(strstr(e.msg, "exceeds") != NULL);
    /* INT64 'I' (Python 2 on 64-bit hosts): 2**40 */
    static const unsigned char i64[] = {'I', 0, 0, 0, 0, 0, 1, 0, 0};
    CHECK_EQ_INT(parse(i64, sizeof i64, &m, &e), KILN_OK);
    CHECK_EQ_INT(root(&m)->v.i, 1LL << 40);
    ki_marshal_release(&m);
}

static void test_refs(void)
{
    ki_marshal m;
    kiln_error e;
    /* marshal.dumps(('abc', 'abc')) = b'\xa9\x02\xda\x03abcr\x01\x00\x00\x00' */
    static const unsigned char r1[] = {0xa9, 2, 0xda, 3, 'a', 'b', 'c', 'r', 1, 0, 0, 0};
    CHECK_EQ_INT(parse(r1, sizeof r1, &m, &e), KILN_OK);
    CHECK_EQ_INT(root(&m)->n, 2);
    CHECK_EQ_INT(ki_marshal_kid(&m, root(&m), 0), ki_marshal_kid(&m, root(&m), 1)); /* shared, not copied */
    CHECK_EQ_INT(m.n_refs, 2);
    ki_marshal_release(&m);
    /* a reference past the table; one to the tuple still being built (CPython
     * builds a cycle, kiln refuses: its DAG never has cycles) */
    static const unsigned char r2[] = {0x29, 1, 'r', 1, 0, 0, 0};
    CHECK_EQ_INT(parse(r2, sizeof r2, &m, &e), KILN_ERR_DATA);
    CHECK(strstr(e.msg, "invalid reference") != NULL);
    static const unsigned char r3[] = {0xa9, 1, 'r', 0, 0, 0, 0};
    CHECK_EQ_INT(parse(r3, sizeof r3, &m, &e), KILN_ERR_DATA);
    static const unsigned char r4[] = {'r', 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ_INT(parse(r4, sizeof r4, &m, &e), KILN_ERR_DATA);
    /* flagged singletons take no slot (CPython): (None|FLAG, 1|FLAG, r0) -> (None, 1, 1) */
    static const unsigned char r5[] = {0x29, 3, 0xce, 0xe9, 1, 0, 0, 0, 'r', 0, 0, 0, 0};
    CHECK_EQ_INT(parse(r5, sizeof r5, &m, &e), KILN_OK);
    CHECK_EQ_INT(ki_marshal_node(&m, ki_marshal_kid(&m, root(&m), 2))->v.i, 1);
    ki_marshal_release(&m);
    /* Python 2: ('ab' interned, R0) */
    static const unsigned char r6[] = {'(', 2, 0, 0, 0, 't', 2, 0, 0, 0, 'a', 'b', 'R', 0, 0, 0, 0};
    CHECK_EQ_INT(parse(r6, sizeof r6, &m, &e), KILN_OK);
    CHECK_EQ_INT(ki_marshal_kid(&m, root(&m), 0), ki_marshal_kid(&m, root(&m), 1));
    CHECK(m.saw_py2);
    ki_marshal_release(&m);
    static const unsigned char r7[] = {'R', 0, 0, 0, 0};
    CHECK_EQ_INT(parse(r7, sizeof r7, &m, &e), KILN_ERR_DATA);
}

static void test_strings_and_floats(void)
{
    ki_marshal m;
    kiln_error e;
    /* marshal.dumps('\udcff', 4) = b'\xf5\x03\x00\x00\x00\xed\xb3\xbf' (surrogatepass) */
    static const unsigned char s1[] = {0xf5, 3, 0, 0, 0, 0xed, 0xb3, 0xbf};
    CHECK_EQ_INT(parse(s1, sizeof s1, &m, &e), KILN_OK);
    CHECK_EQ_INT(root(&m)->type, KI_M_STR);
    CHECK(root(&m)->n == 3 && memcmp(ki_marshal_str(&m, root(&m)), "\xed\xb3\xbf", 3) == 0);
    ki_marshal_release(&m);
    /* marshal.dumps(0.5, 1) = b'f\x030.5'; dumps(float('-inf'), 0) = b'f\x04-inf' */
    static const unsigned char f1[] = {'f', 3, '0', '.', '5'};
    CHECK_EQ_INT(parse(f1, sizeof f1, &m, &e), KILN_OK);
    CHECK_EQ_DBL(root(&m)->v.d, 0.5, 0);
    ki_marshal_release(&m);
    static const unsigned char f2[] = {'f', 4, '-', 'i', 'n', 'f'};
    CHECK_EQ_INT(parse(f2, sizeof f2, &m, &e), KILN_OK);
    CHECK(isinf(root(&m)->v.d) && root(&m)->v.d < 0);
    ki_marshal_release(&m);
    static const unsigned char f3[] = {'f', 3, '0', 'x', '1'};
    CHECK_EQ_INT(parse(f3, sizeof f3, &m, &e), KILN_ERR_DATA);
    /* complex 'y', set '<', frozenset '>', Ellipsis, StopIteration, bytes */
    static const unsigned char c2[] = {'(', 5, 0, 0, 0, 'y', 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0,
                                       '<', 1, 0, 0, 0, 'N', '>', 0, 0, 0, 0, '.', 'S'};
    CHECK_EQ_INT(parse(c2, sizeof c2, &m, &e), KILN_OK);
    CHECK_EQ_INT(ki_marshal_node(&m, ki_marshal_kid(&m, root(&m), 0))->type, KI_M_COMPLEX);
    CHECK_EQ_INT(ki_marshal_node(&m, ki_marshal_kid(&m, root(&m), 1))->type, KI_M_SET);
    CHECK_EQ_INT(ki_marshal_node(&m, ki_marshal_kid(&m, root(&m), 2))->type, KI_M_FROZENSET);
    CHECK_EQ_INT(ki_marshal_node(&m, ki_marshal_kid(&m, root(&m), 4))->type, KI_M_STOPITER);
    ki_marshal_release(&m);
    /* code objects and unknown codes are rejected with the offset */
    static const unsigned char k1[] = {')', 1, 'c'};
    CHECK_EQ_INT(parse(k1, sizeof k1, &m, &e), KILN_ERR_DATA);
    CHECK(strstr(e.msg, "offset 2 (0x2)") && strstr(e.msg, "code object"));
    static const unsigned char k2[] = {'?'};
    CHECK_EQ_INT(parse(k2, sizeof k2, &m, &e), KILN_ERR_DATA);
}

static void test_caps(void)
{
    ki_marshal m;
    kiln_error e;
    /* a 2**31-1 element tuple in 10 bytes: refused before allocating */
    static const unsigned char t1[] = {'(', 0xff, 0xff, 0xff, 0x7f, 'N', 'N', 'N', 'N', 'N'};
    CHECK_EQ_INT(parse(t1, sizeof t1, &m, &e), KILN_ERR_DATA);
    CHECK(strstr(e.msg, "offset 1 (0x1)") != NULL);
    static const unsigned char t2[] = {'[', 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ_INT(parse(t2, sizeof t2, &m, &e), KILN_ERR_DATA);
    CHECK(strstr(e.msg, "size out of range") != NULL);
    static const unsigned char t3[] = {'u', 0x10, 0, 0, 0, 'a'};
    CHECK_EQ_INT(parse(t3, sizeof t3, &m, &e), KILN_ERR_DATA);
    /* nesting: 256 lists deep parse, 257 do not (and 10**6 fail fast) */
    for (size_t depth = 256; depth <= 257; depth++) {
        size_t n = depth * 5 + 1;
        unsigned char *b = malloc(n);
        for (size_t i = 0; i < depth; i++)
            memcpy(b + 5 * i, "[\x01\x00\x00\x00", 5);
        b[n - 1] = 'N';
        kiln_status st = parse(b, n, &m, &e);
        CHECK_EQ_INT(st, depth == 256 ? KILN_OK : KILN_ERR_LIMIT);
        if (!st)
            ki_marshal_release(&m);
        free(b);
    }
    size_t big = 1000000;
    unsigned char *b = malloc(big * 2);
    for (size_t i = 0; i < big; i++)
        b[2 * i] = ')', b[2 * i + 1] = 1;
    CHECK_EQ_INT(parse(b, big * 2, &m, &e), KILN_ERR_LIMIT);
    free(b);
    /* NULL ends a dict even in value position (CPython drops the key); elsewhere it is an error */
    static const unsigned char d1[] = {'{', 'N', 'N', 'T', '0', '0'};
    CHECK_EQ_INT(parse(d1, sizeof d1, &m, &e), KILN_OK);
    CHECK_EQ_INT(root(&m)->n, 2);
    CHECK_EQ_INT(m.end, 5);
    ki_marshal_release(&m);
    static const unsigned char d2[] = {')', 1, '0'};
    CHECK_EQ_INT(parse(d2, sizeof d2, &m, &e), KILN_ERR_DATA);
}

/* Converter checks on small hand-made stats dicts. */
static kiln_status import(const void *b, size_t n, kiln_profile **p, kiln_error *e)
{
    kiln_import_opts o;
    memset(&o, 0, sizeof o);
    o.format = "prof";
    kiln_error_clear(e);
    *p = NULL;
    return kiln_import_memory(b, n, &o, p, e);
}

static void test_import_shapes(void)
{
    kiln_profile *p;
    kiln_error e;
    /* {('a',1,'f'): (1,2,0.5,1.5,{}), ('a',1,'f'): (3,4,1.0,2.0,{})}: the later value wins */
#define KEY 0x29, 3, 'z', 1, 'a', 'i', 1, 0, 0, 0, 'z', 1, 'f'
#define VAL(cc, nc) 0x29, 5, 'i', cc, 0, 0, 0, 'i', nc, 0, 0, 0, 'g', 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, \
                    'i', 1, 0, 0, 0, '{', '0'
    static const unsigned char dup[] = {'{', KEY, VAL(1, 2), KEY, VAL(3, 4), '0'};
    CHECK_EQ_INT(import(dup, sizeof dup, &p, &e), KILN_OK);
    if (p) {
        CHECK_EQ_INT(kiln_profile_func_count(p), 1);
        CHECK_EQ_INT(kiln_profile_func_at(p, 0)->prim_calls, 3);
        CHECK_EQ_INT(kiln_profile_func_at(p, 0)->calls, 4);
        CHECK_EQ_DBL(kiln_profile_func_at(p, 0)->self, 0.5, 0);
        CHECK_EQ_DBL(kiln_profile_func_at(p, 0)->total, 1.0, 0); /* an int where a float is */
        CHECK_EQ_STR(kiln_profile_meta_get(p, KILN_META_FORMAT), "prof");
    }
    kiln_profile_free(p);
    /* not a dict; a key that is not a 3-tuple; a value with 4 fields */
    static const unsigned char notdict[] = {'[', 0, 0, 0, 0};
    CHECK_EQ_INT(import(notdict, sizeof notdict, &p, &e), KILN_ERR_DATA);
    CHECK(p == NULL);
    static const unsigned char badkey[] = {'{', 'N', VAL(1, 1), '0'};
    CHECK_EQ_INT(import(badkey, sizeof badkey, &p, &e), KILN_ERR_DATA);
    CHECK(strstr(e.msg, "entry #0") != NULL);
    static const unsigned char badval[] = {'{', KEY, 0x29, 4, 'N', 'N', 'N', 'N', '0'};
    CHECK_EQ_INT(import(badval, sizeof badval, &p, &e), KILN_ERR_DATA);
    CHECK(strstr(e.msg, "offset 14 (0xe)") != NULL);
}

int main(void)
{
    test_prefixes("fixtures/python/prof/fast_n8000_runcall.prof");
    test_prefixes("fixtures/python/marshal/edge_cases.prof");
    test_longs();
    test_refs();
    test_strings_and_floats();
    test_caps();
    test_import_shapes();
    return check_done();
}
