// The parsed configuration behind Policy (internal to policy/: built by config.cc, read by
// policy.cc). Everything is resolved at parse time: header names lower-cased, sha256 digests
// decoded, each route's effective rule set merged with the top-level fields it does not set.
//
// Storage is flat on purpose: rules, conditions and values live in one vector each and refer
// to each other by index ranges; every string lives in one pool. The records are plain data, so
// a route inherits top-level lists by copying two indices, and the guest binary carries little
// container code (header_auth.wasm has a 40 KiB budget).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pod_array.h"
#include "policy.h"

namespace meshwasm::header_auth {

enum class Subject : uint8_t { Header, Path, Method, Host };
enum class MatchKind : uint8_t { Exact, Prefix, Suffix, Contains, OneOf, Present };

struct TextRef {  // a slice of PolicyData::text
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct Range {  // [begin, end) of one of PolicyData's vectors
  uint32_t begin = 0;
  uint32_t end = 0;
};

// One configured string: plain text, or a "sha256:<64 hex>" digest to compare against.
struct MatchValue {
  TextRef text;  // plain value (empty when hashed)
  bool hashed = false;
  std::array<uint8_t, 32> digest{};
};

struct Condition {
  Subject subject = Subject::Header;
  MatchKind kind = MatchKind::Exact;
  bool any_hashed = false;  // some value is a digest: hash the request value once
  bool present = true;      // for MatchKind::Present
  bool invert = false;
  bool ignore_case = false;
  bool treat_missing_as_empty = false;
  TextRef header;  // lower-case name, for Subject::Header
  Range values;    // one for exact/prefix/suffix/contains, n for one_of
};

struct Rule {
  TextRef name;
  bool require_all = true;  // "all" (true) or "any" (false)
  Range conditions;
  int32_t counter = -1;  // index into PolicyData::policy_counters
};

struct RuleSet {
  Range deny;  // into PolicyData::rules
  Range allow;
  Verdict fallback = Verdict::Deny;  // "default"
  bool dry_run = false;
  uint32_t response = 0;  // into PolicyData::responses
};

struct RouteMatch {
  bool has_route_name = false;
  bool has_host = false;
  bool has_path_prefix = false;
  TextRef route_name;
  TextRef host;         // lower-case, compared case-insensitively with the port stripped
  TextRef path_prefix;  // on the path without query
};

struct Route {
  RouteMatch match;
  RuleSet rules;  // effective: the route's own fields over the top-level ones
};

struct PolicyData {
  bool tutorial = false;
  std::string stat_prefix = "header_auth";
  std::string text;  // string pool; never modified after parsing
  PodArray<MatchValue> values;
  PodArray<Condition> conditions;
  PodArray<Rule> rules;
  // [0] is the top level's; then one per route that sets deny_response. An array sized once
  // (not a vector): DenyResponse pointers handed out by evaluate() stay valid.
  std::unique_ptr<DenyResponse[]> responses;
  uint32_t response_count = 0;
  RuleSet top;
  PodArray<Route> routes;
  std::string allowed_counter;
  std::string denied_counter;
  std::string dry_run_denied_counter;
  std::vector<std::string> policy_counters;  // "<stat_prefix>.policy.<name>.matched"

  std::string_view view(TextRef ref) const {
    return std::string_view(text.data() + ref.offset, ref.size);  // ref came from add()
  }
  TextRef add(std::string_view value) {
    TextRef ref{uint32_t(text.size()), uint32_t(value.size())};
    text.append(value);
    return ref;
  }
};

// "<stat_prefix>.allowed", ".denied", ".dry_run_denied".
void setOutcomeCounters(PolicyData& data);

// The tutorial's deny response: 403, content-type text/plain, the tutorial body.
DenyResponse tutorialResponse();

// The deny response of a configuration without "deny_response" (and the base that a
// "deny_response" object's fields override): the tutorial's reply, details "header_auth_denied".
DenyResponse defaultConfiguredResponse();

// Parses and validates a non-empty configuration into `data` (config.cc).
Status parseConfig(std::string_view json, PolicyData& data);

}  // namespace meshwasm::header_auth
