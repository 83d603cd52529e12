// Contexts: one RootContext per plugin configuration, one HttpContext per HTTP stream, one
// StreamContext per TCP connection. The SDK's dispatcher creates them through the factories
// registered for the plugin (registration.h), keyed by the host's context id, and calls the
// virtual methods below; the defaults answer what Envoy expects (Continue, true).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "meshwasm/sdk/common.h"

namespace meshwasm::sdk {

enum class ContextKind : uint8_t { Root, Http, Stream };

class RootContext;
struct Registration;
struct CallTable;
struct CallRouting;

// Callbacks a context class leaves to the SDK's defaults (one bit each). The factories of
// registration.h record them in every context they create, so the dispatcher answers those
// callbacks itself (the default's answer) instead of calling the virtual default.
namespace inherits {
enum : uint16_t {
  kOnCreate = 1u << 0,
  kOnDone = 1u << 1,
  kOnLog = 1u << 2,
  kOnDelete = 1u << 3,
  kOnRequestHeaders = 1u << 4,
  kOnRequestBody = 1u << 5,
  kOnRequestTrailers = 1u << 6,
  kOnRequestMetadata = 1u << 7,
  kOnResponseHeaders = 1u << 8,
  kOnResponseBody = 1u << 9,
  kOnResponseTrailers = 1u << 10,
  kOnResponseMetadata = 1u << 11,
};
}  // namespace inherits

class ContextBase {
 public:
  ContextBase(uint32_t id, ContextKind kind) : id_(id), traits_(static_cast<uint32_t>(kind)) {}
  ContextBase(const ContextBase&) = delete;
  ContextBase& operator=(const ContextBase&) = delete;
  virtual ~ContextBase() = default;

  uint32_t id() const { return id_; }
  ContextKind kind() const { return static_cast<ContextKind>(traits_ & 0xff); }
  // True when the context's class keeps the SDK's default of every callback in `callbacks`
  // (inherits:: bits), as its factory recorded; false when unknown.
  bool inherits(uint16_t callbacks) const { return (traits_ >> 8 & callbacks) == callbacks; }
  // True when the context is of `kind` and its class overrides `callback` (one inherits:: bit):
  // one test of both, for the dispatcher's exports.
  bool isKindOverriding(ContextKind kind, uint16_t callback) const {
    return (traits_ & (0xffu | uint32_t{callback} << 8)) == static_cast<uint32_t>(kind);
  }

  // Right after the SDK created and recorded the context.
  virtual void onCreate() {}
  // The host is finished with the context. Root contexts may return false and call done()
  // later; the value is ignored for stream contexts.
  virtual bool onDone() { return true; }
  // Access-log time: request and response maps are readable (read-only).
  virtual void onLog() {}
  // Last call; the SDK destroys the object right after it.
  virtual void onDelete() {}

 private:
  template <typename T>
  friend T* recordInherited(T* context);

  uint32_t id_;
  // The kind in the low byte, the inherits:: bits above it (0: call every callback, unless a
  // factory knows better).
  uint32_t traits_;
};

// Called with the response of an HTTP callout. num_headers 0 means the call failed (reset,
// timeout without response); getStatus() then tells more. Headers, body and trailers are
// readable inside the callback (getHttpCallResponseHeaderMap(), getHttpCallResponseBody()).
using HttpCallCallback =
    std::function<void(uint32_t num_headers, size_t body_size, uint32_t num_trailers)>;

// Callbacks of a gRPC call or stream; any may be empty. A unary call delivers on_message on
// success, on_close(status) on failure; a stream delivers all four.
struct GrpcCallbacks {
  std::function<void(uint32_t num_elements)> on_initial_metadata;
  std::function<void(size_t message_size)> on_message;  // getGrpcReceiveBuffer()
  std::function<void(uint32_t num_elements)> on_trailing_metadata;
  std::function<void(GrpcStatus status)> on_close;  // getStatus() has the message
};

class RootContext : public ContextBase {
 public:
  RootContext(uint32_t id, std::string_view root_id)
      : ContextBase(id, ContextKind::Root), root_id_(root_id) {}
  ~RootContext() override;

  // The root_id of the plugin configuration this context serves (may be empty).
  std::string_view rootId() const { return root_id_; }

  // VM start: getVmConfiguration() is readable. false fails the plugin start.
  virtual bool onVmStart(size_t vm_configuration_size);
  // Configuration (at start and for every new one): getPluginConfiguration() is readable.
  // false rejects the configuration.
  virtual bool onConfigure(size_t configuration_size);
  virtual bool onValidateConfiguration(size_t configuration_size);
  virtual void onTick();
  virtual void onQueueReady(uint32_t token);
  virtual void onForeignFunction(uint32_t function_id, size_t data_size);

  // Callouts, owned by this root context as the host owns them. `origin_context_id` is the
  // context to make effective when the answer arrives (0 = this root context); when that
  // context no longer exists the answer is dropped.
  WasmResult httpCall(std::string_view cluster, const std::vector<HeaderPair>& headers,
                      std::string_view body, const std::vector<HeaderPair>& trailers,
                      uint32_t timeout_ms, HttpCallCallback callback, uint32_t* token = nullptr,
                      uint32_t origin_context_id = 0);
  WasmResult grpcCall(std::string_view upstream, std::string_view service, std::string_view method,
                      const std::vector<HeaderPair>& initial_metadata, std::string_view message,
                      uint32_t timeout_ms, GrpcCallbacks callbacks, uint32_t* token = nullptr,
                      uint32_t origin_context_id = 0);
  WasmResult grpcStream(std::string_view upstream, std::string_view service,
                        std::string_view method, const std::vector<HeaderPair>& initial_metadata,
                        GrpcCallbacks callbacks, uint32_t* token = nullptr,
                        uint32_t origin_context_id = 0);
  WasmResult grpcSend(uint32_t token, std::string_view message, bool end_stream);
  // Cancel: no further callbacks. Close: half-close a stream (the peer's close still comes).
  WasmResult grpcCancel(uint32_t token);
  WasmResult grpcClose(uint32_t token);
  // Callouts still waiting for their answer.
  size_t pendingCalls() const;

  // Raw callout callbacks. The defaults route by token to the callbacks given above;
  // override only for custom routing.
  virtual void onHttpCallResponse(uint32_t token, uint32_t num_headers, size_t body_size,
                                  uint32_t num_trailers);
  virtual void onGrpcReceiveInitialMetadata(uint32_t token, uint32_t num_elements);
  virtual void onGrpcReceive(uint32_t token, size_t message_size);
  virtual void onGrpcReceiveTrailingMetadata(uint32_t token, uint32_t num_elements);
  virtual void onGrpcClose(uint32_t token, GrpcStatus status);

 private:
  friend struct Dispatcher;
  friend struct CallTable;
  friend struct CallRouting;

  std::string root_id_;
  const Registration* registration_ = nullptr;
  // Callouts waiting for their answer; created by the first callout, so modules that make
  // none carry none of the routing code.
  CallTable* calls_ = nullptr;
};

class HttpContext : public ContextBase {
 public:
  HttpContext(uint32_t id, RootContext* root) : ContextBase(id, ContextKind::Http), root_(root) {}

  RootContext* root() const { return root_; }
  template <typename T>
  T* rootAs() const {
    return static_cast<T*>(root_);
  }

  virtual FilterHeadersStatus onRequestHeaders(uint32_t num_headers, bool end_of_stream);
  virtual FilterDataStatus onRequestBody(size_t body_size, bool end_of_stream);
  virtual FilterTrailersStatus onRequestTrailers(uint32_t num_trailers);
  virtual FilterMetadataStatus onRequestMetadata(uint32_t num_elements);
  virtual FilterHeadersStatus onResponseHeaders(uint32_t num_headers, bool end_of_stream);
  virtual FilterDataStatus onResponseBody(size_t body_size, bool end_of_stream);
  virtual FilterTrailersStatus onResponseTrailers(uint32_t num_trailers);
  virtual FilterMetadataStatus onResponseMetadata(uint32_t num_elements);

  // An HTTP callout whose callback runs with this context effective (dropped if the stream
  // is gone by then). Typical use: call, return StopIteration, then continueRequest() or
  // sendLocalResponse() in the callback.
  WasmResult dispatchHttpCall(std::string_view cluster, const std::vector<HeaderPair>& headers,
                              std::string_view body, const std::vector<HeaderPair>& trailers,
                              uint32_t timeout_ms, HttpCallCallback callback,
                              uint32_t* token = nullptr) {
    return root_->httpCall(cluster, headers, body, trailers, timeout_ms, std::move(callback), token,
                           id());
  }
  WasmResult dispatchGrpcCall(std::string_view upstream, std::string_view service,
                              std::string_view method,
                              const std::vector<HeaderPair>& initial_metadata,
                              std::string_view message, uint32_t timeout_ms,
                              GrpcCallbacks callbacks, uint32_t* token = nullptr) {
    return root_->grpcCall(upstream, service, method, initial_metadata, message, timeout_ms,
                           std::move(callbacks), token, id());
  }

 private:
  RootContext* root_;
};

namespace detail {

// Whether T keeps Base's `name` unchanged: then &T::name is a pointer to a member of Base. A
// name T overloads or hides (even with another signature) counts as overridden.
#define MESHWASM_SDK_INHERITS(Base, name, Type)                                      \
  template <typename T>                                                              \
  constexpr bool inherits_##name() {                                                 \
    if constexpr (requires { &T::name; }) {                                          \
      return std::is_same_v<decltype(&T::name), std::type_identity_t<Type> Base::*>; \
    } else {                                                                         \
      return false;                                                                  \
    }                                                                                \
  }
MESHWASM_SDK_INHERITS(ContextBase, onCreate, void())
MESHWASM_SDK_INHERITS(ContextBase, onDone, bool())
MESHWASM_SDK_INHERITS(ContextBase, onLog, void())
MESHWASM_SDK_INHERITS(ContextBase, onDelete, void())
MESHWASM_SDK_INHERITS(HttpContext, onRequestHeaders, FilterHeadersStatus(uint32_t, bool))
MESHWASM_SDK_INHERITS(HttpContext, onRequestBody, FilterDataStatus(size_t, bool))
MESHWASM_SDK_INHERITS(HttpContext, onRequestTrailers, FilterTrailersStatus(uint32_t))
MESHWASM_SDK_INHERITS(HttpContext, onRequestMetadata, FilterMetadataStatus(uint32_t))
MESHWASM_SDK_INHERITS(HttpContext, onResponseHeaders, FilterHeadersStatus(uint32_t, bool))
MESHWASM_SDK_INHERITS(HttpContext, onResponseBody, FilterDataStatus(size_t, bool))
MESHWASM_SDK_INHERITS(HttpContext, onResponseTrailers, FilterTrailersStatus(uint32_t))
MESHWASM_SDK_INHERITS(HttpContext, onResponseMetadata, FilterMetadataStatus(uint32_t))
#undef MESHWASM_SDK_INHERITS

// The inherits:: bits of context class T (HTTP callbacks only when T is an HttpContext).
template <typename T>
constexpr uint16_t inheritedCallbacks() {
  uint16_t bits = (inherits_onCreate<T>() ? inherits::kOnCreate : 0) |
                  (inherits_onDone<T>() ? inherits::kOnDone : 0) |
                  (inherits_onLog<T>() ? inherits::kOnLog : 0) |
                  (inherits_onDelete<T>() ? inherits::kOnDelete : 0);
  if constexpr (std::is_base_of_v<HttpContext, T>) {
    bits |= (inherits_onRequestHeaders<T>() ? inherits::kOnRequestHeaders : 0) |
            (inherits_onRequestBody<T>() ? inherits::kOnRequestBody : 0) |
            (inherits_onRequestTrailers<T>() ? inherits::kOnRequestTrailers : 0) |
            (inherits_onRequestMetadata<T>() ? inherits::kOnRequestMetadata : 0) |
            (inherits_onResponseHeaders<T>() ? inherits::kOnResponseHeaders : 0) |
            (inherits_onResponseBody<T>() ? inherits::kOnResponseBody : 0) |
            (inherits_onResponseTrailers<T>() ? inherits::kOnResponseTrailers : 0) |
            (inherits_onResponseMetadata<T>() ? inherits::kOnResponseMetadata : 0);
  }
  return bits;
}

}  // namespace detail

// Records in `context` (a new object of exactly class T) the callbacks T leaves to the defaults.
template <typename T>
T* recordInherited(T* context) {
  context->traits_ |= uint32_t{detail::inheritedCallbacks<T>()} << 8;
  return context;
}

class StreamContext : public ContextBase {
 public:
  StreamContext(uint32_t id, RootContext* root)
      : ContextBase(id, ContextKind::Stream), root_(root) {}

  RootContext* root() const { return root_; }
  template <typename T>
  T* rootAs() const {
    return static_cast<T*>(root_);
  }

  virtual FilterStatus onNewConnection();
  virtual FilterStatus onDownstreamData(size_t data_size, bool end_of_stream);
  virtual FilterStatus onUpstreamData(size_t data_size, bool end_of_stream);
  virtual void onDownstreamConnectionClose(PeerType peer);
  virtual void onUpstreamConnectionClose(PeerType peer);

 private:
  RootContext* root_;
};

}  // namespace meshwasm::sdk
