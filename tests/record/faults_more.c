/* More of the record fault suite (faults.c calls faults_more for these
 * modes): processes made without fork() (vfork, posix_spawn, raw clone),
 * threads made without pthread_create, dlopen/dlclose churn while another
 * thread is sampled, and a program that daemonizes itself (closes every
 * descriptor, dup2s over 0-2, chdir("/"), setsid). Everything the program
 * checks about itself goes to its own output, which the tests compare with
 * a run without the collector.
 *
 * Built a second time with -DCHURN_LIB -shared as the library the churn mode
 * loads and unloads. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long more_sink;

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Burns sec of this thread's CPU time. Touches no TLS (errno, stdio), so a
 * raw clone() thread sharing its creator's TLS can run it. */
__attribute__((noinline)) static void burn_more(double sec)
{
    double end = thread_cpu() + sec;
    while (thread_cpu() < end)
        for (int i = 0; i < 50000; i++)
            more_sink += (unsigned long)i * 2654435761u;
}

#ifdef CHURN_LIB
/* the dlopen'ed library: a little work, so samples land inside it */
__attribute__((visibility("default"))) unsigned long churn_work(int n)
{
    unsigned long s = 0;
    for (int i = 0; i < n; i++)
        s += (unsigned long)i * 2654435761u;
    return s;
}
#else

extern char **environ;

static void put(const char *s)
{
    ssize_t k = write(1, s, strlen(s));
    (void)k;
}

static int child_status(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* what the parent can see of its own state, compared before and after */
typedef struct snapshot {
    unsigned long canary[64];
    sigset_t mask;
    void *prof, *segv, *chld;
    char cwd[256];
    int home_set;
} snapshot;

static void take(snapshot *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 64; i++)
        s->canary[i] = (unsigned long)i * 0x9E3779B97F4A7C15ul;
    sigprocmask(SIG_SETMASK, NULL, &s->mask);
    struct sigaction a;
    sigaction(SIGPROF, NULL, &a);
    s->prof = (void *)a.sa_handler;
    sigaction(SIGSEGV, NULL, &a);
    s->segv = (void *)a.sa_handler;
    sigaction(SIGCHLD, NULL, &a);
    s->chld = (void *)a.sa_handler;
    if (!getcwd(s->cwd, sizeof s->cwd))
        s->cwd[0] = 0;
    s->home_set = getenv("FAULTS_MARK") != NULL;
}

static void intact(const snapshot *before, const char *what)
{
    snapshot now;
    take(&now);
    int same = memcmp(before->canary, now.canary, sizeof now.canary) == 0 &&
               memcmp(&before->mask, &now.mask, sizeof now.mask) == 0 && before->prof == now.prof &&
               before->segv == now.segv && before->chld == now.chld &&
               strcmp(before->cwd, now.cwd) == 0 && before->home_set == now.home_set;
    printf("%s: parent intact: %s\n", what, same ? "yes" : "NO");
}

/* ---- vfork ---------------------------------------------------------------- */
static int mode_vfork(char **argv)
{
    snapshot s;
    take(&s);
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/nonexistent/program", "x", (char *)NULL);
        _exit(127); /* the only things a vfork child may do */
    }
    printf("vfork + failed exec: child status %d\n", child_status(pid));
    pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "spawned", "vfork", (char *)NULL);
        _exit(127);
    }
    printf("vfork + exec: child status %d\n", child_status(pid));
    intact(&s, "vfork");
    burn_more(0.2);
    return 0;
}

/* ---- posix_spawn (glibc: clone(CLONE_VM | CLONE_VFORK), no atfork) -------- */
static _Atomic int spinning;
static void *spin_thread(void *arg)
{
    (void)arg;
    while (atomic_load(&spinning))
        burn_more(0.01);
    return NULL;
}

static int mode_spawn(char **argv)
{
    snapshot s;
    take(&s);
    /* a sampled thread keeps running while the spawning thread is suspended */
    pthread_t th;
    atomic_store(&spinning, 1);
    pthread_create(&th, NULL, spin_thread, NULL);
    pid_t pid;
    char *args[] = {argv[0], "spawned", "posix_spawn", NULL};
    int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ);
    printf("posix_spawn rc %d, child status %d\n", rc, rc ? -1 : child_status(pid));
    char *sh[] = {"sh", "-c", "exit 3", NULL};
    rc = posix_spawnp(&pid, "sh", NULL, NULL, sh, environ);
    printf("posix_spawnp sh rc %d, child status %d\n", rc, rc ? -1 : child_status(pid));
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        char *t[] = {"true", NULL};
        if (posix_spawnp(&pid, "true", NULL, NULL, t, environ) == 0 && child_status(pid) == 0)
            ok++;
    }
    printf("10 x posix_spawnp true: %d ok\n", ok);
    fflush(stdout);
    rc = system("echo from system; exit 2");
    printf("system: status %d\n", WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
    atomic_store(&spinning, 0);
    pthread_join(th, NULL);
    intact(&s, "posix_spawn");
    burn_more(0.2);
    return 0;
}

/* ---- clone() without CLONE_THREAD ----------------------------------------- */
static volatile int clone_flag;
static char **clone_argv;

static int private_child(void *arg)
{
    (void)arg;
    clone_flag = 1; /* its own copy */
    burn_more(0.1);
    put("clone child (own memory) done\n");
    return 6;
}

static int shared_child(void *arg)
{
    (void)arg;
    clone_flag = 2; /* the parent's memory */
    burn_more(0.1);
    put("clone child (CLONE_VM) done\n");
    return 0;
}

static int exec_child(void *arg)
{
    (void)arg;
    char *args[] = {clone_argv[0], "spawned", "clone-vfork", NULL};
    execve("/proc/self/exe", args, environ);
    return 127;
}

static int mode_clone(char **argv)
{
    snapshot s;
    take(&s);
    clone_argv = argv;
    size_t size = 256 * 1024;
    char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return 99;
    pid_t pid = clone(private_child, stack + size, SIGCHLD, NULL);
    int st = child_status(pid);
    printf("clone: child status %d, flag %d\n", st, clone_flag);
    pid = clone(shared_child, stack + size, CLONE_VM | SIGCHLD, NULL);
    st = child_status(pid);
    printf("clone CLONE_VM: child status %d, flag %d\n", st, clone_flag);
    pid = clone(exec_child, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    printf("clone CLONE_VM|CLONE_VFORK + exec: child status %d\n", child_status(pid));
    munmap(stack, size);
    clone_flag = 0;
    intact(&s, "clone");
    burn_more(0.2);
    return 0;
}

/* ---- a thread made with clone(CLONE_THREAD), no pthread ------------------- */
static _Atomic pid_t raw_tid = 1;
static volatile double raw_cpu;

static int raw_thread(void *arg)
{
    (void)arg;
    double t0 = thread_cpu();
    burn_more(0.4);
    raw_cpu = thread_cpu() - t0;
    return 0; /* glibc's clone() then calls exit (the thread only) */
}

static int mode_rawthread(void)
{
    size_t size = 256 * 1024;
    char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return 99;
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    pid_t tid = clone(raw_thread, stack + size, flags, NULL, &raw_tid, NULL, &raw_tid);
    if (tid < 0) {
        printf("clone failed: %s\n", strerror(errno));
        return 1;
    }
    burn_more(0.2); /* the main thread works meanwhile */
    pid_t v;
    while ((v = atomic_load(&raw_tid)) != 0)
        syscall(SYS_futex, &raw_tid, FUTEX_WAIT, v, NULL, NULL, 0);
    printf("raw thread done: burned %s\n", raw_cpu >= 0.39 ? "0.4 s" : "less");
    munmap(stack, size);
    return 0;
}

/* ---- dlopen/dlclose churn in one thread, sampling in another -------------- */
static _Atomic int churn_done;
static const char *churn_lib;
static int churn_rounds, churn_ok;

static void *churn_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < churn_rounds; i++) {
        void *h = dlopen(churn_lib, RTLD_NOW | RTLD_LOCAL);
        if (!h)
            break;
        unsigned long (*work)(int) = (unsigned long (*)(int))dlsym(h, "churn_work");
        if (work && work(20000) == work(20000))
            churn_ok++;
        dlclose(h);
    }
    atomic_store(&churn_done, 1);
    return NULL;
}

static long vm_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static int mode_dlchurn(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    churn_lib = argv[2];
    churn_rounds = atoi(argv[3]);
    pthread_t th;
    pthread_create(&th, NULL, churn_thread, NULL);
    while (!atomic_load(&churn_done))
        burn_more(0.01); /* the sampled thread */
    pthread_join(th, NULL);
    printf("churn: %d of %d rounds ok\n", churn_ok, churn_rounds);
    if (getenv("FAULTS_RSS"))
        fprintf(stderr, "hwm_kb %ld\n", vm_hwm_kb());
    return 0;
}

/* ---- a daemon ---------------------------------------------------------------- */
static void *late_thread(void *arg)
{
    burn_more(0.05);
    int fd = open((const char *)arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    /* the lowest free descriptor, as without the collector */
    dprintf(fd, "late thread got fd %d\n", fd);
    close(fd);
    return NULL;
}

static int mode_daemon(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    const char *dir = argv[2];
    char path[4096];
    if (chdir("/") != 0)
        return 3;
    setsid(); /* fails when already a group leader: either way the same */
    for (int fd = 0; fd < 1024; fd++)
        close(fd);
    snprintf(path, sizeof path, "%s/daemon.out", dir);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644); /* 0 */
    dup2(out, 1);
    dup2(out, 2);
    int extra[8];
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof path, "%s/daemon.%d", dir, i);
        extra[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    printf("daemon: stdin fd %d, extra fds %d..%d\n", out, extra[0], extra[7]);
    void *self = dlopen(NULL, RTLD_NOW); /* the collector asks for a maps refresh */
    for (int i = 0; i < 8; i++) {
        burn_more(0.05);
        printf("tick %d\n", i);
        fflush(stdout);
        dprintf(extra[i], "file %d written at fd %d\n", i, extra[i]);
    }
    if (self)
        dlclose(self);
    closefrom(3);
    snprintf(path, sizeof path, "%s/daemon.late", dir);
    pthread_t th;
    pthread_create(&th, NULL, late_thread, path);
    burn_more(0.2); /* sampled after everything was closed */
    pthread_join(th, NULL);
    snprintf(path, sizeof path, "%s/daemon.last", dir);
    int last = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dprintf(last, "last fd %d\n", last);
    burn_more(0.2);
    fprintf(stderr, "daemon done\n");
    return 0;
}

int faults_more(const char *mode, int argc, char **argv)
{
    if (strcmp(mode, "vfork") == 0)
        return mode_vfork(argv);
    if (strcmp(mode, "spawn") == 0)
        return mode_spawn(argv);
    if (strcmp(mode, "clone") == 0)
        return mode_clone(argv);
    if (strcmp(mode, "rawthread") == 0)
        return mode_rawthread();
    if (strcmp(mode, "dlchurn") == 0)
        return mode_dlchurn(argc, argv);
    if (strcmp(mode, "daemon") == 0)
        return mode_daemon(argc, argv);
    return -1;
}
#endif
