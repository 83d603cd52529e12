#include "policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshwasm::header_auth {
namespace {

Decision run(const Policy& policy, const std::vector<HeaderEntry>& headers) {
  return policy.evaluate(RequestView{headers, ""});
}

TEST(TutorialPolicy, EmptyAndEmptyObjectGiveTheTutorial) {
  for (const char* config : {"", "{}", "  \n", " { } "}) {
    auto policy = Policy::parse(config);
    ASSERT_TRUE(policy.isOk()) << config << ": " << policy.message();
    EXPECT_TRUE(policy->isTutorial()) << config;
    EXPECT_EQ(policy->statPrefix(), "header_auth");
  }
}

TEST(TutorialPolicy, AllowsOnlyWhenFirstAllowValueIsExactlyTrue) {
  Policy policy = Policy::tutorial();
  EXPECT_EQ(run(policy, {{"allow", "true"}}).verdict, Verdict::Allow);
  EXPECT_EQ(run(policy, {{"allow", "true"}, {"allow", "false"}}).verdict, Verdict::Allow);
  EXPECT_EQ(run(policy, {{"allow", "false"}, {"allow", "true"}}).verdict, Verdict::Deny);
  for (const char* value : {"false", "TRUE", " true", "true ", "", "True"}) {
    EXPECT_EQ(run(policy, {{"allow", value}}).verdict, Verdict::Deny) << '"' << value << '"';
  }
  EXPECT_EQ(run(policy, {}).verdict, Verdict::Deny);
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
  EXPECT_EQ(decision.response->grpc_status, -1);
  EXPECT_EQ(decision.policy, "default");
  EXPECT_FALSE(decision.dry_run_denied);
  Decision allowed = run(policy, {{"allow", "true"}});
  EXPECT_EQ(allowed.response, nullptr);
  EXPECT_EQ(allowed.policy, "tutorial");
}

}  // namespace
}  // namespace meshwasm::header_auth
