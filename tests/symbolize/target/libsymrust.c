/* Shared library without debug info whose functions carry Rust-mangled
 * symbol names (legacy and v0), so names come from the symbol table and
 * must be demangled. */
static void *rpc[2];
static volatile int after; /* work after each call: no tail calls */
__attribute__((noinline)) void rprobe(int i)
{
    rpc[i] = (char *)__builtin_return_address(0) - 1;
}
__attribute__((noinline)) void legacy_fn(void) __asm__("_ZN9kiln_test6legacy17h0123456789abcdefE");
__attribute__((noinline)) void legacy_fn(void) { rprobe(0); after++; }
__attribute__((noinline)) void v0_fn(void) __asm__("_RNvCs1234_9kiln_test2v0");
__attribute__((noinline)) void v0_fn(void) { rprobe(1); after++; }
void *rust_entry(void **out)
{
    legacy_fn();
    v0_fn();
    out[0] = rpc[0];
    out[1] = rpc[1];
    return out;
}
