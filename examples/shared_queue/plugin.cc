// shared_queue: request contexts hand work to the root context through a shared queue.
//
// The root context registers queue `shared_queue.requests` when its VM starts. Every request
// enqueues "<method> <path>" and goes on; the host then calls proxy_on_queue_ready on the
// root context that registered the queue (never inline: later, on its own thread), which
// drains the queue and logs each item:
//
//   #2 shared_queue: enqueued GET /status/200
//   shared_queue: dequeued GET /status/200 (1 item)
//
// With several workers every worker's root context registers the same queue; as in Envoy the
// last registration receives the notifications, so one root context drains the items of all.
#include <optional>
#include <string>
#include <string_view>

#include "meshwasm/sdk/sdk.h"

namespace meshwasm::examples {
namespace {

namespace sdk = ::meshwasm::sdk;

constexpr std::string_view kQueue = "shared_queue.requests";

class SharedQueueRoot : public sdk::RootContext {
 public:
  using sdk::RootContext::RootContext;

  bool onVmStart(size_t) override {
    sdk::WasmResult status = sdk::WasmResult::Ok;
    std::optional<uint32_t> token = sdk::registerSharedQueue(kQueue, &status);
    if (!token) {
      sdk::logError("shared_queue: cannot register queue " + std::string(kQueue) + " (" +
                    std::string(abi::toString(status)) + ")");
      return false;
    }
    token_ = *token;
    return true;
  }

  void onQueueReady(uint32_t token) override {
    if (token != token_) return;
    uint32_t drained = 0;
    sdk::WasmResult status = sdk::WasmResult::Ok;
    while (std::optional<sdk::HostBuffer> item = sdk::dequeueSharedQueue(token, &status)) {
      ++drained;
      sdk::logInfo("shared_queue: dequeued " + item->toString() + " (" + sdk::toDecimal(drained) +
                   (drained == 1 ? " item)" : " items)"));
    }
    if (status != sdk::WasmResult::Empty) {
      sdk::logError("shared_queue: dequeue failed (" + std::string(abi::toString(status)) + ")");
    }
  }

  uint32_t token() const { return token_; }

 private:
  uint32_t token_ = 0;
};

class SharedQueueHttp : public sdk::HttpContext {
 public:
  SharedQueueHttp(uint32_t id, sdk::RootContext* root) : sdk::HttpContext(id, root) {}

  sdk::FilterHeadersStatus onRequestHeaders(uint32_t, bool) override {
    std::string item = sdk::getRequestHeader(":method").value_or(sdk::HostBuffer()).toString() +
                       " " + sdk::getRequestHeader(":path").value_or(sdk::HostBuffer()).toString();
    std::string line("#");
    line += sdk::toDecimal(id());
    line += " shared_queue: ";
    const sdk::WasmResult result =
        sdk::enqueueSharedQueue(rootAs<SharedQueueRoot>()->token(), item);
    if (result != sdk::WasmResult::Ok) {
      sdk::logWarn(line + "cannot enqueue (" + std::string(abi::toString(result)) + ")");
    } else {
      sdk::logInfo(line + "enqueued " + item);
    }
    return sdk::FilterHeadersStatus::Continue;
  }
};

}  // namespace
}  // namespace meshwasm::examples

MESHWASM_REGISTER_HTTP_PLUGIN(meshwasm::examples::SharedQueueRoot,
                              meshwasm::examples::SharedQueueHttp, "");
