/* Status codes and the error record. */
#include "kiln/status.h"

#include <stdio.h>
#include <string.h>

const char *kiln_strerror(kiln_status st)
{
    switch (st) {
    case KILN_OK: return "success";
    case KILN_ERR_USAGE: return "invalid argument";
    case KILN_ERR_DATA: return "malformed input";
    case KILN_ERR_LIMIT: return "input exceeds a limit";
    case KILN_ERR_READ: return "cannot read input";
    case KILN_ERR_WRITE: return "cannot write output";
    case KILN_ERR_NOMEM: return "out of memory";
    case KILN_ERR_INTERNAL: return "internal error";
    case KILN_ERR_FORMAT: return "unrecognised input format";
    case KILN_ERR_CREATE: return "cannot create output";
    }
    return "unknown status";
}

void kiln_error_clear(kiln_error *err)
{
    if (!err)
        return;
    err->status = KILN_OK;
    err->offset = KILN_NO_OFFSET;
    err->line = 0;
    err->msg[0] = '\0';
}

kiln_status kiln_error_setv(kiln_error *err, kiln_status st, const char *fmt, va_list ap)
{
    if (!err || err->status != KILN_OK)
        return st;
    err->status = st;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return st;
}

kiln_status kiln_error_set(kiln_error *err, kiln_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_error_setv(err, st, fmt, ap);
    va_end(ap);
    return st;
}
