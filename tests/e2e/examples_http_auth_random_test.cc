// examples/http_auth_random through `meshwasm run`: every request waits for httpbin's /uuid
// and is let through (the upstream's 418) or denied (403 "Access forbidden.") as the plugin
// logged for that uuid.
#include <gtest/gtest.h>

#include <string>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

bool isUuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return false;
  }
  return true;
}

TEST(ExamplesHttpAuthRandom, EachRequestIsAllowedOrDeniedAsThePluginLogged) {
  const std::string module = wasmModule("http_auth_random.wasm");
  if (module.empty()) GTEST_SKIP() << "http_auth_random.wasm not built in " << wasmDir();
  std::string error;
  auto gw = GatewayProcess::start({"--plugin", module, "--workers", "2"}, &error);
  ASSERT_TRUE(gw) << error;

  int allowed = 0, denied = 0;
  for (int i = 0; i < 40; ++i) {
    const HttpResponse response = request(gw->port(), "GET", "/status/418");
    const std::string uuid = response.header("x-auth-uuid").value_or("");
    ASSERT_TRUE(isUuid(uuid)) << response.raw;
    if (response.status == 418) {
      ++allowed;
      EXPECT_NE(response.body.find("teapot"), std::string::npos) << response.raw;
      EXPECT_TRUE(gw->waitForErr("http_auth_random: uuid " + uuid + ": access granted"))
          << gw->err();
    } else {
      ++denied;
      EXPECT_EQ(response.status, 403) << response.raw;
      EXPECT_EQ(response.body, "Access forbidden.");
      EXPECT_TRUE(gw->waitForErr("http_auth_random: uuid " + uuid + ": access forbidden"))
          << gw->err();
    }
  }
  // httpbin's uuids are random: with 40 requests both outcomes appear (all the same: 2^-39).
  EXPECT_GT(allowed, 0);
  EXPECT_GT(denied, 0);
  EXPECT_NE(gw->err().find("http_auth_random: calling httpbin GET /uuid"), std::string::npos);
}

}  // namespace
}  // namespace meshwasm::e2e
