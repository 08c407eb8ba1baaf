// C++ exceptions thrown through instrumented frames: `throw N M`. N rounds
// of round_trip(): odd rounds throw from thrower() through middle() to
// round_trip()'s catch, even rounds return normally; each round then calls
// after_throw(). Then tail() is called M times from main.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

static volatile long sum;

__attribute__((noinline)) void thrower(int i)
{
    sum += i;
    if (i & 1)
        throw std::runtime_error("odd");
}

__attribute__((noinline)) void middle(int i)
{
    thrower(i);
    sum += 1;
}

__attribute__((noinline)) int after_throw(int i)
{
    volatile char big[256];
    big[i & 255] = (char)i;
    return big[i & 255] + 1;
}

__attribute__((noinline)) void round_trip(int i)
{
    try {
        middle(i);
    } catch (const std::exception &) {
        sum += 2;
    }
    sum += after_throw(i);
}

__attribute__((noinline)) int tail(int i)
{
    return i * 2;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? std::atoi(argv[1]) : 1000, m = argc > 2 ? std::atoi(argv[2]) : 500;
    for (int i = 0; i < n; i++)
        round_trip(i);
    for (int i = 0; i < m; i++)
        sum += tail(i);
    std::printf("sum %ld\n", (long)sum);
    return 0;
}
