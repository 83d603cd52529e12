// gRPC wire helpers: message framing (golden bytes), the incremental reader, grpc-timeout,
// grpc-message percent-encoding, HTTP status mapping.
#include "grpc_wire.h"

#include <gtest/gtest.h>

#include <string>

namespace meshwasm::gateway {
namespace {

using std::chrono::milliseconds;

TEST(GrpcWire, FramesAMessageWithFlagAndBigEndianLength) {
  // flag 0 | length 0x00000003 | "abc"
  EXPECT_EQ(grpcFrame("abc"), std::string("\x00\x00\x00\x00\x03"
                                          "abc",
                                          8));
  EXPECT_EQ(grpcFrame(""), std::string(5, '\0'));
  const std::string big(0x010203, 'x');
  EXPECT_EQ(grpcFrame(big).substr(0, 5), std::string("\x00\x00\x01\x02\x03", 5));
}

TEST(GrpcWire, ReaderSplitsMessagesFedInPieces) {
  GrpcMessageReader reader;
  const std::string stream = grpcFrame("first") + grpcFrame("") + grpcFrame("third");
  for (char c : stream) reader.feed(std::string_view(&c, 1));
  EXPECT_EQ(reader.next(), "first");
  EXPECT_EQ(reader.next(), "");
  EXPECT_EQ(reader.next(), "third");
  EXPECT_EQ(reader.next(), std::nullopt);
  EXPECT_EQ(reader.pending(), 0u);
  EXPECT_FALSE(reader.failed());
}

TEST(GrpcWire, ReaderKeepsAnIncompleteMessagePending) {
  GrpcMessageReader reader;
  reader.feed(grpcFrame("hello").substr(0, 7));
  EXPECT_EQ(reader.next(), std::nullopt);
  EXPECT_EQ(reader.pending(), 7u);
  reader.feed("llo");
  EXPECT_EQ(reader.next(), "hello");
}

TEST(GrpcWire, ReaderRefusesCompressedAndOversizedMessages) {
  GrpcMessageReader compressed;
  compressed.feed(
      std::string("\x01\x00\x00\x00\x01"
                  "x",
                  6));
  EXPECT_EQ(compressed.next(), std::nullopt);
  EXPECT_TRUE(compressed.failed());
  EXPECT_EQ(compressed.error(), "compressed gRPC messages are not supported");

  GrpcMessageReader oversized;
  oversized.feed(std::string("\x00\x00\x40\x00\x01", 5));  // 4 MiB + 1
  EXPECT_EQ(oversized.next(), std::nullopt);
  EXPECT_EQ(oversized.error(), "gRPC message of 4194305 bytes is over the limit");
  oversized.feed(grpcFrame("later"));  // stays failed
  EXPECT_EQ(oversized.next(), std::nullopt);

  GrpcMessageReader bad_flag;
  bad_flag.feed(std::string("\x07\x00\x00\x00\x00", 5));
  EXPECT_EQ(bad_flag.next(), std::nullopt);
  EXPECT_EQ(bad_flag.error(), "bad gRPC frame flag");
}

TEST(GrpcWire, ParsesAndFormatsGrpcTimeout) {
  EXPECT_EQ(parseGrpcTimeout("5000m"), milliseconds(5000));
  EXPECT_EQ(parseGrpcTimeout("2S"), milliseconds(2000));
  EXPECT_EQ(parseGrpcTimeout("1M"), milliseconds(60000));
  EXPECT_EQ(parseGrpcTimeout("1H"), milliseconds(3600000));
  EXPECT_EQ(parseGrpcTimeout("1500u"), milliseconds(1));
  EXPECT_EQ(parseGrpcTimeout("7n"), milliseconds(0));
  EXPECT_EQ(parseGrpcTimeout("m"), std::nullopt);
  EXPECT_EQ(parseGrpcTimeout("123456789m"), std::nullopt);  // 9 digits
  EXPECT_EQ(parseGrpcTimeout("5x"), std::nullopt);
  EXPECT_EQ(parseGrpcTimeout("-5m"), std::nullopt);
  EXPECT_EQ(formatGrpcTimeout(milliseconds(250)), "250m");
  EXPECT_EQ(formatGrpcTimeout(milliseconds(99999999)), "99999999m");
  EXPECT_EQ(formatGrpcTimeout(milliseconds(100000000)), "100000S");
  EXPECT_EQ(formatGrpcTimeout(milliseconds(-3)), "0m");
}

TEST(GrpcWire, PercentEncodesGrpcMessage) {
  EXPECT_EQ(grpcPercentEncode("no such method"), "no such method");
  EXPECT_EQ(grpcPercentEncode("50% done\n\xc3\xa9"), "50%25 done%0A%C3%A9");
  EXPECT_EQ(grpcPercentDecode("50%25 done%0A%C3%A9"), "50% done\n\xc3\xa9");
  EXPECT_EQ(grpcPercentDecode("bad %zz and %4"), "bad %zz and %4");
  EXPECT_EQ(grpcPercentDecode("%"), "%");
}

TEST(GrpcWire, MapsHttpStatusToGrpcStatus) {
  EXPECT_EQ(grpcStatusFromHttp(400), kGrpcInternal);
  EXPECT_EQ(grpcStatusFromHttp(401), 16u);
  EXPECT_EQ(grpcStatusFromHttp(403), 7u);
  EXPECT_EQ(grpcStatusFromHttp(404), kGrpcUnimplemented);
  EXPECT_EQ(grpcStatusFromHttp(503), kGrpcUnavailable);
  EXPECT_EQ(grpcStatusFromHttp(415), kGrpcUnknown);
}

}  // namespace
}  // namespace meshwasm::gateway
