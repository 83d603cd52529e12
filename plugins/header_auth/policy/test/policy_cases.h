// The table of policy scenarios: run natively by policy_test.cc and, through `meshwasm replay`,
// against header_auth.wasm by the wasm test. Each case is one configuration, one request and the
// expected decision.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace meshwasm::header_auth::testing {

struct PolicyCase {
  std::string name;                                          // unique, used as the test's label
  std::string config;                                        // plugin configuration (JSON)
  std::vector<std::pair<std::string, std::string>> headers;  // request headers, in order
  std::string route_name;
  bool allowed = false;  // the request goes upstream
  std::string policy;    // deciding policy, or "default"
  bool dry_run_denied = false;
  int route = -1;  // index of the matching route, -1 for the top level
};

inline void PrintTo(const PolicyCase& c, std::ostream* out) {
  *out << c.name;
}

// sha256 of "s3cret", "", "a" and "s3cret,other" (checked by sha256_test.cc).
inline constexpr const char* kSecretDigest =
    "sha256:1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0";
inline constexpr const char* kEmptyDigest =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr const char* kADigest =
    "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
inline constexpr const char* kJoinedDigest =
    "sha256:b1b86d03080cde5f4aab2f6078e4ae5d80709c7f29d6bea22ba7a6bb33abfef2";

// A configuration allowing a request iff `condition` holds (policy "p", default deny).
inline std::string allowIf(const std::string& condition) {
  return R"({"allow": [{"name": "p", "all": [)" + condition + "]}]}";
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// One condition, one request: allowed by "p" or denied by "default".
inline PolicyCase when(std::string name, const std::string& condition, Headers headers,
                       bool allowed) {
  PolicyCase c;
  c.name = std::move(name);
  c.config = allowIf(condition);
  c.headers = std::move(headers);
  c.allowed = allowed;
  c.policy = allowed ? "p" : "default";
  return c;
}

inline PolicyCase full(std::string name, std::string config, Headers headers, bool allowed,
                       std::string policy, std::string route_name = "", int route = -1,
                       bool dry_run_denied = false) {
  PolicyCase c;
  c.name = std::move(name);
  c.config = std::move(config);
  c.headers = std::move(headers);
  c.route_name = std::move(route_name);
  c.allowed = allowed;
  c.policy = std::move(policy);
  c.route = route;
  c.dry_run_denied = dry_run_denied;
  return c;
}

inline const std::string kOrderConfig = R"({
  "deny":  [{"name": "no-bots", "any": [{"header": "user-agent", "contains": "bot", "ignore_case": true}]},
            {"name": "no-debug", "all": [{"header": "x-debug", "present": true}]}],
  "allow": [{"name": "tutorial", "all": [{"header": "allow", "exact": "true"}]},
            {"name": "token", "all": [{"header": "x-token", "present": true}]}]
})";

inline const std::string kRoutesConfig = R"({
  "deny":  [{"name": "no-bots", "any": [{"header": "user-agent", "contains": "bot"}]}],
  "allow": [{"name": "tutorial", "all": [{"header": "allow", "exact": "true"}]}],
  "routes": [
    {"match": {"route_name": "r1"}, "allow": [{"name": "r1-any", "all": [{"attribute": "method", "exact": "GET"}]}]},
    {"match": {"host": "api.example.com", "path_prefix": "/admin"}, "allow": [], "default": "deny",
     "deny_response": {"status": 401, "body": "admin only\n"}},
    {"match": {"host": "Open.Example.com"}, "default": "allow"},
    {"match": {"path_prefix": "/public"}, "deny": [], "default": "allow"},
    {"match": {"path_prefix": "/audit"}, "dry_run": true},
    {"match": {"route_name": "r2", "host": "two.example.com"}, "default": "allow"},
    {"match": {"route_name": "r2"}, "allow": [{"name": "r2-post", "all": [{"attribute": "method", "exact": "POST"}]}]}
  ]
})";

inline std::vector<PolicyCase> policyCases() {
  const std::string s = kSecretDigest;
  std::vector<PolicyCase> cases = {
      // exact
      when("ExactMatches", R"({"header": "x", "exact": "a"})", {{"x", "a"}}, true),
      when("ExactIsCaseSensitive", R"({"header": "x", "exact": "a"})", {{"x", "A"}}, false),
      when("ExactDoesNotTrim", R"({"header": "x", "exact": "a"})", {{"x", "a "}}, false),
      when("ExactMissingNeverMatches", R"({"header": "x", "exact": "a"})", {}, false),
      when("ExactEmptyMatchesEmpty", R"({"header": "x", "exact": ""})", {{"x", ""}}, true),
      when("ExactEmptyDoesNotMatchMissing", R"({"header": "x", "exact": ""})", {}, false),
      when("ExactEmptyMatchesMissingTreatedAsEmpty",
           R"({"header": "x", "exact": "", "treat_missing_as_empty": true})", {}, true),
      when("ExactIgnoreCase", R"({"header": "x", "exact": "abc", "ignore_case": true})",
           {{"x", "AbC"}}, true),
      when("ExactIgnoreCaseStillNeedsSameLength",
           R"({"header": "x", "exact": "abc", "ignore_case": true})", {{"x", "ABCD"}}, false),
      when("ExactInvertedMatchesOtherValue", R"({"header": "x", "exact": "a", "invert": true})",
           {{"x", "b"}}, true),
      when("ExactInvertedRefusesSameValue", R"({"header": "x", "exact": "a", "invert": true})",
           {{"x", "a"}}, false),
      when("ExactInvertedNeverMatchesMissing", R"({"header": "x", "exact": "a", "invert": true})",
           {}, false),
      when("ExactInvertedMatchesMissingTreatedAsEmpty",
           R"({"header": "x", "exact": "a", "invert": true, "treat_missing_as_empty": true})", {},
           true),
      when("ConfiguredHeaderNameIsCaseInsensitive", R"({"header": "X-Token", "exact": "a"})",
           {{"x-token", "a"}}, true),
      when("RequestHeaderNameIsCaseInsensitive", R"({"header": "x-token", "exact": "a"})",
           {{"X-TOKEN", "a"}}, true),
      when("OtherHeadersAreIgnored", R"({"header": "x", "exact": "a"})", {{"y", "a"}, {"xx", "a"}},
           false),
      // prefix
      when("PrefixMatches", R"({"header": "authorization", "prefix": "Bearer "})",
           {{"authorization", "Bearer abc"}}, true),
      when("PrefixIsCaseSensitive", R"({"header": "authorization", "prefix": "Bearer "})",
           {{"authorization", "bearer abc"}}, false),
      when("PrefixIgnoreCase",
           R"({"header": "authorization", "prefix": "Bearer ", "ignore_case": true})",
           {{"authorization", "BEARER abc"}}, true),
      when("PrefixLongerThanValue", R"({"header": "x", "prefix": "abcd"})", {{"x", "abc"}}, false),
      when("PrefixEqualToValue", R"({"header": "x", "prefix": "abc"})", {{"x", "abc"}}, true),
      when("PrefixInverted", R"({"header": "x", "prefix": "Bearer ", "invert": true})",
           {{"x", "Basic abc"}}, true),
      when("PrefixMissing", R"({"header": "x", "prefix": "a"})", {}, false),
      when("PrefixMissingTreatedAsEmpty",
           R"({"header": "x", "prefix": "a", "treat_missing_as_empty": true})", {}, false),
      // suffix
      when("SuffixMatches", R"({"header": "x", "suffix": ".example.com"})",
           {{"x", "api.example.com"}}, true),
      when("SuffixMismatch", R"({"header": "x", "suffix": ".example.com"})",
           {{"x", "api.example.org"}}, false),
      when("SuffixIgnoreCase", R"({"header": "x", "suffix": ".example.com", "ignore_case": true})",
           {{"x", "API.EXAMPLE.COM"}}, true),
      when("SuffixLongerThanValue", R"({"header": "x", "suffix": "abcd"})", {{"x", "bcd"}}, false),
      when("SuffixInvertedMissing", R"({"header": "x", "suffix": "a", "invert": true})", {}, false),
      when("SuffixInverted", R"({"header": "x", "suffix": ".com", "invert": true})",
           {{"x", "a.org"}}, true),
      // contains
      when("ContainsMatchesInside", R"({"header": "user-agent", "contains": "bot"})",
           {{"user-agent", "googlebot/2.1"}}, true),
      when("ContainsMatchesAtStart", R"({"header": "x", "contains": "bot"})", {{"x", "bot1"}},
           true),
      when("ContainsMatchesAtEnd", R"({"header": "x", "contains": "bot"})", {{"x", "a-bot"}}, true),
      when("ContainsIsCaseSensitive", R"({"header": "x", "contains": "bot"})", {{"x", "GoogleBot"}},
           false),
      when("ContainsIgnoreCase", R"({"header": "x", "contains": "bot", "ignore_case": true})",
           {{"x", "GoogleBOT"}}, true),
      when("ContainsInverted", R"({"header": "x", "contains": "bot", "invert": true})",
           {{"x", "Mozilla/5.0"}}, true),
      when("ContainsInvertedMissingTreatedAsEmpty",
           R"({"header": "x", "contains": "bot", "invert": true, "treat_missing_as_empty": true})",
           {}, true),
      when("ContainsLongerThanValue", R"({"header": "x", "contains": "bots"})", {{"x", "bot"}},
           false),
      // one_of
      when("OneOfMatchesAnEntry", R"({"header": "x", "one_of": ["a", "b", "c"]})", {{"x", "b"}},
           true),
      when("OneOfNoEntry", R"({"header": "x", "one_of": ["a", "b", "c"]})", {{"x", "d"}}, false),
      when("OneOfIsExactNotPrefix", R"({"header": "x", "one_of": ["a", "b"]})", {{"x", "ab"}},
           false),
      when("OneOfIgnoreCase", R"({"header": "x", "one_of": ["a", "b"], "ignore_case": true})",
           {{"x", "B"}}, true),
      when("OneOfInvertedOtherValue", R"({"header": "x", "one_of": ["a", "b"], "invert": true})",
           {{"x", "d"}}, true),
      when("OneOfInvertedListedValue", R"({"header": "x", "one_of": ["a", "b"], "invert": true})",
           {{"x", "a"}}, false),
      when("OneOfWithEmptyEntry", R"({"header": "x", "one_of": ["", "x"]})", {{"x", ""}}, true),
      when("OneOfMissing", R"({"header": "x", "one_of": ["", "x"]})", {}, false),
      when("OneOfMissingTreatedAsEmpty",
           R"({"header": "x", "one_of": ["", "x"], "treat_missing_as_empty": true})", {}, true),
      // present
      when("PresentTrueEmptyValue", R"({"header": "x", "present": true})", {{"x", ""}}, true),
      when("PresentTrueMissing", R"({"header": "x", "present": true})", {}, false),
      when("PresentFalseMissing", R"({"header": "x", "present": false})", {}, true),
      when("PresentFalsePresent", R"({"header": "x", "present": false})", {{"x", "1"}}, false),
      when("PresentTrueInvertedMissing", R"({"header": "x", "present": true, "invert": true})", {},
           true),
      when("PresentFalseInvertedPresent", R"({"header": "x", "present": false, "invert": true})",
           {{"x", "1"}}, true),
      when("PresentRepeated", R"({"header": "x", "present": true})", {{"x", "1"}, {"x", "2"}},
           true),
      // repeated headers: all values joined with ","
      when("RepeatedJoinedExact", R"({"header": "x", "exact": "a,b"})", {{"x", "a"}, {"x", "b"}},
           true),
      when("RepeatedFirstValueAloneDoesNotMatch", R"({"header": "x", "exact": "a"})",
           {{"x", "a"}, {"x", "b"}}, false),
      when("RepeatedContainsSecondValue", R"({"header": "x", "contains": "b"})",
           {{"x", "a"}, {"x", "b"}}, true),
      when("RepeatedThreeValues", R"({"header": "x", "exact": "a,b,c"})",
           {{"x", "a"}, {"y", "z"}, {"x", "b"}, {"x", "c"}}, true),
      when("RepeatedEmptyValues", R"({"header": "x", "exact": ","})", {{"x", ""}, {"x", ""}}, true),
      when("RepeatedPrefix", R"({"header": "x", "prefix": "a,"})", {{"x", "a"}, {"x", "b"}}, true),
      when("RepeatedOneOfSeesJoinedValue", R"({"header": "x", "one_of": ["a", "b"]})",
           {{"x", "a"}, {"x", "b"}}, false),
      when("RepeatedWithDifferentNameCase", R"({"header": "x", "exact": "a,b"})",
           {{"x", "a"}, {"X", "b"}}, true),
      // attributes
      when("PathExcludesQuery", R"({"attribute": "path", "exact": "/status/200"})",
           {{":path", "/status/200?x=1"}}, true),
      when("PathPrefix", R"({"attribute": "path", "prefix": "/public"})",
           {{":path", "/public/index.html"}}, true),
      when("PathPrefixMismatch", R"({"attribute": "path", "prefix": "/public"})",
           {{":path", "/private"}}, false),
      when("PathMissing", R"({"attribute": "path", "prefix": "/"})", {}, false),
      when("PathOnlyQuery", R"({"attribute": "path", "exact": "/"})", {{":path", "/?a=b"}}, true),
      when("PathQueryNeverMatched", R"({"attribute": "path", "contains": "a=b"})",
           {{":path", "/x?a=b"}}, false),
      when("MethodExact", R"({"attribute": "method", "exact": "GET"})", {{":method", "GET"}}, true),
      when("MethodIsCaseSensitive", R"({"attribute": "method", "exact": "GET"})",
           {{":method", "get"}}, false),
      when("MethodOneOf", R"({"attribute": "method", "one_of": ["GET", "HEAD"]})",
           {{":method", "HEAD"}}, true),
      when("HostIgnoresPort", R"({"attribute": "host", "exact": "api.example.com"})",
           {{":authority", "api.example.com:8080"}}, true),
      when("HostWithoutPort", R"({"attribute": "host", "exact": "api.example.com"})",
           {{":authority", "api.example.com"}}, true),
      when("HostIpv6IgnoresPort", R"({"attribute": "host", "exact": "[::1]"})",
           {{":authority", "[::1]:8080"}}, true),
      when("HostFallsBackToHostHeader", R"({"attribute": "host", "exact": "a.example.com"})",
           {{"host", "a.example.com:80"}}, true),
      when("HostValueIsCaseSensitive", R"({"attribute": "host", "exact": "api.example.com"})",
           {{":authority", "API.example.com"}}, false),
      when("HostIgnoreCase",
           R"({"attribute": "host", "exact": "api.example.com", "ignore_case": true})",
           {{":authority", "API.example.com"}}, true),
      when("HostSuffix", R"({"attribute": "host", "suffix": ".example.com"})",
           {{":authority", "api.example.com:443"}}, true),
      when("PseudoHeaderAsHeaderKeepsQuery", R"({"header": ":path", "exact": "/a?b=c"})",
           {{":path", "/a?b=c"}}, true),
      // secrets
      when("SecretMatches", std::string(R"({"header": "x-key", "exact": ")") + s + "\"}",
           {{"x-key", "s3cret"}}, true),
      when("SecretWrongValue", std::string(R"({"header": "x-key", "exact": ")") + s + "\"}",
           {{"x-key", "s3cret!"}}, false),
      when("SecretIsNotThePlaintextDigest",
           std::string(R"({"header": "x-key", "exact": ")") + s + "\"}", {{"x-key", s}}, false),
      when(
          "SecretUpperCaseHex",
          R"({"header": "x-key", "exact": "sha256:1EC1C26B50D5D3C58D9583181AF8076655FE00756BF7285940BA3670F99FCBA0"})",
          {{"x-key", "s3cret"}}, true),
      when("SecretOneOfMixedPlain",
           std::string(R"({"header": "x-key", "one_of": [")") + kADigest + R"(", "plain"]})",
           {{"x-key", "plain"}}, true),
      when("SecretOneOfMixedHashed",
           std::string(R"({"header": "x-key", "one_of": [")") + kADigest + R"(", "plain"]})",
           {{"x-key", "a"}}, true),
      when("SecretOneOfNoEntry",
           std::string(R"({"header": "x-key", "one_of": [")") + kADigest + R"(", "plain"]})",
           {{"x-key", "c"}}, false),
      when("SecretInverted",
           std::string(R"({"header": "x-key", "exact": ")") + s + R"(", "invert": true})",
           {{"x-key", "guess"}}, true),
      when("SecretMissing", std::string(R"({"header": "x-key", "exact": ")") + s + "\"}", {},
           false),
      when("SecretOfEmptyMissingTreatedAsEmpty",
           std::string(R"({"header": "x-key", "exact": ")") + kEmptyDigest +
               R"(", "treat_missing_as_empty": true})",
           {}, true),
      when("SecretOfJoinedRepeatedValue",
           std::string(R"({"header": "x-key", "exact": ")") + kJoinedDigest + "\"}",
           {{"x-key", "s3cret"}, {"x-key", "other"}}, true),
      // all / any
      full(
          "AllBothHold",
          R"({"allow": [{"name": "both", "all": [{"header": "a", "exact": "1"}, {"header": "b", "exact": "2"}]}]})",
          {{"a", "1"}, {"b", "2"}}, true, "both"),
      full(
          "AllOneFails",
          R"({"allow": [{"name": "both", "all": [{"header": "a", "exact": "1"}, {"header": "b", "exact": "2"}]}]})",
          {{"a", "1"}, {"b", "3"}}, false, "default"),
      full(
          "AnyOneHolds",
          R"({"allow": [{"name": "either", "any": [{"header": "a", "exact": "1"}, {"header": "b", "exact": "2"}]}]})",
          {{"b", "2"}}, true, "either"),
      full(
          "AnyNoneHolds",
          R"({"allow": [{"name": "either", "any": [{"header": "a", "exact": "1"}, {"header": "b", "exact": "2"}]}]})",
          {{"a", "2"}, {"b", "1"}}, false, "default"),
      // order: deny before allow before default
      full("DenyBeatsAllow", kOrderConfig, {{"allow", "true"}, {"user-agent", "EvilBot"}}, false,
           "no-bots"),
      full("AllowWhenNoDenyMatches", kOrderConfig, {{"allow", "true"}, {"user-agent", "curl"}},
           true, "tutorial"),
      full("SecondDenyPolicy", kOrderConfig, {{"allow", "true"}, {"x-debug", ""}}, false,
           "no-debug"),
      full("FirstMatchingDenyIsReported", kOrderConfig, {{"x-debug", "1"}, {"user-agent", "bot"}},
           false, "no-bots"),
      full("FirstMatchingAllowIsReported", kOrderConfig, {{"x-token", "t"}, {"allow", "true"}},
           true, "tutorial"),
      full("SecondAllowPolicy", kOrderConfig, {{"x-token", "t"}}, true, "token"),
      full("DefaultDenyWhenNothingMatches", kOrderConfig, {{"allow", "yes"}}, false, "default"),
      full("DefaultAllow", R"({"allow": [], "default": "allow"})", {{"allow", "no"}}, true,
           "default"),
      full(
          "DenyBeatsDefaultAllow",
          R"({"deny": [{"name": "d", "all": [{"header": "x", "present": true}]}], "default": "allow"})",
          {{"x", ""}}, false, "d"),
      full("NoPoliciesDefaultDeny", R"({"stat_prefix": "edge"})", {{"allow", "true"}}, false,
           "default"),
      full("ExplicitTutorialPolicyJoinsRepeatedValues",
           R"({"allow": [{"name": "tutorial", "all": [{"header": "allow", "exact": "true"}]}]})",
           {{"allow", "true"}, {"allow", "true"}}, false, "default"),
      full("EmptyConfigurationKeepsFirstValueRule", "{}", {{"allow", "true"}, {"allow", "no"}},
           true, "tutorial"),
      full("EmptyConfigurationDenies", "", {{"allow", "True"}}, false, "default"),
      // dry run
      full(
          "DryRunLetsDeniedThrough",
          R"({"deny": [{"name": "no-bots", "any": [{"header": "user-agent", "contains": "bot"}]}], "default": "allow", "dry_run": true})",
          {{"user-agent", "bot"}}, true, "no-bots", "", -1, true),
      full(
          "DryRunAllowedIsNotCounted",
          R"({"deny": [{"name": "no-bots", "any": [{"header": "user-agent", "contains": "bot"}]}], "default": "allow", "dry_run": true})",
          {{"user-agent", "curl"}}, true, "default"),
      full("DryRunDefaultDeny", R"({"dry_run": true})", {}, true, "default", "", -1, true),
      full("DryRunFalseDenies", R"({"dry_run": false})", {}, false, "default"),
      // routes
      full("RouteByRouteName", kRoutesConfig, {{":method", "GET"}}, true, "r1-any", "r1", 0),
      full("RouteReplacesAllow", kRoutesConfig, {{":method", "PUT"}, {"allow", "true"}}, false,
           "default", "r1", 0),
      full("RouteInheritsDeny", kRoutesConfig, {{":method", "GET"}, {"user-agent", "bot"}}, false,
           "no-bots", "r1", 0),
      full("OtherRouteNameUsesTopLevel", kRoutesConfig, {{":method", "GET"}}, false, "default",
           "r9"),
      full("TopLevelWithoutRouteName", kRoutesConfig, {{"allow", "true"}}, true, "tutorial"),
      full("RouteByHostAndPathPrefix", kRoutesConfig,
           {{":authority", "api.example.com:8443"},
            {":path", "/admin/users?x=1"},
            {"allow", "true"}},
           false, "default", "", 1),
      full("RouteNeedsEveryMatchField", kRoutesConfig,
           {{":authority", "api.example.com"}, {":path", "/status"}, {"allow", "true"}}, true,
           "tutorial"),
      full("RouteHostMatchIgnoresCase", kRoutesConfig,
           {{":authority", "OPEN.example.COM"}, {":path", "/"}}, true, "default", "", 2),
      full("RoutePathPrefixIgnoresQuery", kRoutesConfig, {{":path", "/public?/admin"}}, true,
           "default", "", 3),
      full("RouteClearsDeny", kRoutesConfig, {{":path", "/public/x"}, {"user-agent", "bot"}}, true,
           "default", "", 3),
      full("RoutePathPrefixIsCaseSensitive", kRoutesConfig, {{":path", "/PUBLIC/x"}}, false,
           "default"),
      full("RouteWithoutPathDoesNotMatchPathPrefix", kRoutesConfig, {{"allow", "true"}}, true,
           "tutorial"),
      full("RouteDryRunOnly", kRoutesConfig, {{":path", "/audit/log"}, {"user-agent", "bot"}}, true,
           "no-bots", "", 4, true),
      full("RouteDryRunInheritsAllow", kRoutesConfig, {{":path", "/audit"}, {"allow", "true"}},
           true, "tutorial", "", 4),
      full("FirstMatchingRouteWins", kRoutesConfig,
           {{":authority", "two.example.com"}, {":method", "GET"}}, true, "default", "r2", 5),
      full("LaterRouteWhenEarlierFieldFails", kRoutesConfig,
           {{":authority", "one.example.com"}, {":method", "POST"}}, true, "r2-post", "r2", 6),
  };
  return cases;
}

}  // namespace meshwasm::header_auth::testing
