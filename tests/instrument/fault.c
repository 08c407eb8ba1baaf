/* The collector fault programs: `fault MODE [K]`. Every mode runs work(K)
 * (K calls of leaf, K mallocs of 64 bytes freed at once) and then:
 *   normal   returns 0            fork    forks; both run work again
 *   exec     execs /bin/echo      threads K threads (default 8) run work
 *   segv     null write           exit    _exit(3)
 *   abort    abort()              kill    SIGKILL to itself after 0.3 s */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) int leaf(int i)
{
    return i * 3 + 1;
}

__attribute__((noinline)) int work(int k)
{
    int s = 0;
    for (int i = 0; i < k; i++) {
        s += leaf(i);
        char *volatile p = malloc(64);
        p[0] = (char)i;
        free(p);
    }
    return s;
}

static void *thread_main(void *arg)
{
    (void)arg;
    work(1000);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "normal";
    int k = argc > 2 ? atoi(argv[2]) : 1000;
    int s = work(k);
    printf("work %d\n", s);
    fflush(stdout);
    if (!strcmp(mode, "fork")) {
        pid_t pid = fork();
        s = work(k);
        if (pid == 0) {
            printf("child %d\n", s);
            return 0;
        }
        int st;
        waitpid(pid, &st, 0);
        printf("parent %d child status %d\n", s, WEXITSTATUS(st));
    } else if (!strcmp(mode, "exec")) {
        execl("/bin/echo", "echo", "exec-ok", (char *)NULL);
        return 9;
    } else if (!strcmp(mode, "threads")) {
        int n = argc > 3 ? atoi(argv[3]) : 8;
        pthread_t th[256];
        for (int i = 0; i < n && i < 256; i++)
            pthread_create(&th[i], NULL, thread_main, NULL);
        for (int i = 0; i < n && i < 256; i++)
            pthread_join(th[i], NULL);
        printf("threads %d\n", n);
    } else if (!strcmp(mode, "segv")) {
        *(volatile int *)(uintptr_t)8 = 1;
    } else if (!strcmp(mode, "exit")) {
        _exit(3);
    } else if (!strcmp(mode, "abort")) {
        abort();
    } else if (!strcmp(mode, "kill")) {
        struct timespec ts = {0, 300000000};
        nanosleep(&ts, NULL);
        kill(getpid(), SIGKILL);
    }
    return 0;
}
