// http_auth_random: every request waits for an HTTP callout before it may go upstream.
//
// onRequestHeaders pauses the request and asks the `httpbin` cluster for `GET /uuid`. When the
// answer arrives the SDK makes the request's context effective again and runs the callback,
// which lets the request continue when the uuid's last hex digit is even and answers 403
// `Access forbidden.` otherwise (also when the call fails or the answer has no uuid). Both
// outcomes carry the deciding uuid in response header `x-auth-uuid`, and the log says which
// way each request went:
//
//   #2 http_auth_random: calling httpbin GET /uuid
//   #2 http_auth_random: uuid 4f3c...-...7a: access granted
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/sdk/sdk.h"
#include "uuid_decision.h"

namespace meshwasm::examples {
namespace {

namespace sdk = ::meshwasm::sdk;

constexpr std::string_view kCluster = "httpbin";
constexpr uint32_t kCallTimeoutMs = 5000;
constexpr std::string_view kDeniedBody = "Access forbidden.";

class AuthRandomHttp : public sdk::HttpContext {
 public:
  AuthRandomHttp(uint32_t id, sdk::RootContext* root) : sdk::HttpContext(id, root) {}

  sdk::FilterHeadersStatus onRequestHeaders(uint32_t, bool) override {
    log("calling httpbin GET /uuid");
    const std::vector<sdk::HeaderPair> headers = {
        {":method", "GET"}, {":path", "/uuid"}, {":authority", std::string(kCluster)}};
    const sdk::WasmResult result =
        dispatchHttpCall(kCluster, headers, "", {}, kCallTimeoutMs,
                         [this](uint32_t num_headers, size_t, uint32_t) { onAnswer(num_headers); });
    if (result != sdk::WasmResult::Ok) {
      deny("cannot call httpbin (" + std::string(abi::toString(result)) + ")", "");
      return sdk::FilterHeadersStatus::StopIteration;
    }
    // Envoy holds headers and body until continueRequest() or the local reply.
    return sdk::FilterHeadersStatus::StopIteration;
  }

  sdk::FilterHeadersStatus onResponseHeaders(uint32_t, bool) override {
    if (allowed_) sdk::addResponseHeader("x-auth-uuid", uuid_);
    return sdk::FilterHeadersStatus::Continue;
  }

 private:
  // Runs with this context effective (the SDK dropped the answer if the stream is gone).
  void onAnswer(uint32_t num_headers) {
    if (num_headers == 0) {
      const sdk::CallStatus status = sdk::getStatus();
      deny("httpbin call failed (" + std::string(status.message.view()) + ")", "");
      return;
    }
    const std::string status =
        sdk::getHttpCallResponseHeader(":status").value_or(sdk::HostBuffer()).toString();
    const sdk::HostBuffer body = sdk::getHttpCallResponseBody();
    const std::optional<std::string_view> uuid = findUuid(body.view());
    if (status != "200" || !uuid) {
      deny("httpbin answered " + status + " without a uuid", "");
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

  void deny(const std::string& reason, std::string_view uuid) {
    log(reason + ": access forbidden");
    if (uuid.empty()) {
      sdk::sendLocalResponse(403, "http_auth_random_denied", kDeniedBody);
    } else {
      sdk::sendLocalResponse(403, "http_auth_random_denied", kDeniedBody,
                             {sdk::HeaderView{"x-auth-uuid", uuid}});
    }
  }

  void log(std::string_view message) const {
    std::string line("#");
    line += sdk::toDecimal(id());
    line += " http_auth_random: ";
    line += message;
    sdk::logInfo(line);
  }

  bool allowed_ = false;
  std::string uuid_;
};

}  // namespace
}  // namespace meshwasm::examples

MESHWASM_REGISTER_HTTP_PLUGIN(meshwasm::sdk::RootContext, meshwasm::examples::AuthRandomHttp, "");
