// examples/shared_queue through `meshwasm run --workers 2`: request contexts of both workers
// enqueue "<method> <path>", the root context that registered last drains and logs them.
#include <gtest/gtest.h>

#include <string>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

TEST(ExamplesSharedQueue, RootContextLogsEveryEnqueuedRequest) {
  const std::string module = wasmModule("shared_queue.wasm");
  if (module.empty()) GTEST_SKIP() << "shared_queue.wasm not built in " << wasmDir();
  std::string error;
  auto gw = GatewayProcess::start({"--plugin", module, "--workers", "2"}, &error);
  ASSERT_TRUE(gw) << error;

  for (int i = 0; i < 10; ++i) {
    const std::string path = "/anything/item-" + std::to_string(i);
    const HttpResponse response = request(gw->port(), i % 2 == 0 ? "GET" : "POST", path);
    ASSERT_EQ(response.status, 200) << response.raw;
  }
  for (int i = 0; i < 10; ++i) {
    const std::string item =
        std::string(i % 2 == 0 ? "GET" : "POST") + " /anything/item-" + std::to_string(i);
    EXPECT_TRUE(gw->waitForErr("shared_queue: enqueued " + item)) << gw->err();
    EXPECT_TRUE(gw->waitForErr("shared_queue: dequeued " + item + " (")) << gw->err();
  }
  EXPECT_EQ(gw->err().find("cannot enqueue"), std::string::npos);
  EXPECT_EQ(gw->err().find("dequeue failed"), std::string::npos);
}

}  // namespace
}  // namespace meshwasm::e2e
