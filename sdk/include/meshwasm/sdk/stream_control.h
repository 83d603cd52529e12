// Stream control of the current context: resume, close, local replies; context switching;
// call status; foreign functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/sdk/common.h"

namespace meshwasm::sdk {

// Resumes a paused stream after the current callback returns (Ok; Unimplemented for
// upstream in Envoy).
WasmResult continueStream(StreamType stream);
inline WasmResult continueRequest() {
  return continueStream(StreamType::HttpRequest);
}
inline WasmResult continueResponse() {
  return continueStream(StreamType::HttpResponse);
}
inline WasmResult continueDownstream() {
  return continueStream(StreamType::Downstream);
}
// Resets the HTTP stream (0/1) or closes the connection (2/3).
WasmResult closeStream(StreamType stream);

// Answers the request locally instead of forwarding it: `headers` are appended to
// `:status`; the host sets content-length (and content-type text/plain if absent) for a
// non-empty body. grpc_status NotSet lets the host derive one for gRPC requests.
WasmResult sendLocalResponse(uint32_t status_code, std::string_view details, std::string_view body,
                             std::span<const HeaderView> headers,
                             GrpcStatus grpc_status = GrpcStatus::NotSet);
inline WasmResult sendLocalResponse(uint32_t status_code, std::string_view details,
                                    std::string_view body,
                                    std::initializer_list<HeaderView> headers = {},
                                    GrpcStatus grpc_status = GrpcStatus::NotSet) {
  return sendLocalResponse(status_code, details, body,
                           std::span<const HeaderView>(headers.begin(), headers.size()),
                           grpc_status);
}
WasmResult sendLocalResponse(uint32_t status_code, std::string_view details, std::string_view body,
                             const std::vector<HeaderPair>& headers,
                             GrpcStatus grpc_status = GrpcStatus::NotSet);
// Same with the headers already in the pairs encoding (abi::encodePairs), e.g. encoded once
// when the plugin is configured and sent with every reply.
WasmResult sendLocalResponseEncoded(uint32_t status_code, std::string_view details,
                                    std::string_view body, std::string_view encoded_headers,
                                    GrpcStatus grpc_status = GrpcStatus::NotSet);

// Makes the following host calls of this callback act on `context_id` (BadArgument when the
// host does not know it, e.g. the stream ended).
WasmResult setEffectiveContext(uint32_t context_id);
// Finishes a root context whose onDone returned false (NotFound when not pending).
WasmResult done();

// The root context's last call status (HTTP call failure: BrokenConnection; gRPC close: its
// code) and message.
struct CallStatus {
  uint32_t code = 0;
  HostBuffer message;
};
CallStatus getStatus();

// Calls a host-defined function (e.g. Envoy's "compress"). nullopt on any non-Ok status,
// which `status` receives.
std::optional<HostBuffer> callForeignFunction(std::string_view name, std::string_view args,
                                              WasmResult* status = nullptr);

}  // namespace meshwasm::sdk
