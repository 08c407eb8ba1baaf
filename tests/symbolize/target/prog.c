/* Symbolization target: a PIE (-g -O2) with an inlined static function, a
 * call into a C++ shared library and one into a library without debug info
 * whose symbols carry Rust-mangled names. It prints the raw addresses a
 * sampling collector would record (return addresses minus 1, function
 * entries) and its executable mappings, for the test to symbolize. */
#include <stdio.h>
#include <string.h>

void *lib_entry(void **out);   /* libsymcpp.so */
void *rust_entry(void **out);  /* libsymrust.so */

static void *pcs[8];
static volatile int sink;

__attribute__((noinline, noclone)) void leaf(int i)
{
    pcs[i] = (char *)__builtin_return_address(0) - 1;
    sink += i;
}

static inline __attribute__((always_inline)) int helper(int x) /* HELPER_DECL */
{
    leaf(1);
    return x * 3 + sink;
}

__attribute__((noinline, noclone)) int work(int n) /* WORK_DECL */
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += helper(i);
    leaf(2);
    return s;
}

int main(void) /* MAIN_DECL */
{
    void *lib[4] = {0}, *rust[4] = {0};
    work(3);
    leaf(3);
    lib_entry(lib);
    rust_entry(rust);
    printf("pc entry_work %p\n", (void *)&work);
    printf("pc inlined_helper %p\n", pcs[1]);
    printf("pc in_work %p\n", pcs[2]);
    printf("pc in_main %p\n", pcs[3]);
    printf("pc cpp_add %p\n", lib[1]);
    printf("pc lib_entry %p\n", lib[0]);
    printf("pc rust_legacy %p\n", rust[0]);
    printf("pc rust_v0 %p\n", rust[1]);
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        char perms[8];
        if (sscanf(line, "%*x-%*x %7s", perms) == 1 && strchr(perms, 'x'))
            printf("maps %s", line);
    }
    if (f)
        fclose(f);
    return 0;
}
