// `meshwasm run` FAIL_RELOAD backoff settings (--reload-backoff-ms, --reload-max-backoff-ms,
// reload_backoff_ms / reload_max_backoff_ms in the YAML file) with the scripted lifecycle guest
// (host/test/guests/lifecycle.c): the errors for bad values, and a trapped VM replaced only
// once the configured backoff since the worker's VM load has passed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

using Clock = std::chrono::steady_clock;

std::string writeConfig(const std::string& name, const std::string& yaml) {
  std::string path =
      "/tmp/meshwasm_e2e_reload_" + std::to_string(::getpid()) + "_" + name + ".yaml";
  std::ofstream(path) << yaml;
  return path;
}

class GatewayReload : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = wasmModule("test_lifecycle.wasm");
    if (module_.empty()) GTEST_SKIP() << "test_lifecycle.wasm not built in " << wasmDir();
  }
  int status(const std::string& script) {
    return request(gw_->port(), "GET", "/status/200", {{"x-test", script}}).status;
  }
  std::string module_;
  std::unique_ptr<GatewayProcess> gw_;
};

TEST_F(GatewayReload, BadBackoffFlagsAreUsageErrors) {
  std::string err;
  EXPECT_EQ(GatewayProcess::runToExit({"--plugin", module_, "--reload-backoff-ms", "0"}, &err), 2);
  EXPECT_NE(err.find("meshwasm run: --reload-backoff-ms: expected milliseconds from 1 to "
                     "86400000\n"),
            std::string::npos)
      << err;
  EXPECT_EQ(GatewayProcess::runToExit({"--plugin", module_, "--reload-max-backoff-ms", "-3"}, &err),
            2);
  EXPECT_NE(err.find("meshwasm run: --reload-max-backoff-ms: expected milliseconds from 1 to "
                     "86400000\n"),
            std::string::npos)
      << err;
  EXPECT_EQ(
      GatewayProcess::runToExit(
          {"--plugin", module_, "--plugin-name", "lc", "--reload-max-backoff-ms", "500"}, &err),
      2);
  EXPECT_NE(err.find("meshwasm run: plugin lc: reload_max_backoff_ms (500) is less than "
                     "reload_backoff_ms (1000)\n"),
            std::string::npos)
      << err;
}

TEST_F(GatewayReload, BadBackoffInTheYamlFileNamesFileLineAndField) {
  std::string path = writeConfig("bad", "plugins:\n  - url: " + module_ +
                                            "\n    fail_strategy: FAIL_RELOAD\n"
                                            "    reload_backoff_ms: 2000\n"
                                            "    reload_max_backoff_ms: 1500\n");
  std::string err;
  EXPECT_EQ(GatewayProcess::runToExit({"-c", path}, &err), 2);
  EXPECT_NE(err.find(path + ":5: plugins[0].reload_max_backoff_ms: must not be less than "
                            "reload_backoff_ms (2000)"),
            std::string::npos)
      << err;
  std::remove(path.c_str());
}

TEST_F(GatewayReload, FlagBeforeAnyPluginAppliesToTheYamlPluginsToo) {
  // The file's max (1500) is fine with its default base, not with the flag's base of 2000.
  std::string path = writeConfig("flag", "plugins:\n  - name: lc\n    url: " + module_ +
                                             "\n    reload_max_backoff_ms: 1500\n");
  std::string err;
  EXPECT_EQ(GatewayProcess::runToExit({"--reload-backoff-ms", "2000", "-c", path}, &err), 2);
  EXPECT_NE(err.find("meshwasm run: plugin lc: reload_max_backoff_ms (1500) is less than "
                     "reload_backoff_ms (2000)\n"),
            std::string::npos)
      << err;
  std::remove(path.c_str());
}

TEST_F(GatewayReload, TrappedVmIsReplacedOnlyAfterTheConfiguredBackoff) {
  std::string error;
  gw_ = GatewayProcess::start({"--plugin", module_, "--plugin-name", "lifecycle", "--workers", "1",
                               "--fail-strategy", "FAIL_RELOAD", "--reload-backoff-ms", "3000"},
                              &error);
  ASSERT_TRUE(gw_) << error;
  Clock::time_point ready = Clock::now();
  EXPECT_EQ(status("rh=trap"), 503);
  // The worker loaded its VM about when the gateway became ready: the wait, drawn per request
  // in [3000, 4500) ms, counts from then.
  EXPECT_EQ(status("rh=local"), 503) << "fail-closed in the backoff";
  int code = 503;
  Clock::time_point reloaded;
  while (code == 503 && Clock::now() - ready < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    code = status("rh=local");
    reloaded = Clock::now();
  }
  EXPECT_EQ(code, 403) << "the fresh VM ran the script";
  EXPECT_GE(reloaded - ready, std::chrono::milliseconds(2500));
}

}  // namespace
}  // namespace meshwasm::e2e
