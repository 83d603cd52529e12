#include "http_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshwasm::gateway {
namespace {

struct Recorder : MessageCallbacks {
  std::vector<std::string> events;
  HeaderMap last_headers;
  void onHeaders(HeaderMap h, bool eos) override {
    std::string line = "headers";
    for (const auto& [k, v] : h.entries()) line += " " + k + "=" + v;
    events.push_back(line + (eos ? " eos" : ""));
    last_headers = std::move(h);
  }
  void onData(std::string_view d, bool eos) override {
    events.push_back("data '" + std::string(d) + "'" + (eos ? " eos" : ""));
  }
  void onTrailers(HeaderMap t) override {
    std::string line = "trailers";
    for (const auto& [k, v] : t.entries()) line += " " + k + "=" + v;
    events.push_back(line);
  }
};

DecodeResult feedAll(MessageDecoder& d, std::string_view bytes, size_t* used = nullptr) {
  size_t consumed = 0;
  DecodeResult r = d.feed(bytes, &consumed);
  if (used) *used = consumed;
  return r;
}

TEST(RequestDecoder, ParsesHeadersIntoPseudoHeadersAndLowerCaseNames) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  ASSERT_EQ(feedAll(*d, "GET /status/418?x=1 HTTP/1.1\r\nHost: a.b\r\nAllow: true\r\n"
                        "Connection: keep-alive\r\n\r\n"),
            DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0],
            "headers :authority=a.b :path=/status/418?x=1 :method=GET :scheme=http allow=true eos");
  EXPECT_TRUE(d->complete());
  EXPECT_TRUE(d->keepAlive());
}

TEST(RequestDecoder, StreamsChunkedBodyAndTrailers) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  ASSERT_EQ(feedAll(*d, "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "3\r\nabc\r\n2\r\nde\r\n0\r\nx-t: 1\r\n\r\n"),
            DecodeResult::Ok);
  std::vector<std::string> want = {"headers :authority=h :path=/p :method=POST :scheme=http",
                                   "data 'abc'", "data 'de'", "trailers x-t=1"};
  EXPECT_EQ(rec.events, want);
}

TEST(RequestDecoder, StopsAtTheEndOfOneMessageSoPipelinedBytesWait) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  std::string two = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  size_t used = 0;
  ASSERT_EQ(feedAll(*d, two, &used), DecodeResult::Ok);
  EXPECT_EQ(used, two.size() / 2);
  EXPECT_EQ(rec.events.size(), 1u);
  d->reset();
  ASSERT_EQ(feedAll(*d, std::string_view(two).substr(used)), DecodeResult::Ok);
  EXPECT_EQ(rec.events.size(), 2u);
}

TEST(RequestDecoder, RejectsContentLengthWithTransferEncoding) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  EXPECT_EQ(feedAll(*d, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            DecodeResult::BadMessage);
}

TEST(RequestDecoder, RejectsConflictingContentLengths) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  EXPECT_EQ(feedAll(*d, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                        "Content-Length: 4\r\n\r\nabcd"),
            DecodeResult::BadMessage);
}

TEST(RequestDecoder, RejectsTransferEncodingOtherThanChunked) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  EXPECT_EQ(feedAll(*d, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"),
            DecodeResult::BadMessage);
}

TEST(RequestDecoder, RejectsMissingHostOnHttp11) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  EXPECT_EQ(feedAll(*d, "GET / HTTP/1.1\r\n\r\n"), DecodeResult::BadMessage);
  EXPECT_EQ(d->errorDetails(), "missing host header");
}

TEST(RequestDecoder, ReportsHeadersTooLargeAndBodyTooLarge) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, DecoderLimits{1024, 10});
  std::string big = "GET / HTTP/1.1\r\nHost: h\r\nx-big: " + std::string(2000, 'a') + "\r\n\r\n";
  EXPECT_EQ(feedAll(*d, big), DecodeResult::HeadersTooLarge);
  Recorder rec2;
  auto d2 = MessageDecoder::forRequests(rec2, DecoderLimits{1024, 10});
  EXPECT_EQ(feedAll(*d2, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n"),
            DecodeResult::BodyTooLarge);
}

TEST(ResponseDecoder, ReadsABodyThatEndsWithTheConnection) {
  Recorder rec;
  auto d = MessageDecoder::forResponses(rec);
  ASSERT_EQ(feedAll(*d, "HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nsome"), DecodeResult::Ok);
  EXPECT_FALSE(d->complete());
  EXPECT_TRUE(d->feedEof());
  std::vector<std::string> want = {"headers :status=200 x-a=b", "data 'some'", "data '' eos"};
  EXPECT_EQ(rec.events, want);
}

TEST(ResponseDecoder, ReadsAContentLengthBodyInOneRead) {
  Recorder rec;
  auto d = MessageDecoder::forResponses(rec);
  ASSERT_EQ(feedAll(*d, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
            DecodeResult::Ok)
      << d->errorDetails();
  EXPECT_TRUE(d->complete());
  std::vector<std::string> want = {"headers :status=200 content-length=2", "data 'ok'",
                                   "data '' eos"};
  EXPECT_EQ(rec.events, want);
}

TEST(Encoder, WritesResponseHeadWithFramingAndWithoutPseudoHeaders) {
  HeaderMap h;
  h.add(":status", "418");
  h.add("content-type", "text/plain");
  h.add("transfer-encoding", "chunked");
  EXPECT_EQ(encodeResponseHead(h, true, false),
            "HTTP/1.1 418 I'm a teapot\r\ncontent-type: text/plain\r\n"
            "transfer-encoding: chunked\r\n\r\n");
  std::string out;
  appendChunk(out, "hello");
  HeaderMap t;
  t.add("x-t", "v");
  appendLastChunk(out, &t);
  EXPECT_EQ(out, "5\r\nhello\r\n0\r\nx-t: v\r\n\r\n");
}

}  // namespace
}  // namespace meshwasm::gateway
