# The .kiln format: round trips, damage, crafted bad structure, pathological
# sizes, and the bad-input table that runs the CLI over every format.
kiln_add_unit_test(kfile)
kiln_add_unit_test(kfile_bad)
kiln_add_unit_test(kfile_big)
set_tests_properties(unit.kfile_big PROPERTIES LABELS "unit;slow" TIMEOUT 300)

# Real profiles through .kiln, checked against Python's pstats.
add_test(NAME kfile.cli COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/kfile/test_kfile_cli.py)
kiln_test_env(kfile.cli)
set_tests_properties(kfile.cli PROPERTIES LABELS "cli;golden" TIMEOUT 600)

# The bad-input table (tests/README.md): every format, through the CLI.
add_test(NAME badinput.table COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/badinput/run_badinput.py)
kiln_test_env(badinput.table)
set_tests_properties(badinput.table PROPERTIES LABELS "badinput;slow" TIMEOUT 2400)
set_tests_properties(unit.kfile unit.kfile_bad PROPERTIES LABELS "unit;badinput")
