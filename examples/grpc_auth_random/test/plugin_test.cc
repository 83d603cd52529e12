// grpc_auth_random through the FakeHost: the unary call it makes, both decisions, call
// failures, malformed replies, and the reply reader.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meshwasm/sdk/testing/fake_host.h"
#include "uuid_message.h"

namespace meshwasm::examples {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::FilterHeadersStatus;
using sdk::testing::Headers;
using sdk::testing::LogLevel;
using sdk::testing::StreamType;

constexpr char kEvenUuid[] = "6f1d2c3b-4a59-4e87-b6c5-d4e3f2a1b0c8";  // last digit 8
constexpr char kOddUuid[] = "6f1d2c3b-4a59-4e87-b6c5-d4e3f2a1b0c9";   // last digit 9

// UuidReply{uuid}: field 1, wire type 2 (key 0x0a), length 36, the text.
std::string reply(std::string_view uuid) {
  std::string message("\x0a", 1);
  message += static_cast<char>(uuid.size());
  message += uuid;
  return message;
}

class GrpcAuthRandom : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = host_.startPlugin();
    ASSERT_NE(root_, 0u);
  }
  uint32_t request() {
    const uint32_t stream = host_.createHttpContext(root_);
    status_ = host_.requestHeaders(
        stream, {{":authority", "127.0.0.1"}, {":path", "/get"}, {":method", "GET"}});
    return stream;
  }
  uint32_t lastToken() const { return host_.grpcCalls().back().token; }
  std::string id(uint32_t stream) const { return "#" + std::to_string(stream); }

  FakeHost host_;
  uint32_t root_ = 0;
  FilterHeadersStatus status_ = FilterHeadersStatus::Continue;
};

TEST_F(GrpcAuthRandom, PausesAndCallsTheUuidMethod) {
  const uint32_t stream = request();
  EXPECT_EQ(status_, FilterHeadersStatus::StopIteration);
  ASSERT_EQ(host_.grpcCalls().size(), 1u);
  const auto& call = host_.grpcCalls()[0];
  EXPECT_FALSE(call.stream);
  EXPECT_EQ(call.upstream, "httpbin");
  EXPECT_EQ(call.service, "meshwasm.httpbin.Httpbin");
  EXPECT_EQ(call.method, "Uuid");
  EXPECT_EQ(call.initial_metadata, Headers{});
  EXPECT_EQ(call.message, "");
  EXPECT_EQ(call.timeout_ms, 5000u);
  EXPECT_EQ(call.root_context_id, root_);
  EXPECT_EQ(host_.logMessages(LogLevel::Info),
            (std::vector<std::string>{id(stream) + " grpc_auth_random: calling httpbin gRPC "
                                                   "meshwasm.httpbin.Httpbin/Uuid"}));
  EXPECT_EQ(host_.localResponse(stream), nullptr);
}

TEST_F(GrpcAuthRandom, EvenUuidContinuesTheRequest) {
  const uint32_t stream = request();
  host_.grpcReceive(lastToken(), reply(kEvenUuid));
  EXPECT_EQ(host_.continueCount(stream, StreamType::HttpRequest), 1);
  EXPECT_EQ(host_.localResponse(stream), nullptr);
  EXPECT_EQ(host_.logMessages(LogLevel::Info).back(),
            id(stream) + " grpc_auth_random: uuid " + kEvenUuid + ": access granted");
  EXPECT_EQ(host_.logs().back().context_id, stream);
  host_.responseHeaders(stream, {{":status", "200"}});
  EXPECT_EQ(host_.responseHeadersOf(stream),
            (Headers{{":status", "200"}, {"x-auth-uuid", kEvenUuid}}));
  host_.completeHttpContext(stream);
  EXPECT_EQ(host_.outstandingAllocations(), 0u);
}

TEST_F(GrpcAuthRandom, OddUuidAnswers403AccessForbidden) {
  const uint32_t stream = request();
  host_.grpcReceive(lastToken(), reply(kOddUuid));
  EXPECT_EQ(host_.continueCount(stream, StreamType::HttpRequest), 0);
  const auto* local = host_.localResponse(stream);
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->status, 403u);
  EXPECT_EQ(local->body, "Access forbidden.");
  EXPECT_EQ(local->details, "grpc_auth_random_denied");
  EXPECT_EQ(local->headers, (Headers{{"x-auth-uuid", kOddUuid}}));
  EXPECT_EQ(host_.logMessages(LogLevel::Info).back(),
            id(stream) + " grpc_auth_random: uuid " + kOddUuid + ": access forbidden");
}

TEST_F(GrpcAuthRandom, FailedCallIsDenied) {
  const uint32_t stream = request();
  host_.grpcClose(lastToken(), 14, "upstream connect error");
  const auto* local = host_.localResponse(stream);
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->status, 403u);
  EXPECT_EQ(local->body, "Access forbidden.");
  EXPECT_EQ(host_.logMessages(LogLevel::Info).back(),
            id(stream) +
                " grpc_auth_random: gRPC call failed (Unavailable: upstream connect error): "
                "access forbidden");
}

TEST_F(GrpcAuthRandom, ReplyWithoutAUuidIsDenied) {
  const uint32_t stream = request();
  host_.grpcReceive(lastToken(), std::string("\x0a\x05hello", 7));
  ASSERT_NE(host_.localResponse(stream), nullptr);
  EXPECT_EQ(host_.localResponse(stream)->status, 403u);
  EXPECT_EQ(host_.logMessages(LogLevel::Info).back(),
            id(stream) + " grpc_auth_random: the gRPC reply has no uuid: access forbidden");
}

TEST_F(GrpcAuthRandom, ReplyForAFinishedStreamIsDropped) {
  const uint32_t stream = request();
  const uint32_t token = lastToken();
  host_.completeHttpContext(stream);
  host_.grpcReceive(token, reply(kEvenUuid));
  EXPECT_EQ(host_.continueCount(stream, StreamType::HttpRequest), 0);
  EXPECT_EQ(host_.logMessages(LogLevel::Info).size(), 1u);
  EXPECT_EQ(host_.outstandingAllocations(), 0u);
}

TEST(UuidMessage, ReadsField1AndSkipsOthers) {
  EXPECT_EQ(uuidFromReply(reply(kEvenUuid)), kEvenUuid);
  // field 2 varint 150 (0x10 0x96 0x01), field 3 fixed32, then field 1
  std::string message("\x10\x96\x01\x1d\x01\x02\x03\x04", 8);
  message += reply(kOddUuid);
  EXPECT_EQ(uuidFromReply(message), kOddUuid);
  EXPECT_EQ(uuidFromReply(""), std::nullopt);
  EXPECT_EQ(uuidFromReply(reply(kEvenUuid).substr(0, 20)), std::nullopt);  // truncated
  EXPECT_EQ(uuidFromReply(std::string("\x0a\x80", 2)), std::nullopt);      // truncated varint
  EXPECT_EQ(uuidFromReply(std::string("\x0b", 1)), std::nullopt);          // group start
  EXPECT_EQ(uuidFromReply(std::string("\x09\x01", 2)), std::nullopt);      // short fixed64
  EXPECT_EQ(uuidFromReply(std::string("\x0a\x03"
                                      "abc",
                                      5)),
            std::nullopt);  // not a uuid
  EXPECT_TRUE(allowByUuid(kEvenUuid));
  EXPECT_FALSE(allowByUuid(kOddUuid));
}

}  // namespace
}  // namespace meshwasm::examples
