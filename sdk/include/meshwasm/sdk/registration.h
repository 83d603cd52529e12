// Registration: one line per plugin, evaluated while the module starts (static
// construction). It only records factories; no host function is called then (the host
// forbids most of them during start).
//
//   MESHWASM_REGISTER_HTTP_PLUGIN(MyRootContext, MyHttpContext, "");
//
// The root_id selects which plugin configuration the factories serve; "" serves any
// root_id that has no exact registration. A root context whose root_id matches nothing gets
// a plain RootContext (and no stream contexts).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

#include "meshwasm/sdk/context.h"

namespace meshwasm::sdk {

using RootFactory = std::unique_ptr<RootContext> (*)(uint32_t id, std::string_view root_id);
using HttpFactory = std::unique_ptr<HttpContext> (*)(uint32_t id, RootContext* root);
using StreamFactory = std::unique_ptr<StreamContext> (*)(uint32_t id, RootContext* root);

struct Registration {
  std::string_view root_id;  // must outlive the module (a string literal)
  RootFactory root = nullptr;
  HttpFactory http = nullptr;
  StreamFactory stream = nullptr;
};

namespace detail {

// The exports of callbacks a context class may leave to the defaults live in object files of
// their own; a reference to one of these (empty) functions links that file into the module. A
// module exports only the callbacks some registered class overrides: hosts skip callbacks a
// module does not export, which is what the defaults answer, without entering the module.
void linkRequestExports();   // proxy_on_request_body, _trailers, _metadata
void linkResponseExports();  // proxy_on_response_headers, _body, _trailers, _metadata
void linkLogExport();        // proxy_on_log
void linkDoneExport();       // proxy_on_done

inline constexpr uint16_t kRequestCallbacks =
    inherits::kOnRequestBody | inherits::kOnRequestTrailers | inherits::kOnRequestMetadata;
inline constexpr uint16_t kResponseCallbacks =
    inherits::kOnResponseHeaders | inherits::kOnResponseBody | inherits::kOnResponseTrailers |
    inherits::kOnResponseMetadata;

// Links the optional exports the classes of one registration need (HttpOrStream: the stream
// context class).
template <typename Root, typename HttpOrStream>
void linkExportsFor() {
  constexpr uint16_t stream = inheritedCallbacks<HttpOrStream>();
  if constexpr (std::is_base_of_v<HttpContext, HttpOrStream>) {
    if constexpr ((stream & kRequestCallbacks) != kRequestCallbacks) linkRequestExports();
    if constexpr ((stream & kResponseCallbacks) != kResponseCallbacks) linkResponseExports();
  }
  constexpr uint16_t both = inheritedCallbacks<Root>() & stream;
  if constexpr ((both & inherits::kOnLog) == 0) linkLogExport();
  if constexpr ((both & inherits::kOnDone) == 0) linkDoneExport();
}

struct KnownClasses {};  // registration by the macros below

}  // namespace detail

class RegisterContextFactory {
 public:
  // Factories of any classes: the module exports every callback.
  RegisterContextFactory(RootFactory root, HttpFactory http, std::string_view root_id = "");
  RegisterContextFactory(RootFactory root, StreamFactory stream, std::string_view root_id = "");
  // The macros' registrations, whose classes are known: the optional exports are linked by
  // detail::linkExportsFor.
  RegisterContextFactory(detail::KnownClasses, RootFactory root, HttpFactory http,
                         std::string_view root_id);
  RegisterContextFactory(detail::KnownClasses, RootFactory root, StreamFactory stream,
                         std::string_view root_id);
};

template <typename T>
std::unique_ptr<RootContext> makeRootContext(uint32_t id, std::string_view root_id) {
  return std::unique_ptr<RootContext>(recordInherited(new T(id, root_id)));
}
template <typename T>
std::unique_ptr<HttpContext> makeHttpContext(uint32_t id, RootContext* root) {
  return std::unique_ptr<HttpContext>(recordInherited(new T(id, root)));
}
template <typename T>
std::unique_ptr<StreamContext> makeStreamContext(uint32_t id, RootContext* root) {
  return std::unique_ptr<StreamContext>(recordInherited(new T(id, root)));
}

}  // namespace meshwasm::sdk

#define MESHWASM_SDK_CONCAT_INNER(a, b) a##b
#define MESHWASM_SDK_CONCAT(a, b) MESHWASM_SDK_CONCAT_INNER(a, b)

// Registers RootType (constructor (uint32_t id, std::string_view root_id)) and HttpType
// (constructor (uint32_t id, RootContext* root)) for `root_id`.
#define MESHWASM_REGISTER_HTTP_PLUGIN(RootType, HttpType, root_id)                            \
  static ::meshwasm::sdk::RegisterContextFactory MESHWASM_SDK_CONCAT(meshwasm_registration_,  \
                                                                     __LINE__)(               \
      (::meshwasm::sdk::detail::linkExportsFor<RootType, HttpType>(),                         \
       ::meshwasm::sdk::detail::KnownClasses{}),                                              \
      ::meshwasm::sdk::makeRootContext<RootType>, ::meshwasm::sdk::makeHttpContext<HttpType>, \
      root_id)

// Same for a TCP (network filter) plugin: ConnectionType derives from StreamContext.
#define MESHWASM_REGISTER_STREAM_PLUGIN(RootType, ConnectionType, root_id)                   \
  static ::meshwasm::sdk::RegisterContextFactory MESHWASM_SDK_CONCAT(meshwasm_registration_, \
                                                                     __LINE__)(              \
      (::meshwasm::sdk::detail::linkExportsFor<RootType, ConnectionType>(),                  \
       ::meshwasm::sdk::detail::KnownClasses{}),                                             \
      ::meshwasm::sdk::makeRootContext<RootType>,                                            \
      ::meshwasm::sdk::makeStreamContext<ConnectionType>, root_id)
