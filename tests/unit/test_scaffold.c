/* kiln_scaffold_python: placeholders filled, names validated strictly (no
 * way to inject Python), files written atomically, no overwrite without
 * force. Running the generated files with the real pytest-benchmark is
 * tests/demo/test_scaffold.py. */
#include <regex.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "kiln/scaffold.h"

static kiln_scaffold_options base_options(void)
{
    kiln_scaffold_options o;
    memset(&o, 0, sizeof o);
    o.target = "orders";
    o.call = "shop.pipeline:process_orders";
    return o;
}

static int contains(const kiln_buf *b, const char *needle)
{
    return b->data && strstr(b->data, needle) != NULL;
}

/* No "@NAME@" left over after rendering. */
static int has_placeholder(const kiln_buf *b)
{
    regex_t re;
    if (regcomp(&re, "@[A-Z_]+@", REG_EXTENDED) != 0)
        return 1;
    int found = regexec(&re, b->data, 0, NULL, 0) == 0;
    regfree(&re);
    return found;
}

static void test_render_defaults(void)
{
    kiln_scaffold_options o = base_options();
    kiln_buf bench = KILN_BUF_INIT, prof = KILN_BUF_INIT;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_scaffold_python_render(&o, &bench, &prof, &err), KILN_OK);
    CHECK(contains(&bench, "\nfrom shop.pipeline import process_orders as target  # noqa: E402\n"));
    CHECK(contains(&bench, "\nSIZES = [500, 1000, 2000, 4000]\n"));
    CHECK(contains(&bench, "def test_orders(benchmark, size):"));
    CHECK(contains(&bench, "group=\"orders\""));
    CHECK(contains(&bench, "return [list(range(size))]"));
    CHECK(contains(&bench, "@pytest.mark.parametrize(\"size\", SIZES)")); /* decorators kept */
    CHECK(!contains(&bench, "build_input"));
    CHECK(!has_placeholder(&bench));
    CHECK(contains(&prof, "\nfrom shop.pipeline import process_orders as target  # noqa: E402\n"));
    CHECK(contains(&prof, "default=4000,"));
    CHECK(contains(&prof, "os.path.join(\"reports\", \"orders.prof\")"));
    CHECK(!has_placeholder(&prof));
    kiln_buf_release(&bench);
    kiln_buf_release(&prof);
}

static void test_render_input_and_sizes(void)
{
    kiln_scaffold_options o = base_options();
    long sizes[] = {10, 300, 20};
    o.sizes = sizes;
    o.nsizes = 3;
    o.input = "shop.sample:make_lines";
    kiln_buf bench = KILN_BUF_INIT, prof = KILN_BUF_INIT;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_scaffold_python_render(&o, &bench, &prof, &err), KILN_OK);
    CHECK(contains(&bench, "\nSIZES = [10, 300, 20]\n"));
    CHECK(contains(&bench, "\nfrom shop.sample import make_lines as build_input  # noqa: E402\n"));
    CHECK(contains(&bench, "return [build_input(size)]"));
    CHECK(contains(&prof, "default=300,")); /* the largest size */
    CHECK(contains(&prof, "return [build_input(size)]"));
    kiln_buf_release(&bench);
    kiln_buf_release(&prof);
}

static kiln_status render_status(kiln_scaffold_options o)
{
    kiln_buf bench = KILN_BUF_INIT;
    kiln_error err;
    kiln_error_clear(&err);
    kiln_status st = kiln_scaffold_python_render(&o, &bench, NULL, &err);
    if (st != KILN_OK)
        CHECK(err.msg[0] != '\0');
    kiln_buf_release(&bench);
    return st;
}

static void test_rejects_injection(void)
{
    static const char *bad_targets[] = {
        "", "1abc", "a-b", "a b", "x\"); import os; (\"", "a.b", "caf\xc3\xa9", "x\n",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 65 */, NULL};
    for (const char **t = bad_targets; *t; t++) {
        kiln_scaffold_options o = base_options();
        o.target = *t;
        CHECK_EQ_INT(render_status(o), KILN_ERR_USAGE);
    }
    static const char *bad_calls[] = {
        "", "pkg", "pkg.mod", ":fn", "pkg.mod:", "pkg..mod:fn", ".pkg:fn", "pkg.:fn",
        "pkg.mod:fn()", "pkg.mod:fn; import os", "pkg.mod:fn\nimport os", "pkg mod:fn",
        "pkg.mod:a.b", "pkg.mod:fn:g", "class.mod:fn", "pkg.mod:def", "pkg.None:fn",
        "p\xc3\xa9.mod:fn", "pkg/mod:fn", "os;os:system", NULL};
    for (const char **c = bad_calls; *c; c++) {
        kiln_scaffold_options o = base_options();
        o.call = *c;
        CHECK_EQ_INT(render_status(o), KILN_ERR_USAGE);
        o = base_options();
        o.input = *c;
        CHECK_EQ_INT(render_status(o), KILN_ERR_USAGE);
    }
    /* Soft keywords and dunder names are ordinary names. */
    kiln_scaffold_options o = base_options();
    o.call = "match.case:_";
    CHECK_EQ_INT(render_status(o), KILN_OK);
    o.call = "__main__:type";
    CHECK_EQ_INT(render_status(o), KILN_OK);

    long zero[] = {500, 0};
    o = base_options();
    o.sizes = zero;
    o.nsizes = 2;
    CHECK_EQ_INT(render_status(o), KILN_ERR_USAGE);
    long many[KILN_SCAFFOLD_MAX_SIZES + 1];
    for (int i = 0; i <= KILN_SCAFFOLD_MAX_SIZES; i++)
        many[i] = i + 1;
    o.sizes = many;
    o.nsizes = KILN_SCAFFOLD_MAX_SIZES + 1;
    CHECK_EQ_INT(render_status(o), KILN_ERR_USAGE);
    o.nsizes = KILN_SCAFFOLD_MAX_SIZES;
    CHECK_EQ_INT(render_status(o), KILN_OK);
    o.nsizes = 0;
    CHECK_EQ_INT(render_status(o), KILN_ERR_USAGE);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char data[65536];
    size_t n = fread(data, 1, sizeof data - 1, f);
    fclose(f);
    data[n] = '\0';
    return strdup(data);
}

static void test_write_and_refuse_overwrite(void)
{
    char dir[] = "/tmp/kiln-scaffold-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char bench_path[256], prof_path[256];
    snprintf(bench_path, sizeof bench_path, "%s/tests/benchmarks/test_orders_benchmark.py", dir);
    snprintf(prof_path, sizeof prof_path, "%s/scripts/profile_orders.py", dir);

    kiln_scaffold_options o = base_options();
    o.dir = dir;
    kiln_buf written = KILN_BUF_INIT;
    kiln_error err;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_scaffold_python(&o, &written, &err), KILN_OK);
    char expect[600];
    snprintf(expect, sizeof expect, "%s\n%s\n", bench_path, prof_path);
    CHECK_EQ_STR(written.data, expect);
    kiln_buf_release(&written);

    kiln_buf bench = KILN_BUF_INIT;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_scaffold_python_render(&o, &bench, NULL, &err), KILN_OK);
    char *on_disk = slurp(bench_path);
    CHECK(on_disk && strcmp(on_disk, bench.data) == 0);
    free(on_disk);
    kiln_buf_release(&bench);

    /* The user edits the profile script; a second run must not clobber it. */
    FILE *f = fopen(prof_path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("# edited\n", f);
        fclose(f);
    }
    o.target = "orders";
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_scaffold_python(&o, NULL, &err), KILN_ERR_CREATE);
    CHECK(strstr(err.msg, "exists") != NULL);
    char *kept = slurp(prof_path);
    CHECK(kept && strcmp(kept, "# edited\n") == 0);
    free(kept);

    o.force = 1;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_scaffold_python(&o, NULL, &err), KILN_OK);
    char *over = slurp(prof_path);
    CHECK(over && strstr(over, "import cProfile") != NULL);
    free(over);

    /* A project directory that does not exist is an error, nothing made. */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    o.dir = missing;
    kiln_error_clear(&err);
    CHECK_EQ_INT(kiln_scaffold_python(&o, NULL, &err), KILN_ERR_CREATE);
    struct stat sb;
    CHECK(stat(missing, &sb) != 0);

    /* No temp files left behind. */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s' -name '*.tmp.*')\"", dir);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    test_render_defaults();
    test_render_input_and_sizes();
    test_rejects_injection();
    test_write_and_refuse_overwrite();
    return check_done();
}
