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

TEST(RequestDecoder, ReusedHeaderMapCarriesNothingOfThePreviousRequest) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  ASSERT_EQ(feedAll(*d, "POST /first/long/path/beyond/the/short/string HTTP/1.1\r\nHost: one\r\n"
                        "X-A: 1\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n"),
            DecodeResult::Ok);
  // What a stream did to the map (an added entry) must not reach the next request.
  rec.last_headers.add("x-request-id", "abc");
  d->reset();
  d->reuseHeaders(std::move(rec.last_headers));
  ASSERT_EQ(feedAll(*d, "GET / HTTP/1.0\r\n\r\n"), DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[1], "headers :authority= :path=/ :method=GET :scheme=http eos");

  // A map whose pseudo headers were changed (a filter replaced it) is rebuilt.
  rec.last_headers.entries().erase(rec.last_headers.entries().begin());
  rec.last_headers.add(":scheme", "https");
  d->reset();
  d->reuseHeaders(std::move(rec.last_headers));
  ASSERT_EQ(feedAll(*d, "PUT /p HTTP/1.1\r\nHost: two\r\nAllow: true\r\n\r\n"),
            DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 3u);
  EXPECT_EQ(rec.events[2], "headers :authority=two :path=/p :method=PUT :scheme=http allow=true eos");
}

TEST(RequestDecoder, ReusedHeaderMapGetsExactlyTheNextRequestsFieldsInOrder) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  ASSERT_EQ(feedAll(*d, "GET /1 HTTP/1.1\r\nHost: h\r\nAllow: true\r\nX-Long-Header-Name-1: "
                        "a value longer than the short string\r\nAccept: */*\r\n\r\n"),
            DecodeResult::Ok);
  // What a stream may leave in the map: an upper-case name, added entries.
  rec.last_headers.entries()[5].first = "X-LONG-HEADER-NAME-1";
  rec.last_headers.add("x-request-id", "abc");
  d->reset();
  d->reuseHeaders(std::move(rec.last_headers));
  ASSERT_EQ(feedAll(*d, "GET /2 HTTP/1.1\r\nAccept: text/plain\r\nHost: h\r\nX-B: 1\r\n"
                        "ALLOW: false\r\nConnection: x-b\r\nContent-Type: a\r\n"
                        "X-Long-Header-Name-1: v\r\nX-Another-Long-Header: w\r\n\r\n"),
            DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[1],
            "headers :authority=h :path=/2 :method=GET :scheme=http accept=text/plain allow=false "
            "content-type=a x-long-header-name-1=v x-another-long-header=w eos");

  // Fewer fields than the map had entries: the rest go.
  d->reset();
  d->reuseHeaders(std::move(rec.last_headers));
  ASSERT_EQ(feedAll(*d, "GET /3 HTTP/1.1\r\nHost: h\r\nX-Only: 1\r\n\r\n"), DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 3u);
  EXPECT_EQ(rec.events[2], "headers :authority=h :path=/3 :method=GET :scheme=http x-only=1 eos");

  // A request that fails half way through its fields reports nothing; the next one is whole.
  d->reset();
  d->reuseHeaders(std::move(rec.last_headers));
  size_t used = 0;
  EXPECT_EQ(feedAll(*d, "GET /4 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nBad Name: 2\r\n\r\n", &used),
            DecodeResult::BadMessage);
  EXPECT_EQ(rec.events.size(), 3u);
  d->reset();
  ASSERT_EQ(feedAll(*d, "GET /5 HTTP/1.1\r\nHost: h\r\n\r\n"), DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 4u);
  EXPECT_EQ(rec.events[3], "headers :authority=h :path=/5 :method=GET :scheme=http eos");
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

TEST(RequestDecoder, DropsHopByHopHeadersAndTheHeadersConnectionNames) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  ASSERT_EQ(feedAll(*d, "GET / HTTP/1.1\r\nX-Before: 1\r\nConnection: X-Drop, close\r\n"
                        "Host: h\r\nTE: trailers\r\nUpgrade: foo\r\nKeep-Alive: 5\r\n"
                        "Proxy-Connection: x\r\nX-DROP: 2\r\nx-keep: 3\r\n"
                        "connection:  x-other\t\r\nx-other: 4\r\n\r\n"),
            DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0],
            "headers :authority=h :path=/ :method=GET :scheme=http x-before=1 x-keep=3 eos");
  EXPECT_FALSE(d->keepAlive());
  EXPECT_FALSE(d->hasExpect());
}

TEST(RequestDecoder, ReportsAnExpectHeaderAndKeepsIt) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  ASSERT_EQ(feedAll(*d, "POST / HTTP/1.1\r\nHost: h\r\nEXPECT: 100-Continue\r\n"
                        "Content-Length: 1\r\n\r\n"),
            DecodeResult::Ok);
  EXPECT_TRUE(d->hasExpect());
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], "headers :authority=h :path=/ :method=POST :scheme=http "
                           "expect=100-Continue content-length=1");
  d->reset();
  EXPECT_FALSE(d->hasExpect());
}

TEST(RequestDecoder, KeepsRepeatedHeadersInWireOrderAndLowerCasesLongNames) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  ASSERT_EQ(feedAll(*d, "PUT /a%20b HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4\r\nHOST: Example.COM\r\n"
                        "Set-Cookie: a\r\nX-VERY-LONG-HEADER-NAME-ABCDEFGHIJKLMNOPQRSTUVWXYZ: Q\r\n"
                        "set-cookie: b\r\nContent-Length: 0\r\n\r\n"),
            DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0],
            "headers :authority=Example.COM :path=/a%20b :method=PUT :scheme=http "
            "x-forwarded-for=1.2.3.4 set-cookie=a "
            "x-very-long-header-name-abcdefghijklmnopqrstuvwxyz=Q set-cookie=b "
            "content-length=0 eos");
}

TEST(RequestDecoder, AcceptsHttp10WithoutHostAsAnEmptyAuthority) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  ASSERT_EQ(feedAll(*d, "GET /x HTTP/1.0\r\nX-A: 1\r\n\r\n"), DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], "headers :authority= :path=/x :method=GET :scheme=http x-a=1 eos");
  EXPECT_TRUE(d->http10());
  EXPECT_FALSE(d->keepAlive());
}

TEST(RequestDecoder, ExplainsEveryRejectedHead) {
  struct Case {
    std::string bytes;
    std::string details;
  };
  std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", "duplicate host header"},
      {"GET x HTTP/1.1\r\nHost: a\r\n\r\n", "invalid request target"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
       "unsupported transfer encoding"},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
       "transfer encoding in an HTTP/1.0 request"},
  };
  for (const auto& c : cases) {
    Recorder rec;
    auto d = MessageDecoder::forRequests(rec, {});
    EXPECT_EQ(feedAll(*d, c.bytes), DecodeResult::BadMessage) << c.bytes;
    EXPECT_EQ(d->errorDetails(), c.details) << c.bytes;
    EXPECT_TRUE(rec.events.empty()) << c.bytes;
  }
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  EXPECT_EQ(feedAll(*d, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), DecodeResult::Ok);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], "headers :authority=a :path=* :method=OPTIONS :scheme=http eos");
}

TEST(RequestDecoder, ResetStartsAFreshMessageWithoutTheLastOnesHeaders) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  ASSERT_EQ(feedAll(*d, "GET /1 HTTP/1.1\r\nHost: h\r\nConnection: x-a\r\nX-A: 1\r\nX-B: 2\r\n\r\n"),
            DecodeResult::Ok);
  d->reset();
  ASSERT_EQ(feedAll(*d, "POST /2 HTTP/1.1\r\nHost: g\r\nX-A: 3\r\nContent-Length: 2\r\n\r\nok"),
            DecodeResult::Ok);
  std::vector<std::string> want = {
      "headers :authority=h :path=/1 :method=GET :scheme=http x-b=2 eos",
      "headers :authority=g :path=/2 :method=POST :scheme=http x-a=3 content-length=2",
      "data 'ok'", "data '' eos"};
  EXPECT_EQ(rec.events, want);
}

TEST(RequestDecoder, HeadersSplitAcrossFeedsArriveOnceComplete) {
  Recorder rec;
  auto d = MessageDecoder::forRequests(rec, {});
  std::string bytes = "GET /s HTTP/1.1\r\nHost: h\r\nX-Long-Name: value\r\n\r\n";
  std::string pending;
  for (char c : bytes) {
    pending.push_back(c);
    size_t used = 0;
    ASSERT_EQ(feedAll(*d, pending, &used), DecodeResult::Ok);
    pending.erase(0, used);
  }
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], "headers :authority=h :path=/s :method=GET :scheme=http "
                           "x-long-name=value eos");
}

TEST(ResponseDecoder, KeepsHostButDropsHopByHopHeaders) {
  Recorder rec;
  auto d = MessageDecoder::forResponses(rec);
  ASSERT_EQ(feedAll(*d, "HTTP/1.1 503 Whatever\r\nHost: u\r\nConnection: keep-alive, X-Gone\r\n"
                        "X-Gone: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n"),
            DecodeResult::Ok);
  std::vector<std::string> want = {"headers :status=503 host=u content-length=0 eos"};
  EXPECT_EQ(rec.events, want);
}

TEST(ResponseDecoder, NamesKnownAndUnknownFieldsInLowerCaseWhateverTheirWireCase) {
  Recorder rec;
  auto d = MessageDecoder::forResponses(rec);
  ASSERT_EQ(feedAll(*d, "HTTP/1.1 418 \r\nSERVER: nginx\r\nDate: d\r\ncontent-TYPE: text/plain\r\n"
                        "Content-Length: 1\r\nConnection: KEEP-ALIVE\r\nETag: \"e\"\r\n"
                        "X-Custom-Field: v\r\nContent-Length: 1\r\n\r\nt"),
            DecodeResult::Ok);
  std::vector<std::string> want = {
      "headers :status=418 server=nginx date=d content-type=text/plain content-length=1 "
      "etag=\"e\" x-custom-field=v content-length=1",
      "data 't'", "data '' eos"};
  EXPECT_EQ(rec.events, want);
  EXPECT_TRUE(d->keepAlive());
}

TEST(ResponseDecoder, ConnectionOptionsInAnyCaseNameNoHeaderButOtherTokensDo) {
  Recorder rec;
  auto d = MessageDecoder::forResponses(rec);
  ASSERT_EQ(feedAll(*d, "HTTP/1.1 200 OK\r\nConnection: Keep-Alive ,\t, CLOSE\r\n"
                        "Close: 1\r\nKeep-Alive: 2\r\nX-A: 3\r\nContent-Length: 0\r\n\r\n"),
            DecodeResult::Ok);
  std::vector<std::string> want = {"headers :status=200 close=1 x-a=3 content-length=0 eos"};
  EXPECT_EQ(rec.events, want);

  d->reset();
  rec.events.clear();
  ASSERT_EQ(feedAll(*d, "HTTP/1.1 200 OK\r\nConnection: close, X-A\r\nCONNECTION: x-b\r\n"
                        "X-A: 1\r\nx-b: 2\r\nX-C: 3\r\nContent-Length: 0\r\n\r\n"),
            DecodeResult::Ok);
  want = {"headers :status=200 x-c=3 content-length=0 eos"};
  EXPECT_EQ(rec.events, want);
  EXPECT_FALSE(d->keepAlive());
}

TEST(ResponseDecoder, ChunkedTrailersOfKnownFieldsAreLowerCase) {
  Recorder rec;
  auto d = MessageDecoder::forResponses(rec);
  ASSERT_EQ(feedAll(*d, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "1\r\na\r\n0\r\nContent-MD5: m\r\nX-T: v\r\n\r\n"),
            DecodeResult::Ok);
  std::vector<std::string> want = {"headers :status=200", "data 'a'",
                                   "trailers content-md5=m x-t=v"};
  EXPECT_EQ(rec.events, want);
}

TEST(ResponseDecoder, StatusIsTheFirstEntryWrittenWithoutLeadingZeros) {
  Recorder rec;
  auto d = MessageDecoder::forResponses(rec);
  const char* lines[] = {"HTTP/1.1 999 X", "HTTP/1.1 100 Continue", "HTTP/1.1 099 X",
                         "HTTP/1.1 007 X", "HTTP/1.0 000 X", "HTTP/1.1 410 Gone"};
  for (const char* line : lines) {
    d->reset();
    ASSERT_EQ(feedAll(*d, std::string(line) + "\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n"),
              DecodeResult::Ok);
  }
  std::vector<std::string> want = {
      "headers :status=999 x-a=1 content-length=0 eos",
      "headers :status=100 x-a=1 content-length=0 eos",
      "headers :status=99 x-a=1 content-length=0 eos",
      "headers :status=7 x-a=1 content-length=0 eos",
      "headers :status=0 x-a=1 content-length=0 eos",
      "headers :status=410 x-a=1 content-length=0 eos"};
  EXPECT_EQ(rec.events, want);
}

TEST(ResponseDecoder, ChunkedResponseWithTrailers) {
  Recorder rec;
  auto d = MessageDecoder::forResponses(rec);
  ASSERT_EQ(feedAll(*d, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "2\r\nab\r\n0\r\nX-Trailer: v\r\n\r\n"),
            DecodeResult::Ok);
  EXPECT_TRUE(d->complete());
  EXPECT_TRUE(d->chunked());
  std::vector<std::string> want = {"headers :status=200", "data 'ab'", "trailers x-trailer=v"};
  EXPECT_EQ(rec.events, want);
}

TEST(Encoder, WritesEveryStatusLineAndTheCloseFraming) {
  HeaderMap h;
  h.add(":status", "403");
  h.add("content-length", "5");
  h.add("connection", "keep-alive");
  h.add("keep-alive", "x");
  h.add("te", "trailers");
  h.add("upgrade", "u");
  h.add("proxy-connection", "p");
  h.add("date", "Sun, 29 Nov 2026 06:00:00 GMT");
  h.add("x-empty", "");
  EXPECT_EQ(encodeResponseHead(h, false, true),
            "HTTP/1.1 403 Forbidden\r\ncontent-length: 5\r\n"
            "date: Sun, 29 Nov 2026 06:00:00 GMT\r\nx-empty: \r\nconnection: close\r\n\r\n");
  std::string out = "prefix";
  appendResponseHead(out, HeaderMap(), 599, true, true);
  EXPECT_EQ(out, "prefixHTTP/1.1 599 Unknown\r\ntransfer-encoding: chunked\r\n"
                 "connection: close\r\n\r\n");
  out.clear();
  appendResponseHead(out, HeaderMap(), 200, false, false);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(encodeResponseHead(HeaderMap(), false, false), "HTTP/1.1 200 OK\r\n\r\n");
  std::string big(5000, 'v');
  HeaderMap large;
  large.add(":status", "204");
  large.add("x-big", big);
  EXPECT_EQ(encodeResponseHead(large, false, false),
            "HTTP/1.1 204 No Content\r\nx-big: " + big + "\r\n\r\n");
}

TEST(Encoder, CopiesNamesAndValuesOfEveryLength) {
  HeaderMap h;
  h.add(":status", "200");
  std::string want = "HTTP/1.1 200 OK\r\n";
  for (size_t len = 1; len <= 40; ++len) {
    std::string name, value;
    for (size_t i = 0; i < len; ++i) {
      name.push_back(static_cast<char>('a' + (i * 7 + len) % 26));
      value.push_back(static_cast<char>('0' + (i * 3 + len) % 10));
    }
    h.add(name, value.substr(0, len - 1));  // values from 0 to 39 bytes
    want += name + ": " + value.substr(0, len - 1) + "\r\n";
  }
  EXPECT_EQ(encodeResponseHead(h, false, false), want + "\r\n");
}

TEST(Encoder, WritesRequestHeadWithHostFirst) {
  HeaderMap h;
  h.add(":method", "POST");
  h.add(":path", "/p?q=1");
  h.add(":authority", "up.example");
  h.add(":scheme", "http");
  h.add("x-a", "1");
  h.add("connection", "close");
  EXPECT_EQ(encodeRequestHead(h, true),
            "POST /p?q=1 HTTP/1.1\r\nhost: up.example\r\nx-a: 1\r\n"
            "transfer-encoding: chunked\r\n\r\n");
  EXPECT_EQ(encodeRequestHead(HeaderMap(), false), "GET / HTTP/1.1\r\nhost: \r\n\r\n");
  std::string out;
  appendLastChunk(out, nullptr);
  EXPECT_EQ(out, "0\r\n\r\n");
}

TEST(Encoder, ScansTheRequestLineAsHeaderMapGetFindsIt) {
  // Entries as a filter may leave them: names not lower-case, repeated, in any order.
  HeaderMap h(std::vector<HeaderMap::Entry>{{"x-a", "1"},
                                            {":Method", "HEAD"},
                                            {":AUTHORITY", "up"},
                                            {":path", "/first"},
                                            {":method", "PUT"},
                                            {":path", "/second"},
                                            {"Content-Length", "0"}});
  RequestHeadInfo info = scanRequestHead(h);
  EXPECT_EQ(info.method, *h.get(":method"));
  EXPECT_EQ(info.method, "HEAD");
  EXPECT_EQ(info.path, "/first");
  EXPECT_EQ(info.authority, "up");
  EXPECT_TRUE(info.has_content_length);
  std::string out = "before|";
  appendRequestHead(out, h, info, false);
  EXPECT_EQ(out, "before|HEAD /first HTTP/1.1\r\nhost: up\r\nx-a: 1\r\nContent-Length: 0\r\n\r\n");

  RequestHeadInfo none = scanRequestHead(HeaderMap({{":pat", "/x"}, {"content-lengt", "1"}}));
  EXPECT_EQ(none.method, "GET");
  EXPECT_EQ(none.path, "/");
  EXPECT_EQ(none.authority, "");
  EXPECT_FALSE(none.has_content_length);
}

}  // namespace
}  // namespace meshwasm::gateway
