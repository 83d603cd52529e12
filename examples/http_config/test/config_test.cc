// http_config's configuration parser: accepted shapes and the exact error texts.
#include "config.h"

#include <gtest/gtest.h>

namespace meshwasm::examples {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(HttpConfigParse, ReadsHeadersInOrderAndLowerCasesNames) {
  auto config = parseHttpConfig(R"( {"headers": {"X-Served-By": "meshwasm", "x-env": "dev",
                                    "x-empty": "", "x-esc": "a\"b\u00e9\ud83d\ude00"}} )");
  ASSERT_TRUE(config.isOk()) << config.message();
  EXPECT_EQ(config->headers, (Headers{{"x-served-by", "meshwasm"},
                                      {"x-env", "dev"},
                                      {"x-empty", ""},
                                      {"x-esc", "a\"b\xc3\xa9\xf0\x9f\x98\x80"}}));
}

TEST(HttpConfigParse, AcceptsNoHeaders) {
  auto config = parseHttpConfig(R"({"headers": {}})");
  ASSERT_TRUE(config.isOk());
  EXPECT_TRUE(config->headers.empty());
}

TEST(HttpConfigParse, RefusesBadConfigurationsWithClearErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty configuration; expected {\"headers\": {\"<name>\": \"<value>\"}}"},
      {"  \n", "empty configuration; expected {\"headers\": {\"<name>\": \"<value>\"}}"},
      {"{}", "missing field \"headers\""},
      {"[]", "byte 0: expected '{'"},
      {R"({"header": {}})", "unknown field \"header\""},
      {R"({"headers": []})", "headers: must be an object"},
      {R"({"headers": {"x bad": "v"}})", "headers.\"x bad\": not a valid header name"},
      {R"({"headers": {"": "v"}})", "headers.\"\": not a valid header name"},
      {R"({"headers": {"x-a": 1}})", "headers.\"x-a\": value must be a string"},
      {R"({"headers": {"x-a": "a\nb"}})", "headers.\"x-a\": value contains CR, LF or NUL"},
      {R"({"headers": {"x-a": "v"}, "headers": {}})", "field \"headers\" given twice"},
      {R"({"headers": {"x-a": "v"}} x)", "byte 26: trailing characters after the configuration"},
      {R"({"headers": {"x-a": "v)", "byte 22: unterminated string"},
      {R"({"headers": {"x-a" "v"}})", "byte 19: expected ':'"},
      {R"({"headers": {"x-a": "\q"}})", "byte 21: invalid escape in string"},
      {R"({"headers": {"x-a": "\ud800"}})", "byte 21: unpaired surrogate"},
  };
  for (const auto& [json, error] : cases) {
    auto config = parseHttpConfig(json);
    EXPECT_FALSE(config.isOk()) << json;
    EXPECT_EQ(config.message(), error) << json;
  }
}

}  // namespace
}  // namespace meshwasm::examples
