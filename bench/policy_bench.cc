// header_auth policy: per-request evaluation cost (tutorial vs a realistic configuration) and
// the one-off configuration parse. Native build; the guest runs the same code compiled to wasm.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "policy.h"

namespace {

using meshwasm::header_auth::Decision;
using meshwasm::header_auth::HeaderEntry;
using meshwasm::header_auth::Policy;
using meshwasm::header_auth::RequestView;

// A deny list, five allow policies (exact, digest, prefix+one_of, inverted, suffix) and two
// routes: what an operator might deploy in front of an API.
constexpr const char* kRealistic = R"({
  "deny":  [{"name": "no-bots", "any": [{"header": "user-agent", "contains": "bot", "ignore_case": true},
                                        {"header": "x-debug", "present": true}]}],
  "allow": [{"name": "tutorial", "all": [{"header": "allow", "exact": "true"}]},
            {"name": "api-key", "all": [{"header": "x-api-key", "exact": "sha256:1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0"}]},
            {"name": "public", "all": [{"attribute": "path", "prefix": "/public"},
                                       {"attribute": "method", "one_of": ["GET", "HEAD"]}]},
            {"name": "internal", "all": [{"header": "x-internal", "exact": "1", "invert": true, "treat_missing_as_empty": true},
                                         {"attribute": "host", "suffix": ".internal.example.com"}]},
            {"name": "bearer", "all": [{"header": "authorization", "prefix": "Bearer "}]}],
  "routes": [{"match": {"route_name": "admin", "path_prefix": "/admin"}, "allow": [], "dry_run": true},
             {"match": {"host": "status.example.com"}, "default": "allow"}]
})";

// A typical browser-ish request: 14 headers.
std::vector<HeaderEntry> requestHeaders(std::string_view allow, std::string_view extra_name = {},
                                        std::string_view extra_value = {}) {
  std::vector<HeaderEntry> headers = {
      {":authority", "api.example.com:8443"},
      {":path", "/v1/items?page=2"},
      {":method", "GET"},
      {":scheme", "https"},
      {"user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
      {"accept", "application/json"},
      {"accept-encoding", "gzip, deflate, br"},
      {"accept-language", "en-US,en;q=0.5"},
      {"x-request-id", "2f1e6a2c-7c1b-4d4e-9a55-1f7a0c2b9e11"},
      {"x-forwarded-for", "10.0.0.1"},
      {"x-forwarded-proto", "https"},
      {"cookie", "session=abcdef0123456789"},
      {"authorization", "Basic dXNlcjpwYXNz"},
  };
  if (!allow.empty()) headers.emplace_back("allow", allow);
  if (!extra_name.empty()) headers.emplace_back(extra_name, extra_value);
  return headers;
}

void runEvaluate(benchmark::State& state, const Policy& policy,
                 const std::vector<HeaderEntry>& headers, std::string_view route = "") {
  const RequestView request{headers, route};
  for (auto _ : state) {
    Decision decision = policy.evaluate(request);
    benchmark::DoNotOptimize(decision);
  }
}

Policy parsed(const char* config) {
  return std::move(Policy::parse(config)).value();
}

void BM_TutorialAllow(benchmark::State& state) {
  runEvaluate(state, Policy::tutorial(), requestHeaders("true"));
}
void BM_TutorialDeny(benchmark::State& state) {
  runEvaluate(state, Policy::tutorial(), requestHeaders(""));
}
// Allowed by the first allow policy after the deny list ran (no match).
void BM_RealisticAllowFirstPolicy(benchmark::State& state) {
  runEvaluate(state, parsed(kRealistic), requestHeaders("true"));
}
// Every policy runs, then the default denies: the worst common case.
void BM_RealisticDenyByDefault(benchmark::State& state) {
  runEvaluate(state, parsed(kRealistic), requestHeaders("no"));
}
// The digest policy decides: one SHA-256 of the request value per request.
void BM_RealisticSecret(benchmark::State& state) {
  runEvaluate(state, parsed(kRealistic), requestHeaders("", "x-api-key", "s3cret"));
}
// A repeated user-agent header: the joined value (longer than the small-string buffer) is built
// once per condition that reads it.
void BM_RealisticRepeatedHeader(benchmark::State& state) {
  std::vector<HeaderEntry> headers = requestHeaders("no", "user-agent", "curl/8.5");
  runEvaluate(state, parsed(kRealistic), headers);
}
void BM_RealisticRoute(benchmark::State& state) {
  std::vector<HeaderEntry> headers = requestHeaders("true");
  runEvaluate(state, parsed(kRealistic), headers, "admin");
}
void BM_ParseRealisticConfiguration(benchmark::State& state) {
  for (auto _ : state) {
    auto policy = Policy::parse(kRealistic);
    benchmark::DoNotOptimize(policy);
  }
}

BENCHMARK(BM_TutorialAllow);
BENCHMARK(BM_TutorialDeny);
BENCHMARK(BM_RealisticAllowFirstPolicy);
BENCHMARK(BM_RealisticDenyByDefault);
BENCHMARK(BM_RealisticSecret);
BENCHMARK(BM_RealisticRepeatedHeader);
BENCHMARK(BM_RealisticRoute);
BENCHMARK(BM_ParseRealisticConfiguration);

}  // namespace

BENCHMARK_MAIN();
