#include "json_reader.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace meshwasm::header_auth {
namespace {

std::string errorOf(std::string_view text) {
  auto doc = JsonDocument::parse(text);
  return doc.isOk() ? std::string("ok") : doc.message();
}

const JsonNode& child(const JsonDocument& doc, const JsonNode& parent, uint32_t index) {
  uint32_t i = parent.first_child;
  while (index-- > 0) i = doc.node(i).next_sibling;
  return doc.node(i);
}

TEST(JsonReader, ParsesEveryValueType) {
  auto doc = JsonDocument::parse(
      R"( {"s": "a\"b\\c\/\b\f\n\r\t", "t": true, "f": false, "n": null, "i": -42, "d": 1.5e3,
           "a": [1, [], {}], "o": {"k": "v"}} )");
  ASSERT_TRUE(doc.isOk()) << doc.message();
  const JsonNode& root = doc->root();
  ASSERT_EQ(root.type, JsonType::Object);
  EXPECT_EQ(root.child_count, 8u);
  EXPECT_EQ(doc->text(*doc->member(root, "s")), "a\"b\\c/\b\f\n\r\t");
  EXPECT_TRUE(doc->member(root, "t")->boolean);
  EXPECT_EQ(doc->member(root, "f")->type, JsonType::Boolean);
  EXPECT_FALSE(doc->member(root, "f")->boolean);
  EXPECT_EQ(doc->member(root, "n")->type, JsonType::Null);
  EXPECT_TRUE(doc->member(root, "i")->is_integer);
  EXPECT_EQ(doc->member(root, "i")->integer, -42);
  EXPECT_FALSE(doc->member(root, "d")->is_integer);
  const JsonNode& array = *doc->member(root, "a");
  ASSERT_EQ(array.child_count, 3u);
  EXPECT_EQ(child(*doc, array, 1).type, JsonType::Array);
  EXPECT_EQ(child(*doc, array, 2).type, JsonType::Object);
  EXPECT_EQ(doc->text(*doc->member(*doc->member(root, "o"), "k")), "v");
  EXPECT_EQ(doc->member(root, "missing"), nullptr);
}

TEST(JsonReader, KeepsDuplicateKeysInOrder) {
  auto doc = JsonDocument::parse(R"({"a": 1, "a": 2})");
  ASSERT_TRUE(doc.isOk());
  EXPECT_EQ(doc->root().child_count, 2u);
  EXPECT_EQ(doc->member(doc->root(), "a")->integer, 1);
  EXPECT_EQ(child(*doc, doc->root(), 1).integer, 2);
}

TEST(JsonReader, DecodesUnicodeEscapesToUtf8) {
  auto doc = JsonDocument::parse(R"(["\u0041\u00e9\u20ac\ud83d\ude00", "\u0000"])");
  ASSERT_TRUE(doc.isOk()) << doc.message();
  EXPECT_EQ(doc->text(child(*doc, doc->root(), 0)), "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(doc->text(child(*doc, doc->root(), 1)), std::string(1, '\0'));
}

TEST(JsonReader, AcceptsValidRawUtf8) {
  EXPECT_EQ(errorOf("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\""), "ok");
}

TEST(JsonReader, IntegersAtTheEdgesOfInt64) {
  auto doc = JsonDocument::parse(
      "[9223372036854775807, -9223372036854775808, "
      "9223372036854775808, -0, 0, 1e2, 2.0]");
  ASSERT_TRUE(doc.isOk());
  const JsonNode& root = doc->root();
  EXPECT_TRUE(child(*doc, root, 0).is_integer);
  EXPECT_EQ(child(*doc, root, 0).integer, INT64_MAX);
  EXPECT_TRUE(child(*doc, root, 1).is_integer);
  EXPECT_EQ(child(*doc, root, 1).integer, INT64_MIN);
  EXPECT_FALSE(child(*doc, root, 2).is_integer);
  EXPECT_TRUE(child(*doc, root, 3).is_integer);
  EXPECT_EQ(child(*doc, root, 3).integer, 0);
  EXPECT_TRUE(child(*doc, root, 4).is_integer);
  EXPECT_FALSE(child(*doc, root, 5).is_integer);
  EXPECT_FALSE(child(*doc, root, 6).is_integer);
}

TEST(JsonReader, ScalarsAreDocumentsToo) {
  EXPECT_EQ(errorOf("true"), "ok");
  EXPECT_EQ(errorOf(" \"x\" "), "ok");
  EXPECT_EQ(errorOf("0"), "ok");
}

struct BadJson {
  std::string text;
  std::string error;
};

void PrintTo(const BadJson& bad, std::ostream* out) {
  *out << bad.error;
}

class JsonReaderErrors : public ::testing::TestWithParam<BadJson> {};

TEST_P(JsonReaderErrors, RefusesWithOffsetAndReason) {
  EXPECT_EQ(errorOf(GetParam().text), GetParam().error) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, JsonReaderErrors,
    ::testing::Values(
        BadJson{"", "invalid JSON at byte 0: unexpected end of input"},
        BadJson{"   ", "invalid JSON at byte 3: unexpected end of input"},
        BadJson{"{", "invalid JSON at byte 1: unexpected end of input"},
        BadJson{"[1,", "invalid JSON at byte 3: unexpected end of input"},
        BadJson{"[1,]", "invalid JSON at byte 3: expected a value"},
        BadJson{"{\"a\":1,}", "invalid JSON at byte 7: expected a string key"},
        BadJson{"{\"a\" 1}", "invalid JSON at byte 5: expected ':' after an object key"},
        BadJson{"{\"a\":1 \"b\":2}", "invalid JSON at byte 7: expected ',' or '}'"},
        BadJson{"[1 2]", "invalid JSON at byte 3: expected ',' or ']'"},
        BadJson{"{} x", "invalid JSON at byte 3: trailing characters after the value"},
        BadJson{"tru", "invalid JSON at byte 0: expected a value"},
        BadJson{"nul", "invalid JSON at byte 0: expected a value"},
        BadJson{"True", "invalid JSON at byte 0: expected a value"},
        BadJson{"01", "invalid JSON at byte 1: trailing characters after the value"},
        BadJson{"-", "invalid JSON at byte 1: invalid number"},
        BadJson{"-a", "invalid JSON at byte 1: invalid number"},
        BadJson{"1.", "invalid JSON at byte 2: invalid number"},
        BadJson{"1e", "invalid JSON at byte 2: invalid number"},
        BadJson{"1e+", "invalid JSON at byte 3: invalid number"},
        BadJson{".5", "invalid JSON at byte 0: expected a value"},
        BadJson{"+1", "invalid JSON at byte 0: expected a value"},
        BadJson{"\"abc", "invalid JSON at byte 4: unterminated string"},
        BadJson{"\"ab\\", "invalid JSON at byte 4: unterminated string"},
        BadJson{"\"a\tb\"", "invalid JSON at byte 2: control character in string"},
        BadJson{"\"a\nb\"", "invalid JSON at byte 2: control character in string"},
        BadJson{"\"\\x\"", "invalid JSON at byte 1: invalid escape in string"},
        BadJson{"\"\\u12\"", "invalid JSON at byte 1: invalid \\u escape"},
        BadJson{"\"\\u12g4\"", "invalid JSON at byte 1: invalid \\u escape"},
        BadJson{"\"\\udc00\"", "invalid JSON at byte 1: unpaired surrogate in \\u escape"},
        BadJson{"\"\\ud800\"", "invalid JSON at byte 1: unpaired surrogate in \\u escape"},
        BadJson{"\"\\ud800\\u0041\"", "invalid JSON at byte 1: unpaired surrogate in \\u escape"},
        BadJson{"\"\xff\"", "invalid JSON at byte 1: invalid UTF-8 in string"},
        BadJson{"\"\xc0\xaf\"", "invalid JSON at byte 1: invalid UTF-8 in string"},
        BadJson{"\"\xe0\x80\xaf\"", "invalid JSON at byte 1: invalid UTF-8 in string"},
        BadJson{"\"\xed\xa0\x80\"", "invalid JSON at byte 1: invalid UTF-8 in string"},
        BadJson{"\"\xf4\x90\x80\x80\"", "invalid JSON at byte 1: invalid UTF-8 in string"},
        BadJson{"\"\xe2\x82\"", "invalid JSON at byte 1: invalid UTF-8 in string"},
        BadJson{"\"\x80\"", "invalid JSON at byte 1: invalid UTF-8 in string"},
        BadJson{"/* c */ {}", "invalid JSON at byte 0: expected a value"},
        BadJson{std::string("{\"a\":\0}", 7), "invalid JSON at byte 5: expected a value"}));

TEST(JsonReader, NestingUpToTheLimitIsAccepted) {
  std::string text = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_EQ(errorOf(text), "ok");
}

TEST(JsonReader, NestingBeyondTheLimitIsRefused) {
  std::string text = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_EQ(errorOf(text), "invalid JSON at byte 32: nesting deeper than 32 levels");
  std::string objects;
  for (int i = 0; i <= kMaxJsonDepth; ++i) objects += "{\"a\":";
  EXPECT_EQ(errorOf(objects), "invalid JSON at byte 160: nesting deeper than 32 levels");
}

TEST(JsonReader, DeepHostileInputDoesNotExhaustTheStack) {
  std::string text(1 << 20, '[');
  EXPECT_EQ(errorOf(text), "invalid JSON at byte 32: nesting deeper than 32 levels");
}

}  // namespace
}  // namespace meshwasm::header_auth
