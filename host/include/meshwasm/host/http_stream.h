// One HTTP request/response through one plugin (Envoy's HTTP Wasm filter, reference 6.2, 7.2 -
// 7.7, 8). Created by PluginVm::newStream; used on the PluginVm's thread only.
//
// Driving a stream (an embedder's filter):
//   auto s = vm->newStream(&callbacks);
//   a = s->onRequestHeaders(req_headers, end_stream);     // headers edited in place
//   a = s->onRequestBody(body, end_stream);               // per chunk, see FilterAction
//   a = s->onRequestTrailers(trailers);
//   ... upstream ...
//   a = s->onResponseHeaders(resp_headers, end_stream);
//   a = s->onResponseBody(body, end_stream);
//   a = s->onResponseTrailers(trailers);
//   s->onComplete();                                      // proxy_on_log, _done, _delete
// The header maps and bodies passed in must stay alive until onComplete() (the plugin reads
// them read-only in proxy_on_log; request.* properties read the request headers).
// When an action is LocalReply, send localReply() downstream instead of going on: the plugin's
// response callbacks already ran on it when Envoy would run them. Then call onComplete().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "meshwasm/host/embedder.h"

namespace meshwasm::host {

enum class FilterAction : uint8_t {
  Continue,  // go on (forward headers / the whole body buffer / trailers)
  // Headers: hold headers AND body until StreamCallbacks::continueRequest/continueResponse
  // (guest returned 1 or >= 4; no body callbacks meanwhile). Buffer the body while held.
  StopAllIterationAndWatermark,
  // Headers: hold headers, buffer the whole body (limit -> 413 request / 500 response).
  StopAllIterationAndBuffer,
  // Body: keep this chunk buffered and call again with the accumulated body when more
  // arrives (limit -> 413 request / 500 response).
  StopIterationAndBuffer,
  StopIterationAndWatermark,  // body: as above, with flow control
  StopIterationNoBuffer,      // body: do not forward this chunk (the plugin keeps it)
  StopIteration,              // trailers: hold until continued
  LocalReply,                 // send localReply() downstream; stop the stream
  Reset,                      // reset the stream (proxy_close_stream; details in
                              // responseCodeDetails())
};

std::string_view toString(FilterAction action);

// A reply that goes downstream instead of the upstream response.
struct LocalReply {
  uint32_t status = 0;
  // What goes downstream: ":status", the plugin's headers (lower-case, appended),
  // "content-length" when the body is not empty, "content-type: text/plain" when the plugin
  // set none and the body is not empty - after the plugin's response callbacks edited them.
  // For gRPC requests: Envoy's trailers-only form (":status" 200, grpc-status, grpc-message).
  Headers headers;
  std::string body;
  int32_t grpc_status = -1;  // what the plugin passed (-1: none); 14 for wasm_fail_stream
  std::string details;       // response code details, whitespace -> '_'
};

class HttpStream {
 public:
  // Runs onComplete() if the embedder did not, but then without the embedder's header maps
  // (they may be gone): call onComplete() explicitly while they are alive.
  virtual ~HttpStream() = default;

  virtual FilterAction onRequestHeaders(Headers& headers, bool end_stream) = 0;
  // `trailers`: where trailers the plugin adds in the last body callback go (nullptr: none
  // can be added).
  virtual FilterAction onRequestBody(std::string& body, bool end_stream,
                                     Headers* trailers = nullptr) = 0;
  virtual FilterAction onRequestTrailers(Headers& trailers) = 0;
  virtual FilterAction onResponseHeaders(Headers& headers, bool end_stream) = 0;
  virtual FilterAction onResponseBody(std::string& body, bool end_stream,
                                      Headers* trailers = nullptr) = 0;
  virtual FilterAction onResponseTrailers(Headers& trailers) = 0;
  // End of the stream, normal or reset: proxy_on_log, proxy_on_done, proxy_on_delete (Envoy's
  // HTTP order), only if the context was created and the VM is alive. Idempotent.
  virtual void onComplete() = 0;
  // The response headers the client got, when the stream last saw others: a local reply (the
  // stream's own copy) once the embedder's connection manager added `date` and `server` and
  // other filters ran their response callbacks on it. proxy_on_log then reads these, as in
  // Envoy, where the reply is one header map. Call before onComplete(); the map must outlive
  // the stream's use of it (onComplete() or destruction).
  virtual void setSentResponseHeaders(Headers& headers) = 0;

  // Valid after an action LocalReply (or StreamCallbacks::sendLocalReply).
  virtual const LocalReply* localReply() const = 0;
  // The local reply handed over for sending, moved instead of copied (call only when
  // localReply() is not null). localReply() stays non-null with its headers, body and details
  // now empty, and proxy_on_log sees no response headers until setSentResponseHeaders() names
  // the map the reply went out as (as in Envoy, where the reply is that one map).
  virtual LocalReply takeLocalReply() { return *localReply(); }
  // "wasm_fail_stream", "wasm_close_stream", a local reply's details, or "".
  virtual std::string_view responseCodeDetails() const = 0;
  // The plugin's VM failed during this stream (a trap) or before it.
  virtual bool vmFailed() const = 0;
  // The guest's context id for this stream (0 when it was never created).
  virtual uint32_t contextId() const = 0;
};

}  // namespace meshwasm::host
