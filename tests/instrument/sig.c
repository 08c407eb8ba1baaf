/* Signals whose handler calls instrumented functions, arriving while the
 * main thread is almost always inside a hook: `sig N`. The main thread
 * calls tick() N times; a second thread sends SIGUSR1 to it until it is
 * done. The handler (on_signal, instrumented) calls in_handler(). Prints
 * the number of ticks and of signals handled. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int done;
static volatile long handled, ticks;
static pthread_t main_thread;

__attribute__((noinline)) int in_handler(int x)
{
    return x + 1;
}

void on_signal(int sig)
{
    handled = in_handler((int)handled);
    (void)sig;
}

__attribute__((noinline)) void tick(void)
{
    ticks++;
}

__attribute__((no_instrument_function)) static void *sender(void *arg)
{
    (void)arg;
    while (!done) {
        pthread_kill(main_thread, SIGUSR1);
        usleep(20);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 3000000;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    main_thread = pthread_self();
    pthread_t th;
    pthread_create(&th, NULL, sender, NULL);
    for (long i = 0; i < n; i++)
        tick();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);  /* handled is final from here */
    done = 1;
    pthread_join(th, NULL);
    printf("ticks %ld handled %ld\n", (long)ticks, (long)handled);
    return 0;
}
