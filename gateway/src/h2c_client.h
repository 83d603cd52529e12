// An HTTP/2 cleartext (h2c, prior knowledge) client for gRPC calls and streams, on one Asio
// io_context (a worker's). One H2cClient talks to one host:port over one connection, opened on
// the first call and re-opened by the first call after it closed; calls are multiplexed as
// HTTP/2 streams.
//
// Events of a call arrive on the io_context's thread, never from inside the method that caused
// them: initial metadata, each message, trailing metadata, then exactly one close with the
// gRPC status (the status of a trailers-only answer, 14 UNAVAILABLE when the connection fails
// or the stream is reset, 4 DEADLINE_EXCEEDED when the timeout fires, the HTTP mapping for a
// non-200 answer). After cancel() no event of that call arrives.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshwasm::gateway {

using GrpcMetadata = std::vector<std::pair<std::string, std::string>>;

struct GrpcCallEvents {
  std::function<void(GrpcMetadata metadata)> on_initial_metadata;
  std::function<void(std::string message)> on_message;
  std::function<void(GrpcMetadata metadata)> on_trailing_metadata;
  std::function<void(uint32_t status, std::string message)> on_close;
};

struct GrpcCallOptions {
  std::string authority;  // ":authority" (e.g. the cluster name)
  std::string service;    // "pkg.Service"
  std::string method;     // "Method"
  GrpcMetadata metadata;  // sent as request headers (names lower-cased; pseudo-headers dropped)
  std::chrono::milliseconds timeout{0};  // 0 = none; otherwise also sent as grpc-timeout
};

class H2cClient {
 public:
  H2cClient(boost::asio::io_context& io, std::string host, uint16_t port,
            std::chrono::milliseconds connect_timeout = std::chrono::seconds(5));
  ~H2cClient();  // every call ends silently (no events)
  H2cClient(const H2cClient&) = delete;
  H2cClient& operator=(const H2cClient&) = delete;

  // Starts a call; returns its id (never 0). Messages are sent with send(); a unary call is
  // start + send(message, end_stream = true).
  uint64_t start(GrpcCallOptions options, GrpcCallEvents events);
  // Queues one message (framed here); end_stream half-closes after it. false: unknown call or
  // already half-closed.
  bool send(uint64_t call, std::string_view message, bool end_stream);
  // Half-closes without a message. false: unknown or already half-closed.
  bool halfClose(uint64_t call);
  // Resets the call's stream; no further events. false: unknown call.
  bool cancel(uint64_t call);

  size_t activeCalls() const;
  // Connections opened so far (tests: calls share one connection).
  uint64_t connectionsOpened() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace meshwasm::gateway
