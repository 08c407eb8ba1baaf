# The model, the reader and the CLI skeleton.
kiln_add_unit_test(model)
kiln_add_unit_test(reader LIBS PkgConfig::ZLIB)
add_test(NAME core.tree_rebuild COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/core/test_tree_rebuild.py)
set_tests_properties(core.tree_rebuild PROPERTIES LABELS golden)
kiln_test_env(core.tree_rebuild)
