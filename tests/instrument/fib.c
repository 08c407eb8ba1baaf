/* fib(N) called REPS times (default 20 and 40: 875,640 calls of fib). */
#include <stdio.h>
#include <stdlib.h>

long fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 40, n = argc > 2 ? atoi(argv[2]) : 20;
    long s = 0;
    for (int i = 0; i < reps; i++)
        s += fib(n);
    printf("%ld\n", s);
    return 0;
}
