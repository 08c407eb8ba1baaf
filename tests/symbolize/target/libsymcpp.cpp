// Shared library (C++, -g -O2 -fPIC): a template method with a mangled name.
namespace kiln_test {
template <typename T> struct Acc {
    T total;
    T add(T v);
};
static void *probe_pc[2];
extern "C" __attribute__((noinline)) void probe(int i)
{
    probe_pc[i] = (char *)__builtin_return_address(0) - 1;
}
template <typename T> __attribute__((noinline)) T Acc<T>::add(T v) /* ADD_DECL */
{
    probe(1);
    total += v;
    return total;
}
template struct Acc<double>;
} // namespace kiln_test

extern "C" __attribute__((noinline)) void *lib_entry(void **out) /* LIB_ENTRY_DECL */
{
    kiln_test::Acc<double> a{1.0};
    a.add(2.0);
    kiln_test::probe(0);
    out[0] = kiln_test::probe_pc[0];
    out[1] = kiln_test::probe_pc[1];
    return out;
}
