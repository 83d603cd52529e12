// The built-in upstream's gRPC service, served over HTTP/2 cleartext (h2c, prior knowledge):
//
//   service meshwasm.httpbin.Httpbin {
//     rpc Uuid(UuidRequest) returns (UuidReply);          // UuidReply { string uuid = 1; }
//     rpc Status(StatusRequest) returns (StatusReply);    // StatusRequest { int32 code = 1;
//                                                         //   string message = 2; }
//     rpc Echo(stream Bytes) returns (stream Bytes);      // each message back, in order
//   }
//
// Uuid answers a random version-4 uuid; Status ends the call with the status and message it
// was asked for (an empty reply message for code 0); Echo answers every request message once
// the client half-closes. Unknown methods end with UNIMPLEMENTED, a request that is not
// `POST` + `content-type: application/grpc...` gets HTTP 415, a malformed or compressed
// request INTERNAL / UNIMPLEMENTED.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/status.h"

namespace meshwasm::gateway {

inline constexpr std::string_view kHttpbinGrpcService = "meshwasm.httpbin.Httpbin";

struct GrpcServiceReply {
  std::vector<std::string> messages;
  uint32_t status = 0;
  std::string message;  // grpc-message (not yet percent-encoded)
};

// The service's answer to a whole request (`path` is ":path", e.g.
// "/meshwasm.httpbin.Httpbin/Uuid"). Pure: no I/O.
class HttpbinGrpcService {
 public:
  GrpcServiceReply handle(std::string_view path, const std::vector<std::string>& messages);
};

// A random version-4 uuid in text form (Uuid here, and httpbin's HTTP `/uuid`). Thread-safe.
std::string randomUuidV4();

// Protobuf helpers of the service's messages (also used by tests).
std::string encodeUuidReply(std::string_view uuid);
std::string encodeStatusRequest(int32_t code, std::string_view message);

// An h2c server answering HttpbinGrpcService on `io`'s thread. Every method must be called on
// that thread (or before io runs).
class GrpcServer {
 public:
  // Binds host:port (port 0: any free port) and starts accepting.
  static StatusOr<std::unique_ptr<GrpcServer>> start(boost::asio::io_context& io,
                                                     const std::string& host, uint16_t port);
  virtual ~GrpcServer() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting and closes every connection.
  virtual void stop() = 0;
  // Calls answered since start (for tests and stats).
  virtual uint64_t callsServed() const = 0;
};

}  // namespace meshwasm::gateway
