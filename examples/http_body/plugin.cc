// http_body: rewrites every response body. It buffers the whole body (answering
// StopIterationAndBuffer until end of stream), then replaces it with the upper-cased text plus
// a last line naming the plugin. The new body has another length, so the upstream's
// content-length is dropped when the response headers pass (the proxy then frames the body
// itself: chunked on HTTP/1.1, or a content-length it computes when it buffers).
//
//   original body:  {"origin": "127.0.0.1"}
//   rewritten body: {"ORIGIN": "127.0.0.1"}
//                   -- rewritten by http_body.wasm
#include <string>

#include "meshwasm/sdk/sdk.h"

namespace meshwasm::examples {
namespace {

namespace sdk = ::meshwasm::sdk;

constexpr std::string_view kSignature = "\n-- rewritten by http_body.wasm\n";

class BodyHttp : public sdk::HttpContext {
 public:
  using sdk::HttpContext::HttpContext;

  sdk::FilterHeadersStatus onResponseHeaders(uint32_t, bool end_of_stream) override {
    if (!end_of_stream) sdk::removeResponseHeader("content-length");
    return sdk::FilterHeadersStatus::Continue;
  }

  sdk::FilterDataStatus onResponseBody(size_t body_size, bool end_of_stream) override {
    if (!end_of_stream) return sdk::FilterDataStatus::StopIterationAndBuffer;
    const sdk::HostBuffer body = sdk::getResponseBody();
    std::string rewritten(body.view());
    for (char& c : rewritten) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    rewritten += kSignature;
    sdk::replaceResponseBody(rewritten);
    sdk::logInfo("#" + sdk::toDecimal(id()) + " http_body: rewrote " +
                 sdk::toDecimal(uint64_t{body_size}) + " bytes into " +
                 sdk::toDecimal(uint64_t{rewritten.size()}));
    return sdk::FilterDataStatus::Continue;
  }
};

}  // namespace
}  // namespace meshwasm::examples

MESHWASM_REGISTER_HTTP_PLUGIN(meshwasm::sdk::RootContext, meshwasm::examples::BodyHttp, "");
