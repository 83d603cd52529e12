// Typed wrappers around every env.proxy_* host call. Each status is mapped on purpose:
// NotFound becomes an empty optional, statuses a caller can act on are returned (or handed
// out through `status`), and an answer the host may not give (bad memory, an impossible
// status, a malformed pairs buffer) is a broken host contract: critical log, then trap.
#include <cstdlib>
#include <initializer_list>

#include "imports.h"
#include "meshwasm/abi/pairs.h"
#include "meshwasm/sdk/buffers.h"
#include "meshwasm/sdk/headers.h"
#include "meshwasm/sdk/log.h"
#include "meshwasm/sdk/metrics.h"
#include "meshwasm/sdk/properties.h"
#include "meshwasm/sdk/shared.h"
#include "meshwasm/sdk/stream_control.h"
#include "meshwasm/sdk/time.h"

namespace meshwasm::sdk {
namespace {

using W = WasmResult;

// One bit per status a call may answer besides Ok, InternalFailure and Unimplemented.
template <typename... Statuses>
constexpr uint32_t answers(Statuses... statuses) {
  return (0u | ... | (1u << static_cast<uint32_t>(statuses)));
}

// Ok, the listed statuses, InternalFailure (capability-restricted hosts answer it for every
// call) and Unimplemented (hosts without the feature) are answers; the rest breaks the contract.
// Scalar arguments only: nothing is built in the guest's stack frame for the usual Ok.
[[gnu::noinline]] WasmResult checkAnswer(const char* call, uint32_t raw, uint32_t allowed) {
  const auto result = static_cast<WasmResult>(raw);
  if (result == W::InternalFailure || result == W::Unimplemented) return result;
  if (raw < 32 && (allowed & (1u << raw)) != 0) return result;
  hostContractViolation(call, result);
}

[[gnu::always_inline]] inline WasmResult check(const char* call, uint32_t raw, uint32_t allowed) {
  if (raw == 0) return W::Ok;
  return checkAnswer(call, raw, allowed);
}

void report(WasmResult* out, WasmResult value) {
  if (out != nullptr) *out = value;
}

char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

std::vector<HeaderView> decodeFromHost(std::string_view call, std::string_view data) {
  // Every pair takes at least 10 bytes, which bounds the count without an arbitrary limit.
  auto decoded = abi::decodePairs(data, static_cast<uint32_t>(data.size() / 8 + 1), data.size());
  if (!decoded)
    fatal(std::string("meshwasm sdk: host returned a malformed pairs buffer from ") +
          std::string(call));
  return std::move(*decoded);
}

template <typename Range>
std::string encode(const Range& pairs) {
  return abi::encodePairs(pairs);
}

}  // namespace

// ------------------------------------------------------------------ common

void HostBuffer::reset() {
  if (data_ != nullptr) {
#if defined(__wasm__)
    ::free(data_);
#else
    meshwasm_fake_host_release(data_);
#endif
  }
  data_ = nullptr;
  size_ = 0;
}

void fatal(std::string_view message) {
  proxy_log(static_cast<uint32_t>(LogLevel::Critical), message.data(), message.size());
#if defined(__wasm__)
  __builtin_trap();
#else
  std::abort();
#endif
}

void hostContractViolation(std::string_view call, WasmResult status) {
  std::string message("meshwasm sdk: ");
  message += call;
  message += " answered ";
  message += toDecimal(static_cast<uint32_t>(status));
  message += ": broken host contract";
  fatal(message);
}

std::string toDecimal(uint64_t value) {
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  std::string out(n, '0');
  for (size_t i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  return out;
}

std::string toDecimal(int64_t value) {
  if (value >= 0) return toDecimal(static_cast<uint64_t>(value));
  return "-" + toDecimal(~static_cast<uint64_t>(value) + 1);
}

// ------------------------------------------------------------------ logging, time

WasmResult log(LogLevel level, std::string_view message) {
  return check("proxy_log", proxy_log(static_cast<uint32_t>(level), message.data(), message.size()),
               answers(W::BadArgument));
}

LogLevel getLogLevel() {
  uint32_t level = static_cast<uint32_t>(LogLevel::Info);
  if (check("proxy_get_log_level", proxy_get_log_level(&level), 0) != W::Ok) {
    return LogLevel::Info;
  }
  return level > static_cast<uint32_t>(LogLevel::Off) ? LogLevel::Off
                                                      : static_cast<LogLevel>(level);
}

uint64_t currentTimeNanoseconds() {
  uint64_t now = 0;
  check("proxy_get_current_time_nanoseconds", proxy_get_current_time_nanoseconds(&now), 0);
  return now;
}

WasmResult setTickPeriodMilliseconds(uint32_t period_milliseconds) {
  return check("proxy_set_tick_period_milliseconds",
               proxy_set_tick_period_milliseconds(period_milliseconds), 0);
}

// ------------------------------------------------------------------ header maps

std::optional<std::string_view> HeaderMap::first(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (equalsIgnoreCase(name, key)) return value;
  }
  return std::nullopt;
}

std::vector<std::string_view> HeaderMap::values(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [name, value] : entries_) {
    if (equalsIgnoreCase(name, key)) out.push_back(value);
  }
  return out;
}

std::vector<HeaderPair> HeaderMap::copy() const {
  std::vector<HeaderPair> out;
  out.reserve(entries_.size());
  for (const auto& [name, value] : entries_) out.emplace_back(name, value);
  return out;
}

HeaderMap getHeaderMap(MapType map, WasmResult* status) {
  char* data = nullptr;
  size_t size = 0;
  const WasmResult result =
      check("proxy_get_header_map_pairs",
            proxy_get_header_map_pairs(static_cast<uint32_t>(map), &data, &size),
            answers(W::NotFound, W::BadArgument));
  report(status, result);
  HostBuffer buffer(data, size);
  if (result != W::Ok) return HeaderMap();
  auto entries = decodeFromHost("proxy_get_header_map_pairs", buffer.view());
  return HeaderMap(std::move(buffer), std::move(entries));
}

std::vector<HeaderPair> getHeaderMapPairs(MapType map) {
  return getHeaderMap(map).copy();
}

std::vector<std::string> getHeaderMapValues(MapType map, std::string_view key) {
  std::vector<std::string> out;
  HeaderMap headers = getHeaderMap(map);
  for (std::string_view value : headers.values(key)) out.emplace_back(value);
  return out;
}

std::optional<HostBuffer> getHeaderMapValue(MapType map, std::string_view key, WasmResult* status) {
  char* data = nullptr;
  size_t size = 0;
  const uint32_t raw =
      proxy_get_header_map_value(static_cast<uint32_t>(map), key.data(), key.size(), &data, &size);
  if (raw == static_cast<uint32_t>(W::NotFound)) {
    // The usual answer for an optional header, told apart without a call; the host wrote no
    // value (hosts copy one out only with Ok), so there is nothing to free.
    report(status, W::NotFound);
    return std::nullopt;
  }
  const WasmResult result =
      check("proxy_get_header_map_value", raw, answers(W::NotFound, W::BadArgument));
  report(status, result);
  // Absent or empty is decided on the status only: an empty value comes as pointer 0.
  if (result != W::Ok) {
    HostBuffer discarded(data, size);  // freed, whatever the host wrote
    return std::nullopt;
  }
  // Built in place: no moved-from buffer whose destructor would call free(nullptr).
  return std::optional<HostBuffer>(std::in_place, data, size);
}

std::optional<uint32_t> getHeaderMapByteSize(MapType map, WasmResult* status) {
  uint32_t size = 0;
  const WasmResult result = check("proxy_get_header_map_size",
                                  proxy_get_header_map_size(static_cast<uint32_t>(map), &size),
                                  answers(W::NotFound, W::BadArgument));
  report(status, result);
  if (result != W::Ok) return std::nullopt;
  return size;
}

WasmResult setHeaderMapPairs(MapType map, std::span<const HeaderView> pairs) {
  const std::string data = encode(pairs);
  return check("proxy_set_header_map_pairs",
               proxy_set_header_map_pairs(static_cast<uint32_t>(map), data.data(), data.size()),
               answers(W::NotFound, W::BadArgument));
}

WasmResult setHeaderMapPairs(MapType map, const std::vector<HeaderPair>& pairs) {
  const std::string data = encode(pairs);
  return check("proxy_set_header_map_pairs",
               proxy_set_header_map_pairs(static_cast<uint32_t>(map), data.data(), data.size()),
               answers(W::NotFound, W::BadArgument));
}

WasmResult addHeaderMapValue(MapType map, std::string_view key, std::string_view value) {
  return check("proxy_add_header_map_value",
               proxy_add_header_map_value(static_cast<uint32_t>(map), key.data(), key.size(),
                                          value.data(), value.size()),
               answers(W::NotFound, W::BadArgument));
}

WasmResult replaceHeaderMapValue(MapType map, std::string_view key, std::string_view value) {
  return check("proxy_replace_header_map_value",
               proxy_replace_header_map_value(static_cast<uint32_t>(map), key.data(), key.size(),
                                              value.data(), value.size()),
               answers(W::NotFound, W::BadArgument));
}

WasmResult removeHeaderMapValue(MapType map, std::string_view key) {
  return check("proxy_remove_header_map_value",
               proxy_remove_header_map_value(static_cast<uint32_t>(map), key.data(), key.size()),
               answers(W::NotFound, W::BadArgument));
}

// ------------------------------------------------------------------ buffers

std::optional<HostBuffer> getBufferBytes(BufferType buffer, uint32_t start, uint32_t max_size,
                                         WasmResult* status) {
  char* data = nullptr;
  size_t size = 0;
  const WasmResult result =
      check("proxy_get_buffer_bytes",
            proxy_get_buffer_bytes(static_cast<uint32_t>(buffer), start, max_size, &data, &size),
            answers(W::NotFound, W::BadArgument));
  report(status, result);
  HostBuffer bytes(data, size);
  if (result != W::Ok) return std::nullopt;
  return bytes;
}

std::optional<uint32_t> getBufferSize(BufferType buffer, WasmResult* status) {
  uint32_t size = 0;
  uint32_t flags = 0;
  const WasmResult result =
      check("proxy_get_buffer_status",
            proxy_get_buffer_status(static_cast<uint32_t>(buffer), &size, &flags),
            answers(W::NotFound, W::BadArgument));
  report(status, result);
  if (result != W::Ok) return std::nullopt;
  return size;
}

WasmResult setBufferBytes(BufferType buffer, uint32_t start, uint32_t size, std::string_view data) {
  return check(
      "proxy_set_buffer_bytes",
      proxy_set_buffer_bytes(static_cast<uint32_t>(buffer), start, size, data.data(), data.size()),
      answers(W::NotFound, W::BadArgument));
}

// ------------------------------------------------------------------ properties

std::string encodePropertyPath(PropertyPath path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i != 0) out.append("", 1);  // the NUL separator
    out.append(path[i]);
  }
  return out;
}

std::optional<HostBuffer> getProperty(PropertyPath path, WasmResult* status) {
  const std::string encoded = encodePropertyPath(path);
  char* data = nullptr;
  size_t size = 0;
  const WasmResult result =
      check("proxy_get_property", proxy_get_property(encoded.data(), encoded.size(), &data, &size),
            answers(W::NotFound, W::SerializationFailure, W::BadArgument));
  report(status, result);
  HostBuffer value(data, size);
  if (result != W::Ok) return std::nullopt;
  return value;
}

std::optional<std::string> getPropertyString(std::initializer_list<std::string_view> path) {
  auto value = getProperty(path);
  if (!value) return std::nullopt;
  return value->toString();
}

std::optional<uint64_t> getPropertyUint64(std::initializer_list<std::string_view> path) {
  auto value = getProperty(path);
  if (!value || value->size() != 8) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(value->data());
  uint64_t out = 0;
  for (int i = 7; i >= 0; --i) out = (out << 8) | p[i];
  return out;
}

std::optional<int64_t> getPropertyInt64(std::initializer_list<std::string_view> path) {
  auto value = getPropertyUint64(path);
  if (!value) return std::nullopt;
  return static_cast<int64_t>(*value);
}

std::optional<bool> getPropertyBool(std::initializer_list<std::string_view> path) {
  auto value = getProperty(path);
  if (!value || value->size() != 1) return std::nullopt;
  return value->data()[0] != 0;
}

std::optional<std::vector<HeaderPair>> getPropertyPairs(
    std::initializer_list<std::string_view> path) {
  auto value = getProperty(path);
  if (!value) return std::nullopt;
  auto decoded =
      abi::decodePairs(value->view(), static_cast<uint32_t>(value->size() / 8 + 1), value->size());
  if (!decoded) return std::nullopt;
  std::vector<HeaderPair> out;
  for (const auto& [k, v] : *decoded) out.emplace_back(k, v);
  return out;
}

WasmResult setProperty(PropertyPath path, std::string_view value) {
  const std::string encoded = encodePropertyPath(path);
  return check("proxy_set_property",
               proxy_set_property(encoded.data(), encoded.size(), value.data(), value.size()),
               answers(W::NotFound, W::BadArgument, W::SerializationFailure));
}

// ------------------------------------------------------------------ metrics

std::optional<Metric> Metric::define(MetricType type, std::string_view name, WasmResult* status) {
  uint32_t id = 0;
  const WasmResult result =
      check("proxy_define_metric",
            proxy_define_metric(static_cast<uint32_t>(type), name.data(), name.size(), &id),
            answers(W::BadArgument));
  report(status, result);
  if (result != W::Ok) return std::nullopt;
  return Metric(type, id);
}

WasmResult Metric::increment(int64_t delta) const {
  return check("proxy_increment_metric", proxy_increment_metric(id_, delta),
               answers(W::NotFound, W::BadArgument));
}

WasmResult Metric::record(uint64_t value) const {
  return check("proxy_record_metric", proxy_record_metric(id_, value),
               answers(W::NotFound, W::BadArgument));
}

std::optional<uint64_t> Metric::get(WasmResult* status) const {
  uint64_t value = 0;
  const WasmResult result = check("proxy_get_metric", proxy_get_metric(id_, &value),
                                  answers(W::NotFound, W::BadArgument));
  report(status, result);
  if (result != W::Ok) return std::nullopt;
  return value;
}

// ------------------------------------------------------------------ shared data and queues

std::optional<SharedData> getSharedData(std::string_view key, WasmResult* status) {
  char* data = nullptr;
  size_t size = 0;
  uint32_t cas = 0;
  const WasmResult result = check("proxy_get_shared_data",
                                  proxy_get_shared_data(key.data(), key.size(), &data, &size, &cas),
                                  answers(W::NotFound));
  report(status, result);
  HostBuffer value(data, size);
  if (result != W::Ok) return std::nullopt;
  return SharedData{std::move(value), cas};
}

WasmResult setSharedData(std::string_view key, std::string_view value, uint32_t cas) {
  return check("proxy_set_shared_data",
               proxy_set_shared_data(key.data(), key.size(), value.data(), value.size(), cas),
               answers(W::CasMismatch, W::BadArgument));
}

std::optional<uint32_t> registerSharedQueue(std::string_view name, WasmResult* status) {
  uint32_t token = 0;
  const WasmResult result =
      check("proxy_register_shared_queue",
            proxy_register_shared_queue(name.data(), name.size(), &token), answers(W::BadArgument));
  report(status, result);
  if (result != W::Ok) return std::nullopt;
  return token;
}

std::optional<uint32_t> resolveSharedQueue(std::string_view vm_id, std::string_view name,
                                           WasmResult* status) {
  uint32_t token = 0;
  const WasmResult result = check(
      "proxy_resolve_shared_queue",
      proxy_resolve_shared_queue(vm_id.data(), vm_id.size(), name.data(), name.size(), &token),
      answers(W::NotFound));
  report(status, result);
  if (result != W::Ok) return std::nullopt;
  return token;
}

WasmResult enqueueSharedQueue(uint32_t token, std::string_view value) {
  return check("proxy_enqueue_shared_queue",
               proxy_enqueue_shared_queue(token, value.data(), value.size()), answers(W::NotFound));
}

std::optional<HostBuffer> dequeueSharedQueue(uint32_t token, WasmResult* status) {
  char* data = nullptr;
  size_t size = 0;
  const WasmResult result =
      check("proxy_dequeue_shared_queue", proxy_dequeue_shared_queue(token, &data, &size),
            answers(W::NotFound, W::Empty));
  report(status, result);
  HostBuffer value(data, size);
  if (result != W::Ok) return std::nullopt;
  return value;
}

// ------------------------------------------------------------------ stream control

WasmResult continueStream(StreamType stream) {
  return check("proxy_continue_stream", proxy_continue_stream(static_cast<uint32_t>(stream)),
               answers(W::BadArgument, W::NotFound));
}

WasmResult closeStream(StreamType stream) {
  return check("proxy_close_stream", proxy_close_stream(static_cast<uint32_t>(stream)),
               answers(W::BadArgument, W::NotFound));
}

WasmResult sendLocalResponseEncoded(uint32_t status_code, std::string_view details,
                                    std::string_view body, std::string_view encoded_headers,
                                    GrpcStatus grpc_status) {
  return check("proxy_send_local_response",
               proxy_send_local_response(status_code, details.data(), details.size(), body.data(),
                                         body.size(), encoded_headers.data(),
                                         encoded_headers.size(), static_cast<int32_t>(grpc_status)),
               answers(W::BadArgument, W::NotFound));
}

WasmResult sendLocalResponse(uint32_t status_code, std::string_view details, std::string_view body,
                             std::span<const HeaderView> headers, GrpcStatus grpc_status) {
  return sendLocalResponseEncoded(status_code, details, body, encode(headers), grpc_status);
}

WasmResult sendLocalResponse(uint32_t status_code, std::string_view details, std::string_view body,
                             const std::vector<HeaderPair>& headers, GrpcStatus grpc_status) {
  return sendLocalResponseEncoded(status_code, details, body, encode(headers), grpc_status);
}

WasmResult setEffectiveContext(uint32_t context_id) {
  return check("proxy_set_effective_context", proxy_set_effective_context(context_id),
               answers(W::BadArgument, W::NotFound));
}

WasmResult done() {
  return check("proxy_done", proxy_done(), answers(W::NotFound));
}

CallStatus getStatus() {
  uint32_t code = 0;
  char* data = nullptr;
  size_t size = 0;
  const WasmResult result =
      check("proxy_get_status", proxy_get_status(&code, &data, &size), answers(W::NotFound));
  CallStatus out;
  out.message = HostBuffer(data, size);
  if (result == W::Ok) out.code = code;
  return out;
}

std::optional<HostBuffer> callForeignFunction(std::string_view name, std::string_view args,
                                              WasmResult* status) {
  char* data = nullptr;
  size_t size = 0;
  // A foreign function answers its own statuses: every one of them is the caller's business.
  const auto result = static_cast<WasmResult>(proxy_call_foreign_function(
      name.data(), name.size(), args.data(), args.size(), &data, &size));
  if (static_cast<uint32_t>(result) > abi::kMaxWasmResult) {
    hostContractViolation("proxy_call_foreign_function", result);
  }
  report(status, result);
  HostBuffer out(data, size);
  if (result != W::Ok) return std::nullopt;
  return out;
}

}  // namespace meshwasm::sdk
