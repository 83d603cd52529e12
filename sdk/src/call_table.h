// Internal: the callouts a root context is waiting for. RootContext holds only a pointer and
// reaches the routing code through `ops`, so a module that never makes a callout links none
// of it (callouts.cc is pulled in by the first httpCall / grpcCall / grpcStream).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "meshwasm/sdk/context.h"

namespace meshwasm::sdk {

struct CallOps {
  void (*destroy)(CallTable* table);
  size_t (*pending)(const CallTable* table);
  void (*http_response)(RootContext& root, uint32_t token, uint32_t num_headers, size_t body_size,
                        uint32_t num_trailers);
  void (*grpc_initial_metadata)(RootContext& root, uint32_t token, uint32_t num_elements);
  void (*grpc_message)(RootContext& root, uint32_t token, size_t message_size);
  void (*grpc_trailing_metadata)(RootContext& root, uint32_t token, uint32_t num_elements);
  void (*grpc_close)(RootContext& root, uint32_t token, GrpcStatus status);
};

struct CallTable {
  struct PendingCall {
    uint32_t token;
    uint32_t origin;  // context to make effective for the answer (0 = the root context)
    bool unary_grpc;  // ends with its one message (or a close on failure)
    HttpCallCallback http;
    GrpcCallbacks grpc;
  };

  const CallOps* ops;
  std::vector<PendingCall> calls;

  static CallTable& of(RootContext& root);  // creates the table on first use
  static void add(RootContext& root, PendingCall call);
};

}  // namespace meshwasm::sdk
