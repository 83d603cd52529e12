// Evaluation is allocation-light: no heap allocation per request in the common case; only a
// repeated header whose joined value outgrows std::string's inline buffer allocates.
// This executable replaces the global operator new to count allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "policy.h"
#include "policy_cases.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  std::abort();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace meshwasm::header_auth {
namespace {

long allocationsDuring(const Policy& policy, const std::vector<HeaderEntry>& headers,
                       std::string_view route = "") {
  const RequestView request{headers, route};
  long before = g_allocations.load();
  volatile int sink = 0;
  for (int i = 0; i < 100; ++i) {
    Decision decision = policy.evaluate(request);
    sink = sink + int(decision.verdict) + int(decision.policy.size());
  }
  return g_allocations.load() - before;
}

const std::vector<HeaderEntry> kRequest = {{":authority", "api.example.com:8443"},
                                           {":path", "/admin/x?y=1"},
                                           {":method", "GET"},
                                           {"user-agent", "Mozilla/5.0 (X11; Linux x86_64)"},
                                           {"x-api-key", "s3cret"},
                                           {"accept", "*/*"}};

TEST(Allocation, TutorialEvaluationDoesNotAllocate) {
  Policy policy = Policy::tutorial();
  EXPECT_EQ(allocationsDuring(policy, kRequest), 0);
}

TEST(Allocation, ConfiguredEvaluationDoesNotAllocate) {
  for (const char* config : {testing::kOrderConfig.c_str(), testing::kRoutesConfig.c_str()}) {
    auto policy = Policy::parse(config);
    ASSERT_TRUE(policy.isOk()) << policy.message();
    EXPECT_EQ(allocationsDuring(*policy, kRequest), 0);
    EXPECT_EQ(allocationsDuring(*policy, kRequest, "r1"), 0);
  }
  auto secret = Policy::parse(testing::allowIf(
      std::string(R"({"header": "x-api-key", "exact": ")") + testing::kSecretDigest + "\"}"));
  ASSERT_TRUE(secret.isOk());
  EXPECT_EQ(allocationsDuring(*secret, kRequest), 0);
}

TEST(Allocation, ShortRepeatedHeaderDoesNotAllocate) {
  auto policy = Policy::parse(testing::allowIf(R"({"header": "x", "exact": "a,b"})"));
  ASSERT_TRUE(policy.isOk());
  EXPECT_EQ(allocationsDuring(*policy, {{"x", "a"}, {"x", "b"}}), 0);
}

TEST(Allocation, LongRepeatedHeaderAllocatesOncePerRequest) {
  auto policy = Policy::parse(testing::allowIf(R"({"header": "x", "contains": "b"})"));
  ASSERT_TRUE(policy.isOk());
  std::vector<HeaderEntry> headers = {{"x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
                                      {"x", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}};
  EXPECT_EQ(allocationsDuring(*policy, headers), 100);
}

}  // namespace
}  // namespace meshwasm::header_auth
