/* cmd/report_meta.h: what `kiln report` records about its inputs and the
 * machine: file size and SHA-256, host name, CPU model, the git commit of
 * the work tree an input lives in. */
#ifndef KILN_CMD_REPORT_META_H
#define KILN_CMD_REPORT_META_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 of a file as 64 hex digits in out[65]; size in *size. Returns 0,
 * or -1 when the file cannot be read ("-" is not hashed). */
int rep_file_sha256(const char *path, char out[65], uint64_t *size);
/* SHA-256 of memory (FIPS 180-4). */
void rep_sha256(const void *data, size_t len, unsigned char digest[32]);

/* Host name (uname nodename) into out. */
void rep_host(char *out, size_t n);
/* CPU model from /proc/cpuinfo ("model name" or "Hardware"), "" if unknown. */
void rep_cpu(char *out, size_t n);

/* The commit checked out in the git work tree containing path (a file or
 * directory), read from .git/HEAD and refs without running git. Returns 1
 * with the hex commit in out; 0 with a reason in why ("not in a git work
 * tree", "no commit yet"). */
int rep_git_commit(const char *path, char *out, size_t n, char *why, size_t wn);

#endif
