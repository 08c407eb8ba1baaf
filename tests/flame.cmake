# Flame graph tests (owner: flame).
#  - flame.static: python3 checks of the HTML file (CSP hashes, embedded data
#    decoded and compared with the folded input, escaping), PNG/SVG and CLI.
#  - flame.browser: real headless Chromium (Debian's /usr/bin/chromium)
#    driven by playwright-core from npm; flame.npm installs it into the
#    build tree first (npm ci from tests/flame/package-lock.json).
add_test(NAME flame.static
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/flame/test_flame_static.py)
kiln_test_env(flame.static)
set_tests_properties(flame.static PROPERTIES LABELS "cli;golden" TIMEOUT 300)

find_program(KILN_NODE node)
find_program(KILN_NPM npm)
if(KILN_NODE AND KILN_NPM)
  set(_flame_node ${CMAKE_CURRENT_BINARY_DIR}/flame-node)
  add_test(NAME flame.npm
    COMMAND ${CMAKE_COMMAND} -E chdir ${_flame_node}
            sh -c "cp '${CMAKE_CURRENT_SOURCE_DIR}/flame/package.json' '${CMAKE_CURRENT_SOURCE_DIR}/flame/package-lock.json' . && \
                   { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error; }")
  file(MAKE_DIRECTORY ${_flame_node})
  set_tests_properties(flame.npm PROPERTIES FIXTURES_SETUP flame_node TIMEOUT 600)
  add_test(NAME flame.browser
    COMMAND ${KILN_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/flame/test_flame_browser.js)
  kiln_test_env(flame.browser)
  set_tests_properties(flame.browser PROPERTIES FIXTURES_REQUIRED flame_node LABELS "cli;slow"
    TIMEOUT 600)
  set_property(TEST flame.browser APPEND PROPERTY ENVIRONMENT "NODE_PATH=${_flame_node}/node_modules")
endif()
# Font and glib caches (fontconfig, pango) are not kiln's leaks.
set_property(TEST flame.static APPEND PROPERTY ENVIRONMENT
  "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/lsan.supp:print_suppressions=0")
