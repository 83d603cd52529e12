#include "active_stream.h"

#include <array>
#include <charconv>
#include <cstring>
#include <ctime>
#include <random>

#include "access_log.h"
#include "http_codec.h"
#include "session.h"

namespace meshwasm::gateway {

namespace {

// xoshiro256** (Blackman and Vigna), one per worker thread, seeded from std::random_device
// through splitmix64: a few instructions per 64 random bits where std::mt19937_64 spent
// hundreds per request (its state refills and copies showed in profiles).
class FastRandom {
 public:
  FastRandom() {
    std::random_device device;
    uint64_t seed = (uint64_t{device()} << 32) ^ device();
    for (uint64_t& word : s_) word = splitMix(seed);
  }
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitMix(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

// HeaderMap::set for a lower-case constant name without rewriting the map in the usual cases:
// no entry yet (appended) or exactly one (its value replaced in place). Same result as set.
void setHeader(HeaderMap& headers, std::string_view name, std::string_view value) {
  HeaderMap::Entry* found = nullptr;
  for (auto& entry : headers.entries()) {
    const std::string& k = entry.first;
    if (k.size() != name.size() || (k != name && !equalsIgnoreCase(k, name))) continue;
    if (found) {
      headers.set(name, value);  // repeated: set's rules (one entry, at the first position)
      return;
    }
    found = &entry;
  }
  if (found) {
    found->second.assign(value);
  } else {
    headers.entries().emplace_back(name, value);
  }
}

// `k` is the literal `name`, compared as HeaderMap::get compares names (the exact bytes first,
// then ignoring ASCII case). Every caller checked that the sizes are equal, so the exact
// comparison is a fixed-size memcmp the compiler inlines.
template <size_t N>
bool isName(const std::string& k, const char (&name)[N]) {
  return std::memcmp(k.data(), name, N - 1) == 0 ||
         equalsIgnoreCase(k, std::string_view(name, N - 1));
}

// `value` in `storage`, whose buffer is reused: copied over it when the sizes match (the usual
// case: the same kind of value as the previous request's).
std::string&& reuse(std::string& storage, std::string_view value) {
  if (storage.size() == value.size()) {
    std::memcpy(storage.data(), value.data(), value.size());
  } else {
    storage.assign(value);
  }
  return std::move(storage);
}

// What the connection manager does to every response head, in one pass over the map: setHeader
// for "date" and then "server" (same result), and whether a content-length is present. A date
// entry appended is built in `date_storage`'s buffer (see reuse()); `*date_at` is where it
// went (unchanged when none was appended).
bool setDateAndServer(HeaderMap& headers, std::string_view date, std::string_view server,
                      std::string& date_storage, size_t* date_at) {
  HeaderMap::Entry* date_entry = nullptr;
  HeaderMap::Entry* server_entry = nullptr;
  bool repeated = false;
  bool has_length = false;
  for (auto& entry : headers.entries()) {
    const std::string& k = entry.first;
    if (k.size() == 4 && isName(k, "date")) {
      repeated |= date_entry != nullptr;
      date_entry = &entry;
    } else if (k.size() == 6 && isName(k, "server")) {
      repeated |= server_entry != nullptr;
      server_entry = &entry;
    } else if (k.size() == 14 && isName(k, "content-length")) {
      has_length = true;
    }
  }
  if (repeated) {  // set's rules for the repeated name
    setHeader(headers, "date", date);
    setHeader(headers, "server", server);
    return has_length;
  }
  // Replaced in place first: appending may move the entries.
  if (date_entry) date_entry->second.assign(date);
  if (server_entry) server_entry->second.assign(server);
  if (!date_entry) {
    *date_at = headers.size();
    headers.entries().emplace_back("date", reuse(date_storage, date));
  }
  if (!server_entry) headers.entries().emplace_back("server", server);
  return has_length;
}

// The entry at `at` of a map that is only storage by now, or nullptr. A filter may have changed
// the map since the entry went there: whatever string is there serves as storage as well.
HeaderMap::Entry* entryAt(HeaderMap* headers, size_t at) {
  if (headers == nullptr || at >= headers->size()) return nullptr;
  return &headers->entries()[at];
}

// What a new StreamInfo has, without rewriting an equal string (the usual case: no filter
// changed it).
void assignIfChanged(std::string& field, std::string_view value) {
  if (field != value) field.assign(value);
}

// The wall-clock time of a steady-clock reading: the two clocks' offset is read at most once a
// second per thread, so a stream's start costs one clock read instead of two. A step of the
// system clock shows within a second.
std::chrono::system_clock::time_point wallTime(std::chrono::steady_clock::time_point steady) {
  thread_local std::chrono::steady_clock::time_point steady_at{};
  thread_local std::chrono::system_clock::time_point wall_at{};
  if (steady - steady_at >= std::chrono::seconds(1) || steady < steady_at) {
    wall_at = std::chrono::system_clock::now();
    steady_at = std::chrono::steady_clock::now();
  }
  return wall_at +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(steady - steady_at);
}

const std::string& httpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = buf;
  }
  return cached;
}

}  // namespace

void writeRequestId(char* out) {
  thread_local FastRandom rng;
  uint64_t hi = rng.next(), lo = rng.next();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1 (RFC 4122)
  // Two lower-case hex digits per byte from a table; where each byte's digits go in
  // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
  static constexpr auto kPairs = [] {
    std::array<char, 512> t{};
    constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < 256; ++i) {
      t[2 * i] = kHex[i >> 4];
      t[2 * i + 1] = kHex[i & 15];
    }
    return t;
  }();
  static constexpr uint8_t kOffset[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    int shift = 56 - 8 * i;
    std::memcpy(out + kOffset[i], &kPairs[2 * ((hi >> shift) & 0xff)], 2);
    std::memcpy(out + kOffset[8 + i], &kPairs[2 * ((lo >> shift) & 0xff)], 2);
  }
  out[8] = out[13] = out[18] = out[23] = '-';
}

ActiveStream::ActiveStream(Session& session) : session_(session) {
  fm_.emplace(session.worker().filter_factories, *this, info_,
              session.worker().config.buffer_limit_bytes);
  // The connection's addresses, the same for every request it carries (only read after this).
  info_.downstream_local_address = session_.localAddress();
  info_.downstream_remote_address = session_.remoteAddress();
}

ActiveStream::~ActiveStream() {
  if (upstream_) upstream_->cancel();
}

void ActiveStream::begin() {
  info_.start_steady = session_.now();
  info_.start_time = wallTime(info_.start_steady);
  fm_->beginStream();
}

void ActiveStream::end() {
  if (upstream_) {
    upstream_->cancel();
    upstream_.reset();
  }
  // The response went out (onLog read it in finalize()): its date value's buffer is kept.
  if (HeaderMap::Entry* date = entryAt(fm_->responseHeaders(), date_at_)) {
    spare_date_ = std::move(date->second);
  }
  date_at_ = request_id_at_ = forwarded_proto_at_ = kNotAdded;
  fm_->endStream();
  // StreamInfo as a new stream has it (begin() sets the times; the addresses stay); the strings
  // keep their storage.
  info_.request_id.clear();
  assignIfChanged(info_.protocol, "HTTP/1.1");
  info_.bytes_received = 0;
  info_.bytes_sent = 0;
  info_.response_code = 0;
  info_.response_code_details.clear();
  info_.response_flags = kNoFlags;
  assignIfChanged(info_.route_name, "default");
  info_.upstream_cluster.clear();
  info_.upstream_host.clear();
  info_.upstream_service_time.reset();
  info_.reset = false;
  upstream_start_ = {};
  chunked_ = false;
  response_complete_ = false;
  routed_ = false;
}

void ActiveStream::decodeHeaders(HeaderMap headers, bool end_stream) {
  // Connection-manager edits made before the filter chain (reference 7.2): x-request-id kept or
  // generated, x-forwarded-proto set. One pass finds both (the first of each) and :method.
  const std::string* id = nullptr;
  HeaderMap::Entry* proto = nullptr;
  bool proto_repeated = false;
  bool head_request = false;
  bool method_seen = false;
  for (auto& entry : headers.entries()) {
    const std::string& k = entry.first;
    switch (k.size()) {
      case 7:
        if (!method_seen && isName(k, ":method")) {
          method_seen = true;
          head_request = entry.second == "HEAD";
        }
        break;
      case 12:
        if (!id && isName(k, "x-request-id")) id = &entry.second;
        break;
      case 17:
        if (isName(k, "x-forwarded-proto")) {
          proto_repeated |= proto != nullptr;
          proto = &entry;
        }
        break;
    }
  }
  const bool id_given = id && !id->empty();
  if (id_given) {
    info_.request_id.assign(*id);
  } else {
    char generated[kRequestIdSize];
    writeRequestId(generated);
    info_.request_id.assign(generated, kRequestIdSize);
  }
  if ((id && !id_given) || proto_repeated) {
    // Rare (x-request-id present but empty, x-forwarded-proto repeated): HeaderMap::set's rules,
    // in the same order as the usual case.
    if (!id_given) headers.set("x-request-id", info_.request_id);
    setHeader(headers, "x-forwarded-proto", "http");
  } else {
    if (proto) proto->second.assign("http");  // in place first: appending may move the entries
    if (!id) {
      request_id_at_ = headers.size();
      headers.entries().emplace_back("x-request-id", reuse(spare_request_id_, info_.request_id));
    }
    if (!proto) {
      forwarded_proto_at_ = headers.size();
      headers.entries().emplace_back(reuse(spare_forwarded_proto_, "x-forwarded-proto"), "http");
    }
  }
  fm_->decodeHeaders(std::move(headers), end_stream, head_request);
}

void ActiveStream::decodeData(std::string_view data, bool end_stream) {
  info_.bytes_received += data.size();
  fm_->decodeData(data, end_stream);
}

void ActiveStream::decodeTrailers(HeaderMap trailers) { fm_->decodeTrailers(std::move(trailers)); }

void ActiveStream::codecError(int status, std::string body) {
  if (response_complete_) return;
  fm_->sendLocalReply(status, std::move(body), "http1.codec_error");
}

void ActiveStream::streamIdleTimeout() {
  info_.response_flags |= kStreamIdleTimeout;
  if (response_complete_) return;
  fm_->sendLocalReply(408, "stream timeout", "stream_idle_timeout");
}

void ActiveStream::downstreamDisconnected() {
  if (response_complete_) return;
  info_.response_flags |= kDownstreamConnectionTermination;
  if (info_.response_code_details.empty()) {
    info_.response_code_details = "downstream_remote_disconnect";
  }
  fm_->markReset();
  abortUpstream();
}

void ActiveStream::finalize() {
  Worker& w = session_.worker();
  if (w.access_log) w.access_log->write(formatAccessLog(info_, fm_->requestHeaders()));
  fm_->finish();
  // Nothing reads the request's map any more (the session keeps it as storage for the next
  // request's): the entries added in decodeHeaders come back.
  HeaderMap* request = fm_->requestHeaders();
  if (HeaderMap::Entry* id = entryAt(request, request_id_at_)) {
    spare_request_id_ = std::move(id->second);
  }
  if (HeaderMap::Entry* proto = entryAt(request, forwarded_proto_at_)) {
    spare_forwarded_proto_ = std::move(proto->first);
  }
  request_id_at_ = forwarded_proto_at_ = kNotAdded;
}

// ------------------------------------------------------------------ router

void ActiveStream::routeHeaders(HeaderMap& headers, bool end_stream) {
  Worker& w = session_.worker();
  const std::string& cluster = w.config.route_cluster;
  info_.upstream_cluster = cluster;
  routed_ = true;
  upstream_ = w.clusters.newRequest(cluster, *this, UpstreamContext{session_.remoteIp()});
  if (!upstream_) {
    info_.response_flags |= kNoClusterFound;
    fm_->sendLocalReply(503, "", "cluster_not_found");
    return;
  }
  info_.upstream_host = upstream_->upstreamHost();
  upstream_start_ = session_.now();
  upstream_->sendHeaders(headers, end_stream);
}

void ActiveStream::routeData(std::string& data, bool end_stream) {
  if (upstream_) upstream_->sendData(data, end_stream);
}

void ActiveStream::routeTrailers(HeaderMap& trailers) {
  if (upstream_) upstream_->sendTrailers(trailers);
}

void ActiveStream::abortUpstream() {
  if (upstream_) {
    upstream_->cancel();
    upstream_.reset();
  }
}

void ActiveStream::onUpstreamHeaders(HeaderMap headers, bool end_stream) {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      session_.now() - upstream_start_);
  info_.upstream_service_time = elapsed;
  info_.response_code_details = "via_upstream";
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), elapsed.count());
  setHeader(headers, "x-envoy-upstream-service-time",
            std::string_view(digits, static_cast<size_t>(end - digits)));
  fm_->encodeHeaders(std::move(headers), end_stream);
}

// The downstream session batches the upstream's events; it outlives this stream's end.
EventBatch* ActiveStream::eventBatch() { return &session_; }

void ActiveStream::onUpstreamData(std::string_view data, bool end_stream) {
  fm_->encodeData(data, end_stream);
}

void ActiveStream::onUpstreamTrailers(HeaderMap trailers) {
  fm_->encodeTrailers(std::move(trailers));
}

void ActiveStream::onUpstreamFailure(UpstreamFailure failure, bool headers_received) {
  upstream_.reset();
  int status = 503;
  std::string body;
  std::string details;
  switch (failure) {
    case UpstreamFailure::ConnectFailure:
      info_.response_flags |= kUpstreamConnectionFailure;
      body = "upstream connect error or disconnect/reset before headers. reset reason: "
             "connection failure";
      details = "upstream_reset_before_response_started{connection_failure}";
      break;
    case UpstreamFailure::Reset:
      info_.response_flags |= kUpstreamConnectionTermination;
      body = "upstream connect error or disconnect/reset before headers. reset reason: "
             "connection termination";
      details = headers_received ? "upstream_reset_after_response_started{connection_termination}"
                                 : "upstream_reset_before_response_started{connection_termination}";
      break;
    case UpstreamFailure::Timeout:
      info_.response_flags |= kUpstreamRequestTimeout;
      status = 504;
      body = "upstream request timeout";
      details = "upstream_response_timeout";
      break;
  }
  if (headers_received || fm_->responseStarted()) {
    info_.response_code_details = details;
    fm_->markReset();
    resetDownstream(details);
    return;
  }
  fm_->sendLocalReply(status, std::move(body), std::move(details));
}

// ------------------------------------------------------------------ downstream encoder

void ActiveStream::respondHeaders(HeaderMap& headers, bool end_stream) {
  Worker& w = session_.worker();
  bool has_length = setDateAndServer(headers, httpDate(), "meshwasm", spare_date_, &date_at_);
  int status = info_.response_code;
  bool no_body_status = status == 204 || status == 304 || (status >= 100 && status < 200);
  if (end_stream && !has_length && !no_body_status) {
    headers.entries().emplace_back("content-length", "0");
  }
  bool close = !session_.keepAlive() || w.draining || !session_.requestComplete();
  bool head_request = fm_->headRequest();
  chunked_ = !end_stream && !has_length && !head_request;
  if (chunked_ && session_.http10()) {
    chunked_ = false;  // HTTP/1.0 client: the body ends when the connection closes
    close = true;
  }
  w.http_stats.countResponse(status);
  // The status line from the status the stream recorded (read from ":status" on the way here).
  appendResponseHead(session_.outputBuffer(), headers, status > 0 ? status : 200, chunked_, close);
  session_.write({});
  if (end_stream || head_request) complete();
}

void ActiveStream::respondData(std::string& data, bool end_stream) {
  if (response_complete_) return;
  info_.bytes_sent += data.size();
  if (chunked_) {
    std::string out;
    out.reserve(data.size() + 32);
    appendChunk(out, data);
    if (end_stream) appendLastChunk(out, nullptr);
    session_.write(out);
  } else {
    session_.write(data);
  }
  if (end_stream) complete();
}

void ActiveStream::respondTrailers(HeaderMap& trailers) {
  if (response_complete_) return;
  if (chunked_) {
    std::string out;
    appendLastChunk(out, &trailers);
    session_.write(out);
  }
  complete();
}

void ActiveStream::resetDownstream(const std::string& details) {
  if (!details.empty() && info_.response_code_details.empty()) {
    info_.response_code_details = details;
  }
  response_complete_ = true;
  info_.reset = true;
  session_.resetStream();
}

void ActiveStream::complete() {
  if (response_complete_) return;
  response_complete_ = true;
  session_.responseComplete(!session_.keepAlive());
}

}  // namespace meshwasm::gateway
