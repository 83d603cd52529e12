// Proxy-Wasm ABI 0.2.1 enumerations with their wire numbers, shared by guest and host.
#pragma once

#include <cstdint>
#include <string_view>

namespace meshwasm::abi {

// Status returned by every host call (proxy_status_t).
enum class WasmResult : uint32_t {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  BadExpression = 5,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  ResultMismatch = 9,
  InternalFailure = 10,
  BrokenConnection = 11,
  Unimplemented = 12,
};
inline constexpr uint32_t kMaxWasmResult = 12;

enum class LogLevel : uint32_t {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
  Off = 6,  // only ever answered by proxy_get_log_level
};
inline constexpr uint32_t kMaxLogLevel = 5;  // highest level a guest may log at

enum class MapType : uint32_t {
  HttpRequestHeaders = 0,
  HttpRequestTrailers = 1,
  HttpResponseHeaders = 2,
  HttpResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4,
  GrpcReceiveTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
};
inline constexpr uint32_t kMaxMapType = 7;

enum class BufferType : uint32_t {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcReceiveBuffer = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  CallData = 8,
};
inline constexpr uint32_t kMaxBufferType = 8;

enum class StreamType : uint32_t {
  HttpRequest = 0,
  HttpResponse = 1,
  Downstream = 2,
  Upstream = 3,
};
inline constexpr uint32_t kMaxStreamType = 3;

enum class PeerType : uint32_t { Unknown = 0, Local = 1, Remote = 2 };

enum class MetricType : uint32_t { Counter = 0, Gauge = 1, Histogram = 2 };
inline constexpr uint32_t kMaxMetricType = 2;

// Values a guest returns from proxy_on_request_headers / proxy_on_response_headers.
enum class FilterHeadersStatus : uint32_t {
  Continue = 0,
  StopIteration = 1,
  ContinueAndEndStream = 2,
  StopAllIterationAndBuffer = 3,
  StopAllIterationAndWatermark = 4,
};

// Values a guest returns from the body callbacks.
enum class FilterDataStatus : uint32_t {
  Continue = 0,
  StopIterationAndBuffer = 1,
  StopIterationAndWatermark = 2,
  StopIterationNoBuffer = 3,
};

enum class FilterTrailersStatus : uint32_t { Continue = 0, StopIteration = 1 };
enum class FilterMetadataStatus : uint32_t { Continue = 0 };
enum class FilterStatus : uint32_t { Continue = 0, StopIteration = 1 };  // TCP

enum class GrpcStatus : int32_t {
  Ok = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
  NotSet = -1,  // "no gRPC status" in proxy_send_local_response (0xFFFFFFFF on the wire)
};
inline constexpr int32_t kMaxGrpcStatus = 16;

// Why a plugin or its VM is not usable (host fail states).
enum class FailState : uint32_t {
  Ok = 0,
  UnableToCreateVm = 1,
  UnableToCloneVm = 2,
  MissingFunction = 3,
  UnableToInitializeCode = 4,
  StartFailed = 5,
  ConfigureFailed = 6,
  RuntimeError = 7,
};

std::string_view toString(WasmResult v);
std::string_view toString(LogLevel v);
std::string_view toString(MapType v);
std::string_view toString(BufferType v);
std::string_view toString(StreamType v);
std::string_view toString(MetricType v);
std::string_view toString(GrpcStatus v);
std::string_view toString(FailState v);

}  // namespace meshwasm::abi
