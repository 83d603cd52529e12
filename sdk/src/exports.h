// The module's exports: the ABI 0.2.1 callbacks (exact signatures of the reference, section 6),
// the ABI marker and the allocator. In wasm each one is exported under its own name; natively
// they are plain extern "C" functions the FakeHost calls.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__wasm__)
#define MESHWASM_EXPORT(name) __attribute__((export_name(#name)))
#else
#define MESHWASM_EXPORT(name)
#endif

extern "C" {

MESHWASM_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1();
MESHWASM_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(size_t size);

MESHWASM_EXPORT(proxy_on_context_create)
void proxy_on_context_create(uint32_t context_id, uint32_t parent_context_id);
MESHWASM_EXPORT(proxy_on_vm_start)
uint32_t proxy_on_vm_start(uint32_t root_context_id, uint32_t vm_configuration_size);
MESHWASM_EXPORT(proxy_on_configure)
uint32_t proxy_on_configure(uint32_t root_context_id, uint32_t plugin_configuration_size);
MESHWASM_EXPORT(proxy_on_validate_configuration)
uint32_t proxy_on_validate_configuration(uint32_t root_context_id, uint32_t configuration_size);
MESHWASM_EXPORT(proxy_on_tick) void proxy_on_tick(uint32_t root_context_id);
MESHWASM_EXPORT(proxy_on_queue_ready)
void proxy_on_queue_ready(uint32_t root_context_id, uint32_t token);
MESHWASM_EXPORT(proxy_on_foreign_function)
void proxy_on_foreign_function(uint32_t root_context_id, uint32_t function_id, uint32_t data_size);

MESHWASM_EXPORT(proxy_on_new_connection) uint32_t proxy_on_new_connection(uint32_t context_id);
MESHWASM_EXPORT(proxy_on_downstream_data)
uint32_t proxy_on_downstream_data(uint32_t context_id, uint32_t data_size, uint32_t end_of_stream);
MESHWASM_EXPORT(proxy_on_upstream_data)
uint32_t proxy_on_upstream_data(uint32_t context_id, uint32_t data_size, uint32_t end_of_stream);
MESHWASM_EXPORT(proxy_on_downstream_connection_close)
void proxy_on_downstream_connection_close(uint32_t context_id, uint32_t peer_type);
MESHWASM_EXPORT(proxy_on_upstream_connection_close)
void proxy_on_upstream_connection_close(uint32_t context_id, uint32_t peer_type);

MESHWASM_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers,
                                  uint32_t end_of_stream);
MESHWASM_EXPORT(proxy_on_request_body)
uint32_t proxy_on_request_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream);
MESHWASM_EXPORT(proxy_on_request_trailers)
uint32_t proxy_on_request_trailers(uint32_t context_id, uint32_t num_trailers);
MESHWASM_EXPORT(proxy_on_request_metadata)
uint32_t proxy_on_request_metadata(uint32_t context_id, uint32_t num_elements);
MESHWASM_EXPORT(proxy_on_response_headers)
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t num_headers,
                                   uint32_t end_of_stream);
MESHWASM_EXPORT(proxy_on_response_body)
uint32_t proxy_on_response_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream);
MESHWASM_EXPORT(proxy_on_response_trailers)
uint32_t proxy_on_response_trailers(uint32_t context_id, uint32_t num_trailers);
MESHWASM_EXPORT(proxy_on_response_metadata)
uint32_t proxy_on_response_metadata(uint32_t context_id, uint32_t num_elements);

MESHWASM_EXPORT(proxy_on_log) void proxy_on_log(uint32_t context_id);
MESHWASM_EXPORT(proxy_on_done) uint32_t proxy_on_done(uint32_t context_id);
MESHWASM_EXPORT(proxy_on_delete) void proxy_on_delete(uint32_t context_id);

MESHWASM_EXPORT(proxy_on_http_call_response)
void proxy_on_http_call_response(uint32_t root_context_id, uint32_t token, uint32_t num_headers,
                                 uint32_t body_size, uint32_t num_trailers);
MESHWASM_EXPORT(proxy_on_grpc_receive_initial_metadata)
void proxy_on_grpc_receive_initial_metadata(uint32_t root_context_id, uint32_t token,
                                            uint32_t num_elements);
MESHWASM_EXPORT(proxy_on_grpc_receive)
void proxy_on_grpc_receive(uint32_t root_context_id, uint32_t token, uint32_t message_size);
MESHWASM_EXPORT(proxy_on_grpc_receive_trailing_metadata)
void proxy_on_grpc_receive_trailing_metadata(uint32_t root_context_id, uint32_t token,
                                             uint32_t num_elements);
MESHWASM_EXPORT(proxy_on_grpc_close)
void proxy_on_grpc_close(uint32_t root_context_id, uint32_t token, uint32_t status_code);

}  // extern "C"
