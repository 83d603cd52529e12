// Every host function of Proxy-Wasm ABI 0.2.1 that the SDK may call: the ONE place where the
// `env.proxy_*` imports are declared.
//
// In the guest (wasm32) each declaration becomes an import of module "env"; only the ones the
// final module actually references end up in its import section. Natively these are plain
// extern "C" functions that the FakeHost (sdk/testing) defines in-process.
//
// Types follow the exact Wasm signatures of the ABI: every parameter and result is i32
// except the i64 values of proxy_increment_metric / proxy_record_metric. Results are
// WasmResult numbers. Sizes written by the host through out pointers are u32 on wasm32.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__wasm__)
#define MESHWASM_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#else
#define MESHWASM_IMPORT(name)
#endif

extern "C" {

// Logging, time, timers.
MESHWASM_IMPORT(proxy_log)
uint32_t proxy_log(uint32_t level, const char* message, size_t message_size);
MESHWASM_IMPORT(proxy_get_log_level)
uint32_t proxy_get_log_level(uint32_t* level);
MESHWASM_IMPORT(proxy_get_current_time_nanoseconds)
uint32_t proxy_get_current_time_nanoseconds(uint64_t* nanoseconds);
MESHWASM_IMPORT(proxy_set_tick_period_milliseconds)
uint32_t proxy_set_tick_period_milliseconds(uint32_t period_milliseconds);

// Properties.
MESHWASM_IMPORT(proxy_get_property)
uint32_t proxy_get_property(const char* path, size_t path_size, char** value, size_t* value_size);
MESHWASM_IMPORT(proxy_set_property)
uint32_t proxy_set_property(const char* path, size_t path_size, const char* value,
                            size_t value_size);

// Header / trailer / metadata maps.
MESHWASM_IMPORT(proxy_get_header_map_pairs)
uint32_t proxy_get_header_map_pairs(uint32_t map, char** data, size_t* size);
MESHWASM_IMPORT(proxy_set_header_map_pairs)
uint32_t proxy_set_header_map_pairs(uint32_t map, const char* data, size_t size);
MESHWASM_IMPORT(proxy_get_header_map_value)
uint32_t proxy_get_header_map_value(uint32_t map, const char* key, size_t key_size, char** value,
                                    size_t* value_size);
MESHWASM_IMPORT(proxy_add_header_map_value)
uint32_t proxy_add_header_map_value(uint32_t map, const char* key, size_t key_size,
                                    const char* value, size_t value_size);
MESHWASM_IMPORT(proxy_replace_header_map_value)
uint32_t proxy_replace_header_map_value(uint32_t map, const char* key, size_t key_size,
                                        const char* value, size_t value_size);
MESHWASM_IMPORT(proxy_remove_header_map_value)
uint32_t proxy_remove_header_map_value(uint32_t map, const char* key, size_t key_size);
MESHWASM_IMPORT(proxy_get_header_map_size)
uint32_t proxy_get_header_map_size(uint32_t map, uint32_t* size);

// Buffers.
MESHWASM_IMPORT(proxy_get_buffer_bytes)
uint32_t proxy_get_buffer_bytes(uint32_t buffer, uint32_t start, uint32_t max_size, char** data,
                                size_t* size);
MESHWASM_IMPORT(proxy_get_buffer_status)
uint32_t proxy_get_buffer_status(uint32_t buffer, uint32_t* size, uint32_t* flags);
MESHWASM_IMPORT(proxy_set_buffer_bytes)
uint32_t proxy_set_buffer_bytes(uint32_t buffer, uint32_t start, uint32_t size, const char* data,
                                size_t data_size);

// Stream control.
MESHWASM_IMPORT(proxy_continue_stream)
uint32_t proxy_continue_stream(uint32_t stream);
MESHWASM_IMPORT(proxy_close_stream)
uint32_t proxy_close_stream(uint32_t stream);
MESHWASM_IMPORT(proxy_send_local_response)
uint32_t proxy_send_local_response(uint32_t status_code, const char* details, size_t details_size,
                                   const char* body, size_t body_size, const char* headers,
                                   size_t headers_size, int32_t grpc_status);
MESHWASM_IMPORT(proxy_get_status)
uint32_t proxy_get_status(uint32_t* code, char** message, size_t* message_size);

// HTTP and gRPC callouts.
MESHWASM_IMPORT(proxy_http_call)
uint32_t proxy_http_call(const char* upstream, size_t upstream_size, const char* headers,
                         size_t headers_size, const char* body, size_t body_size,
                         const char* trailers, size_t trailers_size, uint32_t timeout_ms,
                         uint32_t* token);
MESHWASM_IMPORT(proxy_grpc_call)
uint32_t proxy_grpc_call(const char* upstream, size_t upstream_size, const char* service,
                         size_t service_size, const char* method, size_t method_size,
                         const char* metadata, size_t metadata_size, const char* message,
                         size_t message_size, uint32_t timeout_ms, uint32_t* token);
MESHWASM_IMPORT(proxy_grpc_stream)
uint32_t proxy_grpc_stream(const char* upstream, size_t upstream_size, const char* service,
                           size_t service_size, const char* method, size_t method_size,
                           const char* metadata, size_t metadata_size, uint32_t* token);
MESHWASM_IMPORT(proxy_grpc_send)
uint32_t proxy_grpc_send(uint32_t token, const char* message, size_t message_size,
                         uint32_t end_stream);
MESHWASM_IMPORT(proxy_grpc_cancel)
uint32_t proxy_grpc_cancel(uint32_t token);
MESHWASM_IMPORT(proxy_grpc_close)
uint32_t proxy_grpc_close(uint32_t token);

// Metrics.
MESHWASM_IMPORT(proxy_define_metric)
uint32_t proxy_define_metric(uint32_t type, const char* name, size_t name_size,
                             uint32_t* metric_id);
MESHWASM_IMPORT(proxy_increment_metric)
uint32_t proxy_increment_metric(uint32_t metric_id, int64_t offset);
MESHWASM_IMPORT(proxy_record_metric)
uint32_t proxy_record_metric(uint32_t metric_id, uint64_t value);
MESHWASM_IMPORT(proxy_get_metric)
uint32_t proxy_get_metric(uint32_t metric_id, uint64_t* value);

// Shared key-value store and shared queues.
MESHWASM_IMPORT(proxy_get_shared_data)
uint32_t proxy_get_shared_data(const char* key, size_t key_size, char** value, size_t* value_size,
                               uint32_t* cas);
MESHWASM_IMPORT(proxy_set_shared_data)
uint32_t proxy_set_shared_data(const char* key, size_t key_size, const char* value,
                               size_t value_size, uint32_t cas);
MESHWASM_IMPORT(proxy_register_shared_queue)
uint32_t proxy_register_shared_queue(const char* name, size_t name_size, uint32_t* token);
MESHWASM_IMPORT(proxy_resolve_shared_queue)
uint32_t proxy_resolve_shared_queue(const char* vm_id, size_t vm_id_size, const char* name,
                                    size_t name_size, uint32_t* token);
MESHWASM_IMPORT(proxy_enqueue_shared_queue)
uint32_t proxy_enqueue_shared_queue(uint32_t token, const char* data, size_t data_size);
MESHWASM_IMPORT(proxy_dequeue_shared_queue)
uint32_t proxy_dequeue_shared_queue(uint32_t token, char** data, size_t* data_size);

// Context management and foreign functions.
MESHWASM_IMPORT(proxy_set_effective_context)
uint32_t proxy_set_effective_context(uint32_t context_id);
MESHWASM_IMPORT(proxy_done)
uint32_t proxy_done();
MESHWASM_IMPORT(proxy_call_foreign_function)
uint32_t proxy_call_foreign_function(const char* name, size_t name_size, const char* args,
                                     size_t args_size, char** results, size_t* results_size);

#if !defined(__wasm__)
// Natively the FakeHost plays the host, so it also owns the memory it hands to the guest: the
// SDK releases host-allocated buffers through this function (the guest's `free` in wasm).
void meshwasm_fake_host_release(void* data);
#endif

}  // extern "C"
