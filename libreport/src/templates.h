/* Embedded templates (templates/ at build time, see cmake/embed.cmake). */
#ifndef KI_TEMPLATES_H
#define KI_TEMPLATES_H
#include <stddef.h>

struct ki_template_entry { const char *name; const unsigned char *data; size_t len; };
extern const struct ki_template_entry ki_template_table[];

/* The bytes of templates/<name> (NUL-terminated), or NULL. */
const unsigned char *ki_template(const char *name, size_t *len);
#endif
