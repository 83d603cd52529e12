#include "sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace meshwasm::header_auth {
namespace {

std::string hex(const Sha256Digest& digest) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : digest) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 15]);
  }
  return out;
}

constexpr const char* kFoldedDigest =
    "530566f39d545b371e5360fbfe251c0da6410ba297e67392dfaec0cb575d67ed";

// FIPS 180-4 examples and values checked with coreutils' sha256sum.
TEST(Sha256, MatchesKnownDigests) {
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(sha256("s3cret")),
            "1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0");
  EXPECT_EQ(hex(sha256("a")), "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
  EXPECT_EQ(hex(sha256("s3cret,other")),
            "b1b86d03080cde5f4aab2f6078e4ae5d80709c7f29d6bea22ba7a6bb33abfef2");
}

TEST(Sha256, MillionAs) {
  EXPECT_EQ(hex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // 55, 56, 63, 64 and 65 bytes exercise every padding branch (values from sha256sum).
  EXPECT_EQ(hex(sha256(std::string(55, 'x'))),
            "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
  EXPECT_EQ(hex(sha256(std::string(56, 'x'))),
            "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
  EXPECT_EQ(hex(sha256(std::string(63, 'x'))),
            "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2");
  EXPECT_EQ(hex(sha256(std::string(64, 'x'))),
            "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
  EXPECT_EQ(hex(sha256(std::string(65, 'x'))),
            "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9");
}

TEST(Sha256, EveryLengthUpTo200MatchesTheStreamedDefinition) {
  // Lengths 0..200 cover one- and two-block tails. The hex digests of the prefixes of the bytes
  // (i * 7 + 3) are concatenated and hashed once more; the expected value was computed with
  // Python's hashlib.
  std::string all;
  std::string data;
  for (int length = 0; length <= 200; ++length) {
    all += hex(sha256(data));
    data.push_back(char(length * 7 + 3));
  }
  EXPECT_EQ(hex(sha256(all)), kFoldedDigest);
}

TEST(Sha256, DigestsEqualComparesEveryByte) {
  Sha256Digest a = sha256("a");
  Sha256Digest b = a;
  EXPECT_TRUE(digestsEqual(a, b));
  b[31] ^= 1;
  EXPECT_FALSE(digestsEqual(a, b));
  b = a;
  b[0] ^= 0x80;
  EXPECT_FALSE(digestsEqual(a, b));
}

}  // namespace
}  // namespace meshwasm::header_auth
