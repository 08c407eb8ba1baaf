# cProfile/profile .prof import (marshal reader) and `kiln top`.
kiln_add_unit_test(marshal)
set_tests_properties(unit.marshal PROPERTIES LABELS "unit;badinput")

add_test(NAME prof.pstats
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/prof/test_pstats.py)
kiln_test_env(prof.pstats)
set_tests_properties(prof.pstats PROPERTIES LABELS "cli;golden" TIMEOUT 900)

add_test(NAME prof.top
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/prof/test_top.py)
kiln_test_env(prof.top)
set_tests_properties(prof.top PROPERTIES LABELS "cli;badinput" TIMEOUT 300)
