// HTTP and gRPC callouts: tokens route answers to the right callback with the issuing stream
// made effective again; failures, dropped answers for finished streams, gRPC calls and streams.
#include <gtest/gtest.h>

#include "meshwasm/sdk/testing/fake_host.h"
#include "probe.h"

namespace meshwasm::sdk {
namespace {

using testing::FakeHost;
using testing::Headers;
MESHWASM_REGISTER_PROBE();

const std::vector<HeaderPair> kCallHeaders{
    {":method", "GET"}, {":path", "/uuid"}, {":authority", "httpbin"}};

class Callouts : public ::testing::Test {
 protected:
  void SetUp() override {
    probe::hooks() = {};
    root_ = host_.startPlugin("", "probe");
  }
  void TearDown() override { probe::hooks() = {}; }

  // A stream whose request headers issue an HTTP call; the answer's status code becomes the
  // stream's local reply status, its body the reply body.
  uint32_t streamCalling(uint32_t* token) {
    probe::hooks().on_request_headers = [token](HttpContext& http) {
      const WasmResult result = http.dispatchHttpCall(
          "httpbin", kCallHeaders, "", {}, 1000,
          [](uint32_t num_headers, size_t, uint32_t) {
            if (num_headers == 0) {
              CallStatus status = getStatus();
              sendLocalResponse(503, "call_failed", status.message.view(), {});
              return;
            }
            const auto code = getHttpCallResponseHeader(":status");
            sendLocalResponse(std::stoi(code->toString()), "", getHttpCallResponseBody().view(),
                              {});
          },
          token);
      EXPECT_EQ(result, WasmResult::Ok);
      return FilterHeadersStatus::StopIteration;
    };
    const uint32_t stream = host_.createHttpContext(root_);
    EXPECT_EQ(host_.requestHeaders(stream, {{"a", "b"}}), FilterHeadersStatus::StopIteration);
    return stream;
  }

  FakeHost host_;
  uint32_t root_ = 0;
};

TEST_F(Callouts, RecordsTheCallAsSent) {
  uint32_t token = 0;
  streamCalling(&token);
  ASSERT_EQ(host_.httpCalls().size(), 1u);
  const auto& call = host_.httpCalls()[0];
  EXPECT_EQ(call.token, token);
  EXPECT_EQ(call.cluster, "httpbin");
  EXPECT_EQ(call.headers, kCallHeaders);
  EXPECT_EQ(call.timeout_ms, 1000u);
  EXPECT_EQ(call.root_context_id, root_);
}

TEST_F(Callouts, RoutesAnswersByTokenToTheIssuingStream) {
  uint32_t first_token = 0;
  uint32_t second_token = 0;
  const uint32_t first = streamCalling(&first_token);
  const uint32_t second = streamCalling(&second_token);
  ASSERT_NE(first_token, second_token);
  // Answers arrive in the other order.
  host_.httpCallResponse(second_token, {{":status", "418"}}, "teapot");
  host_.httpCallResponse(first_token, {{":status", "200"}}, "ok");
  ASSERT_NE(host_.localResponse(first), nullptr);
  ASSERT_NE(host_.localResponse(second), nullptr);
  EXPECT_EQ(host_.localResponse(first)->status, 200u);
  EXPECT_EQ(host_.localResponse(first)->body, "ok");
  EXPECT_EQ(host_.localResponse(second)->status, 418u);
  EXPECT_EQ(host_.localResponse(second)->body, "teapot");
  EXPECT_EQ(host_.outstandingAllocations(), 0u);
}

TEST_F(Callouts, FailedCallReportsBrokenConnection) {
  uint32_t token = 0;
  const uint32_t stream = streamCalling(&token);
  host_.httpCallFailure(token);
  ASSERT_NE(host_.localResponse(stream), nullptr);
  EXPECT_EQ(host_.localResponse(stream)->status, 503u);
  EXPECT_EQ(host_.localResponse(stream)->body, "reset");
}

TEST_F(Callouts, AnswerForAFinishedStreamIsDropped) {
  uint32_t token = 0;
  const uint32_t stream = streamCalling(&token);
  host_.completeHttpContext(stream);
  host_.httpCallResponse(token, {{":status", "200"}}, "late");
  EXPECT_EQ(host_.localResponse(stream), nullptr);
  const auto debug = host_.logMessages(LogLevel::Debug);
  ASSERT_EQ(debug.size(), 1u);
  EXPECT_EQ(debug[0], "meshwasm sdk: dropping the answer to callout " + std::to_string(token) +
                          ": context " + std::to_string(stream) + " is gone");
}

TEST_F(Callouts, EachAnswerIsDeliveredOnce) {
  uint32_t token = 0;
  int calls = 0;
  probe::hooks().on_request_headers = [&](HttpContext& http) {
    http.root()->httpCall(
        "httpbin", kCallHeaders, "body", {{"t", "1"}}, 0,
        [&](uint32_t, size_t body_size, uint32_t) {
          ++calls;
          EXPECT_EQ(body_size, 2u);
        },
        &token);
    EXPECT_EQ(http.root()->pendingCalls(), 1u);
    return FilterHeadersStatus::Continue;
  };
  const uint32_t stream = host_.createHttpContext(root_);
  host_.requestHeaders(stream, {});
  EXPECT_EQ(host_.httpCalls()[0].body, "body");
  EXPECT_EQ(host_.httpCalls()[0].trailers, (Headers{{"t", "1"}}));
  host_.httpCallResponse(token, {{":status", "200"}}, "ok");
  host_.httpCallResponse(token, {{":status", "200"}}, "ok");
  EXPECT_EQ(calls, 1);
}

TEST_F(Callouts, RefusedCallIsReturnedAndNotRemembered) {
  probe::hooks().on_request_headers = [](HttpContext& http) {
    // No :authority: Envoy answers BadArgument.
    EXPECT_EQ(http.dispatchHttpCall("httpbin", {{":method", "GET"}, {":path", "/"}}, "", {}, 0,
                                    [](uint32_t, size_t, uint32_t) { ADD_FAILURE(); }),
              WasmResult::BadArgument);
    EXPECT_EQ(http.root()->pendingCalls(), 0u);
    return FilterHeadersStatus::Continue;
  };
  host_.requestHeaders(host_.createHttpContext(root_), {});
  host_.failHttpCalls(WasmResult::InternalFailure);
  probe::hooks().on_request_headers = [](HttpContext& http) {
    EXPECT_EQ(http.dispatchHttpCall("httpbin", kCallHeaders, "", {}, 0, nullptr),
              WasmResult::InternalFailure);
    return FilterHeadersStatus::Continue;
  };
  host_.requestHeaders(host_.createHttpContext(root_), {});
  EXPECT_TRUE(host_.httpCalls().empty());
}

TEST_F(Callouts, GrpcUnaryCallDeliversItsMessageOrItsFailure) {
  uint32_t ok_token = 0;
  uint32_t failing_token = 0;
  std::vector<std::string> events;
  probe::hooks().on_request_headers = [&](HttpContext& http) {
    GrpcCallbacks callbacks;
    callbacks.on_message = [&](size_t size) {
      events.push_back("message " + getGrpcReceiveBuffer().toString() + " " + std::to_string(size));
      continueRequest();
    };
    callbacks.on_close = [&](GrpcStatus status) {
      events.push_back("close " + std::to_string(static_cast<int>(status)) + " " +
                       getStatus().message.toString());
    };
    EXPECT_EQ(http.dispatchGrpcCall("grpc_cluster", "auth.Service", "Check", {{"k", "v"}}, "req",
                                    500, callbacks, ok_token == 0 ? &ok_token : &failing_token),
              WasmResult::Ok);
    return FilterHeadersStatus::StopIteration;
  };
  const uint32_t first = host_.createHttpContext(root_);
  host_.requestHeaders(first, {});
  const uint32_t second = host_.createHttpContext(root_);
  host_.requestHeaders(second, {});
  ASSERT_EQ(host_.grpcCalls().size(), 2u);
  EXPECT_EQ(host_.grpcCalls()[0].service, "auth.Service");
  EXPECT_EQ(host_.grpcCalls()[0].method, "Check");
  EXPECT_EQ(host_.grpcCalls()[0].message, "req");
  EXPECT_EQ(host_.grpcCalls()[0].initial_metadata, (Headers{{"k", "v"}}));
  host_.grpcReceive(ok_token, "yes");
  host_.grpcClose(failing_token, 14, "unavailable");
  EXPECT_EQ(events, (std::vector<std::string>{"message yes 3", "close 14 unavailable"}));
  EXPECT_EQ(host_.continueCount(first, StreamType::HttpRequest), 1);
  EXPECT_EQ(host_.continueCount(second, StreamType::HttpRequest), 0);
  // Both calls are finished: later answers find nothing.
  host_.grpcReceive(ok_token, "again");
  EXPECT_EQ(events.size(), 2u);
}

TEST_F(Callouts, GrpcStreamDeliversMetadataMessagesAndClose) {
  std::vector<std::string> events;
  uint32_t token = 0;
  // The stream is opened on the root context, reached from an HTTP context.
  probe::hooks().on_request_headers = [&](HttpContext& http) {
    GrpcCallbacks callbacks;
    callbacks.on_initial_metadata = [&](uint32_t n) {
      events.push_back("initial " + std::to_string(n) + " " +
                       getGrpcInitialMetadata("x")->toString());
    };
    callbacks.on_message = [&](size_t) {
      events.push_back("message " + getGrpcReceiveBuffer().toString());
    };
    callbacks.on_trailing_metadata = [&](uint32_t n) {
      events.push_back("trailing " + std::to_string(n));
    };
    callbacks.on_close = [&](GrpcStatus status) {
      events.push_back("close " + std::to_string(static_cast<int>(status)));
    };
    RootContext* root = http.root();
    EXPECT_EQ(root->grpcStream("grpc_cluster", "chat.Service", "Talk", {}, callbacks, &token),
              WasmResult::Ok);
    EXPECT_EQ(root->grpcSend(token, "hi", false), WasmResult::Ok);
    EXPECT_EQ(root->grpcSend(token, "bye", true), WasmResult::Ok);
    EXPECT_EQ(root->grpcClose(token), WasmResult::Ok);
    return FilterHeadersStatus::Continue;
  };
  host_.requestHeaders(host_.createHttpContext(root_), {});
  const auto& call = host_.grpcCalls().at(0);
  EXPECT_TRUE(call.stream);
  EXPECT_EQ(call.sent, (std::vector<std::string>{"hi", "bye"}));
  EXPECT_TRUE(call.end_stream_sent);
  EXPECT_TRUE(call.closed);
  host_.grpcReceiveInitialMetadata(token, {{"x", "1"}});
  host_.grpcReceive(token, "m1");
  host_.grpcReceive(token, "m2");
  host_.grpcReceiveTrailingMetadata(token, {{"grpc-status", "0"}});
  host_.grpcClose(token, 0);
  EXPECT_EQ(events, (std::vector<std::string>{"initial 1 1", "message m1", "message m2",
                                              "trailing 1", "close 0"}));
}

TEST_F(Callouts, CancelledGrpcCallGetsNoFurtherCallbacks) {
  uint32_t token = 0;
  int messages = 0;
  probe::hooks().on_request_headers = [&](HttpContext& http) {
    GrpcCallbacks callbacks;
    callbacks.on_message = [&](size_t) { ++messages; };
    http.dispatchGrpcCall("c", "s", "m", {}, "", 0, callbacks, &token);
    EXPECT_EQ(http.root()->grpcCancel(token), WasmResult::Ok);
    EXPECT_EQ(http.root()->pendingCalls(), 0u);
    return FilterHeadersStatus::Continue;
  };
  host_.requestHeaders(host_.createHttpContext(root_), {});
  EXPECT_TRUE(host_.grpcCalls().at(0).cancelled);
  host_.grpcReceive(token, "x");
  EXPECT_EQ(messages, 0);
}

}  // namespace
}  // namespace meshwasm::sdk
