/* Allocations with known totals (kiln's alloc mode and heaptrack are
 * compared on it): 10 x 1000 bytes leaked by leaky(), 100 x 1000 bytes held
 * then freed by hold() (the peak: 110,000 live bytes), 5000 churn()
 * malloc/free pairs of 100..106 bytes, and one calloc(10,30), realloc to 600,
 * posix_memalign(64, 256), aligned_alloc(64, 128), all freed. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void *leaky(size_t n)
{
    return malloc(n);
}

__attribute__((noinline)) void hold(void)
{
    void *volatile v[100];
    for (int i = 0; i < 100; i++)
        v[i] = malloc(1000);
    for (int i = 0; i < 100; i++)
        free(v[i]);
}

__attribute__((noinline)) void churn(int k)
{
    for (int i = 0; i < k; i++) {
        char *volatile p = malloc(100 + (size_t)(i % 7));
        p[0] = 1;
        free(p);
    }
}

int main(void)
{
    void *volatile keep[10];
    for (int i = 0; i < 10; i++)
        keep[i] = leaky(1000);
    hold();
    churn(5000);
    char *volatile c = calloc(10, 30);
    char *volatile r = realloc(c, 600);
    free(r);
    void *a = NULL;
    if (posix_memalign(&a, 64, 256) == 0)
        free(a);
    void *volatile b = aligned_alloc(64, 128);
    free(b);
    printf("done %d\n", keep[0] != NULL);
    return 0;
}
