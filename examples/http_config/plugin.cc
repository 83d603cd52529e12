// http_config: adds the headers of its JSON configuration to every response.
//
//   configuration: {"headers": {"x-served-by": "meshwasm", "x-env": "dev"}}
//   log at configure: http_config: adding 2 response headers
//   bad configuration: the plugin refuses it (onConfigure answers false) and logs e.g.
//     http_config: invalid configuration: headers."x bad": not a valid header name
#include <optional>
#include <string>

#include "config.h"
#include "meshwasm/sdk/sdk.h"

namespace meshwasm::examples {
namespace {

namespace sdk = ::meshwasm::sdk;

class ConfigRoot : public sdk::RootContext {
 public:
  using sdk::RootContext::RootContext;

  bool onConfigure(size_t) override {
    StatusOr<HttpConfig> parsed = parseHttpConfig(sdk::getPluginConfiguration().view());
    if (!parsed) {
      sdk::logError("http_config: invalid configuration: " + parsed.message());
      return false;  // keeps the previous configuration; the host rejects this one
    }
    config_ = std::move(*parsed);
    sdk::logInfo("http_config: adding " + sdk::toDecimal(uint64_t{config_.headers.size()}) +
                 " response headers");
    return true;
  }

  const HttpConfig& config() const { return config_; }

 private:
  HttpConfig config_;
};

class ConfigHttp : public sdk::HttpContext {
 public:
  using sdk::HttpContext::HttpContext;

  sdk::FilterHeadersStatus onResponseHeaders(uint32_t, bool) override {
    for (const auto& [name, value] : rootAs<ConfigRoot>()->config().headers) {
      sdk::addResponseHeader(name, value);
    }
    return sdk::FilterHeadersStatus::Continue;
  }
};

}  // namespace
}  // namespace meshwasm::examples

MESHWASM_REGISTER_HTTP_PLUGIN(meshwasm::examples::ConfigRoot, meshwasm::examples::ConfigHttp, "");
