# kiln compare / kiln scaling: the pytest-benchmark loader, comparison, gates,
# complexity fits, charts and the Markdown escaper.
kiln_add_unit_test(bench)
add_test(NAME compare.cli COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/compare/test_compare.py)
set_tests_properties(compare.cli PROPERTIES LABELS "cli;golden" TIMEOUT 900)
kiln_test_env(compare.cli)
# fontconfig/pango/cairo keep caches until exit: not kiln's leaks
foreach(t unit.bench compare.cli)
  set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT
    "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/lsan.supp:print_suppressions=0")
endforeach()
