/* Sleeps the sampling signal cannot cut short.
 *
 * nanosleep, clock_nanosleep, usleep and sleep are never restarted after a
 * signal handler ran, whatever SA_RESTART says: they return early (EINTR, or
 * the time left). The samplers only signal a thread that is running, but a
 * thread can go to sleep between the check and the signal (wall mode reads
 * /proc first; a CPU timer can expire just before the thread blocks). So the
 * sampling signal is blocked for the length of the sleep: a sleeping thread
 * is not running, so no CPU sample is lost, and the wall sampler reads a
 * blocked thread's stack without signalling it. A signal that arrived in
 * between is delivered when the sleep ends. The program's own signals still
 * interrupt its sleeps as before. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"

typedef int (*nanosleep_fn)(const struct timespec *, struct timespec *);
typedef int (*clock_nanosleep_fn)(clockid_t, int, const struct timespec *, struct timespec *);
typedef int (*usleep_fn)(useconds_t);
typedef unsigned (*sleep_fn)(unsigned);

static nanosleep_fn real_nanosleep;
static clock_nanosleep_fn real_clock_nanosleep;
static usleep_fn real_usleep;
static sleep_fn real_sleep;

void kc_sleep_resolve(void)
{
    real_nanosleep = (nanosleep_fn)dlsym(RTLD_NEXT, "nanosleep");
    real_clock_nanosleep = (clock_nanosleep_fn)dlsym(RTLD_NEXT, "clock_nanosleep");
    real_usleep = (usleep_fn)dlsym(RTLD_NEXT, "usleep");
    real_sleep = (sleep_fn)dlsym(RTLD_NEXT, "sleep");
}

/* Blocks the sampling signal; returns 1 when it must be unblocked after. */
static int hold(sigset_t *old)
{
    if (!kc_g.active || kc_g.signo <= 0)
        return 0;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, kc_g.signo);
    return pthread_sigmask(SIG_BLOCK, &s, old) == 0;
}

static void release(int held, const sigset_t *old)
{
    if (held) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, old, NULL);
        errno = e;
    }
}

KC_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!real_nanosleep)
        kc_sleep_resolve();
    if (!real_nanosleep)
        return errno = ENOSYS, -1;
    sigset_t old;
    int held = hold(&old);
    int rc = real_nanosleep(req, rem);
    release(held, &old);
    return rc;
}

KC_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
    if (!real_clock_nanosleep)
        kc_sleep_resolve();
    if (!real_clock_nanosleep)
        return ENOSYS;
    sigset_t old;
    int held = hold(&old);
    int rc = real_clock_nanosleep(clk, flags, req, rem);
    release(held, &old);
    return rc;
}

KC_EXPORT int usleep(useconds_t us)
{
    if (!real_usleep)
        kc_sleep_resolve();
    if (!real_usleep)
        return errno = ENOSYS, -1;
    sigset_t old;
    int held = hold(&old);
    int rc = real_usleep(us);
    release(held, &old);
    return rc;
}

KC_EXPORT unsigned sleep(unsigned s)
{
    if (!real_sleep)
        kc_sleep_resolve();
    if (!real_sleep)
        return s;
    sigset_t old;
    int held = hold(&old);
    unsigned rc = real_sleep(s);
    release(held, &old);
    return rc;
}
