// `meshwasm run` with header_auth.wasm in front of the built-in httpbin: the tutorial's two
// verification requests, plugin log lines, the access log and the admin endpoints.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <regex>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

constexpr const char* kTeapot =
    "\n    -=[ teapot ]=-\n\n       _...._\n     .'  _ _ `.\n    | .\"` ^ `\". _,\n"
    "    \\_;`\"---\"`|//\n      |       ;/\n      \\_     _/\n        `\"\"\"`\n";

class GatewayVerification : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = wasmModule("header_auth.wasm");
    if (module_.empty()) GTEST_SKIP() << "header_auth.wasm not built in " << wasmDir();
    std::string error;
    gw_ = GatewayProcess::start({"--plugin", module_, "--workers", "2"}, &error);
    ASSERT_TRUE(gw_) << error;
  }
  std::string module_;
  std::unique_ptr<GatewayProcess> gw_;
};

TEST_F(GatewayVerification, RequestWithoutAllowHeaderGets403FromThePlugin) {
  HttpResponse r = request(gw_->port(), "GET", "/status/418");
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.body, "Forbidden by ASM Wasm Plugin, cpp version\n");
}

TEST_F(GatewayVerification, RequestWithAllowTrueGetsHttpbinsTeapot) {
  HttpResponse r = request(gw_->port(), "GET", "/status/418", {{"allow", "true"}});
  EXPECT_EQ(r.status, 418) << r.raw;
  EXPECT_EQ(r.body, kTeapot);
  EXPECT_EQ(r.header("x-more-info"), "http://tools.ietf.org/html/rfc2324");
}

TEST_F(GatewayVerification, AllowHeaderMustBeExactlyTrue) {
  EXPECT_EQ(request(gw_->port(), "GET", "/get", {{"allow", "TRUE"}}).status, 403);
  EXPECT_EQ(request(gw_->port(), "GET", "/get", {{"allow", "true"}}).status, 200);
}

TEST_F(GatewayVerification, PluginLogsInEnvoysFormatOnStderr) {
  request(gw_->port(), "GET", "/status/418");
  ASSERT_TRUE(gw_->waitForErr("on_http_request_headers")) << gw_->err();
  std::regex line(
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z info envoy wasm wasm log header_auth: #\d+ wasm-cpp: on_http_request_headers)");
  EXPECT_TRUE(std::regex_search(gw_->err(), line)) << gw_->err();
}

TEST_F(GatewayVerification, OneJsonAccessLogLinePerRequestWithIstioFields) {
  request(gw_->port(), "GET", "/status/418", {{"allow", "true"}, {"x-request-id", "req-1"}});
  ASSERT_TRUE(gw_->waitForOut("req-1")) << gw_->out();
  std::string out = gw_->out();
  std::string line = out.substr(0, out.find('\n'));
  auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  for (const char* field :
       {"authority", "bytes_received", "bytes_sent", "downstream_local_address",
        "downstream_remote_address", "duration", "method", "path", "protocol", "request_id",
        "requested_server_name", "response_code", "response_code_details", "response_flags",
        "route_name", "start_time", "upstream_cluster", "upstream_host", "upstream_service_time",
        "user_agent", "x_forwarded_for"}) {
    EXPECT_TRUE(j.contains(field)) << field;
  }
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/status/418");
  EXPECT_EQ(j["response_code"], 418);
  EXPECT_EQ(j["bytes_sent"], 135);
  EXPECT_EQ(j["response_flags"], "-");
  EXPECT_EQ(j["upstream_cluster"], "httpbin");
  EXPECT_EQ(j["user_agent"], "meshwasm-e2e");
  EXPECT_EQ(j["protocol"], "HTTP/1.1");
}

TEST_F(GatewayVerification, AdminReadyStatsAndPlugins) {
  HttpResponse ready = request(gw_->adminPort(), "GET", "/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "LIVE\n");

  request(gw_->port(), "GET", "/status/418");
  request(gw_->port(), "GET", "/status/418", {{"allow", "true"}});
  HttpResponse stats = request(gw_->adminPort(), "GET", "/stats");
  EXPECT_NE(stats.body.find("http.ingress_http.downstream_rq_4xx: 2\n"), std::string::npos)
      << stats.body;
  EXPECT_NE(stats.body.find("wasm.plugin.header_auth.loaded: 1\n"), std::string::npos);
  EXPECT_NE(stats.body.find("wasm.plugin.header_auth.failed: 0\n"), std::string::npos);
  EXPECT_NE(stats.body.find("wasmcustom."), std::string::npos) << "plugin metrics";

  HttpResponse prom = request(gw_->adminPort(), "GET", "/stats/prometheus");
  EXPECT_NE(prom.body.find("# TYPE envoy_http_ingress_http_downstream_rq_total counter\n"
                           "envoy_http_ingress_http_downstream_rq_total 2\n"),
            std::string::npos)
      << prom.body;

  HttpResponse plugins = request(gw_->adminPort(), "GET", "/plugins");
  auto j = nlohmann::json::parse(plugins.body, nullptr, false);
  ASSERT_TRUE(j.is_array() && j.size() == 1) << plugins.body;
  EXPECT_EQ(j[0]["name"], "header_auth");
  EXPECT_EQ(j[0]["engine"], "interp");
  EXPECT_EQ(j[0]["state"], "running");
  EXPECT_EQ(j[0]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(j[0]["vms"], 2);
}

TEST_F(GatewayVerification, LoggingEndpointChangesThePluginLogLevel) {
  HttpResponse off = request(gw_->adminPort(), "POST", "/logging?wasm=error");
  EXPECT_EQ(off.status, 200);
  EXPECT_EQ(off.body, "active loggers:\n  wasm: error\n");
  size_t before = gw_->err().size();
  request(gw_->port(), "GET", "/status/418", {{"x-request-id", "quiet"}});
  ASSERT_TRUE(gw_->waitForOut("quiet"));
  EXPECT_EQ(gw_->err().substr(before).find("wasm log"), std::string::npos) << gw_->err();

  EXPECT_EQ(request(gw_->adminPort(), "POST", "/logging?level=info").body,
            "active loggers:\n  wasm: info\n");
  request(gw_->port(), "GET", "/status/418");
  EXPECT_TRUE(gw_->waitForErr("wasm log header_auth"));
  EXPECT_EQ(request(gw_->adminPort(), "POST", "/logging?wasm=loud").status, 400);
  EXPECT_EQ(request(gw_->adminPort(), "GET", "/logging?wasm=debug").status, 405);
}

TEST_F(GatewayVerification, SigtermDrainsAndExitsZero) {
  EXPECT_EQ(gw_->terminate(SIGTERM), 0);
  EXPECT_NE(gw_->err().find("meshwasm run: stopped"), std::string::npos) << gw_->err();
}

TEST(GatewayStartup, PluginThatFailsToLoadRefusesTheStart) {
  std::string err;
  std::string bad = wasmModule("test_garbage.wasm");
  if (bad.empty()) bad = "/nonexistent/plugin.wasm";
  int code = GatewayProcess::runToExit(
      {"--plugin", bad, "--plugin-name", "broken", "--listen", "127.0.0.1:0", "--admin",
       "127.0.0.1:0"},
      &err);
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("meshwasm run: plugin 'broken' (" + bad + "): "), std::string::npos) << err;
}

TEST(GatewayStartup, PortAlreadyTakenIsAClearError) {
  std::string error;
  auto first = GatewayProcess::start({"--workers", "1"}, &error);
  ASSERT_TRUE(first) << error;
  std::string err;
  std::string taken = "127.0.0.1:" + std::to_string(first->port());
  int code = GatewayProcess::runToExit({"--listen", taken, "--admin", "127.0.0.1:0"}, &err);
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("meshwasm run: cannot listen on " + taken +
                     " (listener): Address already in use"),
            std::string::npos)
      << err;
}

}  // namespace
}  // namespace meshwasm::e2e
