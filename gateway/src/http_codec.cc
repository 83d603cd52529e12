#include "http_codec.h"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

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

// Header entries reserved up front (growing the vector one field at a time showed in profiles).
constexpr size_t kExpectedFields = 16;

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
  int version() const { return version_; }
  // The field list's storage moves from one message's parser to the next (no allocation per
  // message once it has grown).
  HeaderMap takeFieldStorage() {
    fields_.entries().clear();
    return std::move(fields_);
  }
  void giveFieldStorage(HeaderMap storage) { fields_ = std::move(storage); }
  bool headers_done = false;
  bool head_response = false;

 private:
  void on_request_impl(http::verb, boost::beast::string_view method,
                       boost::beast::string_view target, int version, error_code&) override {
    method_ = std::string(method);
    target_ = std::string(target);
    version_ = version;
    fields_.entries().reserve(kExpectedFields);
  }
  void on_response_impl(int code, boost::beast::string_view, int version, error_code&) override {
    status_ = code;
    version_ = version;
    fields_.entries().reserve(kExpectedFields);
  }
  void on_field_impl(http::field, boost::beast::string_view name, boost::beast::string_view value,
                     error_code&) override {
    if (in_trailers_) {
      trailers_.add(std::string_view(name.data(), name.size()),
                    std::string_view(value.data(), value.size()));
    } else {
      fields_.add(std::string_view(name.data(), name.size()),
                  std::string_view(value.data(), value.size()));
    }
  }
  void on_header_impl(error_code& ec) override {
    HeaderMap headers;
    headers.entries().reserve(fields_.size() + 6);  // pseudo headers and the proxy's additions
    if constexpr (IsRequest) {
      if (fields_.has("transfer-encoding") && !this->chunked()) {
        error_details = "unsupported transfer encoding";
        ec = http::error::bad_transfer_encoding;
        return;
      }
      if (fields_.has("transfer-encoding") && version_ < 11) {
        error_details = "transfer encoding in an HTTP/1.0 request";
        ec = http::error::bad_transfer_encoding;
        return;
      }
      size_t hosts = 0;
      for (const auto& [k, v] : fields_.entries()) hosts += k == "host";
      if (hosts > 1 || (hosts == 0 && version_ >= 11)) {
        error_details = hosts > 1 ? "duplicate host header" : "missing host header";
        ec = http::error::bad_field;
        return;
      }
      if (target_.empty() || (target_[0] != '/' && target_ != "*")) {
        error_details = "invalid request target";
        ec = http::error::bad_target;
        return;
      }
      headers.add(":authority", fields_.get("host").value_or(""));
      headers.add(":path", target_);
      headers.add(":method", method_);
      headers.add(":scheme", "http");
    } else {
      headers.add(":status", std::to_string(status_));
    }
    // Headers named by Connection are hop-by-hop too.
    std::vector<std::string> extra;
    if (auto conn = fields_.getJoined("connection")) {
      size_t start = 0;
      while (start <= conn->size()) {
        size_t comma = conn->find(',', start);
        if (comma == std::string::npos) comma = conn->size();
        std::string token = toLower(std::string_view(*conn).substr(start, comma - start));
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.erase(0, 1);
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
        if (!token.empty() && token != "close" && token != "keep-alive") extra.push_back(token);
        start = comma + 1;
      }
    }
    for (auto& [k, v] : fields_.entries()) {
      if (IsRequest && k == "host") continue;
      if (isHopByHop(k)) continue;
      bool named = false;
      for (const auto& e : extra) named = named || e == k;
      if (named) continue;
      headers.entries().emplace_back(std::move(k), std::move(v));
    }
    fields_.entries().clear();  // moved-from entries; the capacity is kept for the next message
    headers_done = true;
    headers_eos_ = this->is_done();
    cb_.onHeaders(std::move(headers), headers_eos_);
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
  std::string method_;
  std::string target_;
  int version_ = 11;
  int status_ = 0;
  HeaderMap fields_;
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
    HeaderMap storage;
    if (parser_) storage = parser_->takeFieldStorage();
    parser_.reset();
    parser_.emplace(cb_, limits_);  // in place: no allocation per message
    parser_->giveFieldStorage(std::move(storage));
    setHeadResponse(head);
  }
  void setHeadResponse(bool head) override {
    parser_->head_response = head;
    if constexpr (!IsRequest) parser_->skip(head);
  }
  bool keepAlive() const override { return parser_->keep_alive(); }
  bool http10() const override { return parser_->version() < 11; }
  bool chunked() const override { return parser_->chunked(); }
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

// "name: value\r\n" for every header that goes on the wire: sized once, then copied in place.
void appendHeaders(std::string& out, const HeaderMap& headers) {
  size_t size = 0;
  for (const auto& [k, v] : headers.entries()) {
    if (isWritten(k)) size += k.size() + v.size() + 4;
  }
  size_t pos = out.size();
  out.resize(pos + size);
  char* p = out.data() + pos;
  for (const auto& [k, v] : headers.entries()) {
    if (!isWritten(k)) continue;
    std::memcpy(p, k.data(), k.size());
    p += k.size();
    *p++ = ':';
    *p++ = ' ';
    std::memcpy(p, v.data(), v.size());
    p += v.size();
    *p++ = '\r';
    *p++ = '\n';
  }
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
  out.reserve(256);
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
  out.append("HTTP/1.1 ");
  out.append(digits, digits_end);
  out.push_back(' ');
  out.append(reasonPhrase(status));
  out.append("\r\n");
  appendHeaders(out, headers);
  if (chunked) out.append("transfer-encoding: chunked\r\n");
  if (close) out.append("connection: close\r\n");
  out.append("\r\n");
}

std::string encodeRequestHead(const HeaderMap& headers, bool chunked) {
  std::string out;
  out.reserve(256);
  out.append(headers.get(":method").value_or("GET"));
  out.push_back(' ');
  out.append(headers.get(":path").value_or("/"));
  out.append(" HTTP/1.1\r\nhost: ");
  out.append(headers.get(":authority").value_or(""));
  out.append("\r\n");
  appendHeaders(out, headers);
  if (chunked) out.append("transfer-encoding: chunked\r\n");
  out.append("\r\n");
  return out;
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
  out.append("0\r\n");
  if (trailers) appendHeaders(out, *trailers);
  out.append("\r\n");
}

}  // namespace meshwasm::gateway
