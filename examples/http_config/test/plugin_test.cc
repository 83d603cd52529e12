// http_config through the FakeHost: configured headers added to every response, bad
// configuration refused with its error logged.
#include <gtest/gtest.h>

#include "meshwasm/sdk/testing/fake_host.h"

namespace meshwasm::examples {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::Headers;
using sdk::testing::LogLevel;

TEST(HttpConfig, AddsTheConfiguredHeadersToEveryResponse) {
  FakeHost host;
  const uint32_t root =
      host.startPlugin(R"({"headers": {"x-served-by": "meshwasm", "X-Env": "dev"}})");
  ASSERT_NE(root, 0u);
  EXPECT_EQ(host.logMessages(LogLevel::Info),
            (std::vector<std::string>{"http_config: adding 2 response headers"}));
  for (int i = 0; i < 2; ++i) {
    const uint32_t stream = host.createHttpContext(root);
    host.requestHeaders(stream, {{":path", "/get"}});
    host.responseHeaders(stream, {{":status", "200"}});
    EXPECT_EQ(host.responseHeadersOf(stream),
              (Headers{{":status", "200"}, {"x-served-by", "meshwasm"}, {"x-env", "dev"}}));
  }
}

TEST(HttpConfig, RefusesABadConfigurationWithItsError) {
  FakeHost host;
  EXPECT_EQ(host.startPlugin(R"({"headers": {"x bad": "v"}})"), 0u);
  EXPECT_EQ(host.logMessages(LogLevel::Error),
            (std::vector<std::string>{
                "http_config: invalid configuration: headers.\"x bad\": not a valid header name"}));
}

TEST(HttpConfig, ANewConfigurationReplacesTheHeaders) {
  FakeHost host;
  const uint32_t root = host.startPlugin(R"({"headers": {"x-a": "1"}})");
  ASSERT_TRUE(host.configure(root, R"({"headers": {"x-b": "2"}})"));
  EXPECT_FALSE(host.configure(root, "{}"));  // refused: the previous configuration stays
  const uint32_t stream = host.createHttpContext(root);
  host.responseHeaders(stream, {{":status", "200"}});
  EXPECT_EQ(host.responseHeadersOf(stream), (Headers{{":status", "200"}, {"x-b", "2"}}));
}

}  // namespace
}  // namespace meshwasm::examples
