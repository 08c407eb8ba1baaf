# perf script / folded stacks importers, folded export, kiln convert (helper "perf").
add_test(NAME perf.convert COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/perf/test_perf_folded.py)
kiln_test_env(perf.convert)
set_tests_properties(perf.convert PROPERTIES LABELS "cli;golden" TIMEOUT 300)
kiln_add_unit_test(folded_export)
