/* kiln scaffold python: renders templates/scaffold_{benchmark,profile}.py.in
 * with validated names and writes them into a project (kiln/scaffold.h). */
#include "kiln/scaffold.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln/io.h"
#include "templates.h"

static const long default_sizes[] = {500, 1000, 2000, 4000};

/* Python 3 hard keywords: none of them can be a module or function name. */
static const char *const python_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break",
    "class", "continue", "def", "del", "elif", "else", "except", "finally",
    "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    NULL};

static int is_ident_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_ident_char(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* Length of the ASCII identifier at s (stops at the first other byte), or
 * 0 when s does not start with one. */
static size_t ident_len(const char *s)
{
    if (!is_ident_start((unsigned char)s[0]))
        return 0;
    size_t n = 1;
    while (is_ident_char((unsigned char)s[n]))
        n++;
    return n;
}

static int is_keyword(const char *s, size_t n)
{
    for (const char *const *k = python_keywords; *k; k++)
        if (strlen(*k) == n && memcmp(*k, s, n) == 0)
            return 1;
    return 0;
}

/* A usable Python name: identifier, not a keyword, not too long. */
static int valid_name(const char *s, size_t n)
{
    return n > 0 && n <= KILN_SCAFFOLD_MAX_NAME && !is_keyword(s, n);
}

/* Splits "pkg.module:function" into its module and function parts (both
 * pointing into call). Returns 0 when call is not exactly that shape. */
static int parse_call(const char *call, const char **module, size_t *module_len,
                      const char **function, size_t *function_len)
{
    if (strlen(call) > KILN_SCAFFOLD_MAX_CALL)
        return 0;
    const char *p = call;
    for (;;) {
        size_t n = ident_len(p);
        if (!valid_name(p, n))
            return 0;
        p += n;
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p != ':')
            return 0;
        break;
    }
    *module = call;
    *module_len = (size_t)(p - call);
    p++;
    size_t n = ident_len(p);
    if (!valid_name(p, n) || p[n] != '\0')
        return 0;
    *function = p;
    *function_len = n;
    return 1;
}

typedef struct scaffold_values {
    const char *target;
    const char *call;
    const char *module, *function;
    size_t module_len, function_len;
    const char *in_module, *in_function; /* NULL without --input */
    size_t in_module_len, in_function_len;
    const long *sizes;
    size_t nsizes;
} scaffold_values;

static kiln_status check_options(const kiln_scaffold_options *opt, scaffold_values *v,
                                 kiln_error *err)
{
    memset(v, 0, sizeof *v);
    if (!opt || !opt->target || !opt->call)
        return kiln_error_set(err, KILN_ERR_USAGE, "a target and a call are required");
    size_t n = ident_len(opt->target);
    if (n == 0 || opt->target[n] != '\0' || n > KILN_SCAFFOLD_MAX_NAME)
        return kiln_error_set(err, KILN_ERR_USAGE,
                              "target must be an identifier ([A-Za-z_][A-Za-z0-9_]*, at most %d "
                              "characters)", KILN_SCAFFOLD_MAX_NAME);
    v->target = opt->target;
    v->call = opt->call;
    if (!parse_call(opt->call, &v->module, &v->module_len, &v->function, &v->function_len))
        return kiln_error_set(err, KILN_ERR_USAGE,
                              "call must be 'pkg.module:function' (ASCII identifiers, no "
                              "Python keywords, at most %d characters)", KILN_SCAFFOLD_MAX_CALL);
    if (opt->input && !parse_call(opt->input, &v->in_module, &v->in_module_len,
                                  &v->in_function, &v->in_function_len))
        return kiln_error_set(err, KILN_ERR_USAGE,
                              "input must be 'pkg.module:function' (ASCII identifiers, no "
                              "Python keywords, at most %d characters)", KILN_SCAFFOLD_MAX_CALL);
    v->sizes = opt->sizes ? opt->sizes : default_sizes;
    v->nsizes = opt->sizes ? opt->nsizes
                           : sizeof default_sizes / sizeof default_sizes[0];
    if (v->nsizes == 0 || v->nsizes > KILN_SCAFFOLD_MAX_SIZES)
        return kiln_error_set(err, KILN_ERR_USAGE, "between 1 and %d sizes are needed",
                              KILN_SCAFFOLD_MAX_SIZES);
    for (size_t i = 0; i < v->nsizes; i++)
        if (v->sizes[i] < 1 || v->sizes[i] > KILN_SCAFFOLD_MAX_SIZE)
            return kiln_error_set(err, KILN_ERR_USAGE, "size %ld is not between 1 and %ld",
                                  v->sizes[i], KILN_SCAFFOLD_MAX_SIZE);
    return KILN_OK;
}

/* Appends the value of placeholder @name@ (name_len bytes). Returns 0, or
 * -1 for a name the templates should not contain. */
static int add_value(kiln_buf *out, const scaffold_values *v, const char *name, size_t name_len)
{
#define IS(lit) (name_len == sizeof(lit) - 1 && memcmp(name, lit, name_len) == 0)
    if (IS("TARGET"))
        return kiln_buf_addstr(out, v->target);
    if (IS("CALL"))
        return kiln_buf_addstr(out, v->call);
    if (IS("MODULE"))
        return kiln_buf_add(out, v->module, v->module_len);
    if (IS("FUNCTION"))
        return kiln_buf_add(out, v->function, v->function_len);
    if (IS("SIZES")) {
        for (size_t i = 0; i < v->nsizes; i++)
            kiln_buf_printf(out, "%s%ld", i ? ", " : "", v->sizes[i]);
        return 0;
    }
    if (IS("PROFILE_SIZE")) {
        long largest = 0;
        for (size_t i = 0; i < v->nsizes; i++)
            if (v->sizes[i] > largest)
                largest = v->sizes[i];
        return kiln_buf_printf(out, "%ld", largest);
    }
    if (IS("INPUT_IMPORT")) {
        if (!v->in_module)
            return 0;
        return kiln_buf_printf(out, "from %.*s import %.*s as build_input  # noqa: E402\n",
                               (int)v->in_module_len, v->in_module,
                               (int)v->in_function_len, v->in_function);
    }
    if (IS("INPUT_EXPR"))
        return kiln_buf_addstr(out, v->in_module ? "build_input(size)" : "list(range(size))");
#undef IS
    return -1;
}

/* Copies the template, replacing every @NAME@ (NAME in [A-Z_]+). Any other
 * '@' (decorators) is copied as is. */
static kiln_status render(const char *template_name, const scaffold_values *v, kiln_buf *out,
                          kiln_error *err)
{
    size_t len = 0;
    const unsigned char *t = ki_template(template_name, &len);
    if (!t)
        return kiln_error_set(err, KILN_ERR_INTERNAL, "template '%s' is not embedded",
                              template_name);
    const char *s = (const char *)t;
    size_t i = 0;
    while (i < len) {
        const char *at = memchr(s + i, '@', len - i);
        size_t upto = at ? (size_t)(at - s) : len;
        kiln_buf_add(out, s + i, upto - i);
        if (!at)
            break;
        size_t j = upto + 1;
        while (j < len && ((s[j] >= 'A' && s[j] <= 'Z') || s[j] == '_'))
            j++;
        if (j > upto + 1 && j < len && s[j] == '@') {
            if (add_value(out, v, s + upto + 1, j - upto - 1) < 0 && !out->failed)
                return kiln_error_set(err, KILN_ERR_INTERNAL,
                                      "template '%s': unknown placeholder '%.*s'",
                                      template_name, (int)(j - upto + 1), s + upto);
            i = j + 1;
        } else {
            kiln_buf_addch(out, '@');
            i = upto + 1;
        }
    }
    if (out->failed)
        return kiln_error_set(err, KILN_ERR_NOMEM, "out of memory rendering '%s'",
                              template_name);
    return KILN_OK;
}

kiln_status kiln_scaffold_python_render(const kiln_scaffold_options *opt,
                                        kiln_buf *benchmark, kiln_buf *profile,
                                        kiln_error *err)
{
    scaffold_values v;
    kiln_status st = check_options(opt, &v, err);
    if (st == KILN_OK && benchmark)
        st = render("scaffold_benchmark.py.in", &v, benchmark, err);
    if (st == KILN_OK && profile)
        st = render("scaffold_profile.py.in", &v, profile, err);
    return st;
}

/* mkdir -p of base/sub (sub relative, '/'-separated, no "..": ours). */
static kiln_status make_dirs(const char *base, const char *sub, kiln_error *err)
{
    kiln_buf path = KILN_BUF_INIT;
    kiln_buf_addstr(&path, base);
    kiln_status st = KILN_OK;
    const char *p = sub;
    while (st == KILN_OK && *p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        kiln_buf_addch(&path, '/');
        kiln_buf_add(&path, p, n);
        if (path.failed)
            st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        else if (mkdir(path.data, 0777) != 0 && errno != EEXIST)
            st = kiln_error_set(err, KILN_ERR_CREATE, "'%s': cannot create directory: %s",
                                path.data, strerror(errno));
        else {
            struct stat sb;
            if (stat(path.data, &sb) != 0 || !S_ISDIR(sb.st_mode))
                st = kiln_error_set(err, KILN_ERR_CREATE, "'%s': not a directory", path.data);
        }
        p += n;
        if (*p == '/')
            p++;
    }
    kiln_buf_release(&path);
    return st;
}

static kiln_status write_file(const char *path, const kiln_buf *content, kiln_error *err)
{
    kiln_outfile of;
    kiln_status st = kiln_outfile_open(&of, path, err);
    if (st != KILN_OK)
        return st;
    /* A failed write is sticky on the sink: commit reports it and cleans up. */
    (void)kiln_sink_write(&of.sink, content->data, content->len);
    return kiln_outfile_commit(&of, err);
}

kiln_status kiln_scaffold_python(const kiln_scaffold_options *opt, kiln_buf *written,
                                 kiln_error *err)
{
    kiln_buf content[2] = {KILN_BUF_INIT, KILN_BUF_INIT};
    kiln_buf path[2] = {KILN_BUF_INIT, KILN_BUF_INIT};
    int existed[2] = {0, 0};
    kiln_status st = kiln_scaffold_python_render(opt, &content[0], &content[1], err);
    if (st != KILN_OK)
        goto out;

    const char *dir = opt->dir ? opt->dir : ".";
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        st = kiln_error_set(err, KILN_ERR_CREATE, "'%s': project directory does not exist", dir);
        goto out;
    }
    /* Without a directory the paths stay relative: "tests/...", not "./tests/...". */
    const char *prefix = opt->dir ? opt->dir : "", *sep = opt->dir ? "/" : "";
    kiln_buf_printf(&path[0], "%s%stests/benchmarks/test_%s_benchmark.py", prefix, sep,
                    opt->target);
    kiln_buf_printf(&path[1], "%s%sscripts/profile_%s.py", prefix, sep, opt->target);
    if (path[0].failed || path[1].failed) {
        st = kiln_error_set(err, KILN_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < 2; i++) {
        existed[i] = lstat(path[i].data, &sb) == 0;
        if (existed[i] && !opt->force) {
            st = kiln_error_set(err, KILN_ERR_CREATE,
                                "'%s': exists (--force overwrites it)", path[i].data);
            goto out;
        }
    }
    if ((st = make_dirs(dir, "tests/benchmarks", err)) != KILN_OK ||
        (st = make_dirs(dir, "scripts", err)) != KILN_OK)
        goto out;
    for (int i = 0; i < 2; i++) {
        st = write_file(path[i].data, &content[i], err);
        if (st != KILN_OK) {
            if (i == 1 && !existed[0])
                unlink(path[0].data);
            goto out;
        }
    }
    if (written)
        for (int i = 0; i < 2; i++)
            kiln_buf_printf(written, "%s\n", path[i].data);
out:
    for (int i = 0; i < 2; i++) {
        kiln_buf_release(&content[i]);
        kiln_buf_release(&path[i]);
    }
    return st;
}
