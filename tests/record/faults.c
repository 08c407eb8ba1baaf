/* The record fault suite's program: each mode does ~0.3 s of CPU work (so
 * the collector has flushed chunks) and then one thing that kills profilers.
 * Its stdout and exit status are compared with and without the collector.
 * Usage: faults MODE [args] */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* faults_more.c: vfork, posix_spawn, clone, dlopen churn, daemonizing */
int faults_more(const char *mode, int argc, char **argv);

static volatile unsigned long sink;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void burn(double sec)
{
    double end = cpu_now() + sec;
    while (cpu_now() < end)
        for (int i = 0; i < 50000; i++)
            sink += (unsigned long)i * 2654435761u;
}

static void *short_thread(void *arg)
{
    (void)arg;
    burn(0.03);
    return NULL;
}

/* descriptors still open on the profile the pre-exec image wrote */
static int profile_fds(void)
{
    const char *out = getenv("KILN_OUTPUT");
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[64], target[PATH_MAX];
        snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
        ssize_t k = readlink(p, target, sizeof target - 1);
        if (k > 0) {
            target[k] = 0;
            if (out && strcmp(target, out) == 0)
                n++;
        }
    }
    if (d)
        closedir(d);
    return n;
}

static volatile sig_atomic_t own_ticks;
static void own_prof(int sig)
{
    (void)sig;
    own_ticks++;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    double t0 = wall_now();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(mode, "spawned") == 0) {
        burn(0.1);
        printf("spawned child %s\n", argc > 2 ? argv[2] : "");
        return 4;
    }
    if (strcmp(mode, "exec-child") == 0) {
        burn(0.2);
        printf("exec child: fds on the parent's profile: %d\n", profile_fds());
        return 5;
    }
    burn(0.3);
    double t_burn = wall_now() - t0;
    printf("mode %s\n", mode);
    if (strcmp(mode, "fork") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            burn(0.2);
            printf("child done\n");
            exit(3);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("parent saw %d\n", WEXITSTATUS(st));
        burn(0.1);
        return 0;
    }
    if (strcmp(mode, "exec") == 0) {
        execl("/proc/self/exe", argv[0], "exec-child", (char *)NULL);
        perror("exec");
        return 1;
    }
    if (strcmp(mode, "exec-fail") == 0) {
        execl("/nonexistent/program", "x", (char *)NULL);
        printf("exec failed: %s\n", strerror(errno));
        burn(0.2);
        return 0;
    }
    if (strcmp(mode, "threads") == 0) {
        for (int wave = 0; wave < 8; wave++) {
            pthread_t t[8];
            for (int i = 0; i < 8; i++)
                pthread_create(&t[i], NULL, short_thread, NULL);
            for (int i = 0; i < 8; i++)
                pthread_join(t[i], NULL);
        }
        printf("64 threads done\n");
        return 0;
    }
    if (strcmp(mode, "segv") == 0)
        *(volatile int *)0 = 1;
    if (strcmp(mode, "exit") == 0)
        _exit(7);
    if (strcmp(mode, "abort") == 0)
        abort();
    if (strcmp(mode, "kill") == 0)
        raise(SIGKILL);
    if (strcmp(mode, "sigprof") == 0) {
        /* the program's own SIGPROF profiler must keep working */
        signal(SIGPROF, own_prof);
        struct itimerval it = {{0, 10000}, {0, 10000}};
        setitimer(ITIMER_PROF, &it, NULL);
        burn(0.3);
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_PROF, &off, NULL);
        printf("own SIGPROF handler ran: %s\n", own_ticks > 5 ? "yes" : "no");
        return 0;
    }
    int more = faults_more(mode, argc, argv);
    if (more >= 0)
        return more;
    if (strcmp(mode, "sleep") == 0) {
        /* wall mode must not cut sleeps short (EINTR) */
        struct timespec ts = {0, 300 * 1000 * 1000};
        int r = nanosleep(&ts, NULL);
        printf("nanosleep returned %d\n", r);
        unsigned left = sleep(1);
        printf("sleep left %u\n", left);
        if (getenv("FAULTS_TIMING")) /* wall seconds: working, in all */
            fprintf(stderr, "timing %.6f %.6f\n", t_burn, wall_now() - t0);
        return 0;
    }
    return 0;
}
