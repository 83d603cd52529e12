// Bodies, connection data, configuration and call-response buffers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "meshwasm/sdk/common.h"

namespace meshwasm::sdk {

inline constexpr uint32_t kWholeBuffer = 0xFFFFFFFFu;

// Bytes [start, start + max_size) of the buffer, clamped. nullopt when the buffer is not
// available now (NotFound; BadArgument from stricter hosts); `status` tells which.
std::optional<HostBuffer> getBufferBytes(BufferType buffer, uint32_t start = 0,
                                         uint32_t max_size = kWholeBuffer,
                                         WasmResult* status = nullptr);
// Current size of the buffer; nullopt when not available.
std::optional<uint32_t> getBufferSize(BufferType buffer, WasmResult* status = nullptr);
// Envoy semantics: start 0 drops the first `size` bytes and prepends `data` (size >= length
// replaces everything); start >= length appends; any other start is BadArgument.
WasmResult setBufferBytes(BufferType buffer, uint32_t start, uint32_t size, std::string_view data);

// Whole buffer, empty when not available.
inline HostBuffer getWholeBuffer(BufferType buffer) {
  auto bytes = getBufferBytes(buffer);
  return bytes ? std::move(*bytes) : HostBuffer();
}
inline HostBuffer getRequestBody() {
  return getWholeBuffer(BufferType::HttpRequestBody);
}
inline HostBuffer getResponseBody() {
  return getWholeBuffer(BufferType::HttpResponseBody);
}
inline HostBuffer getDownstreamData() {
  return getWholeBuffer(BufferType::DownstreamData);
}
inline HostBuffer getUpstreamData() {
  return getWholeBuffer(BufferType::UpstreamData);
}
inline HostBuffer getHttpCallResponseBody() {
  return getWholeBuffer(BufferType::HttpCallResponseBody);
}
inline HostBuffer getGrpcReceiveBuffer() {
  return getWholeBuffer(BufferType::GrpcReceiveBuffer);
}
inline HostBuffer getVmConfiguration() {
  return getWholeBuffer(BufferType::VmConfiguration);
}
// Readable only in root context creation and RootContext::onConfigure.
inline HostBuffer getPluginConfiguration() {
  return getWholeBuffer(BufferType::PluginConfiguration);
}
inline HostBuffer getCallData() {
  return getWholeBuffer(BufferType::CallData);
}

inline WasmResult replaceRequestBody(std::string_view data) {
  return setBufferBytes(BufferType::HttpRequestBody, 0, kWholeBuffer, data);
}
inline WasmResult replaceResponseBody(std::string_view data) {
  return setBufferBytes(BufferType::HttpResponseBody, 0, kWholeBuffer, data);
}
inline WasmResult appendResponseBody(std::string_view data) {
  return setBufferBytes(BufferType::HttpResponseBody, kWholeBuffer, 0, data);
}
inline WasmResult prependResponseBody(std::string_view data) {
  return setBufferBytes(BufferType::HttpResponseBody, 0, 0, data);
}

}  // namespace meshwasm::sdk
