#include "httpbin.h"

#include "grpc_service.h"  // randomUuidV4

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <random>

namespace meshwasm::gateway {

const std::string_view kTeapotBody =
    "\n"
    "    -=[ teapot ]=-\n"
    "\n"
    "       _...._\n"
    "     .'  _ _ `.\n"
    "    | .\"` ^ `\". _,\n"
    "    \\_;`\"---\"`|//\n"
    "      |       ;/\n"
    "      \\_     _/\n"
    "        `\"\"\"`\n";

namespace {

using Json = nlohmann::json;

std::string titleCase(std::string_view name) {
  std::string out(name);
  bool start = true;
  for (char& c : out) {
    if (start && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    start = c == '-';
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string urlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && hexValue(s[i + 1]) >= 0 &&
               hexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Json parseArgs(std::string_view query) {
  Json args = Json::object();
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    start = amp + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = urlDecode(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : urlDecode(part.substr(eq + 1));
    if (!args.contains(key)) {
      args[key] = value;
    } else if (args[key].is_array()) {
      args[key].push_back(value);
    } else {
      args[key] = Json::array({args[key], value});
    }
  }
  return args;
}

Json headersJson(const HeaderMap& request) {
  Json headers = Json::object();
  for (const auto& [k, v] : request.entries()) {
    if (k.empty()) continue;
    std::string name = k == ":authority" ? "Host" : k[0] == ':' ? "" : titleCase(k);
    if (name.empty()) continue;
    if (headers.contains(name)) {
      headers[name] = headers[name].get<std::string>() + "," + v;
    } else {
      headers[name] = v;
    }
  }
  return headers;
}

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    if (c < 0x80) {
      n = 0;
    } else if ((c >> 5) == 6) {
      n = 1;
    } else if ((c >> 4) == 14) {
      n = 2;
    } else if ((c >> 3) == 30) {
      n = 3;
    } else {
      return false;
    }
    if (i + n >= s.size() && n > 0) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n + 1;
  }
  return true;
}

// httpbin's form for a body that is not text: a base64 data URL.
std::string bodyText(std::string_view body) {
  if (validUtf8(body)) return std::string(body);
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "data:application/octet-stream;base64,";
  size_t i = 0;
  for (; i + 2 < body.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(body[i]) << 16) | (static_cast<uint8_t>(body[i + 1]) << 8) |
                 static_cast<uint8_t>(body[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (i < body.size()) {
    uint32_t v = static_cast<uint8_t>(body[i]) << 16;
    if (i + 1 < body.size()) v |= static_cast<uint8_t>(body[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < body.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool parseNumber(std::string_view s, long long* out) {
  if (s.empty() || s.size() > 12) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

HttpbinResponse json(int status, const Json& body) {
  HttpbinResponse r;
  r.status = status;
  // Header values and bodies are untrusted bytes: invalid UTF-8 is replaced, never thrown on.
  r.body = body.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  r.headers.add("content-type", "application/json");
  return r;
}

HttpbinResponse text(int status, std::string body, std::string_view type) {
  HttpbinResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.add("content-type", type);
  return r;
}

}  // namespace

HttpbinResponse httpbinRespond(const HeaderMap& request, std::string_view body,
                               std::string_view origin) {
  std::string method(request.get(":method").value_or("GET"));
  std::string target(request.get(":path").value_or("/"));
  std::string_view path = target;
  std::string_view query;
  if (size_t q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  std::string url = "http://" + std::string(request.get(":authority").value_or("")) + target;
  std::string client = std::string(request.get("x-forwarded-for").value_or(origin));

  HttpbinResponse r;
  bool anything = path == "/anything" || path.starts_with("/anything/");
  if (path == "/get" || path.starts_with("/delay/") || anything) {
    Json j;
    j["args"] = parseArgs(query);
    j["headers"] = headersJson(request);
    j["origin"] = client;
    j["url"] = url;
    if (path.starts_with("/delay/")) {
      long long n = 0;
      if (!parseNumber(path.substr(7), &n) || n < 0) return text(404, "", "text/html");
      n = std::min<long long>(n, kHttpbinMaxDelaySeconds);
      j["data"] = bodyText(body);
      j["files"] = Json::object();
      j["form"] = Json::object();
      r = json(200, j);
      r.delay = std::chrono::seconds(n);
      return r;
    }
    if (anything) {
      j["data"] = bodyText(body);
      j["files"] = Json::object();
      j["form"] = Json::object();
      j["method"] = method;
      Json parsed = Json::parse(body, nullptr, false);
      j["json"] = parsed.is_discarded() ? Json() : parsed;
      return json(200, j);
    }
    if (method != "GET" && method != "HEAD") return text(405, "", "text/html");
    return json(200, j);
  }
  if (path == "/headers") return json(200, Json{{"headers", headersJson(request)}});
  if (path == "/ip") return json(200, Json{{"origin", client}});
  if (path == "/uuid") return json(200, Json{{"uuid", randomUuidV4()}});
  if (path == "/user-agent") {
    return json(200, Json{{"user-agent", request.get("user-agent").value_or("")}});
  }
  if (path.starts_with("/status/")) {
    long long code = 0;
    if (!parseNumber(path.substr(8), &code) || code < 100 || code > 599) {
      return text(400, "Invalid status code", "text/html; charset=utf-8");
    }
    if (code == 418) {
      r = text(418, std::string(kTeapotBody), "text/html; charset=utf-8");
      r.headers.add("x-more-info", "http://tools.ietf.org/html/rfc2324");
      return r;
    }
    return text(static_cast<int>(code), "", "text/html; charset=utf-8");
  }
  if (path.starts_with("/bytes/")) {
    long long n = 0;
    if (!parseNumber(path.substr(7), &n) || n < 0) return text(404, "", "text/html");
    size_t size = std::min<size_t>(static_cast<size_t>(n), kHttpbinMaxBytes);
    std::string bytes(size, '\0');
    std::mt19937 rng(static_cast<uint32_t>(size));
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    return text(200, std::move(bytes), "application/octet-stream");
  }
  if (path == "/" ) return text(200, "meshwasm built-in httpbin\n", "text/plain");
  return text(404,
              "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>404 Not "
              "Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the "
              "server.  If you entered the URL manually please check your spelling and try "
              "again.</p>\n",
              "text/html");
}

namespace {

class HttpbinRequest final : public UpstreamRequest,
                             public std::enable_shared_from_this<HttpbinRequest> {
 public:
  HttpbinRequest(boost::asio::io_context& io, UpstreamCallbacks& cb, UpstreamContext ctx)
      : io_(io), cb_(&cb), ctx_(std::move(ctx)), timer_(io) {}

  void sendHeaders(const HeaderMap& headers, bool end_stream) override {
    request_ = headers;
    if (end_stream) respond();
  }
  void sendData(std::string_view data, bool end_stream) override {
    if (body_.size() < (1u << 20)) body_.append(data);
    if (end_stream) respond();
  }
  void sendTrailers(const HeaderMap&) override { respond(); }
  void cancel() override {
    cb_ = nullptr;
    timer_.cancel();
  }
  std::string upstreamHost() const override { return kHttpbinCluster; }

 private:
  void respond() {
    response_ = httpbinRespond(request_, body_, ctx_.origin);
    if (request_.get(":method") == "HEAD") response_.body.clear();
    auto self = shared_from_this();
    if (response_.delay.count() > 0) {
      timer_.expires_after(response_.delay);
      timer_.async_wait([self](const boost::system::error_code& ec) {
        if (!ec) self->deliver();
      });
    } else {
      boost::asio::post(io_, [self] { self->deliver(); });
    }
  }
  void deliver() {
    if (!cb_) return;
    HeaderMap headers;
    headers.add(":status", std::to_string(response_.status));
    for (auto& e : response_.headers.entries()) headers.entries().push_back(e);
    headers.add("content-length", std::to_string(
        request_.get(":method") == "HEAD" ? httpbinRespond(request_, body_, ctx_.origin).body.size()
                                          : response_.body.size()));
    headers.add("access-control-allow-origin", "*");
    headers.add("access-control-allow-credentials", "true");
    bool empty = response_.body.empty();
    UpstreamCallbacks* cb = cb_;
    cb->onUpstreamHeaders(std::move(headers), empty);
    if (!empty && cb_) cb_->onUpstreamData(response_.body, true);
  }

  boost::asio::io_context& io_;
  UpstreamCallbacks* cb_;
  UpstreamContext ctx_;
  boost::asio::steady_timer timer_;
  HeaderMap request_;
  std::string body_;
  HttpbinResponse response_;
};

}  // namespace

std::shared_ptr<UpstreamRequest> newHttpbinRequest(boost::asio::io_context& io,
                                                   UpstreamCallbacks& callbacks,
                                                   const UpstreamContext& context) {
  return std::make_shared<HttpbinRequest>(io, callbacks, context);
}

}  // namespace meshwasm::gateway
