// examples/http_body through `meshwasm run`: the upstream's body arrives upper-cased with the
// signature line, the stale content-length is gone and the body is framed with its new length
// (chunked on HTTP/1.1); a HEAD response keeps its headers untouched.
#include <gtest/gtest.h>

#include <string>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

constexpr char kSignature[] = "\n-- rewritten by http_body.wasm\n";

TEST(ExamplesHttpBody, RewritesTheWholeBodyAndFramesItWithItsNewLength) {
  const std::string module = wasmModule("http_body.wasm");
  if (module.empty()) GTEST_SKIP() << "http_body.wasm not built in " << wasmDir();
  std::string error;
  auto gw = GatewayProcess::start({"--plugin", module, "--workers", "1"}, &error);
  ASSERT_TRUE(gw) << error;

  // httpbin's /ip: {"origin": "127.0.0.1"}, pretty-printed, 28 bytes.
  const std::string original = "{\n  \"origin\": \"127.0.0.1\"\n}\n";
  const std::string rewritten = "{\n  \"ORIGIN\": \"127.0.0.1\"\n}\n" + std::string(kSignature);
  ASSERT_EQ(rewritten.size(), 60u);
  const HttpResponse response = request(gw->port(), "GET", "/ip");
  ASSERT_EQ(response.status, 200) << response.raw;
  EXPECT_EQ(response.body, rewritten) << response.raw;
  EXPECT_EQ(response.header("content-length"), std::nullopt) << response.raw;
  EXPECT_EQ(response.header("transfer-encoding"), "chunked") << response.raw;
  EXPECT_EQ(response.header("content-type"), "application/json") << response.raw;
  // One chunk of exactly the new length (0x3c = 60), then the last chunk.
  EXPECT_NE(response.raw.find("\r\n\r\n3c\r\n" + rewritten + "\r\n0\r\n\r\n"), std::string::npos)
      << response.raw;
  EXPECT_TRUE(gw->waitForErr("wasm log http_body: #2 http_body: rewrote " +
                             std::to_string(original.size()) + " bytes into 60"))
      << gw->err();

  // A larger body (httpbin echoes 40000 bytes back, more than one read) is rewritten whole.
  const HttpResponse anything =
      request(gw->port(), "POST", "/anything", {}, std::string(40000, 'x'));
  ASSERT_EQ(anything.status, 200) << anything.raw.substr(0, 2000);
  EXPECT_EQ(anything.header("content-length"), std::nullopt);
  ASSERT_GT(anything.body.size(), 40000u);  // the echoed body ("data") and the signature
  EXPECT_NE(anything.body.find("\"DATA\": \"" + std::string(40000, 'X') + "\""), std::string::npos);
  EXPECT_EQ(anything.body.find('x'), std::string::npos);
  EXPECT_EQ(anything.body.substr(anything.body.size() - std::string(kSignature).size()),
            kSignature);
}

TEST(ExamplesHttpBody, HeadResponseKeepsItsContentLength) {
  const std::string module = wasmModule("http_body.wasm");
  if (module.empty()) GTEST_SKIP() << "http_body.wasm not built in " << wasmDir();
  std::string error;
  auto gw = GatewayProcess::start({"--plugin", module, "--workers", "1"}, &error);
  ASSERT_TRUE(gw) << error;
  const std::string raw =
      roundTrip(gw->port(), "HEAD /ip HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << raw;
  EXPECT_NE(raw.find("\r\ncontent-length: 28\r\n"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("transfer-encoding"), std::string::npos) << raw;
  EXPECT_EQ(raw.substr(raw.size() - 4), "\r\n\r\n") << raw;  // no body
}

}  // namespace
}  // namespace meshwasm::e2e
