// The module's side of the ABI: the registry filled by static registration, the table of live
// contexts keyed by the host's context id, and every proxy_on_* export dispatching to the
// context's virtual methods. Also the ABI marker, the allocator export and libc++'s abort hook.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "exports.h"
#include "imports.h"
#include "meshwasm/sdk/log.h"
#include "meshwasm/sdk/registration.h"

namespace meshwasm::sdk {

struct Dispatcher {
  // Registrations live in a constant-initialized array: static constructors of plugins may
  // run before any other SDK global is constructed.
  static constexpr size_t kMaxRegistrations = 16;
  static Registration registrations[kMaxRegistrations];
  static size_t registration_count;

  // Live contexts sorted by id, in a plain array grown with realloc: slots are trivially
  // copyable, so inserting and erasing are a memmove (std::vector's insert machinery costs
  // most of a kilobyte of code in every module).
  struct Slot {
    uint32_t id;
    ContextBase* context;  // owned
  };
  static Slot* slots;
  static size_t slot_count;
  static size_t slot_capacity;

  static void add(const Registration& registration) {
    if (registration_count == kMaxRegistrations) {
      fatal("meshwasm sdk: too many plugin registrations in one module");
    }
    registrations[registration_count++] = registration;
  }

  static const Registration* findRegistration(std::string_view root_id) {
    const Registration* fallback = nullptr;
    for (size_t i = 0; i < registration_count; ++i) {
      if (registrations[i].root_id == root_id) return &registrations[i];
      if (registrations[i].root_id.empty() && fallback == nullptr) fallback = &registrations[i];
    }
    return fallback;
  }

  static size_t lowerBound(uint32_t id) {
    size_t lo = 0;
    size_t hi = slot_count;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (slots[mid].id < id) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // The host calls one context several times in a row (a request's callbacks), so the last
  // context found is remembered; insert and erase keep it right.
  static uint32_t last_id;
  static ContextBase* last_context;

  // The remembered context is checked where find() is called (no call in the common case).
  [[gnu::always_inline]] static ContextBase* find(uint32_t id) {
    if (id == last_id && last_context != nullptr) return last_context;
    return search(id);
  }
  [[gnu::noinline]] static ContextBase* search(uint32_t id) {
    const size_t at = indexOf(id);
    if (at >= slot_count || slots[at].id != id) return nullptr;
    last_id = id;
    last_context = slots[at].context;
    return last_context;
  }

  // lowerBound(id) without the search in the common cases: the host hands out increasing ids,
  // so a new context goes last, and the oldest live context (the root) is first.
  static size_t indexOf(uint32_t id) {
    if (slot_count == 0 || slots[slot_count - 1].id < id) return slot_count;
    if (slots[slot_count - 1].id == id) return slot_count - 1;
    if (slots[0].id >= id) return 0;
    return lowerBound(id);
  }

  static void insert(uint32_t id, ContextBase* context) {
    // indexOf's first case checked here: a new context usually goes last.
    const size_t at = (slot_count == 0 || slots[slot_count - 1].id < id) ? slot_count : indexOf(id);
    if (at < slot_count && slots[at].id == id) {
      delete slots[at].context;  // the host reuses an id: the old context is gone
      slots[at].context = context;
      if (last_id == id) last_context = context;
      return;
    }
    if (slot_count == slot_capacity) {
      const size_t capacity = slot_capacity == 0 ? 16 : slot_capacity * 2;
      void* grown = ::realloc(slots, capacity * sizeof(Slot));
      if (grown == nullptr) fatal("meshwasm sdk: out of memory");
      slots = static_cast<Slot*>(grown);
      slot_capacity = capacity;
    }
    // Usually the newest context goes last: no move (memory.copy costs a call even for 0 bytes).
    if (at != slot_count) {
      std::memmove(slots + at + 1, slots + at, (slot_count - at) * sizeof(Slot));
    }
    slots[at] = Slot{id, context};
    ++slot_count;
    // The new context is the one the host calls next.
    last_id = id;
    last_context = context;
  }

  static void erase(uint32_t id) {
    // indexOf's second case checked here: the newest context usually ends first.
    const size_t at =
        (slot_count != 0 && slots[slot_count - 1].id == id) ? slot_count - 1 : indexOf(id);
    if (at < slot_count && slots[at].id == id) {
      ContextBase* context = slots[at].context;
      --slot_count;
      if (at != slot_count) {
        std::memmove(slots + at, slots + at + 1, (slot_count - at) * sizeof(Slot));
      }
      if (last_id == id) {
        // The oldest live context, usually the root the next stream context is created on.
        last_id = slot_count != 0 ? slots[0].id : 0;
        last_context = slot_count != 0 ? slots[0].context : nullptr;
      }
      delete context;
    }
  }

  static RootContext* root(uint32_t id) { return rootInline(id); }
  [[gnu::always_inline]] static RootContext* rootInline(uint32_t id) {
    ContextBase* context = find(id);
    return (context != nullptr && context->kind() == ContextKind::Root)
               ? static_cast<RootContext*>(context)
               : nullptr;
  }
  // The HTTP context `id` when its class overrides `callback` (an inherits:: bit); nullptr
  // when there is none or the SDK's default answers.
  static HttpContext* http(uint32_t id, uint16_t callback) {
    ContextBase* context = find(id);
    return (context != nullptr && context->isKindOverriding(ContextKind::Http, callback))
               ? static_cast<HttpContext*>(context)
               : nullptr;
  }
  static StreamContext* stream(uint32_t id) {
    ContextBase* context = find(id);
    return (context != nullptr && context->kind() == ContextKind::Stream)
               ? static_cast<StreamContext*>(context)
               : nullptr;
  }

  static void createRoot(uint32_t id) {
    // The host lets root context creation read plugin_root_id; absent means "".
    std::string root_id;
    char* data = nullptr;
    size_t size = 0;
    constexpr std::string_view kRootIdPath = "plugin_root_id";
    const uint32_t status =
        proxy_get_property(kRootIdPath.data(), kRootIdPath.size(), &data, &size);
    const HostBuffer value(data, size);  // freed whatever the status
    if (status == 0) root_id.assign(value.view());
    const Registration* registration = findRegistration(root_id);
    RootContext* context = (registration != nullptr && registration->root != nullptr)
                               ? registration->root(id, root_id).release()
                               : new RootContext(id, root_id);
    context->registration_ = registration;
    insert(id, context);
    if (!context->inherits(inherits::kOnCreate)) context->onCreate();
  }

  static void createChild(uint32_t id, uint32_t parent_id) {
    RootContext* parent = rootInline(parent_id);  // once per stream: no call
    if (parent == nullptr) {
      logError("meshwasm sdk: unknown root context");
      return;
    }
    const Registration* registration = parent->registration_;
    if (registration == nullptr) return;  // a plugin without stream factories
    std::unique_ptr<ContextBase> context;
    if (registration->http != nullptr) {
      context = registration->http(id, parent);
    } else if (registration->stream != nullptr) {
      context = registration->stream(id, parent);
    }
    if (!context) return;
    ContextBase* raw = context.release();
    insert(id, raw);
    if (!raw->inherits(inherits::kOnCreate)) raw->onCreate();
  }
};

Registration Dispatcher::registrations[Dispatcher::kMaxRegistrations];
size_t Dispatcher::registration_count = 0;
Dispatcher::Slot* Dispatcher::slots = nullptr;
size_t Dispatcher::slot_count = 0;
size_t Dispatcher::slot_capacity = 0;
uint32_t Dispatcher::last_id = 0;
ContextBase* Dispatcher::last_context = nullptr;

RegisterContextFactory::RegisterContextFactory(RootFactory root, HttpFactory http,
                                               std::string_view root_id) {
  Dispatcher::add(Registration{root_id, root, http, nullptr});
}

RegisterContextFactory::RegisterContextFactory(RootFactory root, StreamFactory stream,
                                               std::string_view root_id) {
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

uint32_t proxy_on_request_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream) {
  auto* http = Dispatcher::http(context_id, meshwasm::sdk::inherits::kOnRequestBody);
  return static_cast<uint32_t>(http != nullptr ? http->onRequestBody(body_size, end_of_stream != 0)
                                               : meshwasm::sdk::FilterDataStatus::Continue);
}

uint32_t proxy_on_request_trailers(uint32_t context_id, uint32_t num_trailers) {
  auto* http = Dispatcher::http(context_id, meshwasm::sdk::inherits::kOnRequestTrailers);
  return static_cast<uint32_t>(http != nullptr ? http->onRequestTrailers(num_trailers)
                                               : meshwasm::sdk::FilterTrailersStatus::Continue);
}

uint32_t proxy_on_request_metadata(uint32_t context_id, uint32_t num_elements) {
  auto* http = Dispatcher::http(context_id, meshwasm::sdk::inherits::kOnRequestMetadata);
  return static_cast<uint32_t>(http != nullptr ? http->onRequestMetadata(num_elements)
                                               : meshwasm::sdk::FilterMetadataStatus::Continue);
}

uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t num_headers,
                                   uint32_t end_of_stream) {
  auto* http = Dispatcher::http(context_id, meshwasm::sdk::inherits::kOnResponseHeaders);
  return static_cast<uint32_t>(http != nullptr
                                   ? http->onResponseHeaders(num_headers, end_of_stream != 0)
                                   : meshwasm::sdk::FilterHeadersStatus::Continue);
}

uint32_t proxy_on_response_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream) {
  auto* http = Dispatcher::http(context_id, meshwasm::sdk::inherits::kOnResponseBody);
  return static_cast<uint32_t>(http != nullptr ? http->onResponseBody(body_size, end_of_stream != 0)
                                               : meshwasm::sdk::FilterDataStatus::Continue);
}

uint32_t proxy_on_response_trailers(uint32_t context_id, uint32_t num_trailers) {
  auto* http = Dispatcher::http(context_id, meshwasm::sdk::inherits::kOnResponseTrailers);
  return static_cast<uint32_t>(http != nullptr ? http->onResponseTrailers(num_trailers)
                                               : meshwasm::sdk::FilterTrailersStatus::Continue);
}

uint32_t proxy_on_response_metadata(uint32_t context_id, uint32_t num_elements) {
  auto* http = Dispatcher::http(context_id, meshwasm::sdk::inherits::kOnResponseMetadata);
  return static_cast<uint32_t>(http != nullptr ? http->onResponseMetadata(num_elements)
                                               : meshwasm::sdk::FilterMetadataStatus::Continue);
}

void proxy_on_log(uint32_t context_id) {
  auto* context = Dispatcher::find(context_id);
  if (context != nullptr && !context->inherits(meshwasm::sdk::inherits::kOnLog)) context->onLog();
}

uint32_t proxy_on_done(uint32_t context_id) {
  auto* context = Dispatcher::find(context_id);
  return (context == nullptr || context->inherits(meshwasm::sdk::inherits::kOnDone) ||
          context->onDone())
             ? 1
             : 0;
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
