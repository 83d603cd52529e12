// Typed wrappers through the FakeHost: logging, time, properties, buffers, local replies,
// stream control, metrics, shared data with CAS, shared queues, foreign functions.
#include <gtest/gtest.h>

#include "meshwasm/abi/pairs.h"
#include "meshwasm/sdk/testing/fake_host.h"
#include "probe.h"

namespace meshwasm::sdk {
namespace {

using testing::FakeHost;
using testing::Headers;
MESHWASM_REGISTER_PROBE();

class HostCalls : public ::testing::Test {
 protected:
  void SetUp() override {
    probe::hooks() = {};
    root_ = host_.startPlugin("", "probe");
    ASSERT_NE(root_, 0u);
  }
  void TearDown() override { probe::hooks() = {}; }

  // Runs `body` in a root context callback (a tick).
  void inRoot(std::function<void()> body) {
    probe::hooks().on_tick = std::move(body);
    host_.tick(root_);
    probe::hooks().on_tick = nullptr;
  }
  // Runs `body` in proxy_on_request_headers of a new stream; returns the stream id.
  uint32_t inStream(std::function<FilterHeadersStatus()> body, Headers headers = {{"a", "b"}}) {
    probe::hooks().on_request_headers = [body](HttpContext&) { return body(); };
    const uint32_t stream = host_.createHttpContext(root_);
    host_.requestHeaders(stream, std::move(headers));
    probe::hooks().on_request_headers = nullptr;
    return stream;
  }

  FakeHost host_;
  uint32_t root_ = 0;
};

TEST_F(HostCalls, LogsAtEverySixLevels) {
  host_.clearLogs();
  inRoot([] {
    logTrace("t");
    logDebug("d");
    logInfo("i");
    logWarn("w");
    logError("e");
    logCritical("c");
    EXPECT_EQ(log(static_cast<LogLevel>(6), "bad level"), WasmResult::BadArgument);
  });
  ASSERT_EQ(host_.logs().size(), 6u);
  const char* expected[] = {"t", "d", "i", "w", "e", "c"};
  for (uint32_t i = 0; i < 6; ++i) {
    EXPECT_EQ(host_.logs()[i].level, static_cast<LogLevel>(i));
    EXPECT_EQ(host_.logs()[i].message, expected[i]);
    EXPECT_EQ(host_.logs()[i].context_id, root_);
  }
}

TEST_F(HostCalls, ReadsTheHostLogLevel) {
  host_.setLogLevel(LogLevel::Warn);
  inRoot([] { EXPECT_EQ(getLogLevel(), LogLevel::Warn); });
  host_.setLogLevel(LogLevel::Off);
  inRoot([] { EXPECT_EQ(getLogLevel(), LogLevel::Off); });
}

TEST_F(HostCalls, LogEnabledAsksTheHostLevelEveryTime) {
  host_.setLogLevel(LogLevel::Warn);
  inRoot([] {
    EXPECT_FALSE(logEnabled(LogLevel::Info));
    EXPECT_TRUE(logEnabled(LogLevel::Warn));
    EXPECT_TRUE(logEnabled(LogLevel::Critical));
  });
  host_.setLogLevel(LogLevel::Trace);
  inRoot([] { EXPECT_TRUE(logEnabled(LogLevel::Trace)); });
  host_.setLogLevel(LogLevel::Off);
  inRoot([] { EXPECT_FALSE(logEnabled(LogLevel::Critical)); });
}

TEST_F(HostCalls, ReadsTimeAndSetsTheTickPeriod) {
  host_.setTimeNanoseconds(1234567890123ull);
  inRoot([] {
    EXPECT_EQ(currentTimeNanoseconds(), 1234567890123ull);
    EXPECT_EQ(setTickPeriodMilliseconds(250), WasmResult::Ok);
  });
  EXPECT_EQ(host_.tickPeriodMilliseconds(root_), 250u);
}

TEST_F(HostCalls, ReadsPropertiesByPathSegments) {
  host_.setProperty({"request", "path"}, "/x?y=1");
  host_.setProperty({"response", "code"}, std::string("\xc8\0\0\0\0\0\0\0", 8));  // 200
  host_.setProperty({"connection", "mtls"}, std::string(1, '\1'));
  host_.setProperty({"request", "headers"},
                    abi::encodePairs(std::vector<HeaderPair>{{"allow", "true,false"}}));
  host_.setProperty({"empty"}, "");
  inRoot([] {
    EXPECT_EQ(getPropertyString({"request", "path"}), std::optional<std::string>("/x?y=1"));
    EXPECT_EQ(getPropertyInt64({"response", "code"}), std::optional<int64_t>(200));
    EXPECT_EQ(getPropertyUint64({"response", "code"}), std::optional<uint64_t>(200));
    EXPECT_EQ(getPropertyBool({"connection", "mtls"}), std::optional<bool>(true));
    EXPECT_EQ(getPropertyInt64({"request", "path"}), std::nullopt);  // not 8 bytes
    EXPECT_EQ(
        getPropertyPairs({"request", "headers"}),
        std::optional<std::vector<HeaderPair>>(std::vector<HeaderPair>{{"allow", "true,false"}}));
    // One segment "request.path" is not the path request/path.
    WasmResult status = WasmResult::Ok;
    EXPECT_FALSE(getProperty({"request.path"}, &status).has_value());
    EXPECT_EQ(status, WasmResult::NotFound);
    // Present but empty.
    auto empty = getProperty({"empty"}, &status);
    EXPECT_EQ(status, WasmResult::Ok);
    ASSERT_TRUE(empty.has_value());
    EXPECT_TRUE(empty->empty());
    // The root context's own root_id (readable in root contexts).
    EXPECT_EQ(getPropertyString({"plugin_root_id"}), std::optional<std::string>("probe"));
  });
  EXPECT_EQ(encodePropertyPath(std::vector<std::string_view>{"a", "b", "c"}),
            std::string("a\0b\0c", 5));
}

TEST_F(HostCalls, SetsPropertiesOnStreamsOnly) {
  inRoot([] { EXPECT_EQ(setProperty({"my", "key"}, "v"), WasmResult::NotFound); });
  const uint32_t stream = inStream([] {
    EXPECT_EQ(setProperty({"my", "key"}, "v"), WasmResult::Ok);
    EXPECT_EQ(getPropertyString({"my", "key"}), std::optional<std::string>("v"));
    return FilterHeadersStatus::Continue;
  });
  EXPECT_EQ(host_.propertyOf(stream, {"my", "key"}), std::optional<std::string>("v"));
}

TEST_F(HostCalls, PluginConfigurationIsReadableOnlyWhileConfiguring) {
  std::string seen;
  probe::hooks().on_configure = [&] {
    seen = getPluginConfiguration().toString();
    return true;
  };
  ASSERT_TRUE(host_.configure(root_, "{\"k\":1}"));
  EXPECT_EQ(seen, "{\"k\":1}");
  inRoot([] {
    WasmResult status = WasmResult::Ok;
    EXPECT_FALSE(getBufferBytes(BufferType::PluginConfiguration, 0, kWholeBuffer, &status));
    EXPECT_EQ(status, WasmResult::NotFound);
    EXPECT_TRUE(getPluginConfiguration().empty());
  });
}

TEST_F(HostCalls, ReadsAndRewritesBodiesWithEnvoySemantics) {
  const uint32_t stream = host_.createHttpContext(root_);
  host_.requestHeaders(stream, {{"a", "b"}}, false);
  probe::hooks().on_request_body = [](HttpContext&, size_t size, bool end_of_stream) {
    EXPECT_EQ(getBufferSize(BufferType::HttpRequestBody), std::optional<uint32_t>(size));
    if (!end_of_stream) return FilterDataStatus::StopIterationAndBuffer;
    EXPECT_EQ(getRequestBody().view(), "hello world");
    EXPECT_EQ(getBufferBytes(BufferType::HttpRequestBody, 6, 3)->view(), "wor");
    EXPECT_TRUE(getBufferBytes(BufferType::HttpRequestBody, 100, 3)->empty());
    EXPECT_EQ(setBufferBytes(BufferType::HttpRequestBody, 0, 5, "HELLO"), WasmResult::Ok);
    EXPECT_EQ(setBufferBytes(BufferType::HttpRequestBody, kWholeBuffer, 0, "!"), WasmResult::Ok);
    EXPECT_EQ(setBufferBytes(BufferType::HttpRequestBody, 3, 1, "x"), WasmResult::BadArgument);
    return FilterDataStatus::Continue;
  };
  host_.requestBody(stream, "hello ", false);
  host_.requestBody(stream, "world", true);
  EXPECT_EQ(host_.requestBodyOf(stream), "HELLO world!");
}

TEST_F(HostCalls, ReplacesTheResponseBody) {
  const uint32_t stream = host_.createHttpContext(root_);
  probe::hooks().on_response_body = [](HttpContext&, size_t, bool) {
    EXPECT_EQ(replaceResponseBody("new"), WasmResult::Ok);
    EXPECT_EQ(prependResponseBody("<"), WasmResult::Ok);
    EXPECT_EQ(appendResponseBody(">"), WasmResult::Ok);
    return FilterDataStatus::Continue;
  };
  host_.responseBody(stream, "old body", true);
  EXPECT_EQ(host_.responseBodyOf(stream), "<new>");
}

TEST_F(HostCalls, SendsLocalResponsesWithEveryField) {
  const uint32_t stream = inStream([] {
    EXPECT_EQ(sendLocalResponse(429, "rate limited", "slow down",
                                {{"retry-after", "1"}, {"x-a", ""}, {"x-a", "2"}},
                                GrpcStatus::ResourceExhausted),
              WasmResult::Ok);
    return FilterHeadersStatus::StopIteration;
  });
  const auto* reply = host_.localResponse(stream);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 429u);
  EXPECT_EQ(reply->details, "rate limited");
  EXPECT_EQ(reply->body, "slow down");
  EXPECT_EQ(reply->headers, (Headers{{"retry-after", "1"}, {"x-a", ""}, {"x-a", "2"}}));
  EXPECT_EQ(reply->grpc_status, 8);
}

TEST_F(HostCalls, LocalResponseWithoutGrpcStatusSendsMinusOne) {
  const std::vector<HeaderPair> headers{{"content-type", "text/plain"}};
  const uint32_t stream = inStream([&] {
    sendLocalResponse(403, "", "", headers);
    return FilterHeadersStatus::StopIteration;
  });
  ASSERT_NE(host_.localResponse(stream), nullptr);
  EXPECT_EQ(host_.localResponse(stream)->grpc_status, -1);
  EXPECT_EQ(host_.localResponse(stream)->body, "");
  EXPECT_EQ(host_.localResponse(stream)->headers, headers);
}

TEST_F(HostCalls, SendsLocalResponsesWithHeadersEncodedBeforehand) {
  const std::string encoded = abi::encodePairs(Headers{{"content-type", "text/plain"}, {"x", ""}});
  const uint32_t stream = inStream([&] {
    EXPECT_EQ(sendLocalResponseEncoded(403, "denied", "no\n", encoded), WasmResult::Ok);
    return FilterHeadersStatus::StopIteration;
  });
  const auto* reply = host_.localResponse(stream);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 403u);
  EXPECT_EQ(reply->details, "denied");
  EXPECT_EQ(reply->body, "no\n");
  EXPECT_EQ(reply->headers, (Headers{{"content-type", "text/plain"}, {"x", ""}}));
  EXPECT_EQ(reply->grpc_status, -1);
}

TEST_F(HostCalls, ContinuesAndClosesStreams) {
  const uint32_t stream = inStream([] {
    EXPECT_EQ(continueRequest(), WasmResult::Ok);
    EXPECT_EQ(continueResponse(), WasmResult::Ok);
    EXPECT_EQ(continueStream(StreamType::Upstream), WasmResult::Unimplemented);
    EXPECT_EQ(closeStream(StreamType::HttpRequest), WasmResult::Ok);
    return FilterHeadersStatus::StopIteration;
  });
  EXPECT_EQ(host_.continueCount(stream, StreamType::HttpRequest), 1);
  EXPECT_EQ(host_.continueCount(stream, StreamType::HttpResponse), 1);
  EXPECT_EQ(host_.closeCount(stream, StreamType::HttpRequest), 1);
}

TEST_F(HostCalls, DefinesAndUpdatesMetrics) {
  inRoot([] {
    auto counter = defineCounter("requests_total");
    auto gauge = defineGauge("in_flight");
    auto histogram = defineHistogram("latency_ms");
    ASSERT_TRUE(counter && gauge && histogram);
    EXPECT_EQ(counter->id() & 3, 0u);  // Envoy encodes the type in the low bits
    EXPECT_EQ(gauge->id() & 3, 1u);
    EXPECT_EQ(histogram->id() & 3, 2u);
    EXPECT_EQ(counter->increment(), WasmResult::Ok);
    EXPECT_EQ(counter->increment(4), WasmResult::Ok);
    EXPECT_EQ(counter->increment(0), WasmResult::BadArgument);
    EXPECT_EQ(counter->increment(-1), WasmResult::BadArgument);
    EXPECT_EQ(counter->get(), std::optional<uint64_t>(5));
    EXPECT_EQ(gauge->increment(10), WasmResult::Ok);
    EXPECT_EQ(gauge->increment(-3), WasmResult::Ok);
    EXPECT_EQ(gauge->get(), std::optional<uint64_t>(7));
    EXPECT_EQ(gauge->record(42), WasmResult::Ok);
    EXPECT_EQ(histogram->record(12), WasmResult::Ok);
    EXPECT_EQ(histogram->increment(1), WasmResult::BadArgument);
    WasmResult status = WasmResult::Ok;
    EXPECT_EQ(histogram->get(&status), std::nullopt);
    EXPECT_EQ(status, WasmResult::BadArgument);
    EXPECT_EQ(Metric(MetricType::Counter, 999).increment(1), WasmResult::NotFound);
    EXPECT_EQ(Metric::define(static_cast<MetricType>(3), "bad", &status), std::nullopt);
    EXPECT_EQ(status, WasmResult::BadArgument);
  });
  EXPECT_EQ(host_.metricValue("requests_total"), 5u);
  EXPECT_EQ(host_.metricValue("in_flight"), 42u);
  EXPECT_EQ(host_.metric("latency_ms")->samples, (std::vector<uint64_t>{12}));
}

TEST_F(HostCalls, SharedDataWritesWithCompareAndSwap) {
  inRoot([] {
    WasmResult status = WasmResult::Ok;
    EXPECT_EQ(getSharedData("k", &status), std::nullopt);
    EXPECT_EQ(status, WasmResult::NotFound);
    EXPECT_EQ(setSharedData("k", "one"), WasmResult::Ok);
    auto first = getSharedData("k");
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->value.view(), "one");
    EXPECT_NE(first->cas, 0u);
    EXPECT_EQ(setSharedData("k", "two", first->cas), WasmResult::Ok);
    // A second writer holding the old cas loses.
    EXPECT_EQ(setSharedData("k", "three", first->cas), WasmResult::CasMismatch);
    auto second = getSharedData("k");
    EXPECT_EQ(second->value.view(), "two");
    EXPECT_NE(second->cas, first->cas);
    EXPECT_EQ(setSharedData("k", "", 0), WasmResult::Ok);  // unconditional, empty value
    EXPECT_TRUE(getSharedData("k")->value.empty());
  });
  EXPECT_EQ(host_.sharedData("k")->first, "");
  EXPECT_EQ(host_.outstandingAllocations(), 0u);
}

TEST_F(HostCalls, SharedQueuesDeliverToTheRegisteringRootContext) {
  uint32_t token = 0;
  inRoot([&] {
    auto registered = registerSharedQueue("jobs");
    ASSERT_TRUE(registered.has_value());
    token = *registered;
    EXPECT_EQ(resolveSharedQueue("", "jobs"), registered);
    WasmResult status = WasmResult::Ok;
    EXPECT_EQ(resolveSharedQueue("", "other", &status), std::nullopt);
    EXPECT_EQ(status, WasmResult::NotFound);
    EXPECT_EQ(dequeueSharedQueue(*registered, &status), std::nullopt);
    EXPECT_EQ(status, WasmResult::Empty);
    EXPECT_EQ(enqueueSharedQueue(12345, "x"), WasmResult::NotFound);
  });
  inStream([&] {
    EXPECT_EQ(enqueueSharedQueue(token, "a"), WasmResult::Ok);
    EXPECT_EQ(enqueueSharedQueue(token, "b"), WasmResult::Ok);
    return FilterHeadersStatus::Continue;
  });
  EXPECT_EQ(host_.queueSize("jobs"), 2u);
  std::vector<std::string> received;
  probe::hooks().on_queue_ready = [&](uint32_t ready) {
    EXPECT_EQ(ready, token);
    while (auto item = dequeueSharedQueue(ready)) received.push_back(item->toString());
  };
  EXPECT_EQ(host_.deliverQueueReady(), 2u);
  EXPECT_EQ(received, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(host_.outstandingAllocations(), 0u);
}

TEST_F(HostCalls, CallsForeignFunctions) {
  host_.registerForeignFunction("reverse", [](std::string_view args, std::string* result) {
    result->assign(args.rbegin(), args.rend());
    return WasmResult::Ok;
  });
  inRoot([] {
    EXPECT_EQ(callForeignFunction("reverse", "abc")->view(), "cba");
    WasmResult status = WasmResult::Ok;
    EXPECT_EQ(callForeignFunction("missing", "", &status), std::nullopt);
    EXPECT_EQ(status, WasmResult::NotFound);
  });
}

TEST_F(HostCalls, EffectiveContextSwitchesAndUnknownIdsAreRefused) {
  const uint32_t stream = host_.createHttpContext(root_);
  inRoot([&] {
    EXPECT_EQ(setEffectiveContext(stream), WasmResult::Ok);
    sendLocalResponse(401, "", "from the root", {});
    EXPECT_EQ(setEffectiveContext(9999), WasmResult::BadArgument);
  });
  ASSERT_NE(host_.localResponse(stream), nullptr);
  EXPECT_EQ(host_.localResponse(stream)->body, "from the root");
}

TEST_F(HostCalls, FormatsDecimals) {
  EXPECT_EQ(toDecimal(uint64_t{0}), "0");
  EXPECT_EQ(toDecimal(uint32_t{4294967295u}), "4294967295");
  EXPECT_EQ(toDecimal(int64_t{-42}), "-42");
  EXPECT_EQ(toDecimal(INT64_MIN), "-9223372036854775808");
  EXPECT_EQ(toDecimal(UINT64_MAX), "18446744073709551615");
}

TEST(HostCallsDeathTest, FatalLogsThenAborts) {
  EXPECT_DEATH(fatal("meshwasm sdk: test"), "");
}

}  // namespace
}  // namespace meshwasm::sdk
