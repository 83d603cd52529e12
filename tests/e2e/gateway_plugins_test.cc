// `meshwasm run` with the scripted lifecycle guest (host/test/guests/lifecycle.c): fail
// strategies after a trap, proxy_http_call through a cluster, local replies, end-of-stream
// callbacks on client disconnect.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <thread>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

class GatewayPlugins : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = wasmModule("test_lifecycle.wasm");
    if (module_.empty()) GTEST_SKIP() << "test_lifecycle.wasm not built in " << wasmDir();
  }
  void start(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--plugin", module_, "--plugin-name", "lifecycle",
                                     "--workers", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string error;
    gw_ = GatewayProcess::start(args, &error);
    ASSERT_TRUE(gw_) << error;
  }
  HttpResponse get(const std::string& script, const std::string& path = "/status/200") {
    return request(gw_->port(), "GET", path, {{"x-test", script}});
  }
  nlohmann::json plugins() {
    return nlohmann::json::parse(request(gw_->adminPort(), "GET", "/plugins").body, nullptr,
                                 false);
  }
  std::string module_;
  std::unique_ptr<GatewayProcess> gw_;
};

TEST_F(GatewayPlugins, FailCloseAnswers503AfterATrapAndKeepsDoingSo) {
  start({"--fail-strategy", "FAIL_CLOSE"});
  EXPECT_EQ(get("rh=continue").status, 200);
  HttpResponse trapped = get("rh=trap");
  EXPECT_EQ(trapped.status, 503) << trapped.raw;
  EXPECT_EQ(trapped.body, "");
  EXPECT_EQ(get("rh=continue").status, 503);
  ASSERT_TRUE(gw_->waitForErr("Function: proxy_on_request_headers failed")) << gw_->err();
  ASSERT_TRUE(gw_->waitForOut("wasm_fail_stream"));
  auto j = plugins();
  EXPECT_EQ(j[0]["state"], "failed");
  EXPECT_EQ(j[0]["fail_strategy"], "FAIL_CLOSE");
  EXPECT_NE(request(gw_->adminPort(), "GET", "/stats").body.find(
                "wasm.plugin.lifecycle.failed: 1\n"),
            std::string::npos);
}

TEST_F(GatewayPlugins, FailOpenLetsRequestsThroughAfterATrap) {
  start({"--fail-strategy", "FAIL_OPEN"});
  EXPECT_EQ(get("rh=trap", "/status/418").status, 418);
  EXPECT_EQ(get("rh=local", "/status/418").status, 418) << "the failed VM no longer runs";
}

TEST_F(GatewayPlugins, FailReloadRecreatesTheVmAfterTheBackoff) {
  start({"--fail-strategy", "FAIL_RELOAD"});
  EXPECT_EQ(get("rh=trap").status, 503);
  EXPECT_EQ(get("rh=local").status, 503) << "fail-closed during the backoff";
  // The default backoff is 1 s; a fresh VM (start + configure) then runs the script again.
  int status = 0;
  for (int i = 0; i < 20 && status != 403; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    status = get("rh=local").status;
  }
  EXPECT_EQ(status, 403);
  EXPECT_TRUE(gw_->waitForErr("on_vm_start")) << gw_->err();
}

TEST_F(GatewayPlugins, LocalReplyCarriesThePluginsHeadersThroughItsResponseCallbacks) {
  start({});
  HttpResponse r = get("rh=local");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "no\n");
  EXPECT_EQ(r.header("x-test-reply"), "1");
  EXPECT_TRUE(gw_->waitForErr("on_response_headers 2 ")) << gw_->err();
  EXPECT_TRUE(gw_->waitForErr("status=403")) << gw_->err();
}

TEST_F(GatewayPlugins, OnLogSeesTheLocalReplyAsTheClientGotIt) {
  start({});
  HttpResponse r = get("rh=local;log=sentheaders");
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_EQ(r.header("server"), "meshwasm");
  EXPECT_TRUE(r.header("date").has_value());
  // 0 = Ok: the `server` and `date` the gateway added are in the map proxy_on_log reads.
  EXPECT_TRUE(gw_->waitForErr("sent headers server=0 date=0")) << gw_->err();
}

TEST_F(GatewayPlugins, OnLogSeesTheUpstreamResponseAsTheClientGotIt) {
  start({});
  HttpResponse r = get("log=sentheaders", "/status/418");
  EXPECT_EQ(r.status, 418) << r.raw;
  EXPECT_TRUE(gw_->waitForErr("sent headers server=0 date=0")) << gw_->err();
}

TEST_F(GatewayPlugins, HttpCallThroughAClusterPausesThenContinues) {
  FakeUpstream service(FakeUpstream::respond(
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
  std::string path = "/tmp/meshwasm_e2e_callout_" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << "clusters:\n  - name: cluster\n    address: 127.0.0.1:"
                      << service.port() << "\n";
  start({"-c", path});
  HttpResponse r = get("rh=callout", "/status/418");
  EXPECT_EQ(r.status, 418) << r.raw;
  EXPECT_EQ(service.connections(), 1);
  EXPECT_TRUE(gw_->waitForErr("http_call -> 0 token 4"));
  EXPECT_TRUE(gw_->waitForErr("on_http_call_response 1 4 "));
}

TEST_F(GatewayPlugins, HttpCallFailureLetsThePluginAnswer) {
  std::string path = "/tmp/meshwasm_e2e_callout_fail_" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << "clusters:\n  - name: cluster\n    address: 127.0.0.1:"
                      << unusedPort() << "\n";
  start({"-c", path});
  HttpResponse r = get("rh=callout", "/status/418");
  EXPECT_EQ(r.status, 401) << r.raw;
}

TEST_F(GatewayPlugins, ClientDisconnectRunsTheEndOfStreamCallbacks) {
  start({});
  roundTrip(gw_->port(),
           "POST /anything HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial",
           std::chrono::milliseconds(300));
  EXPECT_TRUE(gw_->waitForErr("on_log 2 ")) << gw_->err();
  EXPECT_TRUE(gw_->waitForErr("on_done 2")) << gw_->err();
  EXPECT_TRUE(gw_->waitForErr("on_delete 2")) << gw_->err();
}

TEST_F(GatewayPlugins, ShutdownCallsOnDoneOnTheRootContext) {
  start({});
  EXPECT_EQ(get("").status, 200);
  EXPECT_EQ(gw_->terminate(SIGINT), 0);
  EXPECT_NE(gw_->err().find("on_done 1"), std::string::npos) << gw_->err();
}

}  // namespace
}  // namespace meshwasm::e2e
