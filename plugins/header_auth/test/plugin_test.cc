// header_auth through the FakeHost: the tutorial behaviour byte for byte, the configurable
// policy's glue (configure errors, counters, dry run), and memory hygiene.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meshwasm/sdk/testing/fake_host.h"

namespace meshwasm::header_auth {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::FilterHeadersStatus;
using sdk::testing::Headers;
using sdk::testing::LogLevel;

const char kTutorialBody[] = "Forbidden by ASM Wasm Plugin, cpp version\n";

class HeaderAuthPlugin : public ::testing::Test {
 protected:
  // Starts the plugin with `configuration` and sends one request; returns the stream id.
  uint32_t request(const Headers& headers, std::string_view configuration = "") {
    if (root_ == 0) {
      root_ = host_.startPlugin(configuration);
      EXPECT_NE(root_, 0u) << "configure failed";
    }
    const uint32_t stream = host_.createHttpContext(root_);
    last_status_ = host_.requestHeaders(stream, headers);
    return stream;
  }

  Headers base(std::vector<std::pair<std::string, std::string>> extra = {}) {
    Headers headers{{":authority", "example.com"}, {":path", "/status/418"}, {":method", "GET"}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return headers;
  }

  void expectTutorialDeny(uint32_t stream) {
    EXPECT_EQ(last_status_, FilterHeadersStatus::StopIteration);
    const auto* reply = host_.localResponse(stream);
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->status, 403u);
    EXPECT_EQ(reply->body, kTutorialBody);
    EXPECT_EQ(reply->headers, (Headers{{"content-type", "text/plain"}}));
    EXPECT_EQ(reply->details, "");
    EXPECT_EQ(reply->grpc_status, -1);
    const std::string id = std::to_string(stream);
    EXPECT_EQ(host_.logMessages(LogLevel::Info),
              (std::vector<std::string>{
                  "#" + id + " wasm-cpp: on_http_request_headers",
                  "#" + id + " wasm-cpp: allow header not found or is not true, deny by default"}));
  }

  void expectAllow(uint32_t stream) {
    EXPECT_EQ(last_status_, FilterHeadersStatus::Continue);
    EXPECT_EQ(host_.localResponse(stream), nullptr);
    EXPECT_EQ(host_.logMessages(LogLevel::Info),
              (std::vector<std::string>{"#" + std::to_string(stream) +
                                        " wasm-cpp: on_http_request_headers"}));
  }

  FakeHost host_;
  uint32_t root_ = 0;
  FilterHeadersStatus last_status_ = FilterHeadersStatus::Continue;
};

TEST_F(HeaderAuthPlugin, AllowsWhenAllowHeaderIsExactlyTrue) {
  expectAllow(request(base({{"allow", "true"}})));
}

TEST_F(HeaderAuthPlugin, DeniesWhenAllowHeaderMissing) {
  expectTutorialDeny(request(base()));
}

TEST_F(HeaderAuthPlugin, DeniesWhenAllowHeaderIsFalse) {
  expectTutorialDeny(request(base({{"allow", "false"}})));
}

TEST_F(HeaderAuthPlugin, DeniesUpperCaseTrue) {
  expectTutorialDeny(request(base({{"allow", "TRUE"}})));
}

TEST_F(HeaderAuthPlugin, DeniesLeadingSpaceBecauseValuesAreNotTrimmed) {
  expectTutorialDeny(request(base({{"allow", " true"}})));
}

TEST_F(HeaderAuthPlugin, DeniesTrailingSpaceBecauseValuesAreNotTrimmed) {
  expectTutorialDeny(request(base({{"allow", "true "}})));
}

TEST_F(HeaderAuthPlugin, DeniesEmptyValue) {
  expectTutorialDeny(request(base({{"allow", ""}})));
}

TEST_F(HeaderAuthPlugin, HeaderNameMatchesInAnyCase) {
  // Envoy lower-cases names on ingress (the FakeHost does the same to what the test sends).
  expectAllow(request(base({{"Allow", "true"}})));
}

// Envoy's single-value header call answers the first of repeated values; the plugin follows
// that rule even though it reads the whole map.
TEST_F(HeaderAuthPlugin, RepeatedAllowHeaderIsDecidedByTheFirstValue) {
  expectAllow(request(base({{"allow", "true"}, {"allow", "false"}})));
}

TEST_F(HeaderAuthPlugin, RepeatedAllowHeaderWithFalseFirstIsDenied) {
  expectTutorialDeny(request(base({{"allow", "false"}, {"allow", "true"}})));
}

TEST_F(HeaderAuthPlugin, EmptyObjectConfigurationIsTheTutorial) {
  expectTutorialDeny(request(base({{"allow", "yes"}}), "{}"));
}

TEST_F(HeaderAuthPlugin, LogsTheContextIdOfEveryRequest) {
  const uint32_t first = request(base({{"allow", "true"}}));
  const uint32_t second = request(base({{"allow", "true"}}));
  EXPECT_EQ(host_.logMessages(LogLevel::Info),
            (std::vector<std::string>{
                "#" + std::to_string(first) + " wasm-cpp: on_http_request_headers",
                "#" + std::to_string(second) + " wasm-cpp: on_http_request_headers"}));
  EXPECT_EQ(second, first + 1);
}

TEST_F(HeaderAuthPlugin, BelowInfoLevelDecidesTheSameAndLogsNothing) {
  host_.setLogLevel(LogLevel::Warn);  // Istio's sidecar default
  const uint32_t denied = request(base());
  EXPECT_EQ(last_status_, FilterHeadersStatus::StopIteration);
  const auto* reply = host_.localResponse(denied);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 403u);
  EXPECT_EQ(reply->body, kTutorialBody);
  EXPECT_EQ(reply->headers, (Headers{{"content-type", "text/plain"}}));
  const uint32_t allowed = request(base({{"allow", "true"}}));
  EXPECT_EQ(last_status_, FilterHeadersStatus::Continue);
  EXPECT_EQ(host_.localResponse(allowed), nullptr);
  EXPECT_TRUE(host_.logs().empty());
  EXPECT_EQ(host_.metricValue("header_auth.allowed"), 1u);
  EXPECT_EQ(host_.metricValue("header_auth.denied"), 1u);
}

TEST_F(HeaderAuthPlugin, FollowsALogLevelChangedAtRunTime) {
  host_.setLogLevel(LogLevel::Warn);
  request(base());
  EXPECT_TRUE(host_.logs().empty());
  host_.setLogLevel(LogLevel::Info);  // e.g. POST /logging?wasm=info: nothing tells the plugin
  expectTutorialDeny(request(base()));
}

TEST_F(HeaderAuthPlugin, DryRunBelowInfoLevelLogsNothing) {
  host_.setLogLevel(LogLevel::Error);
  request(base(), R"({"default": "deny", "dry_run": true})");
  EXPECT_EQ(last_status_, FilterHeadersStatus::Continue);
  EXPECT_TRUE(host_.logs().empty());
  EXPECT_EQ(host_.metricValue("header_auth.dry_run_denied"), 1u);
}

TEST_F(HeaderAuthPlugin, LeavesRequestHeadersUntouched) {
  const Headers sent = base({{"allow", "true"}, {"x-other", "1"}});
  const uint32_t stream = request(sent);
  EXPECT_EQ(host_.requestHeadersOf(stream), sent);
}

TEST_F(HeaderAuthPlugin, CountsAllowedAndDeniedRequests) {
  request(base({{"allow", "true"}}));
  request(base());
  request(base({{"allow", "no"}}));
  EXPECT_EQ(host_.metricValue("header_auth.allowed"), 1u);
  EXPECT_EQ(host_.metricValue("header_auth.denied"), 2u);
}

TEST_F(HeaderAuthPlugin, FreesEveryHostBufferAfterEachRequest) {
  for (int i = 0; i < 10; ++i) {
    const uint32_t stream = request(base({{"allow", i % 2 == 0 ? "true" : "false"}}));
    host_.completeHttpContext(stream);
  }
  EXPECT_GE(host_.totalAllocations(), 10u);  // at least the `allow` value of each request
  EXPECT_EQ(host_.outstandingAllocations(), 0u);
  EXPECT_EQ(host_.unknownReleases(), 0u);
}

TEST_F(HeaderAuthPlugin, RejectsAnInvalidConfigurationWithAnErrorLog) {
  EXPECT_EQ(host_.startPlugin("{not json"), 0u);
  const auto errors = host_.logMessages(LogLevel::Error);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("header_auth: invalid configuration: ", 0), 0u) << errors[0];
}

// ------------------------------------------------------------ configured policies (glue only;
// the policy's own semantics are tested in policy/test).

constexpr char kBotPolicy[] = R"({
  "deny": [{"name": "no-bots", "any": [{"header": "user-agent", "contains": "bot"}]}],
  "allow": [{"name": "tutorial", "all": [{"header": "allow", "exact": "true"}]}],
  "default": "deny"
})";

TEST_F(HeaderAuthPlugin, ConfiguredPolicyDeniesWithItsResponseAndLogsThePolicy) {
  const uint32_t stream = request(base({{"allow", "true"}, {"user-agent", "a-bot/1"}}), kBotPolicy);
  EXPECT_EQ(last_status_, FilterHeadersStatus::StopIteration);
  const auto* reply = host_.localResponse(stream);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 403u);
  EXPECT_EQ(reply->body, kTutorialBody);
  EXPECT_EQ(reply->details, "header_auth_denied");
  const std::string id = std::to_string(stream);
  EXPECT_EQ(host_.logMessages(LogLevel::Info),
            (std::vector<std::string>{"#" + id + " wasm-cpp: on_http_request_headers",
                                      "#" + id + " wasm-cpp: denied by policy no-bots"}));
  EXPECT_EQ(host_.metricValue("header_auth.denied"), 1u);
  EXPECT_EQ(host_.metricValue("header_auth.policy.no-bots.matched"), 1u);
}

TEST_F(HeaderAuthPlugin, ConfiguredPolicyAllowsAndCountsTheMatchingPolicy) {
  const uint32_t stream = request(base({{"allow", "true"}}), kBotPolicy);
  EXPECT_EQ(last_status_, FilterHeadersStatus::Continue);
  EXPECT_EQ(host_.localResponse(stream), nullptr);
  EXPECT_EQ(host_.metricValue("header_auth.allowed"), 1u);
  EXPECT_EQ(host_.metricValue("header_auth.policy.tutorial.matched"), 1u);
}

TEST_F(HeaderAuthPlugin, DryRunLetsADeniedRequestThroughAndSaysSo) {
  const uint32_t stream = request(base(), R"({"default": "deny", "dry_run": true})");
  EXPECT_EQ(last_status_, FilterHeadersStatus::Continue);
  EXPECT_EQ(host_.localResponse(stream), nullptr);
  const std::string id = std::to_string(stream);
  EXPECT_EQ(host_.logMessages(LogLevel::Info),
            (std::vector<std::string>{
                "#" + id + " wasm-cpp: on_http_request_headers",
                "#" + id + " wasm-cpp: dry run: policy default would deny the request"}));
  EXPECT_EQ(host_.metricValue("header_auth.dry_run_denied"), 1u);
  EXPECT_EQ(host_.metricValue("header_auth.denied"), 0u);
}

TEST_F(HeaderAuthPlugin, RouteNameComesFromTheXdsRouteNameProperty) {
  host_.setProperty({"xds", "route_name"}, "admin-route");
  const char* config = R"({"default": "deny",
    "routes": [{"match": {"route_name": "admin-route"}, "default": "allow"}]})";
  request(base(), config);
  EXPECT_EQ(last_status_, FilterHeadersStatus::Continue);
}

TEST_F(HeaderAuthPlugin, RouteNameFallsBackToTheLegacyProperty) {
  host_.setProperty({"route_name"}, "admin-route");
  const char* config = R"({"default": "deny",
    "routes": [{"match": {"route_name": "admin-route"}, "default": "allow"}]})";
  request(base(), config);
  EXPECT_EQ(last_status_, FilterHeadersStatus::Continue);
}

TEST_F(HeaderAuthPlugin, ANewConfigurationReplacesThePolicy) {
  root_ = host_.startPlugin(R"({"default": "allow"})");
  ASSERT_NE(root_, 0u);
  request(base());
  EXPECT_EQ(last_status_, FilterHeadersStatus::Continue);
  ASSERT_TRUE(host_.configure(root_, ""));  // back to the tutorial
  request(base());
  EXPECT_EQ(last_status_, FilterHeadersStatus::StopIteration);
}

}  // namespace
}  // namespace meshwasm::header_auth
