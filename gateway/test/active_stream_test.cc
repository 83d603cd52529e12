#include "active_stream.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace meshwasm::gateway {
namespace {

std::string requestId() {
  std::string id(kRequestIdSize, '?');
  writeRequestId(id.data());
  return id;
}

bool isLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

TEST(RequestId, IsAVersion4UuidInLowerCaseHex) {
  for (int n = 0; n < 1000; ++n) {
    std::string id = requestId();
    ASSERT_EQ(id.size(), 36u);
    for (size_t i = 0; i < id.size(); ++i) {
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        ASSERT_EQ(id[i], '-') << id;
      } else {
        ASSERT_TRUE(isLowerHex(id[i])) << id;
      }
    }
    ASSERT_EQ(id[14], '4') << id;                                    // version 4
    ASSERT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant 10
  }
}

TEST(RequestId, EveryRandomDigitVariesAndIdsDoNotRepeat) {
  std::set<std::string> seen;
  std::vector<std::set<char>> digits(36);
  for (int n = 0; n < 20000; ++n) {
    std::string id = requestId();
    ASSERT_TRUE(seen.insert(id).second) << "repeated " << id;
    for (size_t i = 0; i < id.size(); ++i) digits[i].insert(id[i]);
  }
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23 || i == 14) {
      EXPECT_EQ(digits[i].size(), 1u) << i;
    } else if (i == 19) {
      EXPECT_EQ(digits[i].size(), 4u);  // 8, 9, a, b
    } else {
      EXPECT_EQ(digits[i].size(), 16u) << "position " << i;
    }
  }
}

TEST(RequestId, ThreadsDrawDifferentSequences) {
  std::vector<std::string> first(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < first.size(); ++t) {
    threads.emplace_back([&first, t] { first[t] = requestId(); });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> distinct(first.begin(), first.end());
  distinct.insert(requestId());
  EXPECT_EQ(distinct.size(), first.size() + 1);
}

}  // namespace
}  // namespace meshwasm::gateway
