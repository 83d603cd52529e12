// shared_data through the FakeHost (two root contexts stand for two workers' VMs sharing the
// store), and the compare-and-swap loop against a store that races.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "meshwasm/sdk/testing/fake_host.h"
#include "shared_counter.h"

namespace meshwasm::examples {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::FilterHeadersStatus;
using sdk::testing::Headers;
using sdk::testing::LogLevel;

const Headers kRequest = {{":authority", "127.0.0.1"}, {":path", "/get"}, {":method", "GET"}};

// One request through `root`: returns the x-request-count it answered with.
std::string countedRequest(FakeHost& host, uint32_t root) {
  const uint32_t stream = host.createHttpContext(root);
  EXPECT_EQ(host.requestHeaders(stream, kRequest), FilterHeadersStatus::Continue);
  host.responseHeaders(stream, {{":status", "200"}});
  std::string count;
  for (const auto& [name, value] : host.responseHeadersOf(stream)) {
    if (name == "x-request-count") count = value;
  }
  host.completeHttpContext(stream);
  return count;
}

TEST(SharedData, VmStartCreatesTheCounter) {
  FakeHost host;
  const uint32_t root = host.startPlugin();
  ASSERT_NE(root, 0u);
  ASSERT_TRUE(host.sharedData("shared_data.requests"));
  EXPECT_EQ(host.sharedData("shared_data.requests")->first, "0");
  EXPECT_EQ(countedRequest(host, root), "1");
  // A second VM (another worker) starting later does not reset it.
  ASSERT_NE(host.startPlugin(), 0u);
  EXPECT_EQ(host.sharedData("shared_data.requests")->first, "1");
}

TEST(SharedData, CountsEveryRequestOfEveryWorker) {
  FakeHost host;
  const uint32_t worker1 = host.startPlugin();
  const uint32_t worker2 = host.startPlugin();
  std::vector<std::string> counts;
  for (int i = 0; i < 3; ++i) {
    counts.push_back(countedRequest(host, worker1));
    counts.push_back(countedRequest(host, worker2));
  }
  EXPECT_EQ(counts, (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(host.sharedData("shared_data.requests")->first, "6");
  EXPECT_EQ(host.outstandingAllocations(), 0u);
}

TEST(SharedData, LogsTheCountOfEachRequest) {
  FakeHost host;
  const uint32_t root = host.startPlugin();
  const uint32_t stream = host.createHttpContext(root);
  host.requestHeaders(stream, kRequest);
  EXPECT_EQ(
      host.logMessages(LogLevel::Info),
      (std::vector<std::string>{"#" + std::to_string(stream) + " shared_data: request count 1"}));
}

TEST(SharedData, LocalRepliesCarryTheCountToo) {
  FakeHost host;
  const uint32_t root = host.startPlugin();
  const uint32_t stream = host.createHttpContext(root);
  host.requestHeaders(stream, kRequest);
  host.responseHeaders(stream, {{":status", "404"}}, true);
  EXPECT_EQ(host.responseHeadersOf(stream),
            (Headers{{":status", "404"}, {"x-request-count", "1"}}));
}

// A store where another writer gets in between this increment's read and write `races` times.
struct RacingStore {
  std::optional<StoredCount> stored;
  uint32_t next_cas = 1;
  int races = 0;
  std::vector<std::string> log;

  std::optional<StoredCount> read() {
    log.push_back("read");
    return stored;
  }
  WriteResult write(const std::string& text, uint32_t cas) {
    if (races > 0) {  // the other worker's increment lands first
      --races;
      const uint64_t other = stored ? parseCount(stored->text).value_or(0) + 1 : 1;
      stored = StoredCount{formatCount(other), next_cas++};
      log.push_back("other wrote " + stored->text);
    }
    if (stored && cas != 0 && cas != stored->cas) {
      log.push_back("mismatch");
      return WriteResult::CasMismatch;
    }
    stored = StoredCount{text, next_cas++};
    log.push_back("wrote " + text);
    return WriteResult::Ok;
  }
  IncrementResult increment(int max_attempts = 32) {
    return incrementSharedCount([this] { return read(); },
                                [this](const std::string& t, uint32_t c) { return write(t, c); },
                                max_attempts);
  }
};

TEST(SharedCounter, RetriesAfterACasMismatchAndLosesNoIncrement) {
  RacingStore store;
  store.stored = StoredCount{"41", 7};
  store.next_cas = 8;
  store.races = 2;
  const IncrementResult result = store.increment();
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.value, 44u);  // 41, the other writer twice (42, 43), then ours
  EXPECT_EQ(result.retries, 2);
  EXPECT_EQ(store.log,
            (std::vector<std::string>{"read", "other wrote 42", "mismatch", "read",
                                      "other wrote 43", "mismatch", "read", "wrote 44"}));
}

TEST(SharedCounter, GivesUpAfterMaxAttempts) {
  RacingStore store;
  store.stored = StoredCount{"0", 1};
  store.next_cas = 2;
  store.races = 100;
  const IncrementResult result = store.increment(4);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.retries, 4);
}

TEST(SharedCounter, CreatesAnAbsentKeyAndRestartsAfterGarbage) {
  RacingStore absent;
  IncrementResult result = absent.increment();
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.value, 1u);
  EXPECT_EQ(absent.stored->text, "1");

  RacingStore garbage;
  garbage.stored = StoredCount{"12x", 3};
  garbage.next_cas = 4;
  result = garbage.increment();
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(result.repaired);
  EXPECT_EQ(result.value, 1u);
}

TEST(SharedCounter, ParsesOnlyPlainDecimal) {
  EXPECT_EQ(parseCount("0"), 0u);
  EXPECT_EQ(parseCount("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parseCount("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parseCount(""), std::nullopt);
  EXPECT_EQ(parseCount("-1"), std::nullopt);
  EXPECT_EQ(parseCount(" 1"), std::nullopt);
  EXPECT_EQ(formatCount(0), "0");
  EXPECT_EQ(formatCount(1234567890123ull), "1234567890123");
}

}  // namespace
}  // namespace meshwasm::examples
