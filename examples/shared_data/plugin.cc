// shared_data: one request counter for all workers, kept in the host's shared key-value
// store (Envoy shares it between every VM with the same vm_id, i.e. across worker threads).
//
// Each request increments key `shared_data.requests` with a compare-and-swap loop: read the
// value and its cas, write value + 1 with that cas, and start over when another worker wrote
// in between (CasMismatch). The count this request wrote goes out in response header
// `x-request-count`, and the log says which request got which count:
//
//   #2 shared_data: request count 7
//   #2 shared_data: request count 8 (after 1 CAS retry)
#include <optional>
#include <string>
#include <string_view>

#include "meshwasm/sdk/sdk.h"
#include "shared_counter.h"

namespace meshwasm::examples {
namespace {

namespace sdk = ::meshwasm::sdk;

constexpr std::string_view kKey = "shared_data.requests";

std::optional<StoredCount> readCount() {
  std::optional<sdk::SharedData> data = sdk::getSharedData(kKey);
  if (!data) return std::nullopt;
  return StoredCount{data->value.toString(), data->cas};
}

WriteResult writeCount(const std::string& text, uint32_t cas) {
  switch (sdk::setSharedData(kKey, text, cas)) {
    case sdk::WasmResult::Ok: return WriteResult::Ok;
    case sdk::WasmResult::CasMismatch: return WriteResult::CasMismatch;
    default: return WriteResult::Failed;
  }
}

class SharedDataRoot : public sdk::RootContext {
 public:
  using sdk::RootContext::RootContext;

  // Every worker's VM starts here; the first one creates the key.
  bool onVmStart(size_t) override {
    if (!sdk::getSharedData(kKey)) sdk::setSharedData(kKey, "0", 0);
    return true;
  }
};

class SharedDataHttp : public sdk::HttpContext {
 public:
  SharedDataHttp(uint32_t id, sdk::RootContext* root) : sdk::HttpContext(id, root) {}

  sdk::FilterHeadersStatus onRequestHeaders(uint32_t, bool) override {
    const IncrementResult result = incrementSharedCount(readCount, writeCount);
    std::string line("#");
    line += sdk::toDecimal(id());
    line += " shared_data: ";
    if (!result.ok) {
      line += "could not update the request count";
      sdk::logWarn(line);
      return sdk::FilterHeadersStatus::Continue;
    }
    count_ = formatCount(result.value);
    line += "request count " + count_;
    if (result.retries > 0) {
      line += " (after " + sdk::toDecimal(static_cast<uint32_t>(result.retries)) + " CAS retr";
      line += result.retries == 1 ? "y)" : "ies)";
    }
    if (result.repaired) line += " (the stored value was not a number; restarted at 0)";
    sdk::logInfo(line);
    return sdk::FilterHeadersStatus::Continue;
  }

  sdk::FilterHeadersStatus onResponseHeaders(uint32_t, bool) override {
    if (!count_.empty()) sdk::addResponseHeader("x-request-count", count_);
    return sdk::FilterHeadersStatus::Continue;
  }

 private:
  std::string count_;
};

}  // namespace
}  // namespace meshwasm::examples

MESHWASM_REGISTER_HTTP_PLUGIN(meshwasm::examples::SharedDataRoot,
                              meshwasm::examples::SharedDataHttp, "");
