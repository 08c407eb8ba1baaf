/* kiln/symbolize.h: turning raw native addresses into functions, at read time.
 *
 * Collectors (kiln record, the -finstrument-functions runtime) write native
 * frames unresolved: kind KILN_KIND_NATIVE, empty name, no file, no module,
 * and the ABSOLUTE runtime address (return addresses of non-leaf frames
 * already moved back by 1 into the call instruction). The profile's MAPS give
 * every executable mapping (start, end, file offset, path, build-id).
 *
 * Symbolization resolves each such address with elfutils' libdwfl:
 *   - the mapping containing the address names the ELF file; its load bias
 *     comes from the mapping and the file's program headers (PIE binaries and
 *     shared libraries);
 *   - debug info is found in the file itself, by build-id under the debug
 *     directories (/usr/lib/debug/.build-id/xx/yyyy.debug) or by
 *     .gnu_debuglink; never over the network (debuginfod is not used);
 *   - a file whose build-id differs from the recorded one is not trusted (its
 *     debug file by build-id is used instead when present);
 *   - the result is the function (C++ and Rust names demangled by libiberty),
 *     its source file and first line, the module path, and the chain of
 *     inlined functions at that address, expanded into KILN_KIND_INLINED
 *     frames (outermost first);
 *   - addresses in anonymous memory are looked up in the JIT's
 *     /tmp/perf-<pid>.map (pid from the metadata key "pid"); they become
 *     KILN_KIND_JIT frames;
 *   - what cannot be resolved stays visible as "<module basename>+0x<offset>"
 *     (offset relative to the module's load bias, or the file offset when
 *     the file cannot be read) or "[unknown]+0x<address>" outside any mapping.
 *
 * Output frames are function-level, like the other importers' frames: line is
 * the function's first line (DW_AT_decl_line) and address the function's
 * entry, module-relative (0 for inlined frames), so every sample in one
 * function lands in one node. Frames that were already symbolized pass
 * through unchanged. */
#ifndef KILN_SYMBOLIZE_H
#define KILN_SYMBOLIZE_H

#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_symbolize_opts {
    /* Where to look for separate debug files, as elfutils spells it:
     * colon-separated directories, absolute ones also searched by build-id
     * (<dir>/.build-id/xx/yyyy.debug). NULL: ":.debug:/usr/lib/debug". */
    const char *debuginfo_path;
    /* Directory of JIT perf maps (perf-<pid>.map). NULL: "/tmp". */
    const char *perf_map_dir;
    int no_demangle;   /* keep mangled names */
    int no_inline;     /* do not expand inlined frames */
    kiln_warn_fn warn; /* one line per module that cannot be used; may be NULL */
    void *warn_ctx;
} kiln_symbolize_opts;

/* 1 when the profile has at least one unresolved native frame (kind
 * KILN_KIND_NATIVE with an empty name), else 0. */
int kiln_profile_has_unresolved(const kiln_profile *p);

/* Returns a NEW finished profile (free with kiln_profile_free) in which every
 * unresolved native frame is replaced by its symbolized frame chain. The
 * input is borrowed and not changed; it need not be finished. Metadata,
 * sample types, mappings, node values and call counts are carried over (so
 * totals are preserved exactly; nodes that resolve to the same function
 * under the same parent merge and their values add). A "symbolized"
 * metadata key says how many addresses were resolved. opts may be NULL.
 * Profiles whose call graph is given (cProfile) are refused with
 * KILN_ERR_USAGE. NULL on error, with err filled. */
kiln_profile *kiln_profile_symbolize(const kiln_profile *in, const kiln_symbolize_opts *opts,
                                     kiln_error *err);

#ifdef __cplusplus
}
#endif
#endif
