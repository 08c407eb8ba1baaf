#include "templates.h"

#include <string.h>

const unsigned char *ki_template(const char *name, size_t *len)
{
    for (const struct ki_template_entry *e = ki_template_table; e->name; e++) {
        if (strcmp(e->name, name) == 0) {
            if (len)
                *len = e->len;
            return e->data;
        }
    }
    return NULL;
}
