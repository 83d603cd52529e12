// examples/shared_data through `meshwasm run --workers 2`: one request counter shared by both
// workers' VMs, shown in response header x-request-count.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

TEST(ExamplesSharedData, CountIncreasesAcrossWorkersWithoutLosingIncrements) {
  const std::string module = wasmModule("shared_data.wasm");
  if (module.empty()) GTEST_SKIP() << "shared_data.wasm not built in " << wasmDir();
  std::string error;
  auto gw = GatewayProcess::start({"--plugin", module, "--workers", "2"}, &error);
  ASSERT_TRUE(gw) << error;

  // One after the other (a new connection each, spread over the workers): 1, 2, ..., 20.
  for (int i = 1; i <= 20; ++i) {
    const HttpResponse response = request(gw->port(), "GET", "/status/200");
    ASSERT_EQ(response.status, 200) << response.raw;
    EXPECT_EQ(response.header("x-request-count"), std::to_string(i)) << response.raw;
  }
  EXPECT_TRUE(gw->waitForErr("shared_data: request count 20")) << gw->err();

  // Four clients at once: every count from 21 to 120 is handed out exactly once.
  std::mutex mutex;
  std::vector<int> counts;
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const HttpResponse response = request(gw->port(), "GET", "/get");
        const std::string count = response.header("x-request-count").value_or("0");
        std::lock_guard<std::mutex> lock(mutex);
        counts.push_back(std::atoi(count.c_str()));
      }
    });
  }
  for (auto& client : clients) client.join();
  std::sort(counts.begin(), counts.end());
  std::vector<int> expected;
  for (int i = 21; i <= 120; ++i) expected.push_back(i);
  EXPECT_EQ(counts, expected);
}

}  // namespace
}  // namespace meshwasm::e2e
