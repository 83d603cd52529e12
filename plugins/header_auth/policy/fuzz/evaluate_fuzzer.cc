// libFuzzer target: policy evaluation. The input is "<config>\n--\n<request>"; without the
// separator (or with a configuration the parser refuses) the whole input is the request,
// evaluated against a realistic configuration and the tutorial policy. Request lines are
// "name:value" (":path:/x" for pseudo-headers) and "@route" for the route name.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.h"
#include "policy.h"

using namespace meshwasm::header_auth;

namespace {

constexpr std::string_view kRealistic = R"({
  "deny":  [{"name": "no-bots", "any": [{"header": "user-agent", "contains": "bot", "ignore_case": true},
                                        {"header": "x-debug", "present": true}]}],
  "allow": [{"name": "tutorial", "all": [{"header": "allow", "exact": "true"}]},
            {"name": "api-key", "all": [{"header": "x-api-key", "one_of": ["sha256:1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0", "plain"]}]},
            {"name": "public", "all": [{"attribute": "path", "prefix": "/public"},
                                       {"attribute": "method", "one_of": ["GET", "HEAD"]}]},
            {"name": "not-evil", "all": [{"header": "x-evil", "exact": "1", "invert": true, "treat_missing_as_empty": true},
                                         {"attribute": "host", "suffix": ".example.com", "ignore_case": true}]}],
  "routes": [{"match": {"route_name": "r1", "path_prefix": "/admin"}, "allow": [], "dry_run": true},
             {"match": {"host": "api.example.com"}, "default": "allow",
              "deny_response": {"status": 401, "grpc_status": 16}}]
})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Policy realistic = std::move(Policy::parse(kRealistic)).value();
  static const Policy tutorial = Policy::tutorial();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t separator = text.find("\n--\n");
  if (separator != std::string_view::npos) {
    auto configured = Policy::parse(text.substr(0, separator));
    if (configured.isOk()) {
      fuzz::ParsedRequest request = fuzz::parseRequest(text.substr(separator + 4));
      fuzz::checkDecision(*configured, RequestView{request.headers, request.route_name});
      return 0;
    }
    text = text.substr(separator + 4);
  }
  fuzz::ParsedRequest request = fuzz::parseRequest(text);
  const RequestView view{request.headers, request.route_name};
  fuzz::checkDecision(realistic, view);
  fuzz::checkDecision(tutorial, view);
  return 0;
}
