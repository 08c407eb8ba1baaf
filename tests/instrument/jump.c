/* longjmp skipping the exits of instrumented frames: `jump N M`. N rounds of
 * round_trip(): odd rounds longjmp out of deep3 (the exits of deep3, deep2,
 * deep1 never run), even rounds return normally; each round then calls
 * after_jump() from round_trip. Then tail() is called M times from main.
 * Prints the checksum. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

static jmp_buf env;
static volatile long sum;

__attribute__((noinline)) void deep3(int i)
{
    sum += i;
    if (i & 1)
        longjmp(env, 1);
}

__attribute__((noinline)) void deep2(int i)
{
    deep3(i);
    sum += 1;
}

__attribute__((noinline)) void deep1(int i)
{
    deep2(i);
    sum += 1;
}

__attribute__((noinline)) int after_jump(int i)
{
    volatile char big[256];  /* a bigger frame than deep1's */
    big[i & 255] = (char)i;
    return big[i & 255] + 1;
}

__attribute__((noinline)) void round_trip(int i)
{
    if (!setjmp(env))
        deep1(i);
    sum += after_jump(i);
}

__attribute__((noinline)) int tail(int i)
{
    return i * 2;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000, m = argc > 2 ? atoi(argv[2]) : 500;
    for (int i = 0; i < n; i++)
        round_trip(i);
    for (int i = 0; i < m; i++)
        sum += tail(i);
    printf("sum %ld\n", (long)sum);
    return 0;
}
