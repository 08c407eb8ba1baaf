/* A workload with known shares of CPU time: every round, burn_a spends 60%,
 * burn_b 30% and main's own loop 10% of the round's thread CPU time, measured
 * with CLOCK_THREAD_CPUTIME_ID. Usage: burn THREADS ROUNDS ROUND_MS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* spin until this thread has used `sec` more CPU seconds */
#define SPIN(sec)                                                  \
    do {                                                           \
        double end_ = cpu_now() + (sec);                           \
        while (cpu_now() < end_)                                   \
            for (int i_ = 0; i_ < 50000; i_++)                      \
                sink += (unsigned long)i_ * 2654435761u;           \
    } while (0)

__attribute__((noinline)) void burn_a(double sec) { SPIN(sec); }
__attribute__((noinline)) void burn_b(double sec) { SPIN(sec); }

static int rounds;
static double round_s;

__attribute__((noinline)) void *worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < rounds; r++) {
        burn_a(round_s * 0.6);
        burn_b(round_s * 0.3);
        SPIN(round_s * 0.1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    rounds = argc > 2 ? atoi(argv[2]) : 10;
    round_s = (argc > 3 ? atof(argv[3]) : 100) / 1000.0;
    if (threads <= 1) {
        worker(NULL);
    } else {
        pthread_t t[64];
        for (int i = 0; i < threads && i < 64; i++)
            pthread_create(&t[i], NULL, worker, NULL);
        for (int i = 0; i < threads && i < 64; i++)
            pthread_join(t[i], NULL);
    }
    printf("done %d\n", threads);
    return 0;
}
