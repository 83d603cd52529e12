// meshwasm run --plugin oci://...: the gateway pulls the plugin image from a local
// docker-registry (Istio-agent style cache) and serves the tutorial's requests through it.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "oci_test_support.h"

namespace meshwasm::e2e {
namespace {

namespace fs = std::filesystem;

CommandResult curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "10",
                                   "-o",   "-",   "-w",         "\n%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, 20);
}

TEST(OciRun, GatewayServesThroughAPluginPulledFromTheRegistry) {
  const char* wasmDir = std::getenv("MESHWASM_WASM_DIR");
  std::string module = std::string(wasmDir ? wasmDir : "") + "/header_auth.wasm";
  if (!fs::exists(module)) GTEST_SKIP() << "no " << module << " (guest modules not built)";
  CommandResult help = runCommand({meshwasmBinary(), "run", "--help"}, 30);
  if (help.out.find("oci://") == std::string::npos &&
      help.err.find("oci://") == std::string::npos) {
    GTEST_SKIP() << "this meshwasm run does not take oci:// plugins";
  }
  TempDir work;
  LocalRegistry registry(work.path());
  ASSERT_TRUE(registry.ready()) << registry.log();
  std::string reference = registry.host() + "/plugins/header-auth:v1";
  ASSERT_EQ(runCommand({meshwasmBinary(), "image", "build", module, "--format", "oci", "-o",
                        work.path() + "/img"})
                .exitCode,
            0);
  CommandResult push =
      runCommand({meshwasmBinary(), "image", "push", work.path() + "/img", reference});
  ASSERT_EQ(push.exitCode, 0) << push.err;

  int port = freeLoopbackPort(), admin = freeLoopbackPort();
  std::string listen = "127.0.0.1:" + std::to_string(port);
  std::string adminAddr = "127.0.0.1:" + std::to_string(admin);
  std::string cache = work.path() + "/cache";
  Background gateway({"env", "MESHWASM_CACHE_DIR=" + cache, meshwasmBinary(), "run", "--plugin",
                      "oci://" + reference, "--listen", listen, "--admin", adminAddr, "--workers",
                      "1", "--no-access-log"},
                     work.path() + "/gateway.log");
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    ready = curl({"http://" + adminAddr + "/ready"}).out.ends_with("\n200");
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ready) << readText(work.path() + "/gateway.log");

  CommandResult denied = curl({"http://" + listen + "/get"});
  EXPECT_EQ(denied.out, "Forbidden by ASM Wasm Plugin, cpp version\n\n403");
  CommandResult teapot = curl({"-H", "allow: true", "http://" + listen + "/status/418"});
  EXPECT_TRUE(teapot.out.ends_with("\n418")) << teapot.out;
  // the module came through the cache keyed by manifest digest
  EXPECT_EQ(listDir(cache + "/modules").size(), 1u);
  gateway.stop();
  EXPECT_NE(readText(work.path() + "/gateway.log").find("wasm-cpp: on_http_request_headers"),
            std::string::npos)
      << readText(work.path() + "/gateway.log");
}

}  // namespace
}  // namespace meshwasm::e2e
