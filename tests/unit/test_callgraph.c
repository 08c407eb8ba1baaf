/* Call graph renderer on models built through the profile.h API:
 * selection (thresholds, hidden counts, recursion), hostile names, and the
 * PNG/SVG/PDF/DOT outputs (decoded, sized, coloured, no Pango warnings).
 * With argv[1], the hostile-name SVG is also written there for the XML
 * well-formedness check in tests/callgraph/test_callgraph_cli.py. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>

#include "callgraph_internal.h"
#include "check.h"
#include "kiln/buf.h"
#include "kiln/callgraph.h"
#include "kiln/io.h"
#include "kiln/profile.h"

static kiln_func_id add_func(kiln_profile *p, const char *name, size_t name_len, const char *file,
                             uint32_t line, int64_t calls, double self, double total)
{
    kiln_frame fr = {0};
    fr.name = kiln_profile_intern(p, name, name_len);
    fr.file = kiln_profile_intern_cstr(p, file);
    fr.line = line;
    fr.kind = KILN_KIND_PYTHON;
    kiln_func_id id = kiln_profile_func(p, kiln_profile_frame(p, &fr));
    kiln_func *f = kiln_profile_func_get(p, id);
    f->calls = calls;
    f->prim_calls = calls;
    f->self = self;
    f->total = total;
    return id;
}

static void add_edge(kiln_profile *p, kiln_func_id a, kiln_func_id b, int64_t calls, double self,
                     double total)
{
    kiln_edge *e = kiln_profile_edge(p, a, b);
    e->calls = calls;
    e->prim_calls = calls;
    e->self = self;
    e->total = total;
}

/* main -> work (junction) -> {leaf (slow leaf), fib (recursive), tiny (hidden)}
 * Times in seconds; the sum of self is 10.0 s. */
static kiln_profile *sample_model(const char *leaf_name, size_t leaf_len)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "time", "seconds");
    kiln_profile_set_graph_given(p, 1);
    kiln_func_id m = add_func(p, "main", 4, "/src/app.py", 1, 1, 0.1, 10.0);
    kiln_func_id w = add_func(p, "work", 4, "/src/app.py", 10, 3, 0.2, 9.9);
    kiln_func_id l = add_func(p, leaf_name, leaf_len, "/src/app.py", 20, 1000, 6.0, 6.2);
    kiln_func_id f = add_func(p, "fib", 3, "/src/fib.py", 3, 1000, 3.69, 3.69);
    kiln_func_id t = add_func(p, "tiny", 4, "/src/app.py", 30, 5, 0.01, 0.01);
    kiln_func_id g = add_func(p, "helper", 6, "/src/app.py", 40, 2, 0.0, 0.2);
    add_edge(p, m, w, 3, 0.2, 9.9);
    add_edge(p, w, l, 1000, 6.0, 6.0);
    add_edge(p, w, f, 10, 3.69, 3.69);
    add_edge(p, f, f, 990, 3.0, 3.0);
    add_edge(p, w, t, 5, 0.01, 0.01);
    add_edge(p, w, g, 2, 0.0, 0.2);
    add_edge(p, g, l, 1, 0.0, 0.2);
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_profile_finish(p, &err) != KILN_OK) fprintf(stderr, "finish: %s\n", err.msg);
    return p;
}

static void test_select(void)
{
    kiln_profile *p = sample_model("leaf", 4);
    kiln_callgraph_opts o;
    kiln_callgraph_opts_init(&o);
    ki_cg cg;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(ki_cg_select(p, &o, &cg, &err), KILN_OK);
    CHECK_EQ_DBL(cg.total, 10.0, 1e-9);
    /* tiny is 0.1 % < 0.5 %: hidden; the five others are drawn, hottest first. */
    CHECK_EQ_INT(cg.nnodes, 5);
    CHECK_EQ_INT(cg.funcs_hidden, 1);
    CHECK_EQ_STR(cg.nodes[0].name, "main");
    CHECK_EQ_DBL(cg.nodes[0].total_pct, 100.0, 1e-9);
    CHECK_EQ_STR(cg.nodes[1].name, "work");
    CHECK_EQ_STR(cg.nodes[1].where, "app.py:10");
    /* Edges: main->work, work->leaf, work->fib, fib->fib (loop), work->helper,
     * helper->leaf (2 %) drawn; work->tiny hidden (its callee is). */
    CHECK_EQ_INT(cg.nedges, 6);
    CHECK_EQ_INT(cg.edges_hidden, 1);
    int loops = 0;
    for (uint32_t i = 0; i < cg.nedges; i++)
        if (cg.edges[i].from == cg.edges[i].to) {
            loops++;
            CHECK_EQ_INT(cg.edges[i].calls, 990);
            CHECK_EQ_STR(cg.nodes[cg.edges[i].from].name, "fib");
        }
    CHECK_EQ_INT(loops, 1);
    /* Marks (analysis defaults): leaf self 6.0/6.2 >= 80 % and 60 % of the run;
     * work: 99 % total, 2 % self, leaf and fib each >= 10 % of it. */
    for (uint32_t i = 0; i < cg.nnodes; i++) {
        const ki_cg_node *nd = &cg.nodes[i];
        if (strcmp(nd->name, "leaf") == 0) CHECK_EQ_INT(nd->mark, KI_CG_MARK_SLOW_LEAF);
        else if (strcmp(nd->name, "work") == 0) CHECK_EQ_INT(nd->mark, KI_CG_MARK_JUNCTION);
        else if (strcmp(nd->name, "main") == 0) CHECK_EQ_INT(nd->mark, KI_CG_MARK_NONE); /* one callee */
    }
    ki_cg_release(&cg);

    /* A higher edge threshold hides helper->leaf (2 %); max_nodes caps. */
    o.edge_threshold = 5.0;
    o.max_nodes = 3;
    CHECK_EQ_INT(ki_cg_select(p, &o, &cg, &err), KILN_OK);
    CHECK_EQ_INT(cg.nnodes, 3);
    CHECK_EQ_INT(cg.funcs_capped, 2);
    for (uint32_t i = 0; i < cg.nedges; i++) CHECK(cg.edges[i].total_pct >= 5.0);
    ki_cg_release(&cg);
    kiln_profile_free(p);
}

static void test_sanitize(void)
{
    char *s = ki_cg_sanitize("a\x1b[31mb\xff\xc3(", 10, 100);
    CHECK_EQ_STR(s, "a\\x1b[31mb\\xff\\xc3(");
    free(s);
    s = ki_cg_sanitize("x\xe2\x80\xaey", 5, 100); /* RIGHT-TO-LEFT OVERRIDE */
    CHECK_EQ_STR(s, "x\\u202ey");
    free(s);
    s = ki_cg_sanitize("ab\0cd", 5, 100);
    CHECK_EQ_STR(s, "ab\\x00cd");
    free(s);
    s = ki_cg_sanitize("h\xc3\xa9llo", 6, 3);
    CHECK_EQ_STR(s, "h\xc3\xa9l\xe2\x80\xa6");
    free(s);
    s = ki_cg_sanitize("\xed\xa0\x80", 3, 10); /* a UTF-16 surrogate is not UTF-8 */
    CHECK_EQ_STR(s, "\\xed\\xa0\\x80");
    free(s);
}

/* Renders p into a buffer; returns the status. */
static kiln_status render(const kiln_profile *p, kiln_callgraph_format fmt, kiln_buf *b)
{
    kiln_callgraph_opts o;
    kiln_callgraph_opts_init(&o);
    o.format = fmt;
    o.title = "test <b>&amp;</b>";
    kiln_sink sink;
    kiln_sink_init_buf(&sink, b);
    kiln_error err;
    kiln_error_clear(&err);
    kiln_status st = kiln_render_callgraph(p, &o, &sink, &err);
    if (st != KILN_OK) fprintf(stderr, "render: %s\n", err.msg);
    return st;
}

typedef struct { const unsigned char *data; size_t len, pos; } png_reader;

static cairo_status_t read_png(void *closure, unsigned char *out, unsigned int n)
{
    png_reader *r = closure;
    if (r->pos + n > r->len) return CAIRO_STATUS_READ_ERROR;
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
    return CAIRO_STATUS_SUCCESS;
}

/* Counts pixels within tol of rgb (0..1). */
static long count_colour(cairo_surface_t *img, const double rgb[3], int tol)
{
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    int stride = cairo_image_surface_get_stride(img);
    const unsigned char *d = cairo_image_surface_get_data(img);
    int want[3] = {(int)(rgb[0] * 255 + 0.5), (int)(rgb[1] * 255 + 0.5), (int)(rgb[2] * 255 + 0.5)};
    long n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint32_t px = *(const uint32_t *)(d + (size_t)y * stride + 4 * (size_t)x);
            int r = (px >> 16) & 255, g = (px >> 8) & 255, b = px & 255;
            if (abs(r - want[0]) <= tol && abs(g - want[1]) <= tol && abs(b - want[2]) <= tol) n++;
        }
    return n;
}

static void test_outputs(const char *svg_path)
{
    /* A hostile 70 KB name (interned as at most 64 KiB), with markup,
     * entities, control bytes and invalid UTF-8 in it. */
    size_t n = 70 * 1024;
    char *name = malloc(n);
    static const char piece[] = "<b>&</svg>\x01\x1b\xff\xfe]]>";
    for (size_t i = 0; i < n; i++) name[i] = piece[i % (sizeof piece - 1)];
    kiln_profile *p = sample_model(name, n);
    free(name);

    /* Capture stderr: pango and graphviz must print nothing. */
    char errpath[] = "/tmp/kiln-test-callgraph-XXXXXX";
    int errfd = mkstemp(errpath);
    int saved = dup(2);
    fflush(stderr);
    dup2(errfd, 2);

    kiln_buf png = KILN_BUF_INIT, svg = KILN_BUF_INIT, pdf = KILN_BUF_INIT, dot = KILN_BUF_INIT;
    CHECK_EQ_INT(render(p, KILN_CALLGRAPH_PNG, &png), KILN_OK);
    CHECK_EQ_INT(render(p, KILN_CALLGRAPH_SVG, &svg), KILN_OK);
    CHECK_EQ_INT(render(p, KILN_CALLGRAPH_PDF, &pdf), KILN_OK);
    CHECK_EQ_INT(render(p, KILN_CALLGRAPH_DOT, &dot), KILN_OK);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char captured[512] = "";
    lseek(errfd, 0, SEEK_SET);
    ssize_t got = read(errfd, captured, sizeof captured - 1);
    close(errfd);
    unlink(errpath);
    CHECK_EQ_INT(got, 0);
    if (got > 0) fprintf(stderr, "unexpected stderr: %s\n", captured);

    /* PNG: decodes, sane size, has the hottest and a cold heat colour. */
    png_reader r = {(const unsigned char *)png.data, png.len, 0};
    cairo_surface_t *img = cairo_image_surface_create_from_png_stream(read_png, &r);
    CHECK_EQ_INT(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
        int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
        CHECK(w > 300 && w <= KILN_CALLGRAPH_MAX_PIXELS);
        CHECK(h > 200 && h <= KILN_CALLGRAPH_MAX_PIXELS);
        double hot[3], mid[3];
        ki_cg_heat(100.0, hot);   /* main's box */
        ki_cg_heat(36.9, mid);    /* fib's box: 3.69 of 10 s */
        CHECK(count_colour(img, hot, 2) > 500);
        CHECK(count_colour(img, mid, 2) > 500);
    }
    cairo_surface_destroy(img);

    /* SVG and PDF: the right kind of file; no raw name text leaks into SVG. */
    CHECK(svg.len > 100 && strstr(svg.data, "<svg") != NULL);
    CHECK(svg.data && strstr(svg.data, "</svg>&") == NULL && strstr(svg.data, "<b>") == NULL);
    CHECK(pdf.len > 100 && memcmp(pdf.data, "%PDF-", 5) == 0);
    /* DOT: the graph with its numbers, the name escaped to valid UTF-8. */
    CHECK(dot.data && strstr(dot.data, "digraph") != NULL);
    CHECK(dot.data && strstr(dot.data, "kiln_calls=990") != NULL); /* the recursion loop */
    CHECK(dot.data && strstr(dot.data, "\\x1b\\xff\\xfe") != NULL);
    if (svg_path && svg.data) {
        FILE *f = fopen(svg_path, "wb");
        CHECK(f != NULL);
        if (f) {
            fwrite(svg.data, 1, svg.len, f);
            fclose(f);
        }
    }
    kiln_buf_release(&png);
    kiln_buf_release(&svg);
    kiln_buf_release(&pdf);
    kiln_buf_release(&dot);
    kiln_profile_free(p);
}

static void test_errors(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "time", "seconds");
    kiln_error err;
    kiln_error_clear(&err);
    kiln_profile_finish(p, &err);
    kiln_buf b = KILN_BUF_INIT;
    kiln_sink sink;
    kiln_sink_init_buf(&sink, &b);
    CHECK_EQ_INT(kiln_render_callgraph(p, NULL, &sink, &err), KILN_ERR_DATA);
    CHECK_EQ_INT(b.len, 0);
    kiln_profile_free(p);

    p = sample_model("leaf", 4);
    kiln_callgraph_opts o;
    kiln_callgraph_opts_init(&o);
    o.node_threshold = -1;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_render_callgraph(p, &o, &sink, &err), KILN_ERR_USAGE);
    kiln_callgraph_opts_init(&o);
    o.max_nodes = 0;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_render_callgraph(p, &o, &sink, &err), KILN_ERR_USAGE);
    kiln_buf_release(&b);
    kiln_profile_free(p);

    CHECK_EQ_INT(kiln_callgraph_format_from_path("a/b.SVG"), KILN_CALLGRAPH_SVG);
    CHECK_EQ_INT(kiln_callgraph_format_from_path("x.pdf"), KILN_CALLGRAPH_PDF);
    CHECK_EQ_INT(kiln_callgraph_format_from_path("x.gv"), KILN_CALLGRAPH_DOT);
    CHECK_EQ_INT(kiln_callgraph_format_from_path("x.png.d/out"), -1);
}

int main(int argc, char **argv)
{
    test_select();
    test_sanitize();
    test_outputs(argc > 1 ? argv[1] : NULL);
    test_errors();
    return check_done();
}
