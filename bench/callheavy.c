/* bench_record's call-heavy workload: recursive fib plus an open-addressing
 * hash table driven through small functions, then qsort with a comparator
 * (calls into libc without frame pointers). Usage: callheavy SCALE */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static unsigned long *table;
static const unsigned long mask = (1u << 20) - 1;
__attribute__((noinline)) static unsigned long hash(unsigned long k) { return (k * 0x9E3779B97F4A7C15ull) >> 40; }
__attribute__((noinline)) static void insert(unsigned long k)
{
    unsigned long i = hash(k) & mask;
    while (table[i] && table[i] != k)
        i = (i + 1) & mask;
    table[i] = k;
}
__attribute__((noinline)) static int find(unsigned long k)
{
    unsigned long i = hash(k) & mask;
    while (table[i]) {
        if (table[i] == k)
            return 1;
        i = (i + 1) & mask;
    }
    return 0;
}
static int cmp(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    table = calloc(mask + 1, sizeof *table);
    unsigned long found = 0, f = 0;
    for (int s = 0; s < scale; s++) {
        f += fib(27);
        for (unsigned long k = 1; k < 400000; k++)
            insert(k * 7919 + (unsigned long)s);
        for (unsigned long k = 1; k < 400000; k++)
            found += find(k * 31);
        unsigned long *v = malloc(300000 * sizeof *v);
        for (int i = 0; i < 300000; i++)
            v[i] = hash((unsigned long)i * 77 + (unsigned long)s);
        qsort(v, 300000, sizeof *v, cmp);
        found += v[0] & 1;
        free(v);
        for (unsigned long i = 0; i <= mask; i++)
            table[i] = 0;
    }
    printf("%lu %lu\n", f, found);
    return 0;
}
