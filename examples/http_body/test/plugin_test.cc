// http_body through the FakeHost: buffering until end of stream, the rewritten body, the
// dropped content-length.
#include <gtest/gtest.h>

#include "meshwasm/sdk/testing/fake_host.h"

namespace meshwasm::examples {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::FilterDataStatus;
using sdk::testing::Headers;
using sdk::testing::LogLevel;

TEST(HttpBody, BuffersTheWholeBodyThenRewritesIt) {
  FakeHost host;
  const uint32_t stream = host.createHttpContext(host.startPlugin());
  host.requestHeaders(stream, {{":method", "GET"}, {":path", "/get"}});
  host.responseHeaders(stream, {{":status", "200"}, {"content-length", "22"}}, false);
  EXPECT_EQ(host.responseHeadersOf(stream), (Headers{{":status", "200"}}));
  EXPECT_EQ(host.responseBody(stream, "{\"origin\": ", false),
            FilterDataStatus::StopIterationAndBuffer);
  EXPECT_EQ(host.responseBody(stream, "\"127.0.0.1\"}", true), FilterDataStatus::Continue);
  EXPECT_EQ(host.responseBodyOf(stream),
            "{\"ORIGIN\": \"127.0.0.1\"}\n-- rewritten by http_body.wasm\n");
  EXPECT_EQ(host.logMessages(LogLevel::Info),
            (std::vector<std::string>{"#" + std::to_string(stream) +
                                      " http_body: rewrote 23 bytes into 55"}));
  EXPECT_EQ(host.outstandingAllocations(), 0u);
}

TEST(HttpBody, KeepsContentLengthOfABodilessResponse) {
  FakeHost host;
  const uint32_t stream = host.createHttpContext(host.startPlugin());
  host.responseHeaders(stream, {{":status", "204"}, {"content-length", "0"}}, true);
  EXPECT_EQ(host.responseHeadersOf(stream), (Headers{{":status", "204"}, {"content-length", "0"}}));
}

}  // namespace
}  // namespace meshwasm::examples
