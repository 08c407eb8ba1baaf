# Symbolization (kiln/symbolize.h): raw addresses from real programs compiled
# by the tests, checked against binutils' addr2line and c++filt; a JIT map
# written by node --perf-basic-prof; bad files and addresses.
add_executable(symtool ${CMAKE_CURRENT_SOURCE_DIR}/symbolize/symtool.c)
kiln_target_defaults(symtool)
target_link_libraries(symtool PRIVATE kiln_static)

add_test(NAME symbolize.real COMMAND ${Python3_EXECUTABLE}
  ${CMAKE_CURRENT_SOURCE_DIR}/symbolize/test_symbolize.py)
kiln_test_env(symbolize.real)
set_property(TEST symbolize.real APPEND PROPERTY ENVIRONMENT "SYMTOOL=$<TARGET_FILE:symtool>")
set_tests_properties(symbolize.real PROPERTIES LABELS "cli;golden" TIMEOUT 300)

kiln_add_unit_test(symbolize)
