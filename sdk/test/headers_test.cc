// Header maps through the FakeHost: absent vs empty decided by status, repeated headers, whole
// maps, modifications, availability, and ownership of every host buffer.
#include <gtest/gtest.h>

#include "meshwasm/sdk/testing/fake_host.h"
#include "probe.h"

namespace meshwasm::sdk {
namespace {

using testing::FakeHost;
using testing::Headers;
MESHWASM_REGISTER_PROBE();

class HeadersTest : public ::testing::Test {
 protected:
  void SetUp() override { probe::hooks() = {}; }
  void TearDown() override { probe::hooks() = {}; }

  // Runs `body` inside proxy_on_request_headers of a new stream with `headers`.
  uint32_t inRequestHeaders(Headers headers, std::function<void()> body) {
    if (root_ == 0) root_ = host_.startPlugin("", "probe");
    probe::hooks().on_request_headers = [body](HttpContext&) {
      body();
      return FilterHeadersStatus::Continue;
    };
    const uint32_t stream = host_.createHttpContext(root_);
    host_.requestHeaders(stream, std::move(headers));
    return stream;
  }

  FakeHost host_;
  uint32_t root_ = 0;
};

TEST_F(HeadersTest, AbsentHeaderIsNulloptWithStatusNotFound) {
  inRequestHeaders({{"a", "1"}}, [] {
    WasmResult status = WasmResult::Ok;
    EXPECT_FALSE(getRequestHeader("missing", &status).has_value());
    EXPECT_EQ(status, WasmResult::NotFound);
  });
}

TEST_F(HeadersTest, EmptyValueIsPresentAndEmptyWithoutAnAllocation) {
  inRequestHeaders({{"empty", ""}}, [this] {
    const size_t before = host_.totalAllocations();
    WasmResult status = WasmResult::NotFound;
    auto value = getRequestHeader("empty", &status);
    EXPECT_EQ(status, WasmResult::Ok);
    ASSERT_TRUE(value.has_value());
    EXPECT_TRUE(value->empty());
    EXPECT_EQ(value->data(), nullptr);  // the host wrote pointer 0
    EXPECT_EQ(host_.totalAllocations(), before);
  });
}

TEST_F(HeadersTest, SingleValueCallAnswersTheFirstOfRepeatedValues) {
  inRequestHeaders({{"x", "first"}, {"y", "other"}, {"x", "second"}}, [] {
    EXPECT_EQ(getRequestHeader("x")->view(), "first");
    EXPECT_EQ(getRequestHeaderValues("x"), (std::vector<std::string>{"first", "second"}));
    HeaderMap map = getRequestHeaderMap();
    EXPECT_EQ(map.values("x"), (std::vector<std::string_view>{"first", "second"}));
    EXPECT_EQ(map.first("x"), std::optional<std::string_view>("first"));
    EXPECT_EQ(map.first("nope"), std::nullopt);
  });
}

TEST_F(HeadersTest, KeysMatchInAnyCase) {
  inRequestHeaders({{"content-type", "text/plain"}}, [] {
    EXPECT_EQ(getRequestHeader("Content-Type")->view(), "text/plain");
    EXPECT_EQ(getRequestHeaderMap().first("CONTENT-TYPE"),
              std::optional<std::string_view>("text/plain"));
  });
}

TEST_F(HeadersTest, WholeMapKeepsOrderDuplicatesAndPseudoHeaders) {
  const Headers sent{{":method", "GET"}, {":path", "/a"}, {"k", ""}, {"k", "v"}, {"", "x"}};
  inRequestHeaders(sent, [&] {
    HeaderMap map = getRequestHeaderMap();
    ASSERT_EQ(map.size(), 5u);
    EXPECT_EQ(map.entries()[0], HeaderView(":method", "GET"));
    EXPECT_EQ(map.entries()[2], HeaderView("k", ""));
    EXPECT_EQ(map.entries()[4], HeaderView("", "x"));
    EXPECT_EQ(getRequestHeaderPairs(), sent);
  });
}

TEST_F(HeadersTest, ModificationsReachTheHost) {
  const uint32_t stream = inRequestHeaders({{"a", "1"}, {"b", "1"}, {"b", "2"}, {"c", "3"}}, [] {
    EXPECT_EQ(addRequestHeader("A", "2"), WasmResult::Ok);
    EXPECT_EQ(replaceRequestHeader("b", "only"), WasmResult::Ok);
    EXPECT_EQ(removeRequestHeader("c"), WasmResult::Ok);
    EXPECT_EQ(removeRequestHeader("never-there"), WasmResult::Ok);
    EXPECT_EQ(replaceRequestHeader("new", "n"), WasmResult::Ok);
  });
  EXPECT_EQ(host_.requestHeadersOf(stream),
            (Headers{{"a", "1"}, {"b", "only"}, {"a", "2"}, {"new", "n"}}));
}

TEST_F(HeadersTest, SetPairsReplacesTheWholeMap) {
  const uint32_t stream = inRequestHeaders({{"a", "1"}}, [] {
    EXPECT_EQ(setRequestHeaderPairs({{"x", "1"}, {"x", "2"}, {"e", ""}}), WasmResult::Ok);
  });
  EXPECT_EQ(host_.requestHeadersOf(stream), (Headers{{"x", "1"}, {"x", "2"}, {"e", ""}}));
}

TEST_F(HeadersTest, ByteSizeIsTheSumOfKeyAndValueLengths) {
  inRequestHeaders({{"ab", "cde"}, {"f", ""}}, [] {
    EXPECT_EQ(getHeaderMapByteSize(MapType::HttpRequestHeaders), std::optional<uint32_t>(6));
  });
}

TEST_F(HeadersTest, MapsOfAStreamAreUnavailableInARootContext) {
  root_ = host_.startPlugin("", "probe");
  bool ran = false;
  probe::hooks().on_tick = [&] {
    ran = true;
    WasmResult status = WasmResult::Ok;
    EXPECT_FALSE(getRequestHeader("a", &status).has_value());
    EXPECT_EQ(status, WasmResult::BadArgument);
    EXPECT_TRUE(getRequestHeaderMap().empty());
    EXPECT_EQ(addRequestHeader("a", "b"), WasmResult::BadArgument);
    EXPECT_EQ(getHeaderMapByteSize(MapType::HttpRequestHeaders, &status), std::nullopt);
    EXPECT_EQ(status, WasmResult::BadArgument);
  };
  host_.tick(root_);
  EXPECT_TRUE(ran);
}

TEST_F(HeadersTest, ResponseHeadersAndTrailersHaveTheirOwnMaps) {
  root_ = host_.startPlugin("", "probe");
  const uint32_t stream = host_.createHttpContext(root_);
  host_.requestHeaders(stream, {{"req", "1"}});
  probe::hooks().on_response_headers = [](HttpContext&) {
    EXPECT_EQ(getResponseHeader(":status")->view(), "200");
    EXPECT_EQ(getRequestHeader("req")->view(), "1");  // the FakeHost keeps request headers
    EXPECT_EQ(addResponseHeader("x-added", "yes"), WasmResult::Ok);
    return FilterHeadersStatus::Continue;
  };
  host_.responseHeaders(stream, {{":status", "200"}});
  EXPECT_EQ(host_.responseHeadersOf(stream), (Headers{{":status", "200"}, {"x-added", "yes"}}));
}

TEST_F(HeadersTest, EveryHostBufferIsFreed) {
  for (int i = 0; i < 5; ++i) {
    inRequestHeaders({{"a", "1"}, {"a", "2"}, {"b", "x"}}, [] {
      auto value = getRequestHeader("b");
      auto missing = getRequestHeader("zzz");
      HeaderMap map = getRequestHeaderMap();
      auto pairs = getRequestHeaderPairs();
      auto values = getRequestHeaderValues("a");
      HostBuffer moved = std::move(*value);
      HostBuffer target;
      target = std::move(moved);
      target.reset();
      target.reset();  // idempotent
    });
  }
  EXPECT_GE(host_.totalAllocations(), 15u);
  EXPECT_EQ(host_.outstandingAllocations(), 0u);
  EXPECT_EQ(host_.unknownReleases(), 0u);
}

}  // namespace
}  // namespace meshwasm::sdk
