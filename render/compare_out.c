/* compare_out.c: a comparison of two benchmark runs as a terminal table, a
 * Markdown block for a pull-request comment, JSON, and pytest-benchmark's
 * failure lines (kiln/compare.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kiln/compare.h"
#include "md_escape.h"

/* ---- shared helpers ------------------------------------------------------ */

/* A time in seconds with a unit that keeps it >= 1 ("1.6447 ms"). */
static void fmt_time(char *buf, size_t cap, double s)
{
    if (!isfinite(s)) {
        snprintf(buf, cap, "n/a");
        return;
    }
    double a = fabs(s);
    if (a >= 1 || a == 0)
        snprintf(buf, cap, "%.4f s", s);
    else if (a >= 1e-3)
        snprintf(buf, cap, "%.4f ms", s * 1e3);
    else if (a >= 1e-6)
        snprintf(buf, cap, "%.4f us", s * 1e6);
    else
        snprintf(buf, cap, "%.4f ns", s * 1e9);
}

static void fmt_value(char *buf, size_t cap, kiln_bench_field f, double v)
{
    if (f == KILN_FIELD_OPS) {
        if (isfinite(v))
            snprintf(buf, cap, "%.4f", v);
        else
            snprintf(buf, cap, "n/a");
    } else {
        fmt_time(buf, cap, v);
    }
}

static void fmt_pct(char *buf, size_t cap, double p)
{
    if (isfinite(p))
        snprintf(buf, cap, "%+.2f%%", p);
    else
        snprintf(buf, cap, "n/a");
}

static void fmt_speedup(char *buf, size_t cap, double x)
{
    if (isinf(x))
        snprintf(buf, cap, "inf");
    else if (isfinite(x))
        snprintf(buf, cap, "%.2fx", x);
    else
        snprintf(buf, cap, "n/a");
}

static const char *row_name(const kiln_compare_row *r)
{
    const kiln_bench *b = r->head ? r->head : r->base;
    return b->name ? b->name : b->fullname;
}

static const char *verdict_word(const kiln_compare_row *r)
{
    switch (r->kind) {
    case KILN_ROW_ADDED: return "added";
    case KILN_ROW_REMOVED: return "removed";
    default: break;
    }
    switch (r->verdict) {
    case KILN_VERDICT_FASTER: return "faster";
    case KILN_VERDICT_SLOWER: return "slower";
    case KILN_VERDICT_NOISE: return "within noise";
    default: return "unknown";
    }
}

static void fmt_noise(char *buf, size_t cap, const kiln_compare_row *r)
{
    if (r->method == KILN_NOISE_MANN_WHITNEY) {
        if (r->p_value < 0.001)
            snprintf(buf, cap, "U test p<0.001");
        else
            snprintf(buf, cap, "U test p=%.3f", r->p_value);
    } else if (r->method == KILN_NOISE_IQR_OVERLAP) {
        snprintf(buf, cap, r->verdict == KILN_VERDICT_NOISE ? "IQRs overlap" : "IQRs apart");
    } else {
        snprintf(buf, cap, "-");
    }
}

/* Terminal-safe copy: control bytes, DEL and invalid UTF-8 as \xNN. */
static void term_safe(kiln_buf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = ki_md_utf8_decode(u + i, len - i, &cp);
        if ((cp == 0xFFFD && n == 1 && u[i] >= 0x80) || u[i] < 0x20 || u[i] == 0x7F ||
            (cp >= 0x80 && cp < 0xA0)) {
            for (size_t k = 0; k < n; k++)
                kiln_buf_printf(b, "\\x%02x", u[i + k]);
        } else {
            kiln_buf_add(b, s + i, n);
        }
        i += n;
    }
}

static kiln_status flush(kiln_buf *b, kiln_sink *out, kiln_error *err)
{
    kiln_status st = KILN_OK;
    if (b->failed)
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory rendering the comparison");
    else if (kiln_sink_write(out, b->data ? b->data : "", b->len) != 0)
        st = kiln_error_set(err, KILN_ERR_WRITE, "write error");
    kiln_buf_release(b);
    return st;
}

/* "d38f6d3 (2026-11-24)" style label of a run. */
static void run_label(char *buf, size_t cap, const kiln_bench_run *run)
{
    const kiln_bench_info *in = kiln_bench_run_info(run);
    const char *id = in->commit_id;
    char shortid[16];
    size_t hex = strspn(id, "0123456789abcdef");
    if (hex >= 7 && id[hex] == '\0')
        snprintf(shortid, sizeof shortid, "%.7s", id);
    else
        snprintf(shortid, sizeof shortid, "%.15s", *in->source ? in->source : (*id ? id : "?"));
    const char *when = *in->commit_time ? in->commit_time : in->datetime;
    if (*when)
        snprintf(buf, cap, "%s (%.10s%s)", shortid, when, in->dirty == 1 ? ", dirty" : "");
    else
        snprintf(buf, cap, "%s", shortid);
}

/* ---- text --------------------------------------------------------------- */

kiln_status kiln_compare_write_text(const kiln_compare *c, kiln_sink *out, kiln_error *err)
{
    kiln_buf b = KILN_BUF_INIT;
    char bl[96], hl[96];
    run_label(bl, sizeof bl, kiln_compare_base(c));
    run_label(hl, sizeof hl, kiln_compare_head(c));
    kiln_buf_addstr(&b, "baseline: ");
    term_safe(&b, bl);
    kiln_buf_addstr(&b, "\nnew:      ");
    term_safe(&b, hl);
    kiln_bench_field metric = kiln_compare_metric(c);
    kiln_buf_printf(&b, "\nchange of the %s: improvement = (baseline - new) / baseline; "
                    "speedup = baseline / new\n\n", kiln_bench_field_name(metric));

    size_t w = 9;
    for (size_t i = 0; i < kiln_compare_count(c); i++) {
        size_t l = strlen(row_name(kiln_compare_row_at(c, i)));
        if (l > w)
            w = l;
    }
    if (w > 60)
        w = 60;
    kiln_buf_printf(&b, "%-*s %14s %14s %14s %14s %12s %12s %12s %12s %12s %9s  %s\n", (int)w,
                    "Benchmark", "Mean base", "Mean new", "Median base", "Median new", "IQR base",
                    "IQR new", "OPS base", "OPS new", "Improvement", "Speedup", "Verdict");
    for (size_t i = 0; i < kiln_compare_count(c); i++) {
        const kiln_compare_row *r = kiln_compare_row_at(c, i);
        const kiln_bench_stats *bs = r->base ? &r->base->stats : NULL;
        const kiln_bench_stats *hs = r->head ? &r->head->stats : NULL;
        char v[10][32], noise[40];
        fmt_time(v[0], 32, bs ? bs->mean : NAN);
        fmt_time(v[1], 32, hs ? hs->mean : NAN);
        fmt_time(v[2], 32, bs ? bs->median : NAN);
        fmt_time(v[3], 32, hs ? hs->median : NAN);
        fmt_time(v[4], 32, bs ? bs->iqr : NAN);
        fmt_time(v[5], 32, hs ? hs->iqr : NAN);
        fmt_value(v[6], 32, KILN_FIELD_OPS, bs ? bs->ops : NAN);
        fmt_value(v[7], 32, KILN_FIELD_OPS, hs ? hs->ops : NAN);
        fmt_pct(v[8], 32, r->improvement_pct);
        fmt_speedup(v[9], 32, r->speedup);
        fmt_noise(noise, sizeof noise, r);
        kiln_buf tmp = KILN_BUF_INIT;
        term_safe(&tmp, row_name(r));
        const char *name = tmp.data ? tmp.data : "";
        kiln_buf_printf(&b, "%-*s %14s %14s %14s %14s %12s %12s %12s %12s %12s %9s  %s%s%s%s%s\n",
                        (int)w, name, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
                        verdict_word(r), r->method ? " (" : "", r->method ? noise : "",
                        r->method ? ")" : "", r->failed_gates ? "  REGRESSION" : "");
        kiln_buf_release(&tmp);
    }
    kiln_compare_summary s;
    kiln_compare_summarize(c, &s);
    kiln_buf_printf(&b, "\n%zu compared: %zu faster, %zu slower, %zu within noise; %zu added, "
                    "%zu removed", s.matched, s.faster, s.slower, s.noise, s.added, s.removed);
    if (kiln_compare_gate_count(c))
        kiln_buf_printf(&b, "; %zu failed the gate", s.failed);
    kiln_buf_addstr(&b, "\n");
    return flush(&b, out, err);
}

/* ---- failures in pytest-benchmark's words --------------------------------- */

kiln_status kiln_compare_write_failures(const kiln_compare *c, kiln_sink *out, kiln_error *err)
{
    kiln_buf b = KILN_BUF_INIT;
    const char *source = kiln_bench_run_info(kiln_compare_base(c))->source;
    for (size_t i = 0; i < kiln_compare_count(c); i++) {
        const kiln_compare_row *r = kiln_compare_row_at(c, i);
        for (size_t g = 0; g < kiln_compare_gate_count(c); g++) {
            if (!(r->failed_gates & (1u << g)))
                continue;
            const kiln_gate *gate = kiln_compare_gate(c, g);
            kiln_buf_addch(&b, '\t');
            term_safe(&b, row_name(r));
            kiln_buf_addstr(&b, " (");
            term_safe(&b, source);
            kiln_buf_printf(&b, ") - Field '%s' has failed %s: %.9f > %.9f\n",
                            kiln_bench_field_name(gate->field), kiln_gate_check_name(gate),
                            kiln_compare_gate_value(c, i, g), gate->threshold);
        }
    }
    return flush(&b, out, err);
}

/* ---- Markdown -------------------------------------------------------------- */

static int severity(const kiln_compare_row *r)
{
    if (r->failed_gates)
        return 0;
    if (r->verdict == KILN_VERDICT_SLOWER)
        return 1;
    if (r->kind == KILN_ROW_REMOVED)
        return 4;
    if (r->kind == KILN_ROW_ADDED)
        return 5;
    if (r->verdict == KILN_VERDICT_FASTER)
        return 2;
    return 3;
}

typedef struct {
    const kiln_compare_row *r;
    size_t idx;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    int sx = severity(x->r), sy = severity(y->r);
    if (sx != sy)
        return sx - sy;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const char *status_emoji(const kiln_compare_row *r)
{
    if (r->failed_gates)
        return "\xE2\x9D\x8C"; /* ❌ */
    if (r->kind == KILN_ROW_ADDED)
        return "\xF0\x9F\x86\x95"; /* 🆕 */
    if (r->kind == KILN_ROW_REMOVED)
        return "\xE2\x81\x89\xEF\xB8\x8F"; /* ⁉️ */
    switch (r->verdict) {
    case KILN_VERDICT_FASTER: return "\xE2\x9A\xA1"; /* ⚡ */
    case KILN_VERDICT_SLOWER: return "\xF0\x9F\x90\xA2"; /* 🐢 */
    case KILN_VERDICT_NOISE: return "\xE2\x9C\x85"; /* ✅ */
    default: return "\xE2\x9D\x94"; /* ❔ */
    }
}

static void md_cell_str(kiln_buf *b, const char *s)
{
    kiln_buf_addstr(b, " ");
    ki_md_cell(b, s, strlen(s), 120);
    kiln_buf_addstr(b, " |");
}

kiln_status kiln_compare_write_markdown(const kiln_compare *c, size_t max_rows, kiln_sink *out,
                                        kiln_error *err)
{
    if (!max_rows)
        max_rows = 200;
    kiln_buf b = KILN_BUF_INIT;
    kiln_compare_summary s;
    kiln_compare_summarize(c, &s);
    size_t ngates = kiln_compare_gate_count(c);

    kiln_buf_addstr(&b, "<!-- kiln:compare -->\n");
    if (ngates && s.failed)
        kiln_buf_printf(&b, "### \xE2\x9D\x8C Performance regressed: %zu benchmark%s past the "
                        "threshold\n\n", s.failed, s.failed == 1 ? "" : "s");
    else if (ngates)
        kiln_buf_addstr(&b, "### \xE2\x9C\x85 No benchmark regressed past the threshold\n\n");
    else
        kiln_buf_addstr(&b, "### Benchmark comparison\n\n");

    char bl[96], hl[96];
    run_label(bl, sizeof bl, kiln_compare_base(c));
    run_label(hl, sizeof hl, kiln_compare_head(c));
    kiln_buf_addstr(&b, "Baseline ");
    ki_md_text(&b, bl, strlen(bl), 80);
    kiln_buf_addstr(&b, " \xE2\x86\x92 new ");
    ki_md_text(&b, hl, strlen(hl), 80);
    kiln_buf_printf(&b, " \xC2\xB7 metric: %s", kiln_bench_field_name(kiln_compare_metric(c)));
    for (size_t g = 0; g < ngates; g++) {
        const kiln_gate *gate = kiln_compare_gate(c, g);
        kiln_buf_printf(&b, "%s%s:%g%s", g ? ", " : " \xC2\xB7 gate: ",
                        kiln_bench_field_name(gate->field), gate->threshold,
                        gate->kind == KILN_GATE_PERCENT ? "%" : "s");
    }
    kiln_buf_printf(&b, "\n\n`\xE2\x9A\xA1 %zu` faster \xC2\xB7 `\xF0\x9F\x90\xA2 %zu` slower \xC2\xB7 "
                    "`\xE2\x9C\x85 %zu` within noise \xC2\xB7 `\xF0\x9F\x86\x95 %zu` added \xC2\xB7 "
                    "`\xE2\x81\x89\xEF\xB8\x8F %zu` removed\n\n",
                    s.faster, s.slower, s.noise, s.added, s.removed);

    size_t n = kiln_compare_count(c);
    ranked *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) {
        kiln_buf_release(&b);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (ranked){kiln_compare_row_at(c, i), i};
    if (n > 1)
        qsort(order, n, sizeof *order, ranked_cmp);

    kiln_bench_field metric = kiln_compare_metric(c);
    kiln_buf_printf(&b, "| | Benchmark | Baseline %s | New %s | Improvement | Speedup | IQR base \xE2\x86\x92 new | Noise |\n",
                    kiln_bench_field_name(metric), kiln_bench_field_name(metric));
    kiln_buf_addstr(&b, "|:-:|:--|--:|--:|--:|--:|--:|:--|\n");
    for (size_t k = 0; k < n && k < max_rows; k++) {
        const kiln_compare_row *r = order[k].r;
        char v[6][80];
        fmt_value(v[0], 80, metric, r->base ? kiln_bench_field_value(&r->base->stats, metric) : NAN);
        fmt_value(v[1], 80, metric, r->head ? kiln_bench_field_value(&r->head->stats, metric) : NAN);
        fmt_pct(v[2], 80, r->improvement_pct);
        fmt_speedup(v[3], 80, r->speedup);
        char iqr_b[32], iqr_h[32];
        fmt_time(iqr_b, sizeof iqr_b, r->base ? r->base->stats.iqr : NAN);
        fmt_time(iqr_h, sizeof iqr_h, r->head ? r->head->stats.iqr : NAN);
        snprintf(v[4], 80, "%s \xE2\x86\x92 %s", iqr_b, iqr_h);
        fmt_noise(v[5], 80, r);
        kiln_buf_printf(&b, "| %s |", status_emoji(r));
        md_cell_str(&b, row_name(r));
        for (int j = 0; j < 5; j++) /* our own numbers: nothing to escape */
            kiln_buf_printf(&b, " %s |", v[j]);
        char verdict[128];
        snprintf(verdict, sizeof verdict, "%s%s%s", verdict_word(r), r->method ? ", " : "",
                 r->method ? v[5] : "");
        kiln_buf_printf(&b, " %s |", verdict);
        kiln_buf_addch(&b, '\n');
    }
    if (n > max_rows)
        kiln_buf_printf(&b, "| | \xE2\x80\xA6" "and %zu more | | | | | | |\n", n - max_rows);
    free(order);
    kiln_buf_addstr(&b, "\n<sub>Improvement = (baseline \xE2\x88\x92 new) / baseline; speedup = "
                    "baseline / new. Noise: Mann-Whitney U test (\xCE\xB1 = 0.05) when both runs "
                    "saved raw data, else whether the interquartile ranges overlap.</sub>\n");
    return flush(&b, out, err);
}

/* ---- JSON ------------------------------------------------------------------- */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *stats_json(const kiln_bench *b)
{
    if (!b)
        return json_null();
    const kiln_bench_stats *s = &b->stats;
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "mean", num_or_null(s->mean),
                     "median", num_or_null(s->median), "min", num_or_null(s->min), "max",
                     num_or_null(s->max), "stddev", num_or_null(s->stddev), "iqr",
                     num_or_null(s->iqr), "q1", num_or_null(s->q1), "q3", num_or_null(s->q3), "rounds",
                     (json_int_t)s->rounds, "iterations", (json_int_t)s->iterations) ?: json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) ?: json_string("\xEF\xBF\xBD") : json_null();
}

kiln_status kiln_compare_write_json(const kiln_compare *c, kiln_sink *out, kiln_error *err)
{
    json_t *root = json_object(), *rows = json_array();
    if (!root || !rows) {
        json_decref(root);
        json_decref(rows);
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    }
    json_object_set_new(root, "metric", json_string(kiln_bench_field_name(kiln_compare_metric(c))));
    const kiln_bench_info *bi = kiln_bench_run_info(kiln_compare_base(c));
    const kiln_bench_info *hi = kiln_bench_run_info(kiln_compare_head(c));
    json_object_set_new(root, "baseline", json_pack("{s:o,s:o,s:o}", "source", str_or_null(bi->source),
                                                    "commit", str_or_null(bi->commit_id), "datetime",
                                                    str_or_null(bi->datetime)));
    json_object_set_new(root, "new", json_pack("{s:o,s:o,s:o}", "source", str_or_null(hi->source),
                                               "commit", str_or_null(hi->commit_id), "datetime",
                                               str_or_null(hi->datetime)));
    static const char *const kinds[] = {"matched", "added", "removed"};
    static const char *const methods[] = {NULL, "iqr-overlap", "mann-whitney"};
    for (size_t i = 0; i < kiln_compare_count(c); i++) {
        const kiln_compare_row *r = kiln_compare_row_at(c, i);
        const kiln_bench *any = r->head ? r->head : r->base;
        json_t *row = json_object();
        json_object_set_new(row, "fullname", str_or_null(any->fullname));
        json_object_set_new(row, "name", str_or_null(any->name));
        json_object_set_new(row, "group", str_or_null(any->group));
        json_object_set_new(row, "kind", json_string(kinds[r->kind]));
        json_object_set_new(row, "baseline", stats_json(r->base));
        json_object_set_new(row, "new", stats_json(r->head));
        json_object_set_new(row, "improvement_pct", num_or_null(r->improvement_pct));
        json_object_set_new(row, "speedup", num_or_null(r->speedup));
        json_object_set_new(row, "verdict", json_string(verdict_word(r)));
        json_object_set_new(row, "noise_method", str_or_null(methods[r->method]));
        json_object_set_new(row, "p_value", num_or_null(r->p_value));
        json_t *gates = json_array();
        for (size_t g = 0; g < kiln_compare_gate_count(c); g++) {
            const kiln_gate *gate = kiln_compare_gate(c, g);
            json_array_append_new(gates, json_pack("{s:s,s:s,s:f,s:o,s:b}", "field",
                                                   kiln_bench_field_name(gate->field), "check",
                                                   kiln_gate_check_name(gate), "threshold",
                                                   gate->threshold, "value",
                                                   num_or_null(kiln_compare_gate_value(c, i, g)),
                                                   "failed", (r->failed_gates >> g) & 1));
        }
        json_object_set_new(row, "gates", gates);
        json_array_append_new(rows, row);
    }
    json_object_set_new(root, "benchmarks", rows);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
    kiln_buf b = KILN_BUF_INIT;
    kiln_buf_addstr(&b, text);
    kiln_buf_addch(&b, '\n');
    free(text);
    return flush(&b, out, err);
}
