// shared_queue through the FakeHost: registration at VM start, enqueue from request
// contexts, draining on proxy_on_queue_ready (delivered later, never inline).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meshwasm/sdk/testing/fake_host.h"

namespace meshwasm::examples {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::FilterHeadersStatus;
using sdk::testing::Headers;
using sdk::testing::LogLevel;

constexpr char kQueue[] = "shared_queue.requests";

uint32_t request(FakeHost& host, uint32_t root, std::string method, std::string path) {
  const uint32_t stream = host.createHttpContext(root);
  EXPECT_EQ(host.requestHeaders(stream, {{":authority", "127.0.0.1"},
                                         {":path", std::move(path)},
                                         {":method", std::move(method)}}),
            FilterHeadersStatus::Continue);
  return stream;
}

TEST(SharedQueue, RequestsEnqueueAndTheRootDrainsWhenNotified) {
  FakeHost host;
  const uint32_t root = host.startPlugin();
  ASSERT_NE(root, 0u);
  const uint32_t first = request(host, root, "GET", "/status/200");
  const uint32_t second = request(host, root, "POST", "/anything?x=1");
  EXPECT_EQ(host.queueSize(kQueue), 2u);
  EXPECT_EQ(host.logMessages(LogLevel::Info),
            (std::vector<std::string>{
                "#" + std::to_string(first) + " shared_queue: enqueued GET /status/200",
                "#" + std::to_string(second) + " shared_queue: enqueued POST /anything?x=1"}));
  host.clearLogs();

  EXPECT_EQ(host.deliverQueueReady(), 2u);  // one notification per enqueue
  EXPECT_EQ(host.queueSize(kQueue), 0u);
  // The first notification drains both items; the second finds the queue empty.
  EXPECT_EQ(host.logMessages(LogLevel::Info),
            (std::vector<std::string>{"shared_queue: dequeued GET /status/200 (1 item)",
                                      "shared_queue: dequeued POST /anything?x=1 (2 items)"}));
  EXPECT_EQ(host.logs()[0].context_id, root);
  EXPECT_TRUE(host.logMessages(LogLevel::Error).empty());
  host.completeHttpContext(first);
  host.completeHttpContext(second);
  EXPECT_EQ(host.outstandingAllocations(), 0u);
}

TEST(SharedQueue, LastRegistrantDrainsTheItemsOfEveryWorker) {
  FakeHost host;
  const uint32_t worker1 = host.startPlugin();
  const uint32_t worker2 = host.startPlugin();  // registers the same queue again
  request(host, worker1, "GET", "/one");
  request(host, worker2, "GET", "/two");
  host.clearLogs();
  host.deliverQueueReady();
  ASSERT_EQ(host.logs().size(), 2u);
  EXPECT_EQ(host.logs()[0].message, "shared_queue: dequeued GET /one (1 item)");
  EXPECT_EQ(host.logs()[0].context_id, worker2);
  EXPECT_EQ(host.logs()[1].message, "shared_queue: dequeued GET /two (2 items)");
}

TEST(SharedQueue, NothingIsDeliveredInline) {
  FakeHost host;
  const uint32_t root = host.startPlugin();
  request(host, root, "GET", "/x");
  for (const auto& entry : host.logs()) {
    EXPECT_EQ(entry.message.find("dequeued"), std::string::npos);
  }
}

}  // namespace
}  // namespace meshwasm::examples
