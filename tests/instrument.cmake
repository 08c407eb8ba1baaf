# The -finstrument-functions runtime and the allocation tracker
# (collector/instrument, collector/alloc): exact counts, the fault suite,
# heaptrack comparison. Needs the collectors (not in sanitizer/fuzz builds:
# they are never sanitized, and the Python test drives them directly).
if(TARGET kiln_instrument AND TARGET kiln_alloc)
  add_executable(instrument_tree_dump ${CMAKE_CURRENT_SOURCE_DIR}/instrument/tree_dump.c)
  kiln_target_defaults(instrument_tree_dump)
  target_link_libraries(instrument_tree_dump PRIVATE kiln_static)
  add_test(NAME instrument.collectors
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/instrument/test_instrument.py)
  kiln_test_env(instrument.collectors)
  set_property(TEST instrument.collectors APPEND PROPERTY ENVIRONMENT
    "KILN_TREE_DUMP=$<TARGET_FILE:instrument_tree_dump>")
  set_tests_properties(instrument.collectors PROPERTIES LABELS "cli;collector" TIMEOUT 900)
endif()
