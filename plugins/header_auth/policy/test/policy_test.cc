#include "policy.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "policy_cases.h"

namespace meshwasm::header_auth {
namespace {

using testing::PolicyCase;

Decision run(const Policy& policy, const std::vector<HeaderEntry>& headers,
             std::string_view route_name = "") {
  return policy.evaluate(RequestView{headers, route_name});
}

class PolicyTable : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(PolicyTable, DecidesAsExpected) {
  const PolicyCase& c = GetParam();
  auto policy = Policy::parse(c.config);
  ASSERT_TRUE(policy.isOk()) << policy.message();
  std::vector<HeaderEntry> headers;
  for (const auto& [name, value] : c.headers) headers.emplace_back(name, value);
  Decision decision = run(*policy, headers, c.route_name);
  EXPECT_EQ(decision.verdict, c.allowed ? Verdict::Allow : Verdict::Deny);
  EXPECT_EQ(decision.policy, c.policy);
  EXPECT_EQ(decision.dry_run_denied, c.dry_run_denied);
  EXPECT_EQ(decision.route, c.route);
  EXPECT_EQ(decision.response != nullptr, !c.allowed || c.dry_run_denied);
  if (c.policy == "default" || policy->isTutorial()) {
    EXPECT_EQ(decision.policy_index, -1);
  } else {
    ASSERT_GE(decision.policy_index, 0);
    ASSERT_LT(size_t(decision.policy_index), policy->policyCounters().size());
    EXPECT_EQ(policy->policyCounters()[size_t(decision.policy_index)],
              std::string(policy->statPrefix()) + ".policy." + c.policy + ".matched");
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, PolicyTable, ::testing::ValuesIn(testing::policyCases()),
                         [](const auto& info) { return info.param.name; });

TEST(PolicyTableSize, HasAtLeastOneHundredUniqueCases) {
  std::set<std::string> names;
  for (const PolicyCase& c : testing::policyCases()) names.insert(c.name);
  EXPECT_EQ(names.size(), testing::policyCases().size());
  EXPECT_GE(names.size(), 100u);
}

TEST(TutorialPolicy, EmptyAndEmptyObjectGiveTheTutorial) {
  for (const char* config : {"", "{}", "  \n", " { } ", "\t{\r\n}\n"}) {
    auto policy = Policy::parse(config);
    ASSERT_TRUE(policy.isOk()) << config << ": " << policy.message();
    EXPECT_TRUE(policy->isTutorial()) << config;
    EXPECT_EQ(policy->statPrefix(), "header_auth");
    EXPECT_TRUE(policy->policyCounters().empty());
  }
  auto configured = Policy::parse(R"({"default": "deny"})");
  ASSERT_TRUE(configured.isOk());
  EXPECT_FALSE(configured->isTutorial());
}

TEST(TutorialPolicy, AllowsOnlyWhenFirstAllowValueIsExactlyTrue) {
  Policy policy = Policy::tutorial();
  EXPECT_EQ(run(policy, {{"allow", "true"}}).verdict, Verdict::Allow);
  EXPECT_EQ(run(policy, {{"allow", "true"}, {"allow", "false"}}).verdict, Verdict::Allow);
  EXPECT_EQ(run(policy, {{"allow", "false"}, {"allow", "true"}}).verdict, Verdict::Deny);
  for (const char* value : {"false", "TRUE", " true", "true ", "", "True", "true,true"}) {
    EXPECT_EQ(run(policy, {{"allow", value}}).verdict, Verdict::Deny) << '"' << value << '"';
  }
  EXPECT_EQ(run(policy, {}).verdict, Verdict::Deny);
}

TEST(TutorialPolicy, AllowValueEntryPointDecidesAsEvaluate) {
  Policy policy = Policy::tutorial();
  for (const char* value : {"true", "false", "TRUE", " true", "true ", "", "tru", "truee", "t"}) {
    const std::string_view allow(value);
    const Decision direct = policy.evaluateTutorial(&allow);
    const Decision full = run(policy, {{"allow", value}});
    EXPECT_EQ(direct.verdict, full.verdict) << '"' << value << '"';
    EXPECT_EQ(direct.policy, full.policy);
    EXPECT_EQ(direct.response, full.response);
    EXPECT_EQ(direct.policy_index, full.policy_index);
    EXPECT_EQ(direct.dry_run_denied, full.dry_run_denied);
  }
  const Decision absent = policy.evaluateTutorial(nullptr);
  EXPECT_EQ(absent.verdict, Verdict::Deny);
  EXPECT_EQ(absent.response, run(policy, {}).response);
  EXPECT_EQ(absent.policy, run(policy, {}).policy);
}

TEST(TutorialPolicy, BoolEntryPointDecidesAsEvaluateTutorial) {
  Policy policy = Policy::tutorial();
  for (const char* value : {"true", "false", "TRUE", " true", "true ", "", "tru", "truee", "t"}) {
    const std::string_view allow(value);
    EXPECT_EQ(policy.tutorialAllows(&allow),
              policy.evaluateTutorial(&allow).verdict == Verdict::Allow)
        << '"' << value << '"';
  }
  EXPECT_FALSE(policy.tutorialAllows(nullptr));
  EXPECT_EQ(&policy.tutorialDenyResponse(), policy.evaluateTutorial(nullptr).response);
}

TEST(TutorialPolicy, DenyResponseIsTheTutorialReply) {
  Policy policy = Policy::tutorial();
  Decision decision = run(policy, {{":path", "/"}});
  ASSERT_EQ(decision.verdict, Verdict::Deny);
  ASSERT_NE(decision.response, nullptr);
  EXPECT_EQ(decision.response->status, 403u);
  EXPECT_EQ(decision.response->body, "Forbidden by ASM Wasm Plugin, cpp version\n");
  ASSERT_EQ(decision.response->headers.size(), 1u);
  EXPECT_EQ(decision.response->headers[0].first, "content-type");
  EXPECT_EQ(decision.response->headers[0].second, "text/plain");
  EXPECT_EQ(decision.response->details, "");
  EXPECT_EQ(decision.response->grpc_status, -1);
  EXPECT_EQ(decision.policy, "default");
  EXPECT_FALSE(decision.dry_run_denied);
  Decision allowed = run(policy, {{"allow", "true"}});
  EXPECT_EQ(allowed.response, nullptr);
  EXPECT_EQ(allowed.policy, "tutorial");
}

TEST(ConfiguredPolicy, DefaultDenyResponseIsTheTutorialReplyWithDetails) {
  auto policy = Policy::parse(R"({"default": "deny"})");
  ASSERT_TRUE(policy.isOk());
  Decision decision = run(*policy, {});
  ASSERT_NE(decision.response, nullptr);
  EXPECT_EQ(decision.response->status, 403u);
  EXPECT_EQ(decision.response->body, "Forbidden by ASM Wasm Plugin, cpp version\n");
  ASSERT_EQ(decision.response->headers.size(), 1u);
  EXPECT_EQ(decision.response->headers[0].first, "content-type");
  EXPECT_EQ(decision.response->headers[0].second, "text/plain");
  EXPECT_EQ(decision.response->details, "header_auth_denied");
  EXPECT_EQ(decision.response->grpc_status, -1);
}

TEST(ConfiguredPolicy, DenyResponseFieldsAreTakenFromTheConfiguration) {
  auto policy = Policy::parse(R"({"deny_response": {"status": 401, "body": "no\n",
      "headers": {"WWW-Authenticate": "Bearer", "x-reason": "policy"},
      "details": "custom details", "grpc_status": 16}})");
  ASSERT_TRUE(policy.isOk()) << policy.message();
  Decision decision = run(*policy, {});
  ASSERT_NE(decision.response, nullptr);
  EXPECT_EQ(decision.response->status, 401u);
  EXPECT_EQ(decision.response->body, "no\n");
  std::vector<std::pair<std::string, std::string>> want = {{"www-authenticate", "Bearer"},
                                                           {"x-reason", "policy"}};
  EXPECT_EQ(decision.response->headers, want);
  EXPECT_EQ(decision.response->details, "custom details");
  EXPECT_EQ(decision.response->grpc_status, 16);
}

TEST(ConfiguredPolicy, PartialDenyResponseKeepsTheOtherDefaults) {
  auto policy = Policy::parse(R"({"deny_response": {"status": 429}})");
  ASSERT_TRUE(policy.isOk()) << policy.message();
  const DenyResponse* response = run(*policy, {}).response;
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->status, 429u);
  EXPECT_EQ(response->body, "Forbidden by ASM Wasm Plugin, cpp version\n");
  EXPECT_EQ(response->details, "header_auth_denied");
  ASSERT_EQ(response->headers.size(), 1u);
}

TEST(ConfiguredPolicy, EmptyHeadersObjectRemovesDefaultHeaders) {
  auto policy = Policy::parse(R"({"deny_response": {"headers": {}, "body": ""}})");
  ASSERT_TRUE(policy.isOk()) << policy.message();
  const DenyResponse* response = run(*policy, {}).response;
  ASSERT_NE(response, nullptr);
  EXPECT_TRUE(response->headers.empty());
  EXPECT_EQ(response->body, "");
}

TEST(ConfiguredPolicy, RouteDenyResponseReplacesTheWholeResponse) {
  auto policy = Policy::parse(testing::kRoutesConfig);
  ASSERT_TRUE(policy.isOk()) << policy.message();
  Decision decision = run(*policy, {{":authority", "api.example.com"}, {":path", "/admin"}});
  ASSERT_EQ(decision.route, 1);
  ASSERT_NE(decision.response, nullptr);
  EXPECT_EQ(decision.response->status, 401u);
  EXPECT_EQ(decision.response->body, "admin only\n");
  EXPECT_EQ(decision.response->details, "header_auth_denied");
  Decision top = run(*policy, {{":path", "/other"}});
  ASSERT_NE(top.response, nullptr);
  EXPECT_EQ(top.response->status, 403u);
}

TEST(ConfiguredPolicy, CounterNamesUseTheStatPrefix) {
  auto policy = Policy::parse(R"({"stat_prefix": "edge.auth",
      "deny": [{"name": "no-bots", "any": [{"header": "user-agent", "contains": "bot"}]}],
      "allow": [{"name": "tutorial", "all": [{"header": "allow", "exact": "true"}]}],
      "routes": [{"match": {"route_name": "r"},
                  "allow": [{"name": "tutorial", "all": [{"header": "allow", "exact": "yes"}]},
                            {"name": "route_only", "all": [{"header": "x", "present": true}]}]}]})");
  ASSERT_TRUE(policy.isOk()) << policy.message();
  EXPECT_EQ(policy->statPrefix(), "edge.auth");
  EXPECT_EQ(policy->allowedCounter(), "edge.auth.allowed");
  EXPECT_EQ(policy->deniedCounter(), "edge.auth.denied");
  EXPECT_EQ(policy->dryRunDeniedCounter(), "edge.auth.dry_run_denied");
  std::vector<std::string> want = {"edge.auth.policy.no-bots.matched",
                                   "edge.auth.policy.tutorial.matched",
                                   "edge.auth.policy.route_only.matched"};
  EXPECT_EQ(policy->policyCounters(), want);
  // The same name in a route shares the counter.
  Decision decision = run(*policy, {{"allow", "yes"}}, "r");
  EXPECT_EQ(decision.policy, "tutorial");
  EXPECT_EQ(decision.policy_index, 1);
}

TEST(ConfiguredPolicy, TutorialCountersUseTheDefaultPrefix) {
  Policy policy = Policy::tutorial();
  EXPECT_EQ(policy.allowedCounter(), "header_auth.allowed");
  EXPECT_EQ(policy.deniedCounter(), "header_auth.denied");
  EXPECT_EQ(policy.dryRunDeniedCounter(), "header_auth.dry_run_denied");
}

TEST(ConfiguredPolicy, DecisionPointersOutliveAMoveOfThePolicy) {
  auto parsed = Policy::parse(R"({"deny_response": {"status": 451}})");
  ASSERT_TRUE(parsed.isOk());
  Policy policy = std::move(parsed).value();
  Decision decision = run(policy, {});
  Policy moved = std::move(policy);
  ASSERT_NE(decision.response, nullptr);
  EXPECT_EQ(decision.response->status, 451u);
  EXPECT_EQ(decision.policy, "default");
}

TEST(ConfiguredPolicy, LongRepeatedHeaderIsJoinedCompletely) {
  auto policy = Policy::parse(testing::allowIf(R"({"header": "x", "suffix": ",last"})"));
  ASSERT_TRUE(policy.isOk());
  std::vector<std::string> values(100, std::string(50, 'v'));
  values.push_back("last");
  std::vector<HeaderEntry> headers;
  for (const std::string& value : values) headers.emplace_back("x", value);
  EXPECT_EQ(run(*policy, headers).verdict, Verdict::Allow);
}

}  // namespace
}  // namespace meshwasm::header_auth
