// SharedState: shared data CAS across threads, queue tokens and delivery to the last
// registrant, metrics by name and type.
#include "meshwasm/host/shared_state.h"

#include <gtest/gtest.h>

#include <atomic>
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

// Counters and histograms are kept per thread; every read sums what all threads added.
TEST(SharedState, CounterIncrementsFromManyThreadsAreAllCounted) {
  SharedState shared;
  auto* counter = shared.defineMetric(abi::MetricType::Counter, "requests_total");
  // More threads than there are shards (at most 64): threads that share a shard lose nothing.
  constexpr int kThreads = 70;
  constexpr int kIncrements = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        // Half the threads increment, half record (record adds on counters).
        ASSERT_EQ(t % 2 == 0 ? shared.incrementMetric(counter, 2) : shared.recordMetric(counter, 2),
                  WasmResult::Ok);
      }
    });
  }
  for (auto& t : threads) t.join();
  uint64_t value = 0;
  ASSERT_EQ(shared.getMetric(counter, &value), WasmResult::Ok);
  EXPECT_EQ(value, uint64_t{kThreads} * kIncrements * 2);
  auto all = shared.metrics();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].value, int64_t{kThreads} * kIncrements * 2);
}

TEST(SharedState, CounterIsReadAsTheSumWhileThreadsIncrement) {
  SharedState shared;
  auto* counter = shared.defineMetric(abi::MetricType::Counter, "c");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load()) shared.incrementMetric(counter, 1);
  });
  // Each read is at least the one before (increments only add).
  uint64_t last = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t value = 0;
    ASSERT_EQ(shared.getMetric(counter, &value), WasmResult::Ok);
    ASSERT_GE(value, last);
    last = value;
  }
  stop = true;
  writer.join();
  // The reader's own increment shows in its next read.
  ASSERT_EQ(shared.incrementMetric(counter, 1), WasmResult::Ok);
  uint64_t value = 0;
  ASSERT_EQ(shared.getMetric(counter, &value), WasmResult::Ok);
  EXPECT_GE(value, last + 1);
}

TEST(SharedState, HistogramSamplesFromManyThreadsAreAllCounted) {
  SharedState shared;
  auto* histogram = shared.defineMetric(abi::MetricType::Histogram, "latency");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        ASSERT_EQ(shared.recordMetric(histogram, static_cast<uint64_t>(t)), WasmResult::Ok);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto all = shared.metrics();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].type, abi::MetricType::Histogram);
  EXPECT_EQ(all[0].sample_count, 8u * 500);
  EXPECT_EQ(all[0].sample_sum, (0u + 1 + 2 + 3 + 4 + 5 + 6 + 7) * 500);
  uint64_t value = 0;
  EXPECT_EQ(shared.getMetric(histogram, &value), WasmResult::BadArgument);
}

// A gauge is one value whichever thread sets it: record replaces what any thread added.
TEST(SharedState, GaugeIsOneValueSetAndAddedFromAnyThread) {
  SharedState shared;
  auto* gauge = shared.defineMetric(abi::MetricType::Gauge, "connections");
  auto read = [&] {
    uint64_t value = 0;
    EXPECT_EQ(shared.getMetric(gauge, &value), WasmResult::Ok);
    return static_cast<int64_t>(value);
  };
  std::thread([&] { ASSERT_EQ(shared.recordMetric(gauge, 10), WasmResult::Ok); }).join();
  ASSERT_EQ(shared.incrementMetric(gauge, 5), WasmResult::Ok);
  EXPECT_EQ(read(), 15);
  std::thread([&] { ASSERT_EQ(shared.incrementMetric(gauge, -20), WasmResult::Ok); }).join();
  EXPECT_EQ(read(), -5);
  std::thread([&] { ASSERT_EQ(shared.recordMetric(gauge, 3), WasmResult::Ok); }).join();
  EXPECT_EQ(read(), 3) << "record sets the value every thread added to";
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        ASSERT_EQ(shared.incrementMetric(gauge, 1), WasmResult::Ok);
        ASSERT_EQ(shared.incrementMetric(gauge, -1), WasmResult::Ok);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(read(), 3);
  auto all = shared.metrics();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].value, 3);
}

}  // namespace
}  // namespace meshwasm::host
