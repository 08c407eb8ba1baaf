# kiln record and the sampling collector libkiln-preload.so (helper "record").
if(TARGET kiln-preload)
  add_test(NAME record.collector COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/record/test_record.py)
  kiln_test_env(record.collector)
  set_tests_properties(record.collector PROPERTIES LABELS "cli;slow" TIMEOUT 900)
endif()
