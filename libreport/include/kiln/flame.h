/* kiln/flame.h: flame graphs.
 *
 * Interactive: one self-contained HTML file (no network, data embedded as a
 * zlib-deflated binary table in a non-executable JSON block, all script and
 * style inline and pinned by a hash-based Content-Security-Policy). The page
 * draws on a canvas, so it stays fast with millions of frames; nothing is
 * pruned from the data, narrow frames are merged only when drawn.
 *
 * Static: PNG or SVG (cairo + pango) for pull requests and tickets, with a
 * title line, readable labels, and a cap on the number of levels drawn so
 * that deep profiles still show their widest part (the cut is noted).
 *
 * Function names are untrusted: every renderer keeps them inert (HTML, JS,
 * SVG/XML, Pango). */
#ifndef KILN_FLAME_H
#define KILN_FLAME_H

#include "kiln/io.h"
#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_flame_opts {
    const char *title;      /* page/image title; NULL = "Flame graph" */
    const char *subtitle;   /* a second line (e.g. the command); may be NULL */
    int sample_type;        /* which value to draw; -1 = the first one (0) */
    int inverted;           /* start as icicle (root at top) instead of flame */
    int widest_first;       /* start with widest-first ordering, not alphabetical */
    /* Static output only. */
    int width;              /* pixels; 0 = 1200 */
    int max_levels;         /* levels drawn at most; 0 = 64 */
    double min_width_px;    /* frames narrower than this are merged; 0 = 0.5 */
    const char *base_label; /* diff: names of the two sides; NULL = file-less defaults */
    const char *new_label;
} kiln_flame_opts;

/* Fills *o with the defaults above (all zero/NULL, sample_type -1). */
void kiln_flame_opts_init(kiln_flame_opts *o);

/* Writes the interactive HTML flame graph of p (finished; borrowed for the
 * call) to out. Returns KILN_OK, or KILN_ERR_WRITE when the sink failed,
 * KILN_ERR_NOMEM, KILN_ERR_USAGE for a bad sample type, KILN_ERR_INTERNAL
 * when a template is missing from the build. */
kiln_status kiln_render_flame_html(const kiln_profile *p, const kiln_flame_opts *o, kiln_sink *out,
                                   kiln_error *err);

/* Differential HTML: the union of both trees, coloured by the change of
 * each frame's share of the total from base to cur (red = larger share in
 * cur, blue = smaller), with a toggle between the base, new and union
 * widths. Frames are matched by (name, file, module). Both profiles are
 * borrowed. The sample type is looked up by name in base when the two
 * differ in order. */
kiln_status kiln_render_flame_diff_html(const kiln_profile *base, const kiln_profile *cur,
                                        const kiln_flame_opts *o, kiln_sink *out, kiln_error *err);

/* Sums several profiles into one (kiln flame IN...): a new finished
 * profile (free with kiln_profile_free) whose tree is the union of the
 * inputs' trees, frames matched by (name, file, module), with one sample
 * type: the one named like ps[0]'s type `type` in each input (or type 0
 * when an input has no such name). Inputs are borrowed. */
kiln_status kiln_flame_merge(const kiln_profile *const *ps, size_t n, int type, kiln_profile **out,
                             kiln_error *err);

/* Static flame graph (root at bottom unless o->inverted) as PNG or SVG.
 * Height stays below cairo's 32,767 px limit: at most o->max_levels levels,
 * and a note under the title says how many levels were cut. */
kiln_status kiln_render_flame_png(const kiln_profile *p, const kiln_flame_opts *o, kiln_sink *out,
                                  kiln_error *err);
kiln_status kiln_render_flame_svg(const kiln_profile *p, const kiln_flame_opts *o, kiln_sink *out,
                                  kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
