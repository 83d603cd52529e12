#include "http_codec.h"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

namespace meshwasm::gateway {

namespace http = boost::beast::http;
using boost::beast::error_code;

namespace {

bool isHopByHop(std::string_view name) {
  switch (name.size()) {  // by length first: this runs for every header of every message
    case 2: return name == "te";
    case 7: return name == "upgrade";
    case 10: return name == "connection" || name == "keep-alive";
    case 16: return name == "proxy-connection";
    case 17: return name == "transfer-encoding";
    default: return false;
  }
}

// The framing headers a proxy consumes (never forwarded), by Beast's field code.
bool isHopByHopField(http::field f) {
  switch (f) {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::te:
    case http::field::transfer_encoding:
    case http::field::upgrade:
      return true;
    default:
      return false;
  }
}

// Beast's name of every field it knows, lower-cased once: a field it recognised (compared
// case-insensitively, same length) gets its entry name from here, so its wire name is never
// lower-cased per message.
class LowerCaseFieldNames {
 public:
  LowerCaseFieldNames() {
    for (unsigned i = 1; i <= kLast; ++i) {
      boost::beast::string_view name = http::to_string(static_cast<http::field>(i));
      names_[i] = toLower(std::string_view(name.data(), name.size()));
      auto f = static_cast<http::field>(i);
      special_[i] = f == http::field::host || f == http::field::expect || isHopByHopField(f);
    }
  }
  // Empty for field::unknown.
  const std::string& operator[](http::field f) const { return names_[static_cast<unsigned>(f)]; }
  // Host, Expect and the hop-by-hop fields: the decoder does more than store them.
  bool special(http::field f) const { return special_[static_cast<unsigned>(f)]; }

 private:
  static constexpr unsigned kLast = static_cast<unsigned>(http::field::xref);
  std::string names_[kLast + 1];
  bool special_[kLast + 1] = {};
};

const LowerCaseFieldNames kFieldNames;

// Header entries reserved up front: the pseudo headers, the fields and the proxy's additions
// (growing the vector one field at a time showed in profiles).
constexpr size_t kExpectedEntries = 20;

// Appends an entry whose name is already lower-case (pseudo headers).
void addLowerCase(HeaderMap& map, std::string_view name, std::string_view value) {
  map.entries().emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                             std::forward_as_tuple(value));
}

// Appends a field as Beast reported it: a known field under its lower-case name from the table.
void addField(HeaderMap& map, http::field f, std::string_view name, std::string_view value) {
  if (f == http::field::unknown) {
    map.add(name, value);
  } else {
    addLowerCase(map, kFieldNames[f], value);
  }
}

bool isOws(char c) {
  return c == ' ' || c == '\t';
}

// Every token of a Connection value (comma-separated, optional white space around), in order.
template <typename Fn>
void forEachToken(std::string_view list, Fn&& fn) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view token = list.substr(start, comma - start);
    while (!token.empty() && isOws(token.front())) token.remove_prefix(1);
    while (!token.empty() && isOws(token.back())) token.remove_suffix(1);
    if (!token.empty()) fn(token);
    start = comma + 1;
  }
}

// Connection options that name no header (the connection's own state); compared as sent
// (usually lower-case) before case-insensitively.
bool isConnectionOption(std::string_view token) {
  switch (token.size()) {
    case 5: return token == "close" || equalsIgnoreCase(token, "close");
    case 10: return token == "keep-alive" || equalsIgnoreCase(token, "keep-alive");
    default: return false;
  }
}

// `name` (or a value) is exactly the literal `expected` (a fixed-size comparison the compiler
// inlines).
template <size_t N>
bool isName(const std::string& name, const char (&expected)[N]) {
  return name.size() == N - 1 && std::memcmp(name.data(), expected, N - 1) == 0;
}

// The message's header map is built in place as Beast reports the head: pseudo headers first
// (request line, status line), then every field in wire order except Host (it becomes
// :authority) and the hop-by-hop ones; headers that Connection names go when the head is complete.
template <bool IsRequest>
class Parser final : public http::basic_parser<IsRequest> {
 public:
  Parser(MessageCallbacks& cb, DecoderLimits limits) : cb_(cb), limits_(limits) { configure(); }

  void configure() {
    this->eager(true);
    this->header_limit(limits_.max_header_bytes);
    if constexpr (IsRequest) {
      this->body_limit(limits_.max_body_bytes);
    } else {
      // Beast 1.74 compares the length against the optional limit, and "none" is smaller
      // than every length: no limit is the largest value instead.
      this->body_limit(std::numeric_limits<std::uint64_t>::max());
    }
  }

  std::string error_details;
  // Storage for the next message's map (before it started).
  void adoptHeaders(HeaderMap&& headers) { headers_ = std::move(headers); }
  int version() const { return version_; }
  bool hasExpect() const { return has_expect_; }
  bool headers_done = false;
  bool head_response = false;

 private:
  // Request entries 0..3: :authority (filled from Host), :path, :method, :scheme.
  static constexpr size_t kPseudoCount = IsRequest ? 4 : 1;

  void on_request_impl(http::verb, boost::beast::string_view method,
                       boost::beast::string_view target, int version, error_code&) override {
    version_ = version;
    target_ok_ = !target.empty() && (target[0] == '/' || target == "*");
    std::string_view path(target.data(), target.size());
    std::string_view verb(method.data(), method.size());
    auto& entries = headers_.entries();
    if (entries.size() >= kPseudoCount && isName(entries[0].first, ":authority") &&
        isName(entries[1].first, ":path") && isName(entries[2].first, ":method") &&
        isName(entries[3].first, ":scheme")) {
      // A previous request's map (reuseHeaders): its pseudo entries get the new values.
      entries.erase(entries.begin() + kPseudoCount, entries.end());
      // clear() + append(): append's path is shorter than assign's (which allows overlap).
      entries[0].second.clear();
      entries[1].second.clear();
      entries[1].second.append(path);
      entries[2].second.clear();
      entries[2].second.append(verb);
      if (!isName(entries[3].second, "http")) entries[3].second.assign("http", 4);
      return;
    }
    entries.clear();
    entries.reserve(kExpectedEntries);
    addLowerCase(headers_, ":authority", {});
    addLowerCase(headers_, ":path", path);
    addLowerCase(headers_, ":method", verb);
    addLowerCase(headers_, ":scheme", "http");
  }
  void on_response_impl(int code, boost::beast::string_view, int version, error_code&) override {
    version_ = version;
    // Beast read three digits: the code is below 1000 (written without leading zeros).
    char digits[3];
    size_t n = 3;
    if (code >= 100) {
      digits[0] = static_cast<char>('0' + code / 100);
      digits[1] = static_cast<char>('0' + code / 10 % 10);
      digits[2] = static_cast<char>('0' + code % 10);
    } else {
      n = static_cast<size_t>(std::to_chars(digits, digits + sizeof(digits), code).ptr - digits);
    }
    headers_.entries().reserve(kExpectedEntries);
    addLowerCase(headers_, ":status", std::string_view(digits, n));
  }
  void on_field_impl(http::field f, boost::beast::string_view name,
                     boost::beast::string_view value, error_code&) override {
    std::string_view n(name.data(), name.size());
    std::string_view v(value.data(), value.size());
    if (in_trailers_) {
      addField(trailers_, f, n, v);
      return;
    }
    if (!kFieldNames.special(f)) {  // most fields: stored as they are
      addField(headers_, f, n, v);
      return;
    }
    if (f == http::field::expect) has_expect_ = true;
    if (IsRequest && f == http::field::host) {
      if (hosts_++ == 0) headers_.entries()[0].second.assign(v);
      return;
    }
    if (isHopByHopField(f)) {
      if (f == http::field::transfer_encoding) has_transfer_encoding_ = true;
      if (f == http::field::connection) {
        if (has_connection_) connection_.push_back(',');
        connection_.append(v);
        has_connection_ = true;
      }
      return;
    }
    addField(headers_, f, n, v);
  }
  void on_header_impl(error_code& ec) override {
    if constexpr (IsRequest) {
      if (has_transfer_encoding_ && !this->chunked()) {
        error_details = "unsupported transfer encoding";
        ec = http::error::bad_transfer_encoding;
        return;
      }
      if (has_transfer_encoding_ && version_ < 11) {
        error_details = "transfer encoding in an HTTP/1.0 request";
        ec = http::error::bad_transfer_encoding;
        return;
      }
      if (hosts_ > 1 || (hosts_ == 0 && version_ >= 11)) {
        error_details = hosts_ > 1 ? "duplicate host header" : "missing host header";
        ec = http::error::bad_field;
        return;
      }
      if (!target_ok_) {
        error_details = "invalid request target";
        ec = http::error::bad_target;
        return;
      }
    }
    if (has_connection_) dropConnectionNamed();
    headers_done = true;
    headers_eos_ = this->is_done();
    cb_.onHeaders(std::move(headers_), headers_eos_);
  }
  // Headers named by Connection are hop-by-hop too (close and keep-alive name no header here).
  void dropConnectionNamed() {
    // The usual values ("keep-alive", "close") name no header: nothing is copied for them.
    bool names_header = false;
    forEachToken(connection_, [&](std::string_view token) {
      names_header = names_header || !isConnectionOption(token);
    });
    if (!names_header) return;
    std::vector<std::string> named;
    forEachToken(connection_, [&](std::string_view token) {
      if (!isConnectionOption(token)) named.push_back(toLower(token));
    });
    auto& entries = headers_.entries();
    auto first_field = entries.begin() + static_cast<std::ptrdiff_t>(kPseudoCount);
    entries.erase(std::remove_if(first_field, entries.end(),
                                 [&](const HeaderMap::Entry& e) {
                                   return std::find(named.begin(), named.end(), e.first) !=
                                          named.end();
                                 }),
                  entries.end());
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, error_code&) override {
    cb_.onData(std::string_view(body.data(), body.size()), false);
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view, error_code&) override {
    if (size == 0) in_trailers_ = true;
  }
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                 error_code&) override {
    cb_.onData(std::string_view(body.data(), body.size()), false);
    return body.size();
  }
  void on_finish_impl(error_code&) override {
    if (headers_eos_) return;
    if (!trailers_.empty()) {
      cb_.onTrailers(std::move(trailers_));
      trailers_ = HeaderMap();
    } else {
      cb_.onData(std::string_view(), true);
    }
  }

  MessageCallbacks& cb_;
  DecoderLimits limits_;
  int version_ = 11;
  size_t hosts_ = 0;
  bool target_ok_ = false;
  bool has_transfer_encoding_ = false;
  bool has_connection_ = false;
  bool has_expect_ = false;
  std::string connection_;  // every Connection value, joined with ","
  HeaderMap headers_;
  HeaderMap trailers_;
  bool in_trailers_ = false;
  bool headers_eos_ = false;
};

template <bool IsRequest>
class Decoder final : public MessageDecoder {
 public:
  Decoder(MessageCallbacks& cb, DecoderLimits limits) : cb_(cb), limits_(limits) { reset(); }

  DecodeResult feed(std::string_view data, size_t* consumed) override {
    *consumed = 0;
    while (*consumed < data.size() && !parser_->is_done()) {
      error_code ec;
      size_t n = parser_->put(
          boost::asio::const_buffer(data.data() + *consumed, data.size() - *consumed), ec);
      *consumed += n;
      if (ec == http::error::need_more) break;
      if (ec) return classify(ec);
      if (n == 0) break;
    }
    return DecodeResult::Ok;
  }
  bool feedEof() override {
    if (!parser_->got_some()) return false;
    error_code ec;
    parser_->put_eof(ec);
    return !ec;
  }
  bool complete() const override { return parser_->is_done(); }
  bool started() const override { return parser_->got_some(); }
  void reset() override {
    bool head = parser_ && parser_->head_response;
    parser_.reset();
    parser_.emplace(cb_, limits_);  // in place: no allocation per message
    setHeadResponse(head);
  }
  void reuseHeaders(HeaderMap headers) override {
    if constexpr (IsRequest) {
      if (!parser_->got_some()) parser_->adoptHeaders(std::move(headers));
    }
  }
  void setHeadResponse(bool head) override {
    parser_->head_response = head;
    if constexpr (!IsRequest) parser_->skip(head);
  }
  bool keepAlive() const override { return parser_->keep_alive(); }
  bool http10() const override { return parser_->version() < 11; }
  bool chunked() const override { return parser_->chunked(); }
  bool hasExpect() const override { return parser_->hasExpect(); }
  const std::string& errorDetails() const override { return details_; }

 private:
  DecodeResult classify(const error_code& ec) {
    details_ = parser_->error_details.empty() ? ec.message() : parser_->error_details;
    if (ec == http::error::header_limit) return DecodeResult::HeadersTooLarge;
    if (ec == http::error::body_limit) return DecodeResult::BodyTooLarge;
    return DecodeResult::BadMessage;
  }
  MessageCallbacks& cb_;
  DecoderLimits limits_;
  std::optional<Parser<IsRequest>> parser_;
  std::string details_;
};

bool isWritten(const std::string& name) {
  return !(!name.empty() && name[0] == ':') && !isHopByHop(name);
}

// Encoders size the output once (an upper bound: every entry counted), write through a pointer
// and cut the string to what was written: no append's capacity check per piece.
size_t headersBound(const HeaderMap& headers) {
  size_t size = 0;
  for (const auto& [k, v] : headers.entries()) size += k.size() + v.size() + 4;
  return size;
}

char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// "name: value\r\n" for every header that goes on the wire.
char* putHeaders(char* p, const HeaderMap& headers) {
  for (const auto& [k, v] : headers.entries()) {
    if (!isWritten(k)) continue;
    p = put(p, k);
    *p++ = ':';
    *p++ = ' ';
    p = put(p, v);
    *p++ = '\r';
    *p++ = '\n';
  }
  return p;
}

constexpr std::string_view kChunkedFraming = "transfer-encoding: chunked\r\n";
constexpr std::string_view kCloseFraming = "connection: close\r\n";

// Grows `out` by `bound` bytes and returns where the new bytes go.
char* extend(std::string& out, size_t bound) {
  size_t pos = out.size();
  out.resize(pos + bound);
  return out.data() + pos;
}

void finish(std::string& out, const char* end) {
  out.resize(static_cast<size_t>(end - out.data()));
}

}  // namespace

std::unique_ptr<MessageDecoder> MessageDecoder::forRequests(MessageCallbacks& callbacks,
                                                            DecoderLimits limits) {
  return std::make_unique<Decoder<true>>(callbacks, limits);
}

std::unique_ptr<MessageDecoder> MessageDecoder::forResponses(MessageCallbacks& callbacks) {
  return std::make_unique<Decoder<false>>(callbacks, DecoderLimits{});
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 418: return "I'm a teapot";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

std::string encodeResponseHead(const HeaderMap& headers, bool chunked, bool close) {
  std::string out;
  appendResponseHead(out, headers, chunked, close);
  return out;
}

void appendResponseHead(std::string& out, const HeaderMap& headers, bool chunked, bool close) {
  appendResponseHead(out, headers, statusCode(headers).value_or(200), chunked, close);
}

void appendResponseHead(std::string& out, const HeaderMap& headers, int status, bool chunked,
                        bool close) {
  char digits[16];
  auto [digits_end, digits_ec] = std::to_chars(digits, digits + sizeof(digits), status);
  std::string_view code(digits, static_cast<size_t>(digits_end - digits));
  std::string_view reason = reasonPhrase(status);
  constexpr std::string_view kVersion = "HTTP/1.1 ";
  size_t bound = kVersion.size() + code.size() + 1 + reason.size() + 2 + headersBound(headers) +
                 kChunkedFraming.size() + kCloseFraming.size() + 2;
  char* p = extend(out, bound);
  p = put(p, kVersion);
  p = put(p, code);
  *p++ = ' ';
  p = put(p, reason);
  *p++ = '\r';
  *p++ = '\n';
  p = putHeaders(p, headers);
  if (chunked) p = put(p, kChunkedFraming);
  if (close) p = put(p, kCloseFraming);
  *p++ = '\r';
  *p++ = '\n';
  finish(out, p);
}

namespace {

// `name` is `expected`, compared as HeaderMap::get compares names (the exact bytes first, then
// ignoring ASCII case); the caller checked that the sizes are equal.
template <size_t N>
bool isNamed(const std::string& name, const char (&expected)[N]) {
  return std::memcmp(name.data(), expected, N - 1) == 0 ||
         equalsIgnoreCase(name, std::string_view(expected, N - 1));
}

}  // namespace

RequestHeadInfo scanRequestHead(const HeaderMap& headers) {
  RequestHeadInfo info;
  bool method = false, path = false, authority = false;
  size_t bound = 0;
  for (const auto& [k, v] : headers.entries()) {
    bound += k.size() + v.size() + 4;
    switch (k.size()) {  // by length first: most names match none of the four
      case 5:
        if (!path && isNamed(k, ":path")) {
          path = true;
          info.path = v;
        }
        break;
      case 7:
        if (!method && isNamed(k, ":method")) {
          method = true;
          info.method = v;
        }
        break;
      case 10:
        if (!authority && isNamed(k, ":authority")) {
          authority = true;
          info.authority = v;
        }
        break;
      case 14:
        if (!info.has_content_length && isNamed(k, "content-length")) {
          info.has_content_length = true;
        }
        break;
      default:
        break;
    }
  }
  info.bound = bound;
  return info;
}

std::string encodeRequestHead(const HeaderMap& headers, bool chunked) {
  std::string out;
  appendRequestHead(out, headers, scanRequestHead(headers), chunked);
  return out;
}

void appendRequestHead(std::string& out, const HeaderMap& headers, const RequestHeadInfo& info,
                       bool chunked) {
  constexpr std::string_view kVersionHost = " HTTP/1.1\r\nhost: ";
  char* p = extend(out, info.method.size() + 1 + info.path.size() + kVersionHost.size() +
                            info.authority.size() + 2 + info.bound + kChunkedFraming.size() + 2);
  p = put(p, info.method);
  *p++ = ' ';
  p = put(p, info.path);
  p = put(p, kVersionHost);
  p = put(p, info.authority);
  *p++ = '\r';
  *p++ = '\n';
  p = putHeaders(p, headers);
  if (chunked) p = put(p, kChunkedFraming);
  *p++ = '\r';
  *p++ = '\n';
  finish(out, p);
}

void appendChunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  char size[20];
  int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  out.append(size, static_cast<size_t>(n));
  out.append(data);
  out.append("\r\n");
}

void appendLastChunk(std::string& out, const HeaderMap* trailers) {
  char* p = extend(out, 3 + (trailers ? headersBound(*trailers) : 0) + 2);
  p = put(p, "0\r\n");
  if (trailers) p = putHeaders(p, *trailers);
  *p++ = '\r';
  *p++ = '\n';
  finish(out, p);
}

}  // namespace meshwasm::gateway
