# SDK examples end to end (examples/<name>/, issue 8): each test starts `meshwasm run` with the
# example's .wasm in front of the built-in httpbin and checks what a person would see. Uses the
# gateway tests' support library (gateway_tests.cmake; targets resolve in any include order).
foreach(name http_auth_random grpc_auth_random shared_data shared_queue)
  meshwasm_add_test(examples_${name}_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/examples_${name}_test.cc"
    LIBRARIES meshwasm_gateway_e2e_support LABELS e2e)
  add_dependencies(examples_${name}_test meshwasm)
endforeach()
# The first four examples (hello_world, http_headers, http_body, http_config), same pattern.
foreach(name hello_world http_headers http_body http_config)
  meshwasm_add_test(examples_${name}_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/examples_${name}_test.cc"
    LIBRARIES meshwasm_gateway_e2e_support LABELS e2e)
  add_dependencies(examples_${name}_test meshwasm)
endforeach()
