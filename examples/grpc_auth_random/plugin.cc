// grpc_auth_random: every request waits for a gRPC unary call before it may go upstream.
//
// onRequestHeaders pauses the request and calls meshwasm.httpbin.Httpbin/Uuid on the
// `httpbin` cluster (the built-in upstream answers gRPC over HTTP/2 cleartext). The reply's
// uuid decides as in http_auth_random: last hex digit even -> continue, odd -> 403
// `Access forbidden.`; a failed call (proxy_on_grpc_close) is denied too. The deciding uuid
// goes out in response header `x-auth-uuid`, and the log says which way each request went:
//
//   #2 grpc_auth_random: calling httpbin gRPC meshwasm.httpbin.Httpbin/Uuid
//   #2 grpc_auth_random: uuid 4f3c...-...7a: access granted
#include <string>
#include <string_view>

#include "meshwasm/sdk/sdk.h"
#include "uuid_message.h"

namespace meshwasm::examples {
namespace {

namespace sdk = ::meshwasm::sdk;

constexpr std::string_view kCluster = "httpbin";
constexpr uint32_t kCallTimeoutMs = 5000;
constexpr std::string_view kDeniedBody = "Access forbidden.";

class GrpcAuthRandomHttp : public sdk::HttpContext {
 public:
  GrpcAuthRandomHttp(uint32_t id, sdk::RootContext* root) : sdk::HttpContext(id, root) {}

  sdk::FilterHeadersStatus onRequestHeaders(uint32_t, bool) override {
    log("calling httpbin gRPC " + std::string(kGrpcService) + "/" + std::string(kGrpcMethod));
    sdk::GrpcCallbacks callbacks;
    callbacks.on_message = [this](size_t) { onReply(); };
    callbacks.on_close = [this](sdk::GrpcStatus status) { onFailure(status); };
    const sdk::WasmResult result =
        dispatchGrpcCall(kCluster, kGrpcService, kGrpcMethod, {}, /*message=*/"", kCallTimeoutMs,
                         std::move(callbacks));
    if (result != sdk::WasmResult::Ok) {
      deny("cannot call httpbin (" + std::string(abi::toString(result)) + ")", "");
    }
    // Envoy holds headers and body until continueRequest() or the local reply.
    return sdk::FilterHeadersStatus::StopIteration;
  }

  sdk::FilterHeadersStatus onResponseHeaders(uint32_t, bool) override {
    if (allowed_) sdk::addResponseHeader("x-auth-uuid", uuid_);
    return sdk::FilterHeadersStatus::Continue;
  }

 private:
  // Both callbacks run with this context effective (the SDK drops them if the stream is gone).
  void onReply() {
    const sdk::HostBuffer message = sdk::getGrpcReceiveBuffer();
    const std::optional<std::string_view> uuid = uuidFromReply(message.view());
    if (!uuid) {
      deny("the gRPC reply has no uuid", "");
      return;
    }
    uuid_ = std::string(*uuid);
    if (!allowByUuid(uuid_)) {
      deny("uuid " + uuid_, uuid_);
      return;
    }
    allowed_ = true;
    log("uuid " + uuid_ + ": access granted");
    sdk::continueRequest();
  }

  void onFailure(sdk::GrpcStatus status) {
    const sdk::CallStatus detail = sdk::getStatus();
    std::string reason = "gRPC call failed (" + std::string(abi::toString(status));
    if (!detail.message.empty()) reason += ": " + detail.message.toString();
    deny(reason + ")", "");
  }

  void deny(const std::string& reason, std::string_view uuid) {
    log(reason + ": access forbidden");
    if (uuid.empty()) {
      sdk::sendLocalResponse(403, "grpc_auth_random_denied", kDeniedBody);
    } else {
      sdk::sendLocalResponse(403, "grpc_auth_random_denied", kDeniedBody,
                             {sdk::HeaderView{"x-auth-uuid", uuid}});
    }
  }

  void log(std::string_view message) const {
    std::string line("#");
    line += sdk::toDecimal(id());
    line += " grpc_auth_random: ";
    line += message;
    sdk::logInfo(line);
  }

  bool allowed_ = false;
  std::string uuid_;
};

}  // namespace
}  // namespace meshwasm::examples

MESHWASM_REGISTER_HTTP_PLUGIN(meshwasm::sdk::RootContext, meshwasm::examples::GrpcAuthRandomHttp,
                              "");
