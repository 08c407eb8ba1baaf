/* render/callgraph_png.h: a fast PNG writer for cairo RGB24 image surfaces. */
#ifndef KI_CALLGRAPH_PNG_H
#define KI_CALLGRAPH_PNG_H

#include <cairo.h>

#include "kiln/io.h"
#include "kiln/status.h"

/* Writes img (CAIRO_FORMAT_RGB24, borrowed) as an 8-bit RGB PNG to out. */
kiln_status ki_png_write_rgb24(cairo_surface_t *img, kiln_sink *out, kiln_error *err);

#endif
