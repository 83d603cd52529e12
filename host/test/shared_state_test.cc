// SharedState: shared data CAS across threads, queue tokens and delivery to the last
// registrant, metrics by name and type.
#include "meshwasm/host/shared_state.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace meshwasm::host {
namespace {

using abi::WasmResult;

TEST(SharedState, CompareAndSwapIncrementsFromManyThreadsLoseNothing) {
  SharedState shared;
  ASSERT_EQ(shared.setSharedData("vm", "n", "0", 0), WasmResult::Ok);
  auto worker = [&] {
    for (int i = 0; i < 500; ++i) {
      while (true) {
        std::string value;
        uint32_t cas = 0;
        ASSERT_EQ(shared.getSharedData("vm", "n", &value, &cas), WasmResult::Ok);
        std::string next = std::to_string(std::stoi(value) + 1);
        if (shared.setSharedData("vm", "n", next, cas) == WasmResult::Ok) break;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  std::string value;
  uint32_t cas = 0;
  ASSERT_EQ(shared.getSharedData("vm", "n", &value, &cas), WasmResult::Ok);
  EXPECT_EQ(value, "2000");
}

TEST(SharedState, SharedDataIsKeyedByVmId) {
  SharedState shared;
  ASSERT_EQ(shared.setSharedData("a", "k", "1", 0), WasmResult::Ok);
  std::string value;
  uint32_t cas = 0;
  EXPECT_EQ(shared.getSharedData("b", "k", &value, &cas), WasmResult::NotFound);
}

TEST(SharedState, QueueNotificationsGoToTheLastRegistrant) {
  SharedState shared;
  std::vector<std::string> got;
  uint32_t first = shared.registerQueue(
      "vm", "q", [&](uint32_t t) { got.push_back("first " + std::to_string(t)); });
  uint32_t second = shared.registerQueue(
      "vm", "q", [&](uint32_t t) { got.push_back("second " + std::to_string(t)); });
  EXPECT_EQ(first, second);
  EXPECT_EQ(shared.registerQueue("other_vm", "q", nullptr), first + 1);
  EXPECT_EQ(shared.enqueue(first, "a"), WasmResult::Ok);
  EXPECT_EQ(shared.enqueue(first, "b"), WasmResult::Ok);
  EXPECT_EQ(got, (std::vector<std::string>{"second 1", "second 1"}));
  std::string item;
  EXPECT_EQ(shared.dequeue(first, &item), WasmResult::Ok);
  EXPECT_EQ(item, "a");
  EXPECT_EQ(shared.dequeue(first, &item), WasmResult::Ok);
  EXPECT_EQ(item, "b");
  EXPECT_EQ(shared.dequeue(first, &item), WasmResult::Empty);
  EXPECT_EQ(shared.resolveQueue("vm", "q"), first);
  EXPECT_FALSE(shared.resolveQueue("vm", "nope").has_value());
}

TEST(SharedState, ManyQueuedItemsComeOutInOrder) {
  SharedState shared;
  uint32_t q = shared.registerQueue("vm", "q", nullptr);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(shared.enqueue(q, std::to_string(i)), WasmResult::Ok);
  for (int i = 0; i < 1000; ++i) {
    std::string item;
    ASSERT_EQ(shared.dequeue(q, &item), WasmResult::Ok);
    ASSERT_EQ(item, std::to_string(i));
  }
}

TEST(SharedState, MetricsAreSharedByNameAndTypeAndListedSorted) {
  SharedState shared;
  auto* a = shared.defineMetric(abi::MetricType::Counter, "b_total");
  auto* b = shared.defineMetric(abi::MetricType::Counter, "b_total");
  auto* g = shared.defineMetric(abi::MetricType::Gauge, "a_gauge");
  EXPECT_EQ(a, b);
  EXPECT_EQ(shared.incrementMetric(a, 2), WasmResult::Ok);
  EXPECT_EQ(shared.recordMetric(b, 3), WasmResult::Ok);
  EXPECT_EQ(shared.recordMetric(g, 7), WasmResult::Ok);
  auto all = shared.metrics();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a_gauge");
  EXPECT_EQ(all[0].value, 7);
  EXPECT_EQ(all[1].name, "b_total");
  EXPECT_EQ(all[1].value, 5);
}

}  // namespace
}  // namespace meshwasm::host
