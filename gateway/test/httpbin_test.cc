#include "httpbin.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace meshwasm::gateway {
namespace {

HeaderMap get(std::string path) {
  HeaderMap h;
  h.add(":authority", "127.0.0.1:8080");
  h.add(":path", path);
  h.add(":method", "GET");
  h.add("user-agent", "curl/7.88.1");
  h.add("x-request-id", "abc");
  return h;
}

TEST(Httpbin, StatusTeapotIsHttpbinsAsciiArt) {
  HttpbinResponse r = httpbinRespond(get("/status/418"), "", "127.0.0.1");
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.body.size(), 135u);
  EXPECT_EQ(r.body.substr(0, 20), "\n    -=[ teapot ]=-\n");
  EXPECT_EQ(r.headers.get("x-more-info"), "http://tools.ietf.org/html/rfc2324");
}

TEST(Httpbin, HeadersAreTitleCasedJson) {
  HttpbinResponse r = httpbinRespond(get("/headers"), "", "127.0.0.1");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["headers"]["Host"], "127.0.0.1:8080");
  EXPECT_EQ(j["headers"]["User-Agent"], "curl/7.88.1");
  EXPECT_EQ(j["headers"]["X-Request-Id"], "abc");
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
}

TEST(Httpbin, GetEchoesArgsOriginAndUrl) {
  auto j = nlohmann::json::parse(httpbinRespond(get("/get?a=1&a=2&b=x%20y"), "", "10.0.0.1").body);
  EXPECT_EQ(j["args"]["a"], nlohmann::json::array({"1", "2"}));
  EXPECT_EQ(j["args"]["b"], "x y");
  EXPECT_EQ(j["origin"], "10.0.0.1");
  EXPECT_EQ(j["url"], "http://127.0.0.1:8080/get?a=1&a=2&b=x%20y");
}

TEST(Httpbin, BinaryBodiesComeBackAsABase64DataUrl) {
  HeaderMap h = get("/anything");
  h.set(":method", "POST");
  h.add("x-bad", std::string("\xfd\xff", 2));
  HttpbinResponse r = httpbinRespond(h, std::string("\xfd\x00\x01", 3), "");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["data"], "data:application/octet-stream;base64,/QAB");
  EXPECT_EQ(j["method"], "POST");
}

TEST(Httpbin, DelayAndBytesAreCapped) {
  EXPECT_EQ(httpbinRespond(get("/delay/60"), "", "").delay.count(), 10000);
  EXPECT_EQ(httpbinRespond(get("/bytes/99999999"), "", "").body.size(), kHttpbinMaxBytes);
  EXPECT_EQ(httpbinRespond(get("/status/abc"), "", "").status, 400);
  EXPECT_EQ(httpbinRespond(get("/nope"), "", "").status, 404);
}

}  // namespace
}  // namespace meshwasm::gateway
