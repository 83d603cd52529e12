// http_headers through the FakeHost: every header logged in order, repeated ones included, and
// the added response header.
#include <gtest/gtest.h>

#include "meshwasm/sdk/testing/fake_host.h"

namespace meshwasm::examples {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::Headers;
using sdk::testing::LogLevel;

TEST(HttpHeaders, LogsEveryRequestAndResponseHeaderAndAddsOne) {
  FakeHost host;
  const uint32_t root = host.startPlugin();
  const uint32_t stream = host.createHttpContext(root);
  const std::string id = "#" + std::to_string(stream);
  host.requestHeaders(
      stream,
      {{":method", "GET"}, {":path", "/get"}, {"accept", "a"}, {"accept", "b"}, {"x-empty", ""}});
  host.responseHeaders(stream, {{":status", "200"}, {"content-type", "application/json"}});
  host.completeHttpContext(stream);
  EXPECT_EQ(host.logMessages(LogLevel::Info),
            (std::vector<std::string>{
                id + " -> :method: GET", id + " -> :path: /get", id + " -> accept: a",
                id + " -> accept: b", id + " -> x-empty: ", id + " <- :status: 200",
                id + " <- content-type: application/json", id + " http_headers: done"}));
  EXPECT_EQ(host.responseHeadersOf(stream), (Headers{{":status", "200"},
                                                     {"content-type", "application/json"},
                                                     {"x-wasm-example", "http_headers"}}));
  EXPECT_EQ(host.requestHeadersOf(stream).size(), 5u);  // request left untouched
  EXPECT_EQ(host.outstandingAllocations(), 0u);
}

}  // namespace
}  // namespace meshwasm::examples
