// Every guest module built with this SDK by the plugin and example folders: valid, an ABI 0.2.1
// reactor exporting the allocator, importing only what every Envoy provides, and (when the
// meshwasm CLI of the same build exists) loading and serving a request under the real host.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/sdk/testing/module_check.h"

namespace meshwasm::sdk::testing {
namespace {

class GuestModule : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("MESHWASM_WASM_DIR"), nullptr) << "MESHWASM_WASM_DIR is not set";
    path_ = guestModulePath(GetParam());
    std::string error;
    auto info = inspectModule(path_, &error);
    ASSERT_TRUE(info.has_value()) << error;
    info_ = *info;
  }
  bool exports(std::string_view name) const {
    return std::find(info_.exports.begin(), info_.exports.end(), name) != info_.exports.end();
  }
  std::string path_;
  ModuleInfo info_;
};

TEST_P(GuestModule, IsValidReactorWithAbiMarkerAndAllocators) {
  std::string error;
  EXPECT_TRUE(validateModule(path_, &error)) << error;
  for (const char* name :
       {"proxy_abi_version_0_2_1", "_initialize", "malloc", "free", "proxy_on_memory_allocate",
        "proxy_on_context_create", "proxy_on_request_headers", "proxy_on_http_call_response"}) {
    EXPECT_TRUE(exports(name)) << name;
  }
  EXPECT_FALSE(exports("_start"));
}

TEST_P(GuestModule, ImportsOnlyWhatEveryEnvoyProvides) {
  for (const auto& import : info_.imports) EXPECT_TRUE(isAllowedGuestImport(import)) << import;
}

// Runs one request through `meshwasm replay` (the real host on the interpreter engine).
TEST_P(GuestModule, LoadsAndServesARequestUnderTheHost) {
  const char* build = std::getenv("MESHWASM_BUILD_DIR");
  const std::string cli = std::string(build == nullptr ? "" : build) + "/bin/meshwasm";
  if (!std::filesystem::exists(cli)) GTEST_SKIP() << cli << " is not built in this build";
  std::string config =
      std::string(GetParam()) == "http_config" ? R"('{"headers": {"x-a": "1"}}')" : "''";
  const std::string command =
      "timeout 60 " + cli + " replay --plugin " + path_ + " --config " + config +
      R"( --requests '[{"headers": [[":method","GET"],[":path","/get"],[":authority","h"],)"
      R"(["allow","true"]], "response_headers": [[":status","200"]], "response_body": "x"}]')";
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> chunk;
  size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) output.append(chunk.data(), n);
  const int status = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_NE(output.find(R"("event":"load","ok":true)"), std::string::npos) << output;
  EXPECT_NE(output.find(R"("action":"continue")"), std::string::npos) << output;
}

// Thousands of request lifecycles reuse the allocator's blocks without failing the VM.
TEST_P(GuestModule, SurvivesThousandsOfRequests) {
  const char* build = std::getenv("MESHWASM_BUILD_DIR");
  const std::string cli = std::string(build == nullptr ? "" : build) + "/bin/meshwasm";
  if (!std::filesystem::exists(cli)) GTEST_SKIP() << cli << " is not built in this build";
  std::string config =
      std::string(GetParam()) == "http_config" ? R"('{"headers": {"x-a": "1"}}')" : "''";
  const std::string big(3000, 'a');
  const std::string command =
      "timeout 120 " + cli + " replay --iterations 1000 --plugin " + path_ + " --config " + config +
      R"( --requests '[{"headers": [[":method","GET"],[":path","/get"],[":authority","h"],)"
      R"(["x-big",")" +
      big +
      R"("]], "response_headers": [[":status","200"]],)"
      R"( "response_body": ")" +
      big + R"("}, {"headers": [[":path","/"],["allow","true"]]}]')";
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> chunk;
  size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) output.append(chunk.data(), n);
  ::pclose(pipe);
  EXPECT_NE(output.find(R"("vm_failed":false)"), std::string::npos) << output.substr(0, 2000);
}

// A module exports the optional callbacks (request body/trailers/metadata, response callbacks,
// proxy_on_log, proxy_on_done) only when a registered context class overrides one of the group:
// hosts skip callbacks a module does not export, which is what the defaults answer.
TEST(GuestModuleExports, OptionalCallbacksOnlyWhenARegisteredClassOverridesThem) {
  ASSERT_NE(std::getenv("MESHWASM_WASM_DIR"), nullptr) << "MESHWASM_WASM_DIR is not set";
  auto exportsOf = [](const char* module) {
    std::string error;
    auto info = inspectModule(guestModulePath(module), &error);
    EXPECT_TRUE(info.has_value()) << module << ": " << error;
    return info ? info->exports : std::vector<std::string>();
  };
  auto has = [](const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  // header_auth overrides onRequestHeaders only.
  const auto header_auth = exportsOf("header_auth");
  for (const char* name : {"proxy_on_request_headers", "proxy_on_delete"}) {
    EXPECT_TRUE(has(header_auth, name)) << name;
  }
  for (const char* name :
       {"proxy_on_request_body", "proxy_on_request_trailers", "proxy_on_response_headers",
        "proxy_on_response_body", "proxy_on_response_trailers", "proxy_on_log", "proxy_on_done"}) {
    EXPECT_FALSE(has(header_auth, name)) << name;
  }
  // http_headers overrides onResponseHeaders and onLog; http_body onResponseBody.
  const auto http_headers = exportsOf("http_headers");
  EXPECT_TRUE(has(http_headers, "proxy_on_response_headers"));
  EXPECT_TRUE(has(http_headers, "proxy_on_log"));
  EXPECT_FALSE(has(http_headers, "proxy_on_request_body"));
  const auto http_body = exportsOf("http_body");
  EXPECT_TRUE(has(http_body, "proxy_on_response_body"));
  EXPECT_FALSE(has(http_body, "proxy_on_log"));
}

INSTANTIATE_TEST_SUITE_P(Sdk, GuestModule,
                         ::testing::Values("header_auth", "hello_world", "http_headers",
                                           "http_body", "http_config"));

}  // namespace
}  // namespace meshwasm::sdk::testing
