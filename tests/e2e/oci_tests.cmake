# oci end-to-end tests (included from tests/e2e/CMakeLists.txt). They start Debian's
# docker-registry, skopeo, python3 and the meshwasm binary; label e2e.
if(TARGET meshwasm::oci)
  find_package(nlohmann_json REQUIRED)
  add_library(meshwasm_oci_e2e_support STATIC "${CMAKE_CURRENT_LIST_DIR}/oci_test_support.cc")
  target_link_libraries(meshwasm_oci_e2e_support PUBLIC meshwasm::oci)
  target_include_directories(meshwasm_oci_e2e_support PUBLIC "${CMAKE_CURRENT_LIST_DIR}")
  target_compile_definitions(meshwasm_oci_e2e_support
    PRIVATE MESHWASM_E2E_SOURCE_DIR="${CMAKE_CURRENT_LIST_DIR}")
  meshwasm_add_test(oci_registry_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/oci_registry_test.cc"
    LIBRARIES meshwasm_oci_e2e_support nlohmann_json::nlohmann_json LABELS e2e)
  add_dependencies(oci_registry_test meshwasm)
endif()
if(TARGET meshwasm::oci)
  meshwasm_add_test(oci_manifest_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/oci_manifest_test.cc"
    LIBRARIES meshwasm_oci_e2e_support LABELS e2e)
  add_dependencies(oci_manifest_test meshwasm)
endif()
if(TARGET meshwasm::oci)
  # Skips itself until `meshwasm run` takes oci:// plugins and header_auth.wasm is built.
  meshwasm_add_test(oci_run_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/oci_run_test.cc"
    LIBRARIES meshwasm_oci_e2e_support LABELS e2e)
  add_dependencies(oci_run_test meshwasm)
endif()
if(TARGET meshwasm::oci)
  meshwasm_add_test(oci_run_options_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/oci_run_options_test.cc"
    LIBRARIES meshwasm_oci_e2e_support LABELS e2e)
  add_dependencies(oci_run_options_test meshwasm)
endif()
