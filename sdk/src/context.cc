// Default callbacks of the context classes.
#include "meshwasm/sdk/context.h"
#include "call_table.h"

namespace meshwasm::sdk {

// ------------------------------------------------------------------ defaults

RootContext::~RootContext() {
  if (calls_ != nullptr) calls_->ops->destroy(calls_);
}
size_t RootContext::pendingCalls() const {
  return calls_ == nullptr ? 0 : calls_->ops->pending(calls_);
}

// Answers to callouts: routed by the call table when this root context made any.
void RootContext::onHttpCallResponse(uint32_t token, uint32_t num_headers, size_t body_size,
                                     uint32_t num_trailers) {
  if (calls_ != nullptr) {
    calls_->ops->http_response(*this, token, num_headers, body_size, num_trailers);
  }
}
void RootContext::onGrpcReceiveInitialMetadata(uint32_t token, uint32_t num_elements) {
  if (calls_ != nullptr) calls_->ops->grpc_initial_metadata(*this, token, num_elements);
}
void RootContext::onGrpcReceive(uint32_t token, size_t message_size) {
  if (calls_ != nullptr) calls_->ops->grpc_message(*this, token, message_size);
}
void RootContext::onGrpcReceiveTrailingMetadata(uint32_t token, uint32_t num_elements) {
  if (calls_ != nullptr) calls_->ops->grpc_trailing_metadata(*this, token, num_elements);
}
void RootContext::onGrpcClose(uint32_t token, GrpcStatus status) {
  if (calls_ != nullptr) calls_->ops->grpc_close(*this, token, status);
}
bool RootContext::onVmStart(size_t) {
  return true;
}
bool RootContext::onConfigure(size_t) {
  return true;
}
bool RootContext::onValidateConfiguration(size_t) {
  return true;
}
void RootContext::onTick() {}
void RootContext::onQueueReady(uint32_t) {}
void RootContext::onForeignFunction(uint32_t, size_t) {}

FilterHeadersStatus HttpContext::onRequestHeaders(uint32_t, bool) {
  return FilterHeadersStatus::Continue;
}
FilterDataStatus HttpContext::onRequestBody(size_t, bool) {
  return FilterDataStatus::Continue;
}
FilterTrailersStatus HttpContext::onRequestTrailers(uint32_t) {
  return FilterTrailersStatus::Continue;
}
FilterMetadataStatus HttpContext::onRequestMetadata(uint32_t) {
  return FilterMetadataStatus::Continue;
}
FilterHeadersStatus HttpContext::onResponseHeaders(uint32_t, bool) {
  return FilterHeadersStatus::Continue;
}
FilterDataStatus HttpContext::onResponseBody(size_t, bool) {
  return FilterDataStatus::Continue;
}
FilterTrailersStatus HttpContext::onResponseTrailers(uint32_t) {
  return FilterTrailersStatus::Continue;
}
FilterMetadataStatus HttpContext::onResponseMetadata(uint32_t) {
  return FilterMetadataStatus::Continue;
}

FilterStatus StreamContext::onNewConnection() {
  return FilterStatus::Continue;
}
FilterStatus StreamContext::onDownstreamData(size_t, bool) {
  return FilterStatus::Continue;
}
FilterStatus StreamContext::onUpstreamData(size_t, bool) {
  return FilterStatus::Continue;
}
void StreamContext::onDownstreamConnectionClose(PeerType) {}
void StreamContext::onUpstreamConnectionClose(PeerType) {}

}  // namespace meshwasm::sdk
