# kiln callgraph: the renderer on API-built models (unit), and the CLI on the
# real medium_pydoc.prof checked against Python's pstats (script).
kiln_add_unit_test(callgraph LIBS PkgConfig::CAIRO)

# The unit test binary also writes its hostile-name SVG for the XML check.
add_test(NAME callgraph.hostile_svg
  COMMAND test_callgraph ${CMAKE_CURRENT_BINARY_DIR}/callgraph_hostile.svg)
set_tests_properties(callgraph.hostile_svg PROPERTIES FIXTURES_SETUP callgraph_svg LABELS unit)

add_test(NAME callgraph.cli
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/callgraph/test_callgraph_cli.py)
kiln_test_env(callgraph.cli)
set_tests_properties(callgraph.cli PROPERTIES LABELS "cli;golden" TIMEOUT 300
  FIXTURES_REQUIRED callgraph_svg)
set_property(TEST callgraph.cli APPEND PROPERTY ENVIRONMENT
  "KILN_HOSTILE_SVG=${CMAKE_CURRENT_BINARY_DIR}/callgraph_hostile.svg")

# Graphviz 2.42 leaks inside dot's cycle breaking; see callgraph/lsan.supp.
# Full malloc stacks (fast_unwind_on_malloc=0) are needed for the
# suppression to see the graphviz plugin behind graphviz's gmalloc.
foreach(t unit.callgraph callgraph.hostile_svg callgraph.cli)
  set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT
    "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/callgraph/lsan.supp:print_suppressions=0"
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:fast_unwind_on_malloc=0")
endforeach()
