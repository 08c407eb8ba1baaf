# The demo project (fixtures/demo) and `kiln scaffold python` (helper "demo").
# (kiln_static carries the embedded templates.)
kiln_add_unit_test(scaffold)

# The generated benchmark and profile script, run with the real
# pytest-benchmark (Debian's /usr/bin/python3), then fed to kiln.
add_test(NAME demo.scaffold COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/demo/test_scaffold.py)
kiln_test_env(demo.scaffold)
set_tests_properties(demo.scaffold PROPERTIES LABELS "cli" TIMEOUT 300)

# The committed demo outputs against pstats/pytest-benchmark, kiln top --pstats,
# and kiln report's ranking of the deliberate bottlenecks.
add_test(NAME demo.report COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/demo/test_demo.py)
kiln_test_env(demo.report)
set_tests_properties(demo.report PROPERTIES LABELS "cli;golden" TIMEOUT 300)

# Under ASan, the caches fontconfig/pango/cairo keep until exit are not kiln's leaks.
set_property(TEST demo.scaffold demo.report APPEND PROPERTY ENVIRONMENT
  "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/lsan.supp")

# The optimized twin computes exactly what the original computes.
add_test(NAME demo.variants COMMAND ${Python3_EXECUTABLE} -m unittest discover
  -s ${CMAKE_SOURCE_DIR}/fixtures/demo/tests -p test_variants_agree.py)
kiln_test_env(demo.variants)
set_tests_properties(demo.variants PROPERTIES LABELS "unit")
