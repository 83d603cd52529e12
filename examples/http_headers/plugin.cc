// http_headers: logs every request and response header (all values of repeated headers, in
// order, pseudo-headers included) and adds `x-wasm-example: http_headers` to every response.
//
//   #2 -> :authority: localhost:8080
//   #2 -> :path: /get
//   #2 <- :status: 200
//   #2 <- content-type: application/json
//   #2 http_headers: done
#include <string>

#include "meshwasm/sdk/sdk.h"

namespace meshwasm::examples {
namespace {

namespace sdk = ::meshwasm::sdk;

void logMap(uint32_t id, sdk::MapType map, std::string_view arrow) {
  const sdk::HeaderMap headers = sdk::getHeaderMap(map);
  for (const auto& [name, value] : headers.entries()) {
    std::string line = "#" + sdk::toDecimal(id);
    line += arrow;
    line += name;
    line += ": ";
    line += value;
    sdk::logInfo(line);
  }
}

class HeadersHttp : public sdk::HttpContext {
 public:
  using sdk::HttpContext::HttpContext;

  sdk::FilterHeadersStatus onRequestHeaders(uint32_t, bool) override {
    logMap(id(), sdk::MapType::HttpRequestHeaders, " -> ");
    return sdk::FilterHeadersStatus::Continue;
  }

  sdk::FilterHeadersStatus onResponseHeaders(uint32_t, bool) override {
    logMap(id(), sdk::MapType::HttpResponseHeaders, " <- ");
    sdk::addResponseHeader("x-wasm-example", "http_headers");
    return sdk::FilterHeadersStatus::Continue;
  }

  void onLog() override { sdk::logInfo("#" + sdk::toDecimal(id()) + " http_headers: done"); }
};

}  // namespace
}  // namespace meshwasm::examples

MESHWASM_REGISTER_HTTP_PLUGIN(meshwasm::sdk::RootContext, meshwasm::examples::HeadersHttp, "");
