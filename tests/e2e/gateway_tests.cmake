# Gateway end-to-end tests (included from tests/e2e/CMakeLists.txt): each test starts
# `meshwasm run` processes on free loopback ports and talks raw HTTP/1.1 to them; label e2e.
find_package(nlohmann_json 3 REQUIRED)
add_library(meshwasm_gateway_e2e_support STATIC "${CMAKE_CURRENT_LIST_DIR}/gateway_test_support.cc")
target_include_directories(meshwasm_gateway_e2e_support PUBLIC "${CMAKE_CURRENT_LIST_DIR}")
target_link_libraries(meshwasm_gateway_e2e_support PUBLIC Threads::Threads)
foreach(name gateway_verification gateway_robustness gateway_plugins gateway_reload
    gateway_keepalive)
  meshwasm_add_test(${name}_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/${name}_test.cc"
    LIBRARIES meshwasm_gateway_e2e_support nlohmann_json::nlohmann_json LABELS e2e)
  add_dependencies(${name}_test meshwasm)
endforeach()
