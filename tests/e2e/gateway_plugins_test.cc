// `meshwasm run` with the scripted lifecycle guest (host/test/guests/lifecycle.c): fail
// strategies after a trap, proxy_http_call through a cluster, local replies, end-of-stream
// callbacks on client disconnect.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
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
  // The wait (3 to 4.5 s, as Envoy draws it) counts from the VM's load: long enough that the
  // second request comes within it even on a slow (sanitized) build.
  start({"--fail-strategy", "FAIL_RELOAD", "--reload-backoff-ms", "3000"});
  EXPECT_EQ(get("rh=trap").status, 503);
  EXPECT_EQ(get("rh=local").status, 503) << "fail-closed during the backoff";
  // Then a fresh VM (start + configure) runs the script again.
  int status = 0;
  for (int i = 0; i < 40 && status != 403; ++i) {
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

// The guest's stream callbacks of the contexts first..last from the gateway's stderr, in order,
// each context id made relative to `first` (two runs of the same requests then compare equal).
std::vector<std::string> streamCallbacks(const std::string& err, long first, long last) {
  std::vector<std::string> lines;
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    size_t at = line.find(": on_");  // "... envoy wasm wasm log<prefix>: <message>"
    if (at == std::string::npos) continue;
    std::istringstream words(line.substr(at + 2));
    std::string callback;
    long ctx = 0;
    if (!(words >> callback >> ctx) || ctx < first || ctx > last) continue;
    std::string rest;
    std::getline(words, rest);
    lines.push_back(callback + " " + std::to_string(ctx - first) + rest);
  }
  return lines;
}

// A keep-alive connection's requests run one after another through the same filter chain: a
// request after ones that left state in it (a local reply with the request body and trailers
// still to come, a buffered body with trailers) gets what it gets on a new connection, and the
// guest sees the same callbacks in the same order (a new context per request).
TEST_F(GatewayPlugins, RequestsOnAKeepAliveConnectionEachSeeAFreshChain) {
  start({});
  const std::string requests[] = {
      "POST /anything HTTP/1.1\r\nHost: h\r\nx-test: rh=local\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-trailer: 1\r\n\r\n",
      "POST /anything HTTP/1.1\r\nHost: h\r\nx-test: rb=buffer\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n",
      "GET /status/418 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"};
  auto check = [](const std::vector<HttpResponse>& all) {
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].status, 403);
    EXPECT_EQ(all[0].body, "no\n");
    EXPECT_EQ(all[0].header("x-test-reply"), "1");
    EXPECT_EQ(all[1].status, 200);
    EXPECT_EQ(nlohmann::json::parse(all[1].body, nullptr, false)["data"], "hello world");
    EXPECT_FALSE(all[1].header("x-test-reply").has_value());
    EXPECT_EQ(all[2].status, 418);
    EXPECT_FALSE(all[2].header("x-test-reply").has_value());
    EXPECT_EQ(all[2].body.size(), 135u);
  };
  // Contexts 2, 3, 4: one connection, the three requests in one write.
  std::string raw = roundTrip(gw_->port(), requests[0] + requests[1] + requests[2]);
  check(parseResponses(raw));
  ASSERT_TRUE(gw_->waitForErr("on_delete 4")) << gw_->err();
  // Contexts 5, 6, 7: each request on a new connection.
  std::vector<HttpResponse> separate;
  for (const auto& r : requests) {
    auto parsed = parseResponse(roundTrip(gw_->port(), r, std::chrono::milliseconds(600)));
    separate.push_back(parsed.value_or(HttpResponse{}));
  }
  check(separate);
  ASSERT_TRUE(gw_->waitForErr("on_delete 7")) << gw_->err();
  std::vector<std::string> reused = streamCallbacks(gw_->err(), 2, 4);
  std::vector<std::string> fresh = streamCallbacks(gw_->err(), 5, 7);
  EXPECT_EQ(reused, fresh);
  // Every request had its own context from create to delete, one after another.
  ASSERT_FALSE(reused.empty());
  EXPECT_EQ(reused.front(), "on_context_create 0 1");
  EXPECT_EQ(reused.back(), "on_delete 2");
  std::vector<std::string> order;
  for (const auto& line : reused) {
    if (line.starts_with("on_context_create") || line.starts_with("on_delete")) {
      order.push_back(line);
    }
  }
  EXPECT_EQ(order, (std::vector<std::string>{"on_context_create 0 1", "on_delete 0",
                                             "on_context_create 1 1", "on_delete 1",
                                             "on_context_create 2 1", "on_delete 2"}));
}

}  // namespace
}  // namespace meshwasm::e2e
