/* Internal: the importer interface. Each format has one file defining
 *   int ki_sniff_<fmt>(const unsigned char *head, size_t len);  bid 0..100
 *   kiln_status ki_import_<fmt>(ki_reader *r, const kiln_import_opts *opts,
 *                               kiln_profile *p, kiln_error *err);
 * An importer fills an empty profile (not finished) and reports errors with
 * the location first ("offset N (0xN): ...", "line N: ..."). import.c picks
 * the highest bid, runs the importer and finishes the profile. */
#ifndef KI_IMPORT_INTERNAL_H
#define KI_IMPORT_INTERNAL_H

#include "kiln/import.h"
#include "reader.h"

typedef int (*ki_sniff_fn)(const unsigned char *head, size_t len);
typedef kiln_status (*ki_import_fn)(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p,
                                    kiln_error *err);

#define KI_IMPORTER(fmt)                                                                   \
    int ki_sniff_##fmt(const unsigned char *head, size_t len);                             \
    kiln_status ki_import_##fmt(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p, \
                                kiln_error *err);
KI_IMPORTER(kiln)
KI_IMPORTER(prof)
KI_IMPORTER(perf)
KI_IMPORTER(folded)
KI_IMPORTER(pprof)
KI_IMPORTER(speedscope)
#undef KI_IMPORTER

/* Report a warning through the options' handler (printf-style). */
void ki_warn(const kiln_import_opts *opts, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
