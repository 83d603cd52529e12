// The header-authorization decision, free of any Proxy-Wasm or SDK type: it takes the request
// headers and returns a decision, so it compiles unchanged natively (tests, fuzzers, benchmarks)
// and in the wasm32-wasi guest (-fno-exceptions -fno-rtti).
//
// Policy::parse() reads the plugin configuration once per configure; evaluate() runs per request
// and does not allocate in the common case (a joined value is built only when a header repeats).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshwasm/abi/status.h"

namespace meshwasm::header_auth {

using HeaderEntry = std::pair<std::string_view, std::string_view>;

// What evaluate() looks at. The caller owns the memory; it must outlive the call only.
struct RequestView {
  // Every request header, one entry per occurrence, lower-case names, pseudo-headers
  // (:path :method :authority) included. Names are also compared ASCII case-insensitively.
  std::span<const HeaderEntry> headers;
  std::string_view route_name;  // from the route_name property, may be empty
};

// The local reply to send when denying (see proxy_send_local_response).
struct DenyResponse {
  uint32_t status = 403;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string details;
  int32_t grpc_status = -1;  // -1 = not set (Envoy derives it from the HTTP status)
};

enum class Verdict { Allow, Deny };

struct Decision {
  Verdict verdict = Verdict::Deny;
  // dry_run is on and the policy would have denied: verdict is Allow, response says what
  // would have been sent.
  bool dry_run_denied = false;
  std::string_view policy;  // name of the deciding policy, or "default"; points into the Policy
  const DenyResponse* response = nullptr;  // non-null when Deny or dry_run_denied
  // Index into Policy::policyCounters() of the deciding policy; -1 when "default" decided
  // (and always -1 for the tutorial policy).
  int32_t policy_index = -1;
  int32_t route = -1;  // index of the matching entry of "routes", -1 = top level
};

struct PolicyData;  // the parsed configuration (policy_data.h, internal)

class Policy {
 public:
  // "" (or only whitespace) and "{}" give the tutorial policy. Any other configuration is
  // validated strictly; the error message starts with the JSON path of the offending value,
  // e.g. `allow[0].all[1]: unknown field "exatc"`.
  static StatusOr<Policy> parse(std::string_view json);
  // The tutorial policy, as parse("") returns it.
  static Policy tutorial();

  Decision evaluate(const RequestView& request) const;
  // The tutorial policy's decision from the first value of the `allow` header (nullptr: no
  // such header): what evaluate() decides for those headers, without looking them up.
  // Tutorial policy only.
  Decision evaluateTutorial(const std::string_view* allow) const;
  // The verdict of evaluateTutorial as a bool (true: Allow), and the response of its denials:
  // the same decision for a caller that needs no Decision. Tutorial policy only.
  bool tutorialAllows(const std::string_view* allow) const;
  const DenyResponse& tutorialDenyResponse() const;

  bool isTutorial() const;              // empty configuration
  std::string_view statPrefix() const;  // "header_auth" unless configured

  // Counter names: "<stat_prefix>.allowed", ".denied", ".dry_run_denied" and, for every
  // distinct policy name, "<stat_prefix>.policy.<name>.matched" (indexed by
  // Decision::policy_index). Built once at parse time.
  const std::string& allowedCounter() const;
  const std::string& deniedCounter() const;
  const std::string& dryRunDeniedCounter() const;
  const std::vector<std::string>& policyCounters() const;

  Policy(Policy&&) noexcept;
  Policy& operator=(Policy&&) noexcept;
  ~Policy();

 private:
  explicit Policy(std::unique_ptr<PolicyData> data);
  std::unique_ptr<PolicyData> data_;
};

}  // namespace meshwasm::header_auth
