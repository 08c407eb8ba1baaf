/* exec in the preloaded collectors: write a snapshot first (exec ends the
 * process image without atexit), and make sure the new image, if it loads
 * a collector too, does not take the first process's file: an explicit
 * environment that carries KILN_OUTPUT gets KILN_ROOT_PID added.
 * (execl* and execvp* reach the kernel through glibc-internal calls, so they
 * are wrapped here too; posix_spawn is not: the periodic snapshot covers
 * it.) _exit and _Exit write the last snapshot too. In a vfork child
 * kc_rt_flush does nothing (pid check). */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc_rt.h"

#define EXPORT __attribute__((visibility("default"), no_instrument_function))

extern char **environ;

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execvpe_fn)(const char *, char *const[], char *const[]);

KC_NOINST static char **claimed_env(char *const envp[], char ***to_free)
{
    *to_free = NULL;
    if (!envp)
        return NULL;
    size_t n = 0;
    int has_output = 0;
    for (; envp[n]; n++) {
        if (!strncmp(envp[n], "KILN_ROOT_PID=", 14))
            return (char **)envp;
        if (!strncmp(envp[n], "KILN_OUTPUT=", 12))
            has_output = 1;
    }
    if (!has_output)
        return (char **)envp;
    char **e = malloc((n + 2) * sizeof *e);
    if (!e)
        return (char **)envp;
    memcpy(e, envp, n * sizeof *e);
    e[n] = "KILN_ROOT_PID=1";
    e[n + 1] = NULL;
    *to_free = e;
    return e;
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    static execve_fn real;
    if (!real)
        real = (execve_fn)dlsym(RTLD_NEXT, "execve");
    kc_rt_flush();
    char **fr;
    char **e = claimed_env(envp, &fr);
    int rc = real(path, argv, e);
    free(fr);
    return rc;
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    static execvpe_fn real;
    if (!real)
        real = (execvpe_fn)dlsym(RTLD_NEXT, "execvpe");
    kc_rt_flush();
    char **fr;
    char **e = claimed_env(envp, &fr);
    int rc = real(file, argv, e);
    free(fr);
    return rc;
}

EXPORT int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

EXPORT int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

/* execl, execlp, execle: collect the variadic arguments into an argv. */
KC_NOINST static char **collect(const char *arg0, va_list ap, char ***envp_out)
{
    size_t cap = 16, n = 0;
    char **v = malloc(cap * sizeof *v);
    if (!v)
        return NULL;
    v[n++] = (char *)arg0;
    for (const char *a = arg0; a;) {
        a = va_arg(ap, const char *);
        if (n == cap) {
            char **nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv) {
                free(v);
                return NULL;
            }
            v = nv;
        }
        v[n++] = (char *)a;
    }
    if (envp_out)
        *envp_out = va_arg(ap, char **);
    return v;
}

EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    char **v = collect(arg, ap, NULL);
    va_end(ap);
    if (!v)
        return -1;
    int rc = execve(path, v, environ);
    free(v);
    return rc;
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    char **v = collect(arg, ap, NULL);
    va_end(ap);
    if (!v)
        return -1;
    int rc = execvpe(file, v, environ);
    free(v);
    return rc;
}

EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    char **envp = NULL;
    char **v = collect(arg, ap, &envp);
    va_end(ap);
    if (!v)
        return -1;
    int rc = execve(path, v, envp);
    free(v);
    return rc;
}

typedef void (*exit_fn)(int) __attribute__((noreturn));

EXPORT void _exit(int status)
{
    static exit_fn real;
    if (!real)
        real = (exit_fn)dlsym(RTLD_NEXT, "_exit");
    kc_rt_flush();
    real(status);
}

EXPORT void _Exit(int status)
{
    _exit(status);
}
