#include "meshwasm/abi/enums.h"

namespace meshwasm::abi {

std::string_view toString(WasmResult v) {
  switch (v) {
    case WasmResult::Ok: return "Ok";
    case WasmResult::NotFound: return "NotFound";
    case WasmResult::BadArgument: return "BadArgument";
    case WasmResult::SerializationFailure: return "SerializationFailure";
    case WasmResult::ParseFailure: return "ParseFailure";
    case WasmResult::BadExpression: return "BadExpression";
    case WasmResult::InvalidMemoryAccess: return "InvalidMemoryAccess";
    case WasmResult::Empty: return "Empty";
    case WasmResult::CasMismatch: return "CasMismatch";
    case WasmResult::ResultMismatch: return "ResultMismatch";
    case WasmResult::InternalFailure: return "InternalFailure";
    case WasmResult::BrokenConnection: return "BrokenConnection";
    case WasmResult::Unimplemented: return "Unimplemented";
  }
  return "Unknown";
}

std::string_view toString(LogLevel v) {
  switch (v) {
    case LogLevel::Trace: return "trace";
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
    case LogLevel::Critical: return "critical";
    case LogLevel::Off: return "off";
  }
  return "unknown";
}

std::string_view toString(MapType v) {
  switch (v) {
    case MapType::HttpRequestHeaders: return "HttpRequestHeaders";
    case MapType::HttpRequestTrailers: return "HttpRequestTrailers";
    case MapType::HttpResponseHeaders: return "HttpResponseHeaders";
    case MapType::HttpResponseTrailers: return "HttpResponseTrailers";
    case MapType::GrpcReceiveInitialMetadata: return "GrpcReceiveInitialMetadata";
    case MapType::GrpcReceiveTrailingMetadata: return "GrpcReceiveTrailingMetadata";
    case MapType::HttpCallResponseHeaders: return "HttpCallResponseHeaders";
    case MapType::HttpCallResponseTrailers: return "HttpCallResponseTrailers";
  }
  return "Unknown";
}

std::string_view toString(BufferType v) {
  switch (v) {
    case BufferType::HttpRequestBody: return "HttpRequestBody";
    case BufferType::HttpResponseBody: return "HttpResponseBody";
    case BufferType::DownstreamData: return "DownstreamData";
    case BufferType::UpstreamData: return "UpstreamData";
    case BufferType::HttpCallResponseBody: return "HttpCallResponseBody";
    case BufferType::GrpcReceiveBuffer: return "GrpcReceiveBuffer";
    case BufferType::VmConfiguration: return "VmConfiguration";
    case BufferType::PluginConfiguration: return "PluginConfiguration";
    case BufferType::CallData: return "CallData";
  }
  return "Unknown";
}

std::string_view toString(StreamType v) {
  switch (v) {
    case StreamType::HttpRequest: return "HttpRequest";
    case StreamType::HttpResponse: return "HttpResponse";
    case StreamType::Downstream: return "Downstream";
    case StreamType::Upstream: return "Upstream";
  }
  return "Unknown";
}

std::string_view toString(MetricType v) {
  switch (v) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
  }
  return "unknown";
}

std::string_view toString(GrpcStatus v) {
  switch (v) {
    case GrpcStatus::Ok: return "Ok";
    case GrpcStatus::Cancelled: return "Cancelled";
    case GrpcStatus::Unknown: return "Unknown";
    case GrpcStatus::InvalidArgument: return "InvalidArgument";
    case GrpcStatus::DeadlineExceeded: return "DeadlineExceeded";
    case GrpcStatus::NotFound: return "NotFound";
    case GrpcStatus::AlreadyExists: return "AlreadyExists";
    case GrpcStatus::PermissionDenied: return "PermissionDenied";
    case GrpcStatus::ResourceExhausted: return "ResourceExhausted";
    case GrpcStatus::FailedPrecondition: return "FailedPrecondition";
    case GrpcStatus::Aborted: return "Aborted";
    case GrpcStatus::OutOfRange: return "OutOfRange";
    case GrpcStatus::Unimplemented: return "Unimplemented";
    case GrpcStatus::Internal: return "Internal";
    case GrpcStatus::Unavailable: return "Unavailable";
    case GrpcStatus::DataLoss: return "DataLoss";
    case GrpcStatus::Unauthenticated: return "Unauthenticated";
    case GrpcStatus::NotSet: return "NotSet";
  }
  return "Unknown";
}

std::string_view toString(FailState v) {
  switch (v) {
    case FailState::Ok: return "Ok";
    case FailState::UnableToCreateVm: return "UnableToCreateVm";
    case FailState::UnableToCloneVm: return "UnableToCloneVm";
    case FailState::MissingFunction: return "MissingFunction";
    case FailState::UnableToInitializeCode: return "UnableToInitializeCode";
    case FailState::StartFailed: return "StartFailed";
    case FailState::ConfigureFailed: return "ConfigureFailed";
    case FailState::RuntimeError: return "RuntimeError";
  }
  return "Unknown";
}

}  // namespace meshwasm::abi
