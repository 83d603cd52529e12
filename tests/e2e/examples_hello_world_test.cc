// examples/hello_world through `meshwasm run`: the VM-start line, a timer tick with the wall
// clock and random bytes within one tick period, and the greeting for a request.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

// The text of every stderr line that contains `needle`, from `needle` on.
std::vector<std::string> linesFrom(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (size_t at = line.find(needle); at != std::string::npos) out.push_back(line.substr(at));
    start = end + 1;
  }
  return out;
}

bool isHexDigits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST(ExamplesHelloWorld, LogsVmStartThenTicksWithClockAndRandomAndGreetsRequests) {
  const std::string module = wasmModule("hello_world.wasm");
  if (module.empty()) GTEST_SKIP() << "hello_world.wasm not built in " << wasmDir();
  const int64_t started = static_cast<int64_t>(std::time(nullptr));
  std::string error;
  auto gw = GatewayProcess::start({"--plugin", module, "--workers", "1"}, &error);
  ASSERT_TRUE(gw) << error;

  // Root-context lines carry no plugin name (Envoy: `wasm log: ...`). The start check
  // (canary) and the one worker each start a VM, so the line appears twice.
  EXPECT_TRUE(gw->waitForErr("wasm log: hello_world: VM started, ticking every 5000 ms"))
      << gw->err();

  const HttpResponse response = request(gw->port(), "GET", "/get?name=hello");
  EXPECT_EQ(response.status, 200) << response.raw;
  EXPECT_TRUE(gw->waitForErr("wasm log hello_world: #2 hello_world: hello, GET /get?name=hello"))
      << gw->err();

  // The first tick comes one period (5 s) after configure; allow some slack on a busy machine.
  ASSERT_TRUE(
      gw->waitForErr("wasm log: hello_world: tick 1 at unix time ", std::chrono::seconds(12)))
      << gw->err();
  const int64_t finished = static_cast<int64_t>(std::time(nullptr));
  EXPECT_EQ(gw->terminate(SIGTERM), 0);

  const std::string err = gw->err();
  EXPECT_EQ(linesFrom(err, "wasm log: hello_world: VM started").size(), 2u) << err;
  const std::vector<std::string> ticks = linesFrom(err, "wasm log: hello_world: tick ");
  ASSERT_FALSE(ticks.empty()) << err;
  // "wasm log: hello_world: tick 1 at unix time <seconds> s, random 0x<16 hex digits>"
  const std::string prefix = "wasm log: hello_world: tick 1 at unix time ";
  const std::string& tick = ticks.front();
  ASSERT_EQ(tick.compare(0, prefix.size(), prefix), 0) << tick;
  const size_t seconds_end = tick.find(" s, random 0x", prefix.size());
  ASSERT_NE(seconds_end, std::string::npos) << tick;
  const int64_t seconds = std::stoll(tick.substr(prefix.size(), seconds_end - prefix.size()));
  EXPECT_GE(seconds, started) << tick;
  EXPECT_LE(seconds, finished) << tick;
  const std::string random = tick.substr(seconds_end + std::string(" s, random 0x").size());
  EXPECT_EQ(random.size(), 16u) << tick;
  EXPECT_TRUE(isHexDigits(random)) << tick;
}

}  // namespace
}  // namespace meshwasm::e2e
