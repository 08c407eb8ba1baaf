/* The pytest-benchmark loader (bench_json.c), gates and the Mann-Whitney
 * test (compare.c, mannwhitneyu.c), power fits (complexity.c), the Markdown
 * escaper, and a chart decoded back with cairo. */
#include <cairo.h>
#include <stdlib.h>

#include "check.h"
#include "kiln/bench.h"
#include "kiln/charts.h"
#include "kiln/compare.h"
#include "kiln/complexity.h"
#include "md_escape.h"

static kiln_status load(const char *text, kiln_bench_run **run, kiln_error *err, int strict)
{
    kiln_error_clear(err);
    kiln_bench_load_opts o = {NULL, NULL, strict};
    return kiln_bench_load_memory(text, strlen(text), &o, run, err);
}

#define ONE(stats) "{\"benchmarks\":[{\"name\":\"t[10]\",\"fullname\":\"f::t[10]\",\"group\":null," \
                   "\"params\":{\"n\":10},\"param\":\"10\",\"stats\":" stats "}]}"

static void test_loader(void)
{
    kiln_bench_run *run;
    kiln_error err;
    CHECK_EQ_INT(load(ONE("{\"min\":1,\"max\":3,\"mean\":NaN,\"q1\":Infinity,\"q3\":-Infinity,"
                          "\"rounds\":3,\"outliers\":\"1;2\",\"data\":[1,2,3]}"), &run, &err, 0), KILN_OK);
    const kiln_bench *b = kiln_bench_run_at(run, 0);
    CHECK(isnan(b->stats.mean));
    CHECK(isinf(b->stats.q1) && b->stats.q1 > 0);
    CHECK(isinf(b->stats.q3) && b->stats.q3 < 0);
    CHECK_EQ_INT(b->stats.iqr_outliers, 2);
    CHECK_EQ_INT(b->stats.data_len, 3);
    CHECK(b->group == NULL);
    double n;
    CHECK(kiln_bench_size_param(b, NULL, &n) && n == 10);
    kiln_bench_run_free(run);

    CHECK_EQ_INT(load(ONE("{\"min\":1,\"max\":3,\"mean\":NaN}"), &run, &err, 1), KILN_ERR_DATA);
    CHECK(strstr(err.msg, "strict") != NULL);
    CHECK_EQ_INT(load(ONE("{\"min\":1,\"max\":3,\"mean\":\"fast\"}"), &run, &err, 0), KILN_ERR_DATA);
    CHECK_EQ_STR(err.msg, "/benchmarks/0/stats/mean: expected a number, got a string");
    CHECK_EQ_INT(load(ONE("{\"min\":1,\"max\":3}"), &run, &err, 0), KILN_ERR_DATA);
    CHECK_EQ_STR(err.msg, "/benchmarks/0/stats/mean: missing");
    CHECK_EQ_INT(load(ONE("{\"min\":1,\"max\":3,\"mean\":2,\"rounds\":-1}"), &run, &err, 0), KILN_ERR_DATA);
    CHECK_EQ_INT(load("{\"benchmarks\":{}}", &run, &err, 0), KILN_ERR_DATA);
    CHECK_EQ_STR(err.msg, "/benchmarks: expected an array, got an object");
    CHECK_EQ_INT(load("{\"benchmarks\":[1,", &run, &err, 0), KILN_ERR_DATA);
    CHECK(strncmp(err.msg, "line 1, column", 14) == 0);
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_bench_load_memory("{\0\"", 3, NULL, &run, &err), KILN_ERR_DATA);
    CHECK(strstr(err.msg, "UTF-16") != NULL);
    /* "NaN" inside a string is text; a lone surrogate becomes U+FFFD */
    CHECK_EQ_INT(load("\xEF\xBB\xBF{\"benchmarks\":[{\"name\":\"NaN \\udce9 \\u0000\",\"stats\":"
                      "{\"min\":1,\"max\":1,\"mean\":1}}]}", &run, &err, 0), KILN_OK);
    CHECK_EQ_STR(kiln_bench_run_at(run, 0)->name, "NaN \xEF\xBF\xBD \xEF\xBF\xBD");
    CHECK_EQ_STR(kiln_bench_run_at(run, 0)->fullname, "NaN \xEF\xBF\xBD \xEF\xBF\xBD");
    CHECK(kiln_bench_run_at(run, 0)->stats.ops == 1.0); /* filled in as 1/mean */
    kiln_bench_run_free(run);
    /* deep nesting is rejected by jansson's depth limit, without a crash */
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 64);
    strcpy(deep, "{\"benchmarks\":");
    size_t l = strlen(deep);
    memset(deep + l, '[', depth);
    memset(deep + l + depth, ']', depth);
    strcpy(deep + l + 2 * depth, "}");
    CHECK_EQ_INT(load(deep, &run, &err, 0), KILN_ERR_DATA);
    free(deep);

    kiln_bench_filename fn;
    CHECK(kiln_bench_parse_filename("0004_d38f6d398b650fc0933c6ee00bb507e332ffbb0c_20261124_221657_uncommited-changes.json", &fn));
    CHECK_EQ_INT(fn.counter, 4);
    CHECK_EQ_STR(fn.commit, "d38f6d398b650fc0933c6ee00bb507e332ffbb0c");
    CHECK_EQ_STR(fn.timestamp, "20261124_221657");
    CHECK(fn.dirty);
    CHECK(kiln_bench_parse_filename("0002_slow_with_data.json", &fn) && fn.commit[0] == 0 && !fn.dirty);
    CHECK(!kiln_bench_parse_filename("slow.json", &fn));
}

static void test_gates_and_stats(void)
{
    kiln_gate g;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_gate_parse("mean:5%", &g, &err), KILN_OK);
    CHECK(g.kind == KILN_GATE_PERCENT && g.threshold == 5 && g.field == KILN_FIELD_MEAN);
    CHECK_EQ_INT(kiln_gate_parse("min:0.001", &g, &err), KILN_OK);
    CHECK(g.kind == KILN_GATE_SECONDS && g.field == KILN_FIELD_MIN);
    CHECK_EQ_INT(kiln_gate_parse("ops:5%", &g, &err), KILN_ERR_USAGE);
    CHECK_EQ_INT(kiln_gate_parse("mean:5%x", &g, &err), KILN_ERR_USAGE);
    CHECK_EQ_INT(kiln_gate_parse("mean", &g, &err), KILN_ERR_USAGE);
    kiln_bench_stats a = {0}, b = {0};
    a.mean = 0;
    b.mean = 1;
    kiln_gate_parse("mean:5%", &g, &err);
    CHECK(isinf(kiln_gate_value(&g, &a, &b))); /* pytest-benchmark: compared 0 -> +inf */
    a.mean = 2, b.mean = 2.2;
    CHECK_EQ_DBL(kiln_gate_value(&g, &a, &b), 10.0, 1e-9);

    /* Mann-Whitney: U of x; identical samples give p = 1; separated ones a small p */
    double x[] = {1, 2, 3, 4, 5}, y[] = {6, 7, 8, 9, 10}, same[] = {1, 1, 1};
    kiln_mwu m;
    CHECK_EQ_INT(kiln_mann_whitney(x, 5, y, 5, &m), KILN_OK);
    CHECK_EQ_DBL(m.u, 0, 0);
    /* by hand: mu 12.5, sigma sqrt(25*11/12) = 4.7871, z = (25-12.5-0.5)/4.7871 = 2.5067 */
    CHECK_EQ_DBL(m.p, erfc(12 / sqrt(25.0 * 11 / 12) / sqrt(2.0)), 1e-12);
    CHECK_EQ_INT(kiln_mann_whitney(same, 3, same, 3, &m), KILN_OK);
    CHECK_EQ_DBL(m.p, 1, 0);
    CHECK_EQ_INT(kiln_mann_whitney(x, 0, y, 5, &m), KILN_ERR_USAGE);

    double n[] = {1000, 2000, 4000, 8000}, quad[4], lin[4], cst[4] = {5, 5, 5, 5};
    for (int i = 0; i < 4; i++)
        quad[i] = 3e-9 * n[i] * n[i], lin[i] = 2e-7 * n[i];
    kiln_powerfit f;
    CHECK_EQ_INT(kiln_fit_power(n, quad, 4, &f), KILN_OK);
    CHECK_EQ_DBL(f.exponent, 2, 1e-9);
    CHECK_EQ_DBL(f.r2, 1, 1e-9);
    CHECK_EQ_INT(f.cls, KILN_CX_QUADRATIC);
    CHECK_EQ_INT(kiln_fit_power(n, lin, 4, &f), KILN_OK);
    CHECK_EQ_INT(f.cls, KILN_CX_LINEAR);
    CHECK_EQ_INT(kiln_fit_power(n, cst, 4, &f), KILN_OK);
    CHECK_EQ_INT(f.cls, KILN_CX_CONSTANT);
    CHECK_EQ_INT(kiln_fit_power(n, lin, 1, &f), KILN_ERR_DATA);
    char d[128];
    kiln_fit_power(n, quad, 4, &f);
    CHECK_EQ_STR(kiln_powerfit_describe(&f, "time", d, sizeof d), "time \xE2\x88\x9D n^2.00, R\xC2\xB2 1.000: quadratic");
}

static void test_md_escape(void)
{
    kiln_buf b = KILN_BUF_INIT;
    ki_md_cell(&b, "a|b<c>&d@e\n  x\x1b", 15, 0);
    CHECK_EQ_STR(b.data, "a\\|b&lt;c&gt;&amp;d@\xE2\x81\xA0" "e   x\xEF\xBF\xBD");
    kiln_buf_reset(&b);
    ki_md_text(&b, "   # not a heading", 18, 0);
    CHECK_EQ_STR(b.data, "\\# not a heading");
    kiln_buf_reset(&b);
    ki_md_cell(&b, "\xff\xc0\x80ok", 5, 0);
    CHECK_EQ_STR(b.data, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDok");
    kiln_buf_reset(&b);
    ki_md_cell(&b, "abcdef", 6, 3);
    CHECK_EQ_STR(b.data, "abc\xE2\x80\xA6");
    kiln_buf_reset(&b);
    ki_md_code_span(&b, "a``b|c", 6, 1);
    CHECK_EQ_STR(b.data, "```a``b\\|c```");
    kiln_buf_reset(&b);
    ki_md_code_span(&b, "`x\\|", 4, 1);
    CHECK_EQ_STR(b.data, "`` `x\\\xE2\x80\x8B\\| ``");
    kiln_buf_release(&b);
}

typedef struct {
    kiln_buf *b;
    size_t pos;
} reader;

static cairo_status_t read_png(void *closure, unsigned char *data, unsigned int len)
{
    reader *r = closure;
    if (r->pos + len > r->b->len)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->b->data + r->pos, len);
    r->pos += len;
    return CAIRO_STATUS_SUCCESS;
}

static void test_chart(void)
{
    const char *src = getenv("KILN_SRC");
    if (!src)
        src = ".";
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/fixtures/python/bench/slow.json", src);
    snprintf(p2, sizeof p2, "%s/fixtures/python/bench/fast_with_cprofile.json", src);
    kiln_bench_run *a = NULL, *b = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_bench_load_path(p1, NULL, &a, &err), KILN_OK);
    CHECK_EQ_INT(kiln_bench_load_path(p2, NULL, &b, &err), KILN_OK);
    if (!a || !b) {
        kiln_bench_run_free(a);
        kiln_bench_run_free(b);
        return;
    }
    kiln_compare *c = NULL;
    CHECK_EQ_INT(kiln_compare_runs(a, b, NULL, &c, &err), KILN_OK);
    /* slow.json has raw data, the cProfile run too: the U test decides */
    CHECK_EQ_INT(kiln_compare_row_at(c, 0)->method, KILN_NOISE_MANN_WHITNEY);
    kiln_buf png = KILN_BUF_INIT;
    kiln_sink sink;
    kiln_sink_init_buf(&sink, &png);
    kiln_chart_opts o = {800, 0, "t\xff<b>&amp;"}; /* invalid UTF-8 and markup in the title */
    CHECK_EQ_INT(kiln_chart_improvement(c, &o, &sink, &err), KILN_OK);
    reader r = {&png, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_png, &r);
    CHECK_EQ_INT(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    CHECK_EQ_INT(cairo_image_surface_get_width(s), 800);
    int h = cairo_image_surface_get_height(s), stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    long blue = 0, grey = 0;
    for (int y = 0; px && y < h; y++)
        for (int x = 0; x < 800; x++) {
            uint32_t v = *(const uint32_t *)(px + y * stride + x * 4);
            if ((v & 0xffffff) == 0x1f77b4)
                blue++;
            if ((v & 0xffffff) == 0x9e9e9e)
                grey++;
        }
    CHECK(blue > 1000);
    CHECK(grey > 1000);
    cairo_surface_destroy(s);
    kiln_buf_release(&png);
    kiln_compare_free(c);
    kiln_bench_run_free(a);
    kiln_bench_run_free(b);
}

int main(void)
{
    test_loader();
    test_gates_and_stats();
    test_md_escape();
    test_chart();
    return check_done();
}
