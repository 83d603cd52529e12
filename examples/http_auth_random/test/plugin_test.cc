// http_auth_random through the FakeHost: the callout it makes, both decisions, failures,
// and an answer arriving after the stream is gone.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meshwasm/sdk/testing/fake_host.h"
#include "uuid_decision.h"

namespace meshwasm::examples {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::FilterHeadersStatus;
using sdk::testing::Headers;
using sdk::testing::LogLevel;
using sdk::testing::StreamType;

constexpr char kEvenUuid[] = "0b5f4c1e-2f6a-4a57-9d1e-3c8a6b2d7f10";  // last digit 0
constexpr char kOddUuid[] = "0b5f4c1e-2f6a-4a57-9d1e-3c8a6b2d7f1b";   // last digit b

class HttpAuthRandom : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = host_.startPlugin();
    ASSERT_NE(root_, 0u);
  }

  // Sends request headers; returns the stream id.
  uint32_t request() {
    const uint32_t stream = host_.createHttpContext(root_);
    status_ = host_.requestHeaders(
        stream, {{":authority", "127.0.0.1"}, {":path", "/status/418"}, {":method", "GET"}});
    return stream;
  }

  uint32_t lastToken() const { return host_.httpCalls().back().token; }

  std::string id(uint32_t stream) const { return "#" + std::to_string(stream); }

  FakeHost host_;
  uint32_t root_ = 0;
  FilterHeadersStatus status_ = FilterHeadersStatus::Continue;
};

TEST_F(HttpAuthRandom, PausesAndCallsHttpbinForAUuid) {
  const uint32_t stream = request();
  EXPECT_EQ(status_, FilterHeadersStatus::StopIteration);
  ASSERT_EQ(host_.httpCalls().size(), 1u);
  const auto& call = host_.httpCalls()[0];
  EXPECT_EQ(call.cluster, "httpbin");
  EXPECT_EQ(call.headers,
            (Headers{{":method", "GET"}, {":path", "/uuid"}, {":authority", "httpbin"}}));
  EXPECT_EQ(call.body, "");
  EXPECT_EQ(call.timeout_ms, 5000u);
  EXPECT_EQ(call.root_context_id, root_);
  EXPECT_EQ(call.context_id, stream);
  EXPECT_EQ(host_.continueCount(stream, StreamType::HttpRequest), 0);
  EXPECT_EQ(host_.localResponse(stream), nullptr);
}

TEST_F(HttpAuthRandom, EvenUuidContinuesTheRequestWithItsContextEffective) {
  const uint32_t stream = request();
  host_.httpCallResponse(lastToken(), {{":status", "200"}, {"content-type", "application/json"}},
                         std::string("{\n  \"uuid\": \"") + kEvenUuid + "\"\n}\n");
  EXPECT_EQ(host_.continueCount(stream, StreamType::HttpRequest), 1);
  EXPECT_EQ(host_.localResponse(stream), nullptr);
  EXPECT_EQ(host_.logMessages(LogLevel::Info),
            (std::vector<std::string>{
                id(stream) + " http_auth_random: calling httpbin GET /uuid",
                id(stream) + " http_auth_random: uuid " + kEvenUuid + ": access granted"}));
  // The decision was logged with the stream's context effective, not the root's.
  EXPECT_EQ(host_.logs().back().context_id, stream);

  host_.responseHeaders(stream, {{":status", "418"}});
  EXPECT_EQ(host_.responseHeadersOf(stream),
            (Headers{{":status", "418"}, {"x-auth-uuid", kEvenUuid}}));
  host_.completeHttpContext(stream);
  EXPECT_EQ(host_.outstandingAllocations(), 0u);
}

TEST_F(HttpAuthRandom, OddUuidAnswers403AccessForbidden) {
  const uint32_t stream = request();
  host_.httpCallResponse(lastToken(), {{":status", "200"}},
                         std::string("{\"uuid\":\"") + kOddUuid + "\"}");
  EXPECT_EQ(host_.continueCount(stream, StreamType::HttpRequest), 0);
  const auto* reply = host_.localResponse(stream);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 403u);
  EXPECT_EQ(reply->body, "Access forbidden.");
  EXPECT_EQ(reply->details, "http_auth_random_denied");
  EXPECT_EQ(reply->headers, (Headers{{"x-auth-uuid", kOddUuid}}));
  EXPECT_EQ(host_.logMessages(LogLevel::Info).back(),
            id(stream) + " http_auth_random: uuid " + kOddUuid + ": access forbidden");
}

TEST_F(HttpAuthRandom, FailedCallIsDenied) {
  const uint32_t stream = request();
  host_.httpCallFailure(lastToken());
  const auto* reply = host_.localResponse(stream);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 403u);
  EXPECT_EQ(reply->body, "Access forbidden.");
  EXPECT_EQ(reply->headers, Headers{});
  EXPECT_EQ(host_.logMessages(LogLevel::Info).back(),
            id(stream) + " http_auth_random: httpbin call failed (reset): access forbidden");
}

TEST_F(HttpAuthRandom, AnswerWithoutUuidIsDenied) {
  const uint32_t stream = request();
  host_.httpCallResponse(lastToken(), {{":status", "503"}}, "no healthy upstream");
  ASSERT_NE(host_.localResponse(stream), nullptr);
  EXPECT_EQ(host_.localResponse(stream)->status, 403u);
  EXPECT_EQ(
      host_.logMessages(LogLevel::Info).back(),
      id(stream) + " http_auth_random: httpbin answered 503 without a uuid: access forbidden");

  const uint32_t second = request();
  host_.httpCallResponse(lastToken(), {{":status", "200"}}, "{\"uuid\": \"not-a-uuid\"}");
  ASSERT_NE(host_.localResponse(second), nullptr);
  EXPECT_EQ(host_.localResponse(second)->status, 403u);
}

TEST_F(HttpAuthRandom, RefusedCallIsDeniedAtOnce) {
  host_.failHttpCalls(sdk::testing::WasmResult::BadArgument);  // e.g. no cluster `httpbin`
  const uint32_t stream = request();
  EXPECT_EQ(status_, FilterHeadersStatus::StopIteration);
  const auto* reply = host_.localResponse(stream);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 403u);
  EXPECT_EQ(host_.logMessages(LogLevel::Info).back(),
            id(stream) + " http_auth_random: cannot call httpbin (BadArgument): access forbidden");
}

TEST_F(HttpAuthRandom, AnswerForAFinishedStreamIsDropped) {
  const uint32_t stream = request();
  const uint32_t token = lastToken();
  host_.completeHttpContext(stream);  // the client went away while the call was out
  host_.httpCallResponse(token, {{":status", "200"}},
                         std::string("{\"uuid\":\"") + kEvenUuid + "\"}");
  EXPECT_EQ(host_.continueCount(stream, StreamType::HttpRequest), 0);
  EXPECT_EQ(host_.localResponse(stream), nullptr);
  EXPECT_EQ(host_.logMessages(LogLevel::Info).size(), 1u);
  EXPECT_EQ(host_.outstandingAllocations(), 0u);
}

TEST_F(HttpAuthRandom, ConcurrentStreamsEachGetTheirOwnAnswer) {
  const uint32_t first = request();
  const uint32_t first_token = lastToken();
  const uint32_t second = request();
  const uint32_t second_token = lastToken();
  host_.httpCallResponse(second_token, {{":status", "200"}},
                         std::string("{\"uuid\":\"") + kOddUuid + "\"}");
  host_.httpCallResponse(first_token, {{":status", "200"}},
                         std::string("{\"uuid\":\"") + kEvenUuid + "\"}");
  EXPECT_EQ(host_.continueCount(first, StreamType::HttpRequest), 1);
  EXPECT_EQ(host_.localResponse(first), nullptr);
  EXPECT_EQ(host_.continueCount(second, StreamType::HttpRequest), 0);
  ASSERT_NE(host_.localResponse(second), nullptr);
}

TEST(UuidDecision, FindsTheUuidMemberAndDecidesByItsLastDigit) {
  EXPECT_EQ(findUuid(std::string("{\"uuid\": \"") + kEvenUuid + "\"}"), kEvenUuid);
  EXPECT_EQ(findUuid("{\"uuid\" :\n \"0B5F4C1E-2F6A-4A57-9D1E-3C8A6B2D7F1C\"}"),
            "0B5F4C1E-2F6A-4A57-9D1E-3C8A6B2D7F1C");
  EXPECT_EQ(findUuid("{}"), std::nullopt);
  EXPECT_EQ(findUuid("{\"uuid\": 5}"), std::nullopt);
  EXPECT_EQ(findUuid("{\"uuid\": \"0b5f4c1e-2f6a-4a57-9d1e-3c8a6b2d7f1"), std::nullopt);
  EXPECT_EQ(findUuid("{\"uuid\": \"0b5f4c1e_2f6a-4a57-9d1e-3c8a6b2d7f10\"}"), std::nullopt);
  EXPECT_EQ(findUuid("\"uuid\""), std::nullopt);
  EXPECT_TRUE(allowByUuid(kEvenUuid));
  EXPECT_FALSE(allowByUuid(kOddUuid));
  EXPECT_TRUE(allowByUuid("C"));
  EXPECT_FALSE(allowByUuid("F"));
  EXPECT_FALSE(allowByUuid(""));
  EXPECT_FALSE(allowByUuid("g"));
}

}  // namespace
}  // namespace meshwasm::examples
