// The exports of the response callbacks: headers, body, trailers, metadata.
// An object file of its own: a module links it only when something refers to
// detail::linkResponseExports, which the registration macros do when a registered context class
// overrides one of these callbacks (registration.h). A module without these exports gets no such
// calls: hosts skip callbacks a module does not export, and the defaults would have answered
// what a host assumes then (Continue, nothing to do).
#include "dispatcher.h"
#include "exports.h"

namespace meshwasm::sdk::detail {
void linkResponseExports() {}
}  // namespace meshwasm::sdk::detail

using meshwasm::sdk::Dispatcher;

extern "C" {

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

}  // extern "C"
