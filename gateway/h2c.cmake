# gRPC over HTTP/2 cleartext for the gateway (included from gateway/CMakeLists.txt): the h2c
# client behind proxy_grpc_call / proxy_grpc_stream, and the built-in upstream's gRPC service.
#   meshwasm::gateway_grpc  (nghttp2 from Debian: libnghttp2-dev)
find_package(PkgConfig REQUIRED)
pkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET libnghttp2)
find_package(Boost 1.74 REQUIRED COMPONENTS system)

add_library(meshwasm_gateway_grpc STATIC
  "${CMAKE_CURRENT_LIST_DIR}/src/grpc_wire.cc"
  "${CMAKE_CURRENT_LIST_DIR}/src/grpc_service.cc"
  "${CMAKE_CURRENT_LIST_DIR}/src/h2c_client.cc")
add_library(meshwasm::gateway_grpc ALIAS meshwasm_gateway_grpc)
target_include_directories(meshwasm_gateway_grpc PUBLIC "${CMAKE_CURRENT_LIST_DIR}/src")
# Same Asio mode as the gateway: its implementation is compiled once, in the gateway's
# src/asio_impl.cc (the tests below compile their own copy).
target_compile_definitions(meshwasm_gateway_grpc PUBLIC BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED)
target_link_libraries(meshwasm_gateway_grpc
  PUBLIC meshwasm::abi Boost::system Threads::Threads PkgConfig::NGHTTP2)

if(MESHWASM_BUILD_TESTS)
  meshwasm_add_test(gateway_grpc_wire_test
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/test/grpc_wire_test.cc"
    LIBRARIES meshwasm::gateway_grpc)
  foreach(unit grpc_service h2c_client)
    meshwasm_add_test(gateway_${unit}_test
      SOURCES "${CMAKE_CURRENT_LIST_DIR}/test/${unit}_test.cc"
              "${CMAKE_CURRENT_LIST_DIR}/test/asio_impl_for_tests.cc"
      LIBRARIES meshwasm::gateway_grpc)
  endforeach()
endif()
