# Interchange and packaging tests (owner: interchange).
#  - interchange.formats: pprof read by `go tool pprof`, callgrind by
#    callgrind_annotate, speedscope and pprof imports, kiln merge.
#  - interchange.browser: kiln's speedscope files loaded in the speedscope
#    web app from npm in headless chromium (interchange.npm installs it).
#  - interchange.cli: man pages, completions and --help agree; exit 74 on
#    stdout write errors; NO_COLOR.
#  - interchange.install: cmake --install into a prefix, and an external C
#    program built against it with pkg-config and with find_package(kiln).
add_test(NAME interchange.formats
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/interchange/test_interchange.py)
kiln_test_env(interchange.formats)
set_tests_properties(interchange.formats PROPERTIES LABELS "cli;golden" TIMEOUT 600)

add_test(NAME interchange.cli
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/interchange/test_cli_conventions.py)
kiln_test_env(interchange.cli)
set_tests_properties(interchange.cli PROPERTIES LABELS "cli" TIMEOUT 300)
set_property(TEST interchange.cli APPEND PROPERTY ENVIRONMENT "KILN_MAN_DIR=${CMAKE_BINARY_DIR}/docs/man")

add_test(NAME interchange.install
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/interchange/test_install.py)
kiln_test_env(interchange.install)
# nosan: the external example is a plain build and cannot load an ASan libkiln
set_tests_properties(interchange.install PROPERTIES LABELS "cli;slow;nosan" TIMEOUT 600)

find_program(KILN_NODE node)
find_program(KILN_NPM npm)
if(KILN_NODE AND KILN_NPM)
  set(_ic_node ${CMAKE_CURRENT_BINARY_DIR}/interchange-node)
  file(MAKE_DIRECTORY ${_ic_node})
  add_test(NAME interchange.npm
    COMMAND ${CMAKE_COMMAND} -E chdir ${_ic_node}
            sh -c "cp '${CMAKE_CURRENT_SOURCE_DIR}/interchange/package.json' '${CMAKE_CURRENT_SOURCE_DIR}/interchange/package-lock.json' . && \
                   { [ -d node_modules/speedscope ] && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error; }")
  set_tests_properties(interchange.npm PROPERTIES FIXTURES_SETUP interchange_node TIMEOUT 600)
  add_test(NAME interchange.browser
    COMMAND ${KILN_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/interchange/test_speedscope_browser.js)
  kiln_test_env(interchange.browser)
  set_tests_properties(interchange.browser PROPERTIES FIXTURES_REQUIRED interchange_node
    LABELS "cli;slow" TIMEOUT 600)
  set_property(TEST interchange.browser APPEND PROPERTY ENVIRONMENT
    "NODE_PATH=${_ic_node}/node_modules")
endif()
