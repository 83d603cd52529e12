// examples/http_headers through `meshwasm run`: every request and response header of a stream
// logged in the proxy's order (repeated headers value by value) and `x-wasm-example:
// http_headers` added to the response the client receives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

// The text of every stderr line that contains `needle`, from `needle` on.
std::vector<std::string> linesFrom(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (size_t at = line.find(needle); at != std::string::npos) out.push_back(line.substr(at));
    start = end + 1;
  }
  return out;
}

TEST(ExamplesHttpHeaders, LogsEveryRequestAndResponseHeaderAndAddsOneToTheResponse) {
  const std::string module = wasmModule("http_headers.wasm");
  if (module.empty()) GTEST_SKIP() << "http_headers.wasm not built in " << wasmDir();
  std::string error;
  auto gw = GatewayProcess::start({"--plugin", module, "--workers", "1"}, &error);
  ASSERT_TRUE(gw) << error;

  const HttpResponse response =
      request(gw->port(), "GET", "/status/418", {{"X-Demo", "one"}, {"x-demo", "two"}});
  ASSERT_EQ(response.status, 418) << response.raw;
  EXPECT_EQ(response.header("x-wasm-example"), "http_headers") << response.raw;
  EXPECT_NE(response.body.find("-=[ teapot ]=-"), std::string::npos) << response.raw;
  ASSERT_TRUE(gw->waitForErr("wasm log http_headers: #2 http_headers: done")) << gw->err();

  const std::string port = std::to_string(gw->port());
  std::vector<std::string> lines = linesFrom(gw->err(), "wasm log http_headers: #2 ");
  // Values that change from run to run: the request id and the upstream time.
  for (std::string& line : lines) {
    for (const std::string name : {"x-request-id: ", "x-envoy-upstream-service-time: "}) {
      if (size_t at = line.find(name); at != std::string::npos) {
        line = line.substr(0, at + name.size()) + "<varies>";
      }
    }
  }
  const std::string p = "wasm log http_headers: #2 ";
  const std::vector<std::string> expected = {
      p + "-> :authority: 127.0.0.1:" + port,
      p + "-> :path: /status/418",
      p + "-> :method: GET",
      p + "-> :scheme: http",
      p + "-> user-agent: meshwasm-e2e",
      p + "-> x-demo: one",
      p + "-> x-demo: two",
      p + "-> x-request-id: <varies>",
      p + "-> x-forwarded-proto: http",
      p + "<- :status: 418",
      p + "<- content-type: text/html; charset=utf-8",
      p + "<- x-more-info: http://tools.ietf.org/html/rfc2324",
      p + "<- content-length: 135",
      p + "<- access-control-allow-origin: *",
      p + "<- access-control-allow-credentials: true",
      p + "<- x-envoy-upstream-service-time: <varies>",
      p + "http_headers: done",
  };
  EXPECT_EQ(lines, expected) << gw->err();
  // The request id the plugin saw is the one the upstream got and the access log recorded.
  const std::vector<std::string> ids = linesFrom(gw->err(), "#2 -> x-request-id: ");
  ASSERT_EQ(ids.size(), 1u);
  const std::string id = ids[0].substr(std::string("#2 -> x-request-id: ").size());
  EXPECT_EQ(id.size(), 36u) << ids[0];
  EXPECT_TRUE(gw->waitForOut("\"request_id\":\"" + id + "\"")) << gw->out();
}

TEST(ExamplesHttpHeaders, AddsTheHeaderToEveryResponse) {
  const std::string module = wasmModule("http_headers.wasm");
  if (module.empty()) GTEST_SKIP() << "http_headers.wasm not built in " << wasmDir();
  std::string error;
  auto gw = GatewayProcess::start({"--plugin", module, "--workers", "2"}, &error);
  ASSERT_TRUE(gw) << error;
  for (const std::string path : {"/get", "/status/204", "/status/503", "/headers"}) {
    const HttpResponse response = request(gw->port(), "GET", path);
    EXPECT_NE(response.status, 0) << path << "\n" << response.raw;
    EXPECT_EQ(response.header("x-wasm-example"), "http_headers") << path << "\n" << response.raw;
  }
  const HttpResponse missing = request(gw->port(), "GET", "/no/such/route");
  EXPECT_EQ(missing.status, 404) << missing.raw;
  EXPECT_EQ(missing.header("x-wasm-example"), "http_headers") << missing.raw;
}

}  // namespace
}  // namespace meshwasm::e2e
