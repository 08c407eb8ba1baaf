/* Internal: what the report writers (report_md.c, plan_md.c, summary_md.c)
 * share: escaped names and locations, quantities, source excerpts. */
#ifndef KI_REPORT_COMMON_H
#define KI_REPORT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/analysis.h"
#include "kiln/buf.h"
#include "kiln/profile.h"
#include "kiln/report.h"

/* The function's name, escaped for Markdown (table cell or text), cut to
 * max_chars code points (0 = no cut). Returns 1 when it was cut. */
int ki_rep_name(kiln_buf *b, const kiln_profile *p, kiln_func_id f, size_t max_chars);
/* "path:line", "built-in" or "(unknown)", escaped; paths cut to max_chars. */
void ki_rep_location(kiln_buf *b, const kiln_profile *p, kiln_func_id f, size_t max_chars);
/* Escaped arbitrary text (a file name, a target). */
void ki_rep_text(kiln_buf *b, const char *s, size_t max_chars);
/* A quantity in the analysis' unit ("0.111 s"). */
void ki_rep_qty(kiln_buf *b, const kiln_analysis *a, double v);
/* "40.3%" */
void ki_rep_pct(kiln_buf *b, double share);

/* The frame of f (never NULL for a valid f). */
const kiln_frame *ki_rep_frame(const kiln_profile *p, kiln_func_id f);

/* Python version: metadata, else inferred from "pythonX.Y" in file paths
 * (then inferred is set to 1). Returns NULL when unknown; the text is written to
 * out (size n). */
const char *ki_rep_python_version(const kiln_profile *p, char *out, size_t n, int *inferred);

/* Finds the source file for a frame's path (see report.h). Returns a new
 * path (free()) or NULL. */
char *ki_rep_find_source(const char *file, const char *const *roots, size_t nroots);

/* Appends a fenced code block with the function starting at `line` of
 * `path` (to its end for Python, else 30 lines), numbered, hotspot line
 * marked. Returns 0, or -1 when the file cannot be read or the line is out
 * of range. first and last get the quoted line range. */
int ki_rep_excerpt(kiln_buf *b, const char *path, uint32_t line, uint32_t *first, uint32_t *last);

/* Counts code points in s (UTF-8 lead bytes). */
size_t ki_rep_chars(const char *s, size_t len);

#endif
