// hello_world: the smallest useful plugin. It logs when its VM starts, then every 5 seconds
// from a timer, reading the wall clock (WASI clock_time_get) and 8 random bytes (WASI
// random_get), and greets every request in the log:
//
//   hello_world: VM started, ticking every 5000 ms
//   hello_world: tick 1 at unix time 1795998301 s, random 0x1f0c8a55e2d3b6a0
//   #2 hello_world: hello, GET /get
#include <time.h>
#include <unistd.h>

#include <string>

#include "meshwasm/sdk/sdk.h"

namespace meshwasm::examples {
namespace {

namespace sdk = ::meshwasm::sdk;

constexpr uint32_t kTickMilliseconds = 5000;

std::string hex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out("0x");
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

class HelloRoot : public sdk::RootContext {
 public:
  using sdk::RootContext::RootContext;

  bool onVmStart(size_t) override {
    sdk::logInfo("hello_world: VM started, ticking every " + sdk::toDecimal(kTickMilliseconds) +
                 " ms");
    return true;
  }

  // The timer belongs to the root context: set it once the plugin is configured.
  bool onConfigure(size_t) override {
    return sdk::setTickPeriodMilliseconds(kTickMilliseconds) == sdk::WasmResult::Ok;
  }

  void onTick() override {
    ++ticks_;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);  // WASI clock_time_get
    unsigned char random[8];
    std::string random_text = "unavailable";
    if (getentropy(random, sizeof(random)) == 0) random_text = hex(random, sizeof(random));
    sdk::logInfo("hello_world: tick " + sdk::toDecimal(ticks_) + " at unix time " +
                 sdk::toDecimal(static_cast<int64_t>(now.tv_sec)) + " s, random " + random_text);
  }

 private:
  uint64_t ticks_ = 0;
};

class HelloHttp : public sdk::HttpContext {
 public:
  using sdk::HttpContext::HttpContext;

  sdk::FilterHeadersStatus onRequestHeaders(uint32_t, bool) override {
    const sdk::HeaderMap headers = sdk::getRequestHeaderMap();
    std::string line = "#" + sdk::toDecimal(id()) + " hello_world: hello, ";
    line += headers.first(":method").value_or("?");
    line += ' ';
    line += headers.first(":path").value_or("?");
    sdk::logInfo(line);
    return sdk::FilterHeadersStatus::Continue;
  }
};

}  // namespace
}  // namespace meshwasm::examples

MESHWASM_REGISTER_HTTP_PLUGIN(meshwasm::examples::HelloRoot, meshwasm::examples::HelloHttp, "");
