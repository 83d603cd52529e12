# Helpers for the native world.

# meshwasm_add_test(NAME SOURCES a.cc [LIBRARIES lib...] [LABELS unit|wasm|e2e])
# One GoogleTest executable per <unit>_test.cc, in build/tests/, registered with CTest.
function(meshwasm_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} GTest::gtest_main GTest::gmock)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  gtest_discover_tests(${name}
    WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
    PROPERTIES LABELS "${ARG_LABELS}" ENVIRONMENT "MESHWASM_BUILD_DIR=${CMAKE_BINARY_DIR}"
      ENVIRONMENT_MODIFICATION "MESHWASM_WASM_DIR=set:${MESHWASM_WASM_DIR}"
    DISCOVERY_TIMEOUT 30)
endfunction()
