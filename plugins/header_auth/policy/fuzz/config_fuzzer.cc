// libFuzzer target: the configuration parser (JSON reader + validation), then a few requests
// through whatever policy it accepted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.h"
#include "policy.h"

using namespace meshwasm::header_auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = Policy::parse(text);
  if (!policy.isOk()) {
    fuzz::check(!policy.message().empty());
    return 0;
  }
  fuzz::check(policy->allowedCounter() == std::string(policy->statPrefix()) + ".allowed");
  static const char* const kRequests[] = {
      "",
      "allow:true\n:path:/public/x?y=1\n:method:GET\n:authority:api.example.com:8080",
      "@r1\nuser-agent:googlebot\nx-token:s3cret\nx-token:other\n:path:/admin",
      "@r2\n:authority:[::1]:80\nallow:true\nallow:false\nx-role:admin",
  };
  for (const char* request : kRequests) {
    fuzz::ParsedRequest parsed = fuzz::parseRequest(request);
    fuzz::checkDecision(*policy, RequestView{parsed.headers, parsed.route_name});
  }
  return 0;
}
