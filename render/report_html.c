/* Markdown -> one self-contained HTML page, with cmark-gfm (table,
 * autolink, tagfilter, strikethrough) in safe mode: raw HTML in the
 * Markdown is dropped by cmark, never passed through (no CMARK_OPT_UNSAFE).
 *
 * The one exception is kiln's own collapsible blocks: an HTML block whose
 * every line is exactly "<details>", "<details open>", "</details>" or
 * "<summary>TEXT</summary>" (TEXT without '<', '>' or '&') is re-emitted
 * verbatim through a custom block node. Profile names never reach such a
 * line: report writers escape '<' in every name as &lt;. */
#include <stdlib.h>
#include <string.h>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include "kiln/report.h"
#include "templates.h"

static int allowed_line(const char *s, size_t n)
{
    if ((n == 9 && memcmp(s, "<details>", 9) == 0) || (n == 14 && memcmp(s, "<details open>", 14) == 0) ||
        (n == 10 && memcmp(s, "</details>", 10) == 0))
        return 1;
    if (n >= 19 && memcmp(s, "<summary>", 9) == 0 && memcmp(s + n - 10, "</summary>", 10) == 0) {
        for (size_t i = 9; i < n - 10; i++)
            if (s[i] == '<' || s[i] == '>' || s[i] == '&')
                return 0;
        return 1;
    }
    return 0;
}

static int allowed_block(const char *lit)
{
    if (!lit || !*lit)
        return 0;
    while (*lit) {
        const char *nl = strchr(lit, '\n');
        size_t n = nl ? (size_t)(nl - lit) : strlen(lit);
        if (n && lit[n - 1] == '\r')
            n--;
        if (!allowed_line(lit, n))
            return 0;
        lit = nl ? nl + 1 : lit + strlen(lit);
    }
    return 1;
}

/* Swap allowed HTML blocks for custom blocks carrying the same text. */
static void keep_own_details(cmark_node *doc)
{
    cmark_node *found[4096];
    size_t n = 0;
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && n < sizeof found / sizeof *found) {
        cmark_node *node = cmark_iter_get_node(it);
        if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(node) == CMARK_NODE_HTML_BLOCK &&
            allowed_block(cmark_node_get_literal(node)))
            found[n++] = node;
    }
    cmark_iter_free(it);
    for (size_t i = 0; i < n; i++) {
        cmark_node *custom = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
        if (!custom)
            continue;
        cmark_node_set_on_enter(custom, cmark_node_get_literal(found[i]));
        if (cmark_node_insert_before(found[i], custom)) {
            cmark_node_unlink(found[i]);
            cmark_node_free(found[i]);
        } else {
            cmark_node_free(custom);
        }
    }
}

static void put_escaped(kiln_sink *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': kiln_sink_puts(out, "&lt;"); break;
        case '>': kiln_sink_puts(out, "&gt;"); break;
        case '&': kiln_sink_puts(out, "&amp;"); break;
        case '"': kiln_sink_puts(out, "&quot;"); break;
        default: kiln_sink_write(out, s, 1); break;
        }
    }
}

kiln_status kiln_report_md_to_html(const char *md, size_t len, const char *title, kiln_sink *out,
                                   kiln_error *err)
{
    size_t tlen = 0, clen = 0;
    const char *tpl = (const char *)ki_template("report.html", &tlen);
    const char *css = (const char *)ki_template("report.css", &clen);
    if (!tpl || !css)
        return kiln_error_set(err, KILN_ERR_INTERNAL, "report: HTML template missing from this build");
    cmark_gfm_core_extensions_ensure_registered();
    int opts = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;   /* never CMARK_OPT_UNSAFE */
    cmark_parser *parser = cmark_parser_new(opts);
    if (!parser)
        return kiln_error_set(err, KILN_ERR_NOMEM, "report: out of memory");
    static const char *const exts[] = {"table", "autolink", "tagfilter", "strikethrough"};
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        cmark_syntax_extension *e = cmark_find_syntax_extension(exts[i]);
        if (e)
            cmark_parser_attach_syntax_extension(parser, e);
    }
    cmark_parser_feed(parser, md ? md : "", md ? len : 0);
    cmark_node *doc = cmark_parser_finish(parser);
    if (!doc) {
        cmark_parser_free(parser);
        return kiln_error_set(err, KILN_ERR_NOMEM, "report: out of memory");
    }
    keep_own_details(doc);
    char *html = cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(parser));
    cmark_node_free(doc);
    cmark_parser_free(parser);
    if (!html)
        return kiln_error_set(err, KILN_ERR_NOMEM, "report: out of memory");

    /* fill {{TITLE}}, {{CSS}}, {{BODY}} in one pass over the template */
    const char *s = tpl, *end = tpl + tlen;
    while (s < end) {
        const char *open = strstr(s, "{{");
        if (!open || open >= end) {
            kiln_sink_write(out, s, (size_t)(end - s));
            break;
        }
        kiln_sink_write(out, s, (size_t)(open - s));
        if (strncmp(open, "{{TITLE}}", 9) == 0) {
            put_escaped(out, title ? title : "kiln report");
            s = open + 9;
        } else if (strncmp(open, "{{CSS}}", 7) == 0) {
            kiln_sink_write(out, css, clen);
            s = open + 7;
        } else if (strncmp(open, "{{BODY}}", 8) == 0) {
            kiln_sink_puts(out, html);
            s = open + 8;
        } else {
            kiln_sink_write(out, open, 2);
            s = open + 2;
        }
    }
    free(html);
    if (out->failed)
        return kiln_error_set(err, KILN_ERR_WRITE, "report: write failed");
    return KILN_OK;
}
