# kiln record --python (collector/python) against cProfile on every Python 3
# interpreter the collector was built for; see tests/pyrecord/test_pyrecord.py.
add_test(NAME pyrecord.vs_cprofile
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/pyrecord/test_pyrecord.py)
set_tests_properties(pyrecord.vs_cprofile PROPERTIES LABELS "cli;slow" TIMEOUT 900)
kiln_test_env(pyrecord.vs_cprofile)
