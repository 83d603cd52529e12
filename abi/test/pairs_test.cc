#include "meshwasm/abi/pairs.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshwasm::abi {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// {("a","1"), ("bc","22")}: 30 bytes.
const std::string kTwoPairs = bytes({
    0x02, 0x00, 0x00, 0x00,                          // N = 2
    0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  // len("a") = 1, len("1") = 1
    0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,  // len("bc") = 2, len("22") = 2
    'a', 0x00, '1', 0x00,                            // "a\0" "1\0"
    'b', 'c', 0x00, '2', '2', 0x00,                  // "bc\0" "22\0"
});

TEST(Pairs, EncodesTheGoldenVector) {
  std::vector<HeaderView> pairs{{"a", "1"}, {"bc", "22"}};
  EXPECT_EQ(pairsEncodedSize(pairs), 30u);
  EXPECT_EQ(encodePairs(pairs), kTwoPairs);
}

TEST(Pairs, DecodesTheGoldenVector) {
  auto decoded = decodePairs(kTwoPairs);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0], HeaderView("a", "1"));
  EXPECT_EQ((*decoded)[1], HeaderView("bc", "22"));
}

TEST(Pairs, EncodesAnEmptyMapAsFourZeroBytes) {
  std::vector<HeaderView> none;
  EXPECT_EQ(encodePairs(none), bytes({0, 0, 0, 0}));
}

TEST(Pairs, ShortBuffersDecodeAsAnEmptyMap) {
  for (std::string buffer : {std::string(), bytes({0}), bytes({1, 0, 0})}) {
    auto decoded = decodePairs(buffer);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(decoded->empty());
  }
}

TEST(Pairs, RoundTripsEmptyNamesEmptyValuesAndDuplicates) {
  std::vector<HeaderPair> pairs{{"", ""}, {"k", ""}, {"", "v"}, {"dup", "1"}, {"dup", "2"},
                                {"bin", std::string("a\0b", 3)}};
  auto encoded = encodePairs(pairs);
  // 4 + 6 * 8 for the table, then key+1+value+1 per pair.
  EXPECT_EQ(encoded.size(), 4u + 6 * 8 + 2 + 3 + 3 + 6 + 6 + 8);
  auto decoded = decodePairs(encoded);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(std::string((*decoded)[i].first), pairs[i].first) << i;
    EXPECT_EQ(std::string((*decoded)[i].second), pairs[i].second) << i;
  }
}

TEST(Pairs, RejectsTrailingBytes) {
  EXPECT_FALSE(decodePairs(kTwoPairs + "x").has_value());
}

TEST(Pairs, RejectsTruncatedBuffers) {
  for (size_t n = 4; n < kTwoPairs.size(); ++n) {
    EXPECT_FALSE(decodePairs(kTwoPairs.substr(0, n)).has_value()) << n;
  }
}

TEST(Pairs, RejectsAMissingTerminator) {
  std::string broken = kTwoPairs;
  broken[21] = 'x';  // the NUL after key "a"
  EXPECT_FALSE(decodePairs(broken).has_value());
  broken = kTwoPairs;
  broken[29] = 'x';  // the NUL after value "22"
  EXPECT_FALSE(decodePairs(broken).has_value());
}

TEST(Pairs, RejectsTooManyPairs) {
  std::vector<HeaderView> many(kMaxPairs + 1, HeaderView("k", "v"));
  EXPECT_FALSE(decodePairs(encodePairs(many)).has_value());
  many.pop_back();
  EXPECT_TRUE(decodePairs(encodePairs(many)).has_value());
}

TEST(Pairs, RejectsBuffersOverTheByteLimit) {
  std::vector<HeaderPair> big{{"k", std::string(kMaxPairsBytes, 'v')}};
  EXPECT_FALSE(decodePairs(encodePairs(big)).has_value());
}

TEST(Pairs, RejectsHugeLengthsWithoutOverflow) {
  std::string hostile = bytes({1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0});
  EXPECT_FALSE(decodePairs(hostile).has_value());
  std::string huge_count = bytes({0xff, 0xff, 0xff, 0xff});
  EXPECT_FALSE(decodePairs(huge_count).has_value());
}

}  // namespace
}  // namespace meshwasm::abi
