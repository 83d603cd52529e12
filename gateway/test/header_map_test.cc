// HeaderMap: lower-case names, first-match reads, set/remove keeping the order, and the
// ":status" reading every status decision of the gateway goes through.
#include "meshwasm/gateway/header_map.h"

#include <gtest/gtest.h>

#include <climits>

namespace meshwasm::gateway {
namespace {

HeaderMap withStatus(std::string_view value) {
  HeaderMap h;
  h.add(":status", value);
  return h;
}

TEST(HeaderMap, AddLowerCasesTheNameAndGetIgnoresCase) {
  HeaderMap h;
  h.add("Content-Type", "text/plain");
  h.add("X-Forwarded-Proto", "http");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.entries()[0].first, "content-type");
  EXPECT_EQ(h.entries()[1].first, "x-forwarded-proto");
  EXPECT_EQ(h.get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(h.get("x-forwarded-proto"), "http");
  EXPECT_FALSE(h.get("content-length").has_value());
}

TEST(HeaderMap, SetReplacesEveryEntryAtTheFirstOnesPlace) {
  HeaderMap h;
  h.add("a", "1");
  h.add("set-cookie", "x");
  h.add("b", "2");
  h.add("Set-Cookie", "y");
  h.set("set-cookie", "z");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.entries()[0], (HeaderMap::Entry{"a", "1"}));
  EXPECT_EQ(h.entries()[1], (HeaderMap::Entry{"set-cookie", "z"}));
  EXPECT_EQ(h.entries()[2], (HeaderMap::Entry{"b", "2"}));
  h.set("Date", "Sun, 29 Nov 2026 06:00:00 GMT");  // absent: appended, lower-cased
  EXPECT_EQ(h.entries().back(), (HeaderMap::Entry{"date", "Sun, 29 Nov 2026 06:00:00 GMT"}));
}

TEST(HeaderMap, RemoveCountsAndGetJoinedJoinsWithCommas) {
  HeaderMap h;
  h.add("via", "a");
  h.add("x", "1");
  h.add("VIA", "b");
  EXPECT_EQ(h.getJoined("via"), "a,b");
  EXPECT_EQ(h.remove("Via"), 2u);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_FALSE(h.getJoined("via").has_value());
  EXPECT_EQ(h.byteSize(), 2u);
}

TEST(StatusCode, ReadsTheLeadingDigitsAsAtoiDoes) {
  EXPECT_EQ(statusCode(withStatus("403")), 403);
  EXPECT_EQ(statusCode(withStatus("418")), 418);
  EXPECT_EQ(statusCode(withStatus(" 200")), 200);
  EXPECT_EQ(statusCode(withStatus("\t 503 Service Unavailable")), 503);
  EXPECT_EQ(statusCode(withStatus("+201")), 201);
  EXPECT_EQ(statusCode(withStatus("-5")), -5);
  EXPECT_EQ(statusCode(withStatus("20x")), 20);
  EXPECT_EQ(statusCode(withStatus("abc")), 0);
  EXPECT_EQ(statusCode(withStatus("")), 0);
  EXPECT_EQ(statusCode(withStatus("-")), 0);
  EXPECT_EQ(statusCode(withStatus("000")), 0);
  EXPECT_EQ(statusCode(withStatus("999")), 999);
  EXPECT_EQ(statusCode(withStatus("4 3")), 4);
  EXPECT_EQ(statusCode(withStatus("40:")), 40);
  EXPECT_EQ(statusCode(withStatus("/00")), 0);
  EXPECT_EQ(statusCode(withStatus("1000")), 1000);
}

TEST(StatusCode, HugeValuesSaturateInsteadOfOverflowing) {
  EXPECT_EQ(statusCode(withStatus("99999999999999999999999")), INT_MAX);
  EXPECT_EQ(statusCode(withStatus("-99999999999999999999999")), INT_MIN);
  EXPECT_EQ(statusCode(withStatus("2147483647")), INT_MAX);
}

TEST(StatusCode, AbsentStatusIsNulloptAndTheFirstEntryCounts) {
  HeaderMap h;
  EXPECT_FALSE(statusCode(h).has_value());
  h.add("x", "1");
  EXPECT_FALSE(statusCode(h).has_value());
  h.add(":status", "404");
  h.add(":status", "200");
  EXPECT_EQ(statusCode(h), 404);
}

TEST(HeaderMap, AddLowerCasesExactlyTheAsciiCapitalsOfNamesOfAnyLength) {
  // Every byte value at every position of names from 0 to 40 bytes long.
  for (size_t len = 0; len <= 40; ++len) {
    for (int b = 0; b < 256; ++b) {
      std::string name;
      for (size_t i = 0; i < len; ++i) name.push_back(static_cast<char>((b + i * 37) & 0xff));
      std::string want = name;
      for (char& c : want) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
      }
      HeaderMap h;
      h.add(name, "v");
      ASSERT_EQ(h.entries()[0].first, want) << "length " << len << " byte " << b;
      ASSERT_EQ(toLower(name), want) << "length " << len << " byte " << b;
      ASSERT_EQ(h.get(name), "v");
    }
  }
}

TEST(HeaderMap, GetTellsNamesApartThatDifferInAnyOneByte) {
  for (size_t len = 1; len <= 24; ++len) {
    std::string stored(len, 'a');
    for (size_t i = 0; i < len; ++i) stored[i] = static_cast<char>('a' + i % 26);
    HeaderMap h;
    h.add(stored, "v");
    for (size_t i = 0; i < len; ++i) {
      std::string other = stored;
      other[i] = '-';
      ASSERT_FALSE(h.get(other).has_value()) << other;
      other[i] = static_cast<char>(stored[i] - 'a' + 'A');  // the same name in capitals
      ASSERT_EQ(h.get(other), "v") << other;
    }
    ASSERT_FALSE(h.get(stored + "a").has_value());
    ASSERT_FALSE(h.get(stored.substr(1)).has_value());
  }
}

TEST(HeaderMap, EqualsIgnoreCaseComparesOnlyAsciiLetters) {
  EXPECT_TRUE(equalsIgnoreCase("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(equalsIgnoreCase("content-length", "content-lengtH2"));
  EXPECT_FALSE(equalsIgnoreCase("a@", "a`"));  // '@' and '`' differ by the case bit
  EXPECT_FALSE(equalsIgnoreCase("[", "{"));
  EXPECT_TRUE(equalsIgnoreCase("", ""));
}

}  // namespace
}  // namespace meshwasm::gateway
