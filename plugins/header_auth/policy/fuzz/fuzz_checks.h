// Invariants every decision must satisfy, shared by the fuzzers (abort on violation so
// libFuzzer records the input).
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "policy.h"

namespace meshwasm::header_auth::fuzz {

inline void check(bool condition) {
  if (!condition) std::abort();
}

inline void checkDecision(const Policy& policy, const RequestView& request) {
  const Decision decision = policy.evaluate(request);
  const bool denied = decision.verdict == Verdict::Deny;
  check(!decision.policy.empty());
  check(decision.dry_run_denied ? decision.verdict == Verdict::Allow : true);
  check((decision.response != nullptr) == (denied || decision.dry_run_denied));
  if (decision.response != nullptr) {
    check(decision.response->status >= 200 && decision.response->status <= 599);
    check(decision.response->grpc_status >= -1 && decision.response->grpc_status <= 16);
  }
  check(decision.policy_index >= -1 &&
        decision.policy_index < static_cast<int32_t>(policy.policyCounters().size()));
  // The default decided: named "default" (a policy may be named "default" too, so the
  // converse does not hold).
  if (decision.policy_index == -1) check(decision.policy == "default" || policy.isTutorial());
  // Deterministic: the same request gets the same decision.
  const Decision again = policy.evaluate(request);
  check(again.verdict == decision.verdict && again.policy == decision.policy &&
        again.dry_run_denied == decision.dry_run_denied && again.route == decision.route);
}

// "name:value" lines (the first ':' after the first character splits, so ":path:/x" is the
// pseudo-header), and "@route" lines naming the route.
struct ParsedRequest {
  std::vector<HeaderEntry> headers;
  std::string_view route_name;
};

inline ParsedRequest parseRequest(std::string_view text) {
  ParsedRequest request;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.front() == '@') {
      request.route_name = line.substr(1);
      continue;
    }
    size_t colon = line.find(':', 1);
    if (colon == std::string_view::npos) {
      request.headers.emplace_back(line, std::string_view());
    } else {
      request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
  }
  return request;
}

}  // namespace meshwasm::header_auth::fuzz
