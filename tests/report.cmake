# Analysis and `kiln report` (owner: report helper).
kiln_add_unit_test(analysis)
add_test(NAME report.cli COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/report/test_report.py -v)
set_tests_properties(report.cli PROPERTIES LABELS "cli;golden" TIMEOUT 300)
kiln_test_env(report.cli)
# The bundle also runs the call graph renderer: graphviz and font caches
# are not kiln's leaks (tests/report/lsan.supp).
set_property(TEST report.cli APPEND PROPERTY ENVIRONMENT
  "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/report/lsan.supp:print_suppressions=0")
