// examples/http_config through `meshwasm run --config`: the configured headers on every
// response; a bad configuration stops `meshwasm run` from starting, with the plugin's reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

TEST(ExamplesHttpConfig, AddsTheConfiguredHeadersToEveryResponse) {
  const std::string module = wasmModule("http_config.wasm");
  if (module.empty()) GTEST_SKIP() << "http_config.wasm not built in " << wasmDir();
  std::string error;
  auto gw = GatewayProcess::start(
      {"--plugin", module, "--config",
       R"({"headers": {"x-served-by": "meshwasm", "X-Env": "dev"}})", "--workers", "2"},
      &error);
  ASSERT_TRUE(gw) << error;
  EXPECT_TRUE(gw->waitForErr("wasm log: http_config: adding 2 response headers")) << gw->err();

  struct Case {
    std::string method;
    std::string path;
    int status;
  };
  const std::vector<Case> cases = {{"GET", "/get", 200},        {"GET", "/status/418", 418},
                                   {"GET", "/status/204", 204}, {"POST", "/anything", 200},
                                   {"GET", "/status/500", 500}, {"GET", "/no/such/route", 404}};
  for (int round = 0; round < 3; ++round) {  // spread over both workers' VMs
    for (const Case& c : cases) {
      const HttpResponse response = request(gw->port(), c.method, c.path, {}, "body");
      EXPECT_EQ(response.status, c.status) << c.path << "\n" << response.raw;
      EXPECT_EQ(response.header("x-served-by"), "meshwasm") << c.path << "\n" << response.raw;
      EXPECT_EQ(response.header("x-env"), "dev") << c.path << "\n" << response.raw;
    }
  }
  // The headers go to the client, not to the upstream: httpbin's echo of the request lacks them.
  const HttpResponse echo = request(gw->port(), "GET", "/headers");
  EXPECT_EQ(echo.status, 200) << echo.raw;
  EXPECT_NE(echo.body.find("\"User-Agent\": \"meshwasm-e2e\""), std::string::npos) << echo.raw;
  EXPECT_EQ(echo.body.find("X-Served-By"), std::string::npos) << echo.raw;
  EXPECT_EQ(echo.body.find("X-Env"), std::string::npos) << echo.raw;
}

TEST(ExamplesHttpConfig, BadConfigurationMakesRunExitWithThePluginsReason) {
  const std::string module = wasmModule("http_config.wasm");
  if (module.empty()) GTEST_SKIP() << "http_config.wasm not built in " << wasmDir();
  const std::string refused = "meshwasm run: plugin 'http_config' (" + module +
                              "): Plugin 'http_config' failed to configure: proxy_on_configure "
                              "returned false\n";
  struct Case {
    std::string config;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {R"({"headers": {"x bad": "v"}})", R"(headers."x bad": not a valid header name)"},
      {R"({"headers": {"x-n": 1}})", R"(headers."x-n": value must be a string)"},
      {R"({"header": {}})", R"(unknown field "header")"},
      {R"({"headers": {"x-a": "b"}} trailing)",
       "byte 26: trailing characters after the configuration"},
  };
  for (const Case& c : cases) {
    std::string err;
    const int code =
        GatewayProcess::runToExit({"--plugin", module, "--config", c.config, "--listen",
                                   "127.0.0.1:0", "--admin", "127.0.0.1:0", "--workers", "1"},
                                  &err);
    EXPECT_EQ(code, 1) << c.config << "\n" << err;
    EXPECT_NE(err.find(" error envoy wasm wasm log: http_config: invalid configuration: " +
                       c.reason + "\n"),
              std::string::npos)
        << c.config << "\n"
        << err;
    EXPECT_NE(err.find(refused), std::string::npos) << c.config << "\n" << err;
    EXPECT_EQ(err.find("listening on"), std::string::npos) << err;
  }

  // No configuration at all is refused the same way.
  std::string err;
  EXPECT_EQ(GatewayProcess::runToExit({"--plugin", module, "--listen", "127.0.0.1:0", "--admin",
                                       "127.0.0.1:0", "--workers", "1"},
                                      &err),
            1)
      << err;
  EXPECT_NE(err.find("http_config: invalid configuration: empty configuration; expected "
                     R"({"headers": {"<name>": "<value>"}})"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(refused), std::string::npos) << err;
}

}  // namespace
}  // namespace meshwasm::e2e
