/* Source excerpts for the report: finding the file a frame names (as is,
 * or under --source-root), and quoting the function as a fenced code block
 * that nothing in the file can break out of. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "md_escape.h"
#include "report_common.h"

#define MAX_SOURCE_BYTES (8u << 20)
#define MAX_EXCERPT_LINES 40u
#define MAX_LINE_CHARS 200u

static int source_ext(const char *path)
{
    static const char *const exts[] = {".py", ".pyx", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp",
                                       ".rs", ".go", ".java", ".js", ".ts", ".rb", NULL};
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return 0;
    for (const char *const *e = exts; *e; e++)
        if (strcmp(dot, *e) == 0)
            return 1;
    return 0;
}

static int usable(const char *path)
{
    struct stat st;
    return source_ext(path) && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           (uint64_t)st.st_size <= MAX_SOURCE_BYTES;
}

static char *join(const char *dir, const char *rest)
{
    size_t n = strlen(dir), m = strlen(rest);
    char *s = malloc(n + m + 2);
    if (!s)
        return NULL;
    memcpy(s, dir, n);
    size_t k = n;
    if (k && s[k - 1] != '/')
        s[k++] = '/';
    while (*rest == '/')
        rest++, m--;
    memcpy(s + k, rest, m + 1);
    return s;
}

char *ki_rep_find_source(const char *file, const char *const *roots, size_t nroots)
{
    if (!file || !*file || strcmp(file, "~") == 0)
        return NULL;
    if (usable(file))
        return strdup(file);
    for (size_t r = 0; r < nroots; r++) {
        const char *root = roots[r];
        const char *eq = strchr(root, '=');
        if (eq) {   /* OLD=NEW prefix mapping */
            size_t olen = (size_t)(eq - root);
            if (olen && strncmp(file, root, olen) == 0) {
                char *s = join(eq + 1, file + olen);
                if (s && usable(s))
                    return s;
                free(s);
            }
            continue;
        }
        /* trailing components, longest first */
        for (const char *tail = file; tail; tail = strchr(tail + 1, '/')) {
            const char *t = tail;
            while (*t == '/')
                t++;
            if (!*t)
                break;
            char *s = join(root, t);
            if (s && usable(s))
                return s;
            free(s);
        }
    }
    return NULL;
}

typedef struct {
    const char *s;
    size_t len;
} span;

static size_t indent_of(span l)
{
    size_t i = 0;
    while (i < l.len && (l.s[i] == ' ' || l.s[i] == '\t'))
        i++;
    return i;
}

static int blank(span l)
{
    return indent_of(l) == l.len || (indent_of(l) + 1 == l.len && l.s[l.len - 1] == '\r');
}

/* One line, sanitised: control bytes and invalid UTF-8 become U+FFFD, tabs
 * stay, long lines are cut. */
static void put_line(kiln_buf *b, span l)
{
    const unsigned char *u = (const unsigned char *)l.s;
    size_t i = 0, chars = 0;
    if (l.len && l.s[l.len - 1] == '\r')
        l.len--;
    while (i < l.len) {
        unsigned cp;
        size_t k = ki_md_utf8_decode(u + i, l.len - i, &cp);
        if (++chars > MAX_LINE_CHARS) {
            kiln_buf_addstr(b, " \xE2\x80\xA6");
            break;
        }
        if ((cp < 0x20 && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0xFFFD)
            kiln_buf_addstr(b, "\xEF\xBF\xBD");
        else
            kiln_buf_add(b, l.s + i, k);
        i += k;
    }
    kiln_buf_addch(b, '\n');
}

int ki_rep_excerpt(kiln_buf *b, const char *path, uint32_t line, uint32_t *first, uint32_t *last)
{
    if (!path || line == 0)
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    kiln_buf text = KILN_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len <= MAX_SOURCE_BYTES)
        kiln_buf_add(&text, chunk, n);
    fclose(f);
    if (text.failed || text.len > MAX_SOURCE_BYTES) {
        kiln_buf_release(&text);
        return -1;
    }
    /* locate the line */
    span *lines = NULL;
    size_t nl = 0, cap = 0;
    int python = strlen(path) > 3 && strcmp(path + strlen(path) - 3, ".py") == 0;
    const char *s = text.data ? text.data : "";
    size_t pos = 0, lineno = 0;
    while (pos < text.len) {
        const char *nlp = memchr(s + pos, '\n', text.len - pos);
        size_t end = nlp ? (size_t)(nlp - s) : text.len;
        lineno++;
        if (lineno >= line && nl < MAX_EXCERPT_LINES + 1) {
            if (nl == cap) {
                cap = cap ? cap * 2 : 64;
                span *nls = realloc(lines, cap * sizeof *nls);
                if (!nls)
                    break;
                lines = nls;
            }
            lines[nl++] = (span){s + pos, end - pos};
        }
        if (nl > MAX_EXCERPT_LINES)
            break;
        pos = end + 1;
    }
    if (nl == 0) {
        free(lines);
        kiln_buf_release(&text);
        return -1;
    }
    /* Python: the def line and everything indented deeper (decorators and
     * trailing blank lines dropped). Other languages: 30 lines. */
    size_t keep = nl < 30 ? nl : 30;
    if (python) {
        size_t base = indent_of(lines[0]);
        keep = 1;
        for (size_t i = 1; i < nl; i++) {
            if (!blank(lines[i]) && indent_of(lines[i]) <= base)
                break;
            keep = i + 1;
        }
        while (keep > 1 && blank(lines[keep - 1]))
            keep--;
    }
    int cut = keep == MAX_EXCERPT_LINES + 1 || (keep == nl && nl > MAX_EXCERPT_LINES);
    if (keep > MAX_EXCERPT_LINES)
        keep = MAX_EXCERPT_LINES;
    /* the fence must be longer than any backtick run inside */
    size_t longest = 0;
    for (size_t i = 0; i < keep; i++) {
        size_t run = 0;
        for (size_t j = 0; j < lines[i].len; j++) {
            run = lines[i].s[j] == '`' ? run + 1 : 0;
            if (run > longest)
                longest = run;
        }
    }
    size_t fence = longest >= 3 ? longest + 1 : 3;
    for (size_t i = 0; i < fence; i++)
        kiln_buf_addch(b, '`');
    kiln_buf_addstr(b, python ? "python\n" : "\n");
    for (size_t i = 0; i < keep; i++) {
        kiln_buf_printf(b, "%5zu  ", (size_t)line + i);
        put_line(b, lines[i]);
    }
    if (cut)
        kiln_buf_addstr(b, "      ... (excerpt cut)\n");
    for (size_t i = 0; i < fence; i++)
        kiln_buf_addch(b, '`');
    kiln_buf_addch(b, '\n');
    *first = line;
    *last = line + (uint32_t)keep - 1;
    free(lines);
    kiln_buf_release(&text);
    return b->failed ? -1 : 0;
}
