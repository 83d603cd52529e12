// HTTP/1.1 message codec: a streaming decoder on Beast's basic_parser that turns bytes into
// header / body / trailer events, and the encoders for request and response heads and chunks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "meshwasm/gateway/header_map.h"

namespace meshwasm::gateway {

class MessageCallbacks {
 public:
  virtual ~MessageCallbacks() = default;
  // Requests carry `:method`, `:path`, `:authority` (from Host), `:scheme`; responses `:status`
  // (always their first entry).
  // Hop-by-hop framing headers (transfer-encoding, connection, keep-alive, ...) are removed.
  virtual void onHeaders(HeaderMap headers, bool end_stream) = 0;
  virtual void onData(std::string_view data, bool end_stream) = 0;
  virtual void onTrailers(HeaderMap trailers) = 0;
};

enum class DecodeResult {
  Ok,                // consumed what it could; wants more bytes or the message is complete
  BadMessage,        // 400
  HeadersTooLarge,   // 431
  BodyTooLarge,      // 413
};

struct DecoderLimits {
  uint32_t max_header_bytes = 60 * 1024;
  uint64_t max_body_bytes = UINT64_MAX;
};

class MessageDecoder {
 public:
  static std::unique_ptr<MessageDecoder> forRequests(MessageCallbacks& callbacks,
                                                     DecoderLimits limits);
  static std::unique_ptr<MessageDecoder> forResponses(MessageCallbacks& callbacks);
  virtual ~MessageDecoder() = default;

  // Consumes bytes of one message and stops at its end (pipelined bytes are left over).
  // `consumed` receives how many bytes were used; unused bytes must be offered again with more.
  virtual DecodeResult feed(std::string_view data, size_t* consumed) = 0;
  // The peer closed: completes a read-to-EOF response body. False if the message is partial.
  virtual bool feedEof() = 0;
  virtual bool complete() const = 0;
  virtual bool started() const = 0;
  // Starts the next message on the same connection.
  virtual void reset() = 0;
  // Gives a finished request's header map back after reset(): the next request's map is built
  // in its storage (the entry vector's capacity; the pseudo header entries when they are still
  // the first four). Its entries are replaced, never read. Response decoders ignore it.
  virtual void reuseHeaders(HeaderMap headers) { (void)headers; }
  // The response belongs to a HEAD request (no body whatever the headers say).
  virtual void setHeadResponse(bool head) = 0;
  virtual bool keepAlive() const = 0;
  virtual bool http10() const = 0;
  virtual bool chunked() const = 0;
  // The message's head has an Expect header (any value).
  virtual bool hasExpect() const = 0;
  virtual const std::string& errorDetails() const = 0;
};

// "HTTP/1.1 418 I'm a teapot\r\n" + headers (pseudo headers skipped) + framing + "\r\n".
// framing: content-length kept as given; `chunked` adds transfer-encoding: chunked.
std::string encodeResponseHead(const HeaderMap& headers, bool chunked, bool close);
// The same, appended to `out`.
void appendResponseHead(std::string& out, const HeaderMap& headers, bool chunked, bool close);
// The same with the status already known (the ":status" entry is not read).
void appendResponseHead(std::string& out, const HeaderMap& headers, int status, bool chunked,
                        bool close);
// What an upstream request head needs of a request map, found in one pass: the first
// :method, :path and :authority (names compared as HeaderMap::get compares them; "GET", "/" and
// "" when absent), whether it has a content-length, and an upper bound of the encoded size.
struct RequestHeadInfo {
  std::string_view method = "GET";
  std::string_view path = "/";
  std::string_view authority = "";
  bool has_content_length = false;
  size_t bound = 0;
};
RequestHeadInfo scanRequestHead(const HeaderMap& headers);
// "GET /path HTTP/1.1\r\nhost: ...\r\n" ...
std::string encodeRequestHead(const HeaderMap& headers, bool chunked);
// The same, appended to `out`; `info` is scanRequestHead(headers).
void appendRequestHead(std::string& out, const HeaderMap& headers, const RequestHeadInfo& info,
                       bool chunked);
void appendChunk(std::string& out, std::string_view data);
void appendLastChunk(std::string& out, const HeaderMap* trailers);
std::string_view reasonPhrase(int status);

}  // namespace meshwasm::gateway
