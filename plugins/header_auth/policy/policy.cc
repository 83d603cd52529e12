// Policy evaluation (per request) and the Policy object plumbing. Parsing lives in config.cc.
#include "policy.h"

#include <cstring>

#include "policy_data.h"
#include "sha256.h"
#include "text.h"

namespace meshwasm::header_auth {
namespace {

constexpr std::string_view kDefaultPolicyName = "default";
constexpr std::string_view kTutorialPolicyName = "tutorial";

// A request value: absent, or a view (into the request or into `scratch` when joined).
struct Value {
  bool present = false;
  std::string_view text;
};

// All values of header `name`, joined with "," when it repeats (Envoy's request.headers
// rule). Builds the joined string in `scratch` only for a repeated header, with at most one
// allocation (none while it fits std::string's inline buffer).
Value headerValue(const RequestView& request, std::string_view name, std::string& scratch) {
  Value value;
  size_t count = 0, joined_size = 0;
  for (const auto& [key, text] : request.headers) {
    if (!equalsIgnoreCase(key, name)) continue;
    if (count++ == 0) {
      value.present = true;
      value.text = text;
    }
    joined_size += text.size() + 1;
  }
  if (count < 2) return value;
  scratch.clear();
  scratch.reserve(joined_size);  // at most one allocation
  bool first = true;
  for (const auto& [key, text] : request.headers) {
    if (!equalsIgnoreCase(key, name)) continue;
    if (!first) scratch.push_back(',');
    first = false;
    scratch.append(text);
  }
  value.text = scratch;
  return value;
}

// The first value of header `name` (pseudo-headers never repeat in a valid request).
Value firstValue(const RequestView& request, std::string_view name) {
  for (const auto& [key, text] : request.headers) {
    if (equalsIgnoreCase(key, name)) return Value{true, text};
  }
  return Value{};
}

Value hostValue(const RequestView& request) {
  Value value = firstValue(request, ":authority");
  if (!value.present) value = firstValue(request, "host");
  if (value.present) value.text = stripPort(value.text);
  return value;
}

Value pathValue(const RequestView& request) {
  Value value = firstValue(request, ":path");
  if (value.present) value.text = stripQuery(value.text);
  return value;
}

Value subjectValue(const PolicyData& data, const Condition& condition, const RequestView& request,
                   std::string& scratch) {
  switch (condition.subject) {
    case Subject::Header: return headerValue(request, data.view(condition.header), scratch);
    case Subject::Path: return pathValue(request);
    case Subject::Method: return firstValue(request, ":method");
    case Subject::Host: return hostValue(request);
  }
  return Value{};
}

// `a` equals `b`, ASCII case-insensitively when `fold`.
bool same(const char* a, std::string_view b, bool fold) {
  for (size_t i = 0; i < b.size(); ++i) {
    char x = a[i], y = b[i];
    if (fold) {
      x = asciiLower(x);
      y = asciiLower(y);
    }
    if (x != y) return false;
  }
  return true;
}

bool stringMatches(const PolicyData& data, const Condition& condition, const MatchValue& expected,
                   std::string_view actual) {
  const std::string_view want = data.view(expected.text);
  const bool fold = condition.ignore_case;
  if (actual.size() < want.size()) return false;
  const size_t slack = actual.size() - want.size();
  switch (condition.kind) {
    case MatchKind::Exact:
    case MatchKind::OneOf: return slack == 0 && same(actual.data(), want, fold);
    case MatchKind::Prefix: return same(actual.data(), want, fold);
    case MatchKind::Suffix: return same(actual.data() + slack, want, fold);
    case MatchKind::Contains:
      for (size_t start = 0; start <= slack; ++start) {
        if (same(actual.data() + start, want, fold)) return true;
      }
      return false;
    case MatchKind::Present: return true;
  }
  return false;
}

bool conditionHolds(const PolicyData& data, const Condition& condition, const RequestView& request,
                    std::string& scratch) {
  Value value = subjectValue(data, condition, request, scratch);
  if (condition.kind == MatchKind::Present) {
    return (value.present == condition.present) != condition.invert;
  }
  if (!value.present) {
    // A missing value never satisfies a string matcher, inverted or not.
    if (!condition.treat_missing_as_empty) return false;
    value.text = std::string_view();
  }
  bool matched = false;
  if (condition.any_hashed) {
    // Every digest is compared in full: the time taken does not depend on which entry (if
    // any) matches, nor on how much of a digest does.
    const Sha256Digest digest = sha256(value.text);
    for (uint32_t i = condition.values.begin; i < condition.values.end; ++i) {
      const MatchValue& expected = data.values[i];
      bool equal = expected.hashed ? digestsEqual(digest, expected.digest)
                                   : stringMatches(data, condition, expected, value.text);
      matched = matched | equal;
    }
  } else {
    for (uint32_t i = condition.values.begin; i < condition.values.end && !matched; ++i) {
      matched = stringMatches(data, condition, data.values[i], value.text);
    }
  }
  return matched != condition.invert;
}

// "all": every condition holds; "any": one does. Stops at the first condition that settles it.
bool ruleMatches(const PolicyData& data, const Rule& rule, const RequestView& request,
                 std::string& scratch) {
  for (uint32_t i = rule.conditions.begin; i < rule.conditions.end; ++i) {
    if (conditionHolds(data, data.conditions[i], request, scratch) != rule.require_all) {
      return !rule.require_all;
    }
  }
  return rule.require_all;
}

// The first rule of `rules` that matches, or nullptr.
const Rule* firstMatch(const PolicyData& data, Range rules, const RequestView& request,
                       std::string& scratch) {
  for (uint32_t i = rules.begin; i < rules.end; ++i) {
    if (ruleMatches(data, data.rules[i], request, scratch)) return &data.rules[i];
  }
  return nullptr;
}

bool routeMatches(const PolicyData& data, const RouteMatch& match, const RequestView& request) {
  if (match.has_route_name && request.route_name != data.view(match.route_name)) return false;
  if (match.has_host) {
    Value host = hostValue(request);
    if (!host.present || !equalsIgnoreCase(host.text, data.view(match.host))) return false;
  }
  if (match.has_path_prefix) {
    Value path = pathValue(request);
    std::string_view prefix = data.view(match.path_prefix);
    if (!path.present || path.text.substr(0, prefix.size()) != prefix) return false;
  }
  return true;
}

// Exactly "true", compared as one 4-byte word (this runs on every request): no memcmp call and
// one load instead of four.
bool tutorialAllowValue(const std::string_view* allow) {
  if (allow == nullptr || allow->size() != 4) return false;
  uint32_t value;
  uint32_t expected;
  std::memcpy(&value, allow->data(), 4);
  std::memcpy(&expected, "true", 4);
  return value == expected;
}

Decision tutorialDecision(const PolicyData& data, const std::string_view* allow) {
  Decision decision;
  if (tutorialAllowValue(allow)) {
    decision.verdict = Verdict::Allow;
    decision.policy = kTutorialPolicyName;
  } else {
    decision.verdict = Verdict::Deny;
    decision.policy = kDefaultPolicyName;
    decision.response = &data.responses[0];
  }
  return decision;
}

Decision tutorialFromHeaders(const PolicyData& data, const RequestView& request) {
  // Envoy's single-value header call returns the first value of a repeated header.
  const Value allow = firstValue(request, "allow");
  return tutorialDecision(data, allow.present ? &allow.text : nullptr);
}

}  // namespace

void setOutcomeCounters(PolicyData& data) {
  data.allowed_counter = data.stat_prefix;
  data.allowed_counter.append(".allowed");
  data.denied_counter = data.stat_prefix;
  data.denied_counter.append(".denied");
  data.dry_run_denied_counter = data.stat_prefix;
  data.dry_run_denied_counter.append(".dry_run_denied");
}

DenyResponse tutorialResponse() {
  DenyResponse response;
  response.status = 403;
  response.body = "Forbidden by ASM Wasm Plugin, cpp version\n";
  response.headers.emplace_back("content-type", "text/plain");
  response.grpc_status = -1;
  return response;
}

Decision Policy::evaluate(const RequestView& request) const {
  const PolicyData& data = *data_;
  if (data.tutorial) return tutorialFromHeaders(data, request);

  const RuleSet* rules = &data.top;
  Decision decision;
  for (size_t i = 0; i < data.routes.size(); ++i) {
    if (routeMatches(data, data.routes[i].match, request)) {
      rules = &data.routes[i].rules;
      decision.route = static_cast<int32_t>(i);
      break;
    }
  }

  std::string scratch;  // holds a joined repeated header; no allocation otherwise (or SSO)
  // deny, then allow, then the default.
  Verdict verdict = Verdict::Deny;
  const Rule* decided_by = firstMatch(data, rules->deny, request, scratch);
  if (decided_by == nullptr) {
    verdict = Verdict::Allow;
    decided_by = firstMatch(data, rules->allow, request, scratch);
  }
  if (decided_by == nullptr) verdict = rules->fallback;
  if (decided_by != nullptr) {
    decision.policy = data.view(decided_by->name);
    decision.policy_index = decided_by->counter;
  } else {
    decision.policy = kDefaultPolicyName;
  }
  decision.verdict = verdict;
  if (verdict == Verdict::Deny) {
    decision.response = &data.responses[rules->response];
    if (rules->dry_run) {
      decision.verdict = Verdict::Allow;
      decision.dry_run_denied = true;
    }
  }
  return decision;
}

Policy::Policy(std::unique_ptr<PolicyData> data) : data_(std::move(data)) {}
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;
Policy::~Policy() = default;

Policy Policy::tutorial() {
  auto data = std::make_unique<PolicyData>();
  data->tutorial = true;
  data->responses = std::make_unique<DenyResponse[]>(1);
  data->response_count = 1;
  data->responses[0] = tutorialResponse();
  setOutcomeCounters(*data);
  return Policy(std::move(data));
}

StatusOr<Policy> Policy::parse(std::string_view json) {
  if (isBlank(json)) return tutorial();
  auto data = std::make_unique<PolicyData>();
  Status status = parseConfig(json, *data);
  if (!status.isOk()) return status;
  if (data->tutorial) return tutorial();
  return Policy(std::move(data));
}

Decision Policy::evaluateTutorial(const std::string_view* allow) const {
  return tutorialDecision(*data_, allow);
}

bool Policy::tutorialAllows(const std::string_view* allow) const {
  return tutorialAllowValue(allow);
}
const DenyResponse& Policy::tutorialDenyResponse() const {
  return data_->responses[0];
}

bool Policy::isTutorial() const {
  return data_->tutorial;
}
std::string_view Policy::statPrefix() const {
  return data_->stat_prefix;
}
const std::string& Policy::allowedCounter() const {
  return data_->allowed_counter;
}
const std::string& Policy::deniedCounter() const {
  return data_->denied_counter;
}
const std::string& Policy::dryRunDeniedCounter() const {
  return data_->dry_run_denied_counter;
}
const std::vector<std::string>& Policy::policyCounters() const {
  return data_->policy_counters;
}

}  // namespace meshwasm::header_auth
