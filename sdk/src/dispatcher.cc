// The module's side of the ABI: the registry filled by static registration, the table of live
// contexts keyed by the host's context id, and every proxy_on_* export dispatching to the
// context's virtual methods. Also the ABI marker, the allocator export and libc++'s abort hook.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "dispatcher.h"
#include "exports.h"
#include "imports.h"
#include "meshwasm/sdk/log.h"
#include "meshwasm/sdk/registration.h"

namespace meshwasm::sdk {

Registration Dispatcher::registrations[Dispatcher::kMaxRegistrations];
size_t Dispatcher::registration_count = 0;
Dispatcher::Slot* Dispatcher::slots = nullptr;
size_t Dispatcher::slot_count = 0;
size_t Dispatcher::slot_capacity = 0;
uint32_t Dispatcher::last_id = 0;
ContextBase* Dispatcher::last_context = nullptr;

RegisterContextFactory::RegisterContextFactory(detail::KnownClasses, RootFactory root,
                                               HttpFactory http, std::string_view root_id) {
  Dispatcher::add(Registration{root_id, root, http, nullptr});
}

RegisterContextFactory::RegisterContextFactory(detail::KnownClasses, RootFactory root,
                                               StreamFactory stream, std::string_view root_id) {
  Dispatcher::add(Registration{root_id, root, nullptr, stream});
}

}  // namespace meshwasm::sdk

using meshwasm::sdk::Dispatcher;
using meshwasm::sdk::GrpcStatus;
using meshwasm::sdk::PeerType;

extern "C" {

void proxy_abi_version_0_2_1() {}

void* proxy_on_memory_allocate(size_t size) {
  return ::malloc(size);
}

void proxy_on_context_create(uint32_t context_id, uint32_t parent_context_id) {
  if (parent_context_id == 0) {
    Dispatcher::createRoot(context_id);
  } else {
    Dispatcher::createChild(context_id, parent_context_id);
  }
}

uint32_t proxy_on_vm_start(uint32_t root_context_id, uint32_t vm_configuration_size) {
  auto* root = Dispatcher::root(root_context_id);
  return (root == nullptr || root->onVmStart(vm_configuration_size)) ? 1 : 0;
}

uint32_t proxy_on_configure(uint32_t root_context_id, uint32_t plugin_configuration_size) {
  auto* root = Dispatcher::root(root_context_id);
  return (root == nullptr || root->onConfigure(plugin_configuration_size)) ? 1 : 0;
}

uint32_t proxy_on_validate_configuration(uint32_t root_context_id, uint32_t configuration_size) {
  auto* root = Dispatcher::root(root_context_id);
  return (root == nullptr || root->onValidateConfiguration(configuration_size)) ? 1 : 0;
}

void proxy_on_tick(uint32_t root_context_id) {
  if (auto* root = Dispatcher::root(root_context_id)) root->onTick();
}

void proxy_on_queue_ready(uint32_t root_context_id, uint32_t token) {
  if (auto* root = Dispatcher::root(root_context_id)) root->onQueueReady(token);
}

void proxy_on_foreign_function(uint32_t root_context_id, uint32_t function_id, uint32_t data_size) {
  if (auto* root = Dispatcher::root(root_context_id)) {
    root->onForeignFunction(function_id, data_size);
  }
}

uint32_t proxy_on_new_connection(uint32_t context_id) {
  auto* stream = Dispatcher::stream(context_id);
  return static_cast<uint32_t>(stream != nullptr ? stream->onNewConnection()
                                                 : meshwasm::sdk::FilterStatus::Continue);
}

uint32_t proxy_on_downstream_data(uint32_t context_id, uint32_t data_size, uint32_t end_of_stream) {
  auto* stream = Dispatcher::stream(context_id);
  return static_cast<uint32_t>(stream != nullptr
                                   ? stream->onDownstreamData(data_size, end_of_stream != 0)
                                   : meshwasm::sdk::FilterStatus::Continue);
}

uint32_t proxy_on_upstream_data(uint32_t context_id, uint32_t data_size, uint32_t end_of_stream) {
  auto* stream = Dispatcher::stream(context_id);
  return static_cast<uint32_t>(stream != nullptr
                                   ? stream->onUpstreamData(data_size, end_of_stream != 0)
                                   : meshwasm::sdk::FilterStatus::Continue);
}

void proxy_on_downstream_connection_close(uint32_t context_id, uint32_t peer_type) {
  if (auto* stream = Dispatcher::stream(context_id)) {
    stream->onDownstreamConnectionClose(static_cast<PeerType>(peer_type));
  }
}

void proxy_on_upstream_connection_close(uint32_t context_id, uint32_t peer_type) {
  if (auto* stream = Dispatcher::stream(context_id)) {
    stream->onUpstreamConnectionClose(static_cast<PeerType>(peer_type));
  }
}

uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers,
                                  uint32_t end_of_stream) {
  auto* http = Dispatcher::http(context_id, meshwasm::sdk::inherits::kOnRequestHeaders);
  return static_cast<uint32_t>(http != nullptr
                                   ? http->onRequestHeaders(num_headers, end_of_stream != 0)
                                   : meshwasm::sdk::FilterHeadersStatus::Continue);
}

void proxy_on_delete(uint32_t context_id) {
  if (auto* context = Dispatcher::find(context_id)) {
    if (!context->inherits(meshwasm::sdk::inherits::kOnDelete)) context->onDelete();
    Dispatcher::erase(context_id);
  }
}

void proxy_on_http_call_response(uint32_t root_context_id, uint32_t token, uint32_t num_headers,
                                 uint32_t body_size, uint32_t num_trailers) {
  if (auto* root = Dispatcher::root(root_context_id)) {
    root->onHttpCallResponse(token, num_headers, body_size, num_trailers);
  }
}

void proxy_on_grpc_receive_initial_metadata(uint32_t root_context_id, uint32_t token,
                                            uint32_t num_elements) {
  if (auto* root = Dispatcher::root(root_context_id)) {
    root->onGrpcReceiveInitialMetadata(token, num_elements);
  }
}

void proxy_on_grpc_receive(uint32_t root_context_id, uint32_t token, uint32_t message_size) {
  if (auto* root = Dispatcher::root(root_context_id)) root->onGrpcReceive(token, message_size);
}

void proxy_on_grpc_receive_trailing_metadata(uint32_t root_context_id, uint32_t token,
                                             uint32_t num_elements) {
  if (auto* root = Dispatcher::root(root_context_id)) {
    root->onGrpcReceiveTrailingMetadata(token, num_elements);
  }
}

void proxy_on_grpc_close(uint32_t root_context_id, uint32_t token, uint32_t status_code) {
  if (auto* root = Dispatcher::root(root_context_id)) {
    root->onGrpcClose(token, static_cast<GrpcStatus>(static_cast<int32_t>(status_code)));
  }
}

}  // extern "C"

#if defined(__wasm__)
#include <__verbose_abort>
// libc++ reports broken preconditions (and exceptions it cannot throw) here. The default
// formats with stdio; logging the format text at critical keeps stdio out of the module.
_LIBCPP_BEGIN_NAMESPACE_STD
void __libcpp_verbose_abort(const char* format, ...) {
  size_t size = 0;
  while (format[size] != '\0') ++size;
  meshwasm::sdk::fatal(std::string_view(format, size));
}
_LIBCPP_END_NAMESPACE_STD
#endif

#if defined(__wasm__)
// Global allocation goes straight to malloc/free: libc++abi's operator new reports failure
// through stdio, which would pull printf into every module. Out of memory is fatal either way.
void* operator new(size_t size) {
  void* memory = ::malloc(size == 0 ? 1 : size);
  if (memory == nullptr) meshwasm::sdk::fatal("meshwasm sdk: out of memory");
  return memory;
}
void* operator new[](size_t size) {
  return ::operator new(size);
}
void operator delete(void* memory) noexcept {
  ::free(memory);
}
void operator delete[](void* memory) noexcept {
  ::free(memory);
}
void operator delete(void* memory, size_t) noexcept {
  ::free(memory);
}
void operator delete[](void* memory, size_t) noexcept {
  ::free(memory);
}
#endif
