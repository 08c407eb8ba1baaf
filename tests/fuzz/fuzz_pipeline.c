/* libFuzzer harness: the whole pipeline from bytes, everything into memory.
 *   import (format sniffed) -> finished profile -> kiln_analyze ->
 *   top table + pstats text (escaped for a terminal) -> folded export (read
 *   back) -> .kiln writer (read back, must be equal) -> report Markdown,
 *   plan and summary -> report HTML (cmark-gfm) -> flame HTML -> flame PNG
 *   and SVG (small) -> call graph SVG and PNG (few nodes, small scale).
 * Charts are left out: they draw benchmark runs, not profiles.
 * Invariants (abort on violation):
 *   - an import error names a location: "offset N" with N <= size, or "line N";
 *   - terminal output (top, pstats with escape=1) holds no C0 byte but '\n'
 *     and no DEL, ESC or C1 (U+0080..U+009F);
 *   - the folded export reads back as folded;
 *   - the .kiln written reads back into an equal profile;
 *   - the flame HTML's JSON block holds no '<' (nothing can close <script>).
 * Each exec stays fast: inputs over 8 KiB are skipped, the static
 * renderers get small sizes, and each input drives the analysis, the top
 * table and the .kiln round trip plus ONE group of the other renderers,
 * picked by a hash of the input (so a given input always does the same). */
#define _GNU_SOURCE /* memmem, strndup */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/kfile_compare.h"
#include "kiln/analysis.h"
#include "kiln/buf.h"
#include "kiln/callgraph.h"
#include "kiln/export.h"
#include "kiln/flame.h"
#include "kiln/import.h"
#include "kiln/io.h"
#include "kiln/kfile.h"
#include "kiln/report.h"
#include "kiln/top.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 8192

static void ignore_warning(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_pipeline: %s: %s\n", what, detail ? detail : "");
    abort();
}

/* Terminal output: printable text, '\n', and valid UTF-8 without C1. */
static void check_terminal_text(const char *what, const kiln_buf *b)
{
    const unsigned char *s = (const unsigned char *)b->data;
    for (size_t i = 0; i < b->len; i++) {
        if ((s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7f)
            fail(what, "raw control byte in terminal output");
        if (s[i] == 0xc2 && i + 1 < b->len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
            fail(what, "C1 control in terminal output");
    }
}

static kiln_profile *import_as(const void *data, size_t size, const char *format, kiln_error *err)
{
    kiln_import_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.format = format;
    opts.warn = ignore_warning;
    opts.keep_timeline = 1;   /* perf input: the flame chart's data is encoded too */
    kiln_profile *p = NULL;
    kiln_error_clear(err);
    kiln_import_memory(data, size, &opts, &p, err);
    return p;
}

static void check_import_error(const kiln_error *err, size_t size)
{
    if (err->status == KILN_ERR_NOMEM || err->status == KILN_ERR_LIMIT)
        return;
    if (!strncmp(err->msg, "offset ", 7)) {
        if (err->offset != KILN_NO_OFFSET && err->offset > size)
            fail("import error past the end", err->msg);
    } else if (strncmp(err->msg, "line ", 5) != 0) {
        fail("import error without a location", err->msg);
    }
}

static void text_renderers(const kiln_profile *p, kiln_buf *b, kiln_sink *s)
{
    kiln_error err;
    kiln_top_opts to;
    kiln_top_opts_default(&to);
    kiln_top_write(p, &to, s, &err);
    check_terminal_text("kiln top", b);
    kiln_buf_reset(b);

    kiln_pstats_opts po;
    kiln_pstats_opts_default(&po);
    po.escape = 1;
    po.limit = 40;
    kiln_pstats_write(p, &po, s, &err);
    check_terminal_text("pstats (escaped)", b);
    kiln_buf_reset(b);
}

static void folded_roundtrip(const kiln_profile *p, kiln_buf *b, kiln_sink *s)
{
    kiln_error err;
    if (kiln_export_folded(p, 0, s, &err) == KILN_OK && b->len > 0) {
        kiln_profile *q = import_as(b->data, b->len, "folded", &err);
        if (!q)
            fail("folded export does not read back", err.msg);
        kiln_profile_free(q);
    }
    kiln_buf_reset(b);
}

static void kiln_roundtrip(const kiln_profile *p, kiln_buf *b, kiln_sink *s)
{
    kiln_error err;
    if (kiln_kfile_write(p, s, &err) == KILN_OK) {
        kiln_profile *q = import_as(b->data, b->len, "kiln", &err);
        char why[256];
        if (!q)
            fail(".kiln written does not read back", err.msg);
        if (kiln_profiles_differ(p, q, why, sizeof why))
            fail(".kiln re-read differs", why);
        kiln_profile_free(q);
    }
    kiln_buf_reset(b);
}

static void reports(const kiln_profile *p, const kiln_analysis *a, kiln_buf *b, kiln_sink *s)
{
    kiln_error err;
    kiln_report_opts o;
    kiln_report_opts_init(&o);
    o.target = "fuzz";
    o.timestamp = "2024-01-01T00:00:00Z";
    o.date = "2024-01-01";
    o.report_file = "performance_analysis_fuzz_2024-01-01.md";
    o.kiln_version = "fuzz";
    o.flame.why_not = "not rendered";
    o.callgraph.why_not = "not rendered";
    o.improvement.why_not = "not rendered";
    o.max_rows = 10;
    if (kiln_report_write_md(p, a, &o, s, &err) == KILN_OK) {
        kiln_buf html = KILN_BUF_INIT;
        kiln_sink hs;
        kiln_sink_init_buf(&hs, &html);
        kiln_report_md_to_html(b->data ? b->data : "", b->len, "fuzz <report>", &hs, &err);
        kiln_buf_release(&html);
    }
    kiln_buf_reset(b);
    kiln_report_write_plan(p, a, &o, s, &err);
    kiln_buf_reset(b);
    kiln_report_write_summary(p, a, &o, 4000, s, &err);
    kiln_buf_reset(b);
}

static void flame(const kiln_profile *p, kiln_buf *b, kiln_sink *s)
{
    kiln_error err;
    kiln_flame_opts fo;
    kiln_flame_opts_init(&fo);
    if (kiln_render_flame_html(p, &fo, s, &err) == KILN_OK) {
        static const char open[] = "<script type=\"application/json\"";
        const char *j = b->data ? memmem(b->data, b->len, open, sizeof open - 1) : NULL;
        if (!j)
            fail("flame HTML", "no JSON block");
        const char *body = memchr(j, '>', (size_t)(b->data + b->len - j));
        const char *end = body ? memmem(body, (size_t)(b->data + b->len - body), "</script>", 9) : NULL;
        if (!end || memchr(body + 1, '<', (size_t)(end - body - 1)))
            fail("flame HTML", "'<' inside the JSON block");
    }
    kiln_buf_reset(b);
    fo.width = 240;
    fo.max_levels = 8;
    kiln_render_flame_svg(p, &fo, s, &err);
    kiln_buf_reset(b);
    fo.width = 120;
    fo.max_levels = 4;
    kiln_render_flame_png(p, &fo, s, &err);
    kiln_buf_reset(b);
}

static void callgraph(const kiln_profile *p, kiln_buf *b, kiln_sink *s)
{
    kiln_error err;
    kiln_callgraph_opts co;
    kiln_callgraph_opts_init(&co);
    co.max_nodes = 8;
    co.scale = 0.25;
    co.format = KILN_CALLGRAPH_SVG;
    kiln_render_callgraph(p, &co, s, &err);
    kiln_buf_reset(b);
    co.max_nodes = 4;
    co.format = KILN_CALLGRAPH_PNG;
    kiln_render_callgraph(p, &co, s, &err);
    kiln_buf_reset(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    kiln_error err;
    kiln_profile *p = import_as(data, size, NULL, &err);
    if (!p) {
        check_import_error(&err, size);
        return 0;
    }
    kiln_buf b = KILN_BUF_INIT;
    kiln_sink s;
    kiln_sink_init_buf(&s, &b);

    kiln_analysis *a = NULL;
    if (kiln_analyze(p, NULL, &a, &err) != KILN_OK && err.status != KILN_ERR_NOMEM)
        fail("kiln_analyze failed", err.msg);
    text_renderers(p, &b, &s);
    kiln_roundtrip(p, &b, &s);
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    switch (h % 4) {
    case 0: folded_roundtrip(p, &b, &s); break;
    case 1: if (a) reports(p, a, &b, &s); break;
    case 2: flame(p, &b, &s); break;
    default: callgraph(p, &b, &s); break;
    }

    kiln_analysis_free(a);
    kiln_buf_release(&b);
    kiln_profile_free(p);
    return 0;
}
