// hello_world through the FakeHost: start log, timer, tick log with clock and random bytes.
#include <gtest/gtest.h>

#include <regex>

#include "meshwasm/sdk/testing/fake_host.h"

namespace meshwasm::examples {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::LogLevel;

TEST(HelloWorld, LogsAtVmStartAndSetsAFiveSecondTimer) {
  FakeHost host;
  const uint32_t root = host.startPlugin();
  ASSERT_NE(root, 0u);
  EXPECT_EQ(host.logMessages(LogLevel::Info),
            (std::vector<std::string>{"hello_world: VM started, ticking every 5000 ms"}));
  EXPECT_EQ(host.tickPeriodMilliseconds(root), 5000u);
}

TEST(HelloWorld, EachTickLogsTheClockAndRandomBytes) {
  FakeHost host;
  const uint32_t root = host.startPlugin();
  host.clearLogs();
  host.tick(root);
  host.tick(root);
  const auto lines = host.logMessages(LogLevel::Info);
  ASSERT_EQ(lines.size(), 2u);
  const std::regex first("hello_world: tick 1 at unix time [0-9]{10} s, random 0x[0-9a-f]{16}");
  const std::regex second("hello_world: tick 2 at unix time [0-9]{10} s, random 0x[0-9a-f]{16}");
  EXPECT_TRUE(std::regex_match(lines[0], first)) << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], second)) << lines[1];
  EXPECT_NE(lines[0].substr(lines[0].size() - 16), lines[1].substr(lines[1].size() - 16));
}

TEST(HelloWorld, GreetsEveryRequest) {
  FakeHost host;
  const uint32_t root = host.startPlugin();
  host.clearLogs();
  const uint32_t stream = host.createHttpContext(root);
  EXPECT_EQ(host.requestHeaders(stream, {{":method", "GET"}, {":path", "/get"}}),
            sdk::testing::FilterHeadersStatus::Continue);
  EXPECT_EQ(
      host.logMessages(LogLevel::Info),
      (std::vector<std::string>{"#" + std::to_string(stream) + " hello_world: hello, GET /get"}));
}

}  // namespace
}  // namespace meshwasm::examples
