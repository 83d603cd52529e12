// `meshwasm run` with header_auth.wasm: the requests of one keep-alive connection, denied and
// allowed in turn, each get what a request on a new connection gets (the connection keeps its
// stream, filter chain and header storage from one request to the next).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

constexpr const char* kDenyBody = "Forbidden by ASM Wasm Plugin, cpp version\n";

class GatewayKeepAlive : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = wasmModule("header_auth.wasm");
    if (module_.empty()) GTEST_SKIP() << "header_auth.wasm not built in " << wasmDir();
    std::string error;
    // One worker: every request of the connection runs through the same VM.
    gw_ = GatewayProcess::start({"--plugin", module_, "--workers", "1"}, &error);
    ASSERT_TRUE(gw_) << error;
  }
  std::string module_;
  std::unique_ptr<GatewayProcess> gw_;
};

std::vector<std::string> names(const HttpResponse& r) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers) out.push_back(k);
  return out;
}

bool isGeneratedId(const nlohmann::json& v) {
  return v.is_string() && v.get<std::string>().size() == 36 && v.get<std::string>()[14] == '4';
}

TEST_F(GatewayKeepAlive, DeniedAndAllowedRequestsOnOneConnectionEachGetTheirOwnHeaders) {
  const std::string allowed = "GET /headers HTTP/1.1\r\nHost: h\r\nallow: true\r\n";
  const std::string denied = "GET /status/418 HTTP/1.1\r\nHost: h\r\n";
  const std::vector<std::string> requests = {
      denied + "\r\n",                               // 0
      allowed + "\r\n",                              // 1
      denied + "\r\n",                               // 2
      allowed + "X-Request-Id: given\r\n\r\n",       // 3
      denied + "x-request-id: d4\r\n\r\n",           // 4
      allowed + "X-Forwarded-Proto: https\r\n\r\n",  // 5
      denied + "\r\n",                               // 6
      allowed + "Connection: close\r\n\r\n",         // 7
  };
  std::string pipelined;
  for (const std::string& r : requests) pipelined += r;
  std::string raw = roundTrip(gw_->port(), pipelined);
  auto all = parseResponses(raw);
  ASSERT_EQ(all.size(), 8u) << raw;

  const std::vector<std::string> deny_names = {"content-type", "content-length", "date", "server"};
  for (size_t i : {0u, 2u, 4u, 6u}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(all[i].status, 403);
    EXPECT_EQ(names(all[i]), deny_names) << all[i].raw;
    EXPECT_EQ(all[i].header("content-type"), "text/plain");
    EXPECT_EQ(all[i].header("content-length"), "42");
    EXPECT_EQ(all[i].header("server"), "meshwasm");
    ASSERT_TRUE(all[i].header("date"));
    EXPECT_EQ(all[i].header("date")->size(), 29u) << *all[i].header("date");
    EXPECT_EQ(all[i].body, kDenyBody);
  }

  std::set<std::string> generated;
  for (size_t i : {1u, 3u, 5u, 7u}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(all[i].status, 200) << all[i].raw;
    ASSERT_TRUE(all[i].header("date"));
    EXPECT_EQ(all[i].header("date")->size(), 29u);
    auto upstream = nlohmann::json::parse(all[i].body, nullptr, false)["headers"];
    EXPECT_EQ(upstream["X-Forwarded-Proto"], "http") << upstream;
    if (i == 3) {
      EXPECT_EQ(upstream["X-Request-Id"], "given") << upstream;
    } else {
      EXPECT_TRUE(isGeneratedId(upstream["X-Request-Id"])) << upstream;
      generated.insert(upstream["X-Request-Id"].get<std::string>());
    }
  }
  EXPECT_EQ(generated.size(), 3u) << "every generated request id is new";
}

}  // namespace
}  // namespace meshwasm::e2e
