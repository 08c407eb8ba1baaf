/* 10^6-deep recursion in a thread with a 1 GiB stack: `deep [DEPTH]`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long down(long n)
{
    return n == 0 ? 0 : 1 + down(n - 1) * 1;
}

static void *run(void *arg)
{
    return (void *)down((long)arg);
}

int main(int argc, char **argv)
{
    long depth = argc > 1 ? atol(argv[1]) : 1000000;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, (size_t)1 << 30);
    pthread_t th;
    void *r = NULL;
    if (pthread_create(&th, &a, run, (void *)(depth - 1)) != 0)
        return 2;
    pthread_join(th, &r);
    printf("depth %ld\n", (long)r + 1);
    return 0;
}
