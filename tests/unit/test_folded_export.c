/* The folded exporter on a profile built through the API: frame naming by
 * kind, escaping, number formatting, merging, sorting, the two-column diff,
 * and the folded importer reading it back. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kiln/buf.h"
#include "kiln/export.h"
#include "kiln/import.h"
#include "kiln/io.h"
#include "kiln/profile.h"

static kiln_frame_id fr(kiln_profile *p, const char *name, const char *module, int kind)
{
    kiln_frame f;
    memset(&f, 0, sizeof f);
    f.name = kiln_profile_intern_cstr(p, name);
    f.module = module ? kiln_profile_intern_cstr(p, module) : 0;
    f.kind = (uint32_t)kind;
    return kiln_profile_frame(p, &f);
}

static void stack(kiln_profile *p, double v, int n, ...)
{
    kiln_frame_id ids[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        ids[i] = va_arg(ap, kiln_frame_id);
    va_end(ap);
    double vals[1] = {v};
    CHECK(kiln_profile_add_stack(p, ids, (size_t)n, vals) != KILN_NONE);
}

static char *export(const kiln_profile *p, int type)
{
    kiln_buf b = KILN_BUF_INIT;
    kiln_sink s;
    kiln_sink_init_buf(&s, &b);
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_export_folded(p, type, &s, &err), KILN_OK);
    size_t n;
    char *out = kiln_buf_detach(&b, &n);
    return out ? out : strdup("");
}

int main(void)
{
    kiln_profile *p = kiln_profile_new();
    CHECK_EQ_INT(kiln_profile_add_sample_type(p, "samples", "count"), 0);
    kiln_frame_id proc = fr(p, "Web Content", NULL, KILN_KIND_PROCESS);
    kiln_frame_id unk_lib = fr(p, "[unknown]", "/usr/lib/libz.so.1", KILN_KIND_NATIVE);
    kiln_frame_id unk_unk = fr(p, "[unknown]", "[unknown]", KILN_KIND_NATIVE);
    kiln_frame_id args = fr(p, "f(int, char)", "/bin/x", KILN_KIND_NATIVE);
    kiln_frame_id anon = fr(p, "a::(anonymous namespace)::g(int)", "/bin/x", KILN_KIND_NATIVE);
    kiln_frame_id gom = fr(p, "net/http.(*Client).Do", "/bin/x", KILN_KIND_NATIVE);
    kiln_frame_id semi = fr(p, "x;y\nz", NULL, KILN_KIND_UNKNOWN);
    kiln_frame_id py = fr(p, "run (app.py:12)", NULL, KILN_KIND_PYTHON);
    kiln_frame_id f2 = fr(p, "f(long)", "/bin/x", KILN_KIND_NATIVE); /* prints as "f" too */
    stack(p, 2, 3, proc, unk_lib, args);
    stack(p, 3, 3, proc, unk_lib, f2);   /* merged with the line above: f */
    stack(p, 0.1, 2, proc, unk_unk);
    stack(p, 0.2, 3, proc, unk_unk, anon);
    stack(p, 1.5, 2, semi, py);
    stack(p, 7, 2, proc, gom);
    stack(p, 0, 2, proc, py);           /* zero self: no line */
    stack(p, 0.1, 1, py);
    stack(p, 0.2, 1, py);                /* 0.1 + 0.2 prints in full */
    char *out = export(p, 0);
    CHECK_EQ_STR(out, "Web_Content;[libz.so.1];f 5\n"
                      "Web_Content;[unknown] 0.1\n"
                      "Web_Content;[unknown];a::(anonymous namespace)::g 0.2\n"
                      "Web_Content;net/http.(*Client).Do 7\n"
                      "run (app.py:12) 0.30000000000000004\n"
                      "x:y z;run (app.py:12) 1.5\n");
    /* Read back through the folded importer: same lines. */
    kiln_import_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.format = "folded";
    kiln_profile *q = NULL;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_import_memory(out, strlen(out), &opts, &q, &err), KILN_OK);
    if (q) {
        char *again = export(q, 0);
        CHECK_EQ_STR(again, out);
        /* Differential: base = p, new = q plus one extra stack. */
        kiln_frame_id extra = fr(q, "zzz", NULL, KILN_KIND_UNKNOWN);
        stack(q, 4, 1, extra);
        kiln_buf b = KILN_BUF_INIT;
        kiln_sink s;
        kiln_sink_init_buf(&s, &b);
        CHECK_EQ_INT(kiln_export_folded_diff(p, 0, q, 0, &s, &err), KILN_OK);
        CHECK(b.data && strstr(b.data, "Web_Content;[libz.so.1];f 5 5\n"));
        CHECK(b.data && strstr(b.data, "\nzzz 0 4\n"));
        kiln_buf_release(&b);
        CHECK_EQ_INT(kiln_export_folded(q, 3, &s, &err), KILN_ERR_USAGE);
        free(again);
        kiln_profile_free(q);
    }
    free(out);
    kiln_profile_free(p);
    return check_done();
}
