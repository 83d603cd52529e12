// The parsed configuration behind Policy (internal to policy/: built by config.cc, read by
// policy.cc). Everything is resolved at parse time: header names lower-cased, sha256 digests
// decoded, each route's effective rule set merged with the top-level fields it does not set.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "policy.h"

namespace meshwasm::header_auth {

enum class Subject : uint8_t { Header, Path, Method, Host };
enum class MatchKind : uint8_t { Exact, Prefix, Suffix, Contains, OneOf, Present };

// One configured string: plain text, or a "sha256:<64 hex>" digest to compare against.
struct MatchValue {
  std::string text;  // plain value (empty when hashed)
  bool hashed = false;
  std::array<uint8_t, 32> digest{};
};

struct Condition {
  Subject subject = Subject::Header;
  std::string header;  // lower-case name, for Subject::Header
  MatchKind kind = MatchKind::Exact;
  std::vector<MatchValue> values;  // one for exact/prefix/suffix/contains, n for one_of
  bool any_hashed = false;  // some value is a digest: hash the request value once
  bool present = true;  // for MatchKind::Present
  bool invert = false;
  bool ignore_case = false;
  bool treat_missing_as_empty = false;
};

struct Rule {
  std::string name;
  bool require_all = true;  // "all" (true) or "any" (false)
  std::vector<Condition> conditions;
  int32_t counter = -1;  // index into PolicyData::policy_counters
};

struct RuleSet {
  std::vector<Rule> deny;
  std::vector<Rule> allow;
  Verdict fallback = Verdict::Deny;  // "default"
  bool dry_run = false;
  DenyResponse response;
};

struct RouteMatch {
  bool has_route_name = false;
  std::string route_name;
  bool has_host = false;
  std::string host;  // lower-case, compared case-insensitively with the port stripped
  bool has_path_prefix = false;
  std::string path_prefix;  // on the path without query
};

struct Route {
  RouteMatch match;
  RuleSet rules;  // effective: the route's own fields over the top-level ones
};

struct PolicyData {
  bool tutorial = false;
  std::string stat_prefix = "header_auth";
  RuleSet top;
  std::vector<Route> routes;
  std::string allowed_counter;
  std::string denied_counter;
  std::string dry_run_denied_counter;
  std::vector<std::string> policy_names;     // distinct names, index = Rule::counter
  std::vector<std::string> policy_counters;  // "<stat_prefix>.policy.<name>.matched"
};

// The tutorial's deny response: 403, content-type text/plain, the tutorial body.
DenyResponse tutorialResponse();

// The deny response of a configuration without "deny_response" (and the base that a
// "deny_response" object's fields override): the tutorial's reply, details "header_auth_denied".
DenyResponse defaultConfiguredResponse();

// Parses and validates a non-empty configuration into `data` (config.cc).
Status parseConfig(std::string_view json, PolicyData& data);

}  // namespace meshwasm::header_auth
