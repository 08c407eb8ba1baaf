# Hostile names and whole-program memory checks (owner: reliability).
#  - hostile.cli: gen_hostile.py profiles (folded, perf, real cProfile .prof,
#    .kiln) whose names are XSS/Markdown/ANSI/bidi/NUL/invalid-UTF-8/70 KB
#    payloads, through top (under a pty), convert, flame, callgraph, report;
#    Markdown parsed back by the cmark-gfm CLI, SVG by xml.etree.
#  - hostile.browser: the HTML outputs in real Chromium (playwright-core from
#    tests/flame's npm setup), with a negative control.
#  - valgrind.renderers: memcheck over each renderer once (label valgrind;
#    skipped in the Asan build).
add_test(NAME hostile.cli COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hostile/test_hostile.py)
kiln_test_env(hostile.cli)
set_tests_properties(hostile.cli PROPERTIES LABELS "cli;hostile" TIMEOUT 600)
set_property(TEST hostile.cli APPEND PROPERTY ENVIRONMENT
  "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/lsan.supp:print_suppressions=0")

if(KILN_NODE AND KILN_NPM)
  add_test(NAME hostile.browser COMMAND ${KILN_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/hostile/test_hostile_browser.js)
  kiln_test_env(hostile.browser)
  set_tests_properties(hostile.browser PROPERTIES FIXTURES_REQUIRED flame_node LABELS "cli;hostile;slow"
    TIMEOUT 900)
  set_property(TEST hostile.browser APPEND PROPERTY ENVIRONMENT
    "NODE_PATH=${CMAKE_CURRENT_BINARY_DIR}/flame-node/node_modules"
    "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/lsan.supp:print_suppressions=0")
endif()

if(NOT CMAKE_BUILD_TYPE STREQUAL "Asan")
  add_test(NAME valgrind.renderers COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/hostile/test_valgrind.py)
  kiln_test_env(valgrind.renderers)
  set_tests_properties(valgrind.renderers PROPERTIES LABELS "valgrind;slow" TIMEOUT 1800)
endif()
