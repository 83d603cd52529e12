// Configuration validation: every refused configuration and its exact error text.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "policy.h"
#include "policy_cases.h"

namespace meshwasm::header_auth {
namespace {

// Wraps one condition as allow[0].all[0].
std::string cond(const std::string& condition) {
  return testing::allowIf(condition);
}

struct ConfigError {
  std::string config;
  std::string error;
};

void PrintTo(const ConfigError& c, std::ostream* out) {
  *out << c.error;
}

class ConfigErrors : public ::testing::TestWithParam<ConfigError> {};

TEST_P(ConfigErrors, AreRefusedWithTheExactMessage) {
  const auto& [config, error] = GetParam();
  auto policy = Policy::parse(config);
  ASSERT_FALSE(policy.isOk()) << config;
  EXPECT_EQ(policy.message(), error) << config;
}

std::vector<ConfigError> errorCases() {
  const std::string digest = testing::kSecretDigest;
  return {
      // the example from the issue
      {R"({"allow": [{"name": "a", "all": [{"header": "x", "exact": "1"},
                                             {"header": "allow", "exatc": "true"}]}]})",
       R"(allow[0].all[1]: unknown field "exatc")"},
      // JSON syntax
      {"{", "invalid JSON at byte 1: unexpected end of input"},
      {"{\"allow\": [}", "invalid JSON at byte 11: expected a value"},
      {"{\"a\" 1}", "invalid JSON at byte 5: expected ':' after an object key"},
      {"{} {}", "invalid JSON at byte 3: trailing characters after the value"},
      {"{'allow': []}", "invalid JSON at byte 1: expected a string key"},
      // root
      {"[]", "(root): must be an object"},
      {"null", "(root): must be an object"},
      {R"({"allow": [], "colour": 1})", R"((root): unknown field "colour")"},
      {R"({"default": "deny", "default": "allow"})", R"((root): duplicate field "default")"},
      {std::string("{\"stat_prefix\": \"") + std::string(300 * 1024, 'a') + "\"}",
       "(root): configuration larger than 262144 bytes"},
      // top-level fields
      {R"({"default": "maybe"})", R"(default: must be "allow" or "deny")"},
      {R"({"default": true})", R"(default: must be "allow" or "deny")"},
      {R"({"dry_run": "yes"})", "dry_run: must be a boolean"},
      {R"({"stat_prefix": 7})", "stat_prefix: must be a string"},
      {R"({"stat_prefix": "a..b"})",
       R"(stat_prefix: must match [A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)"},
      {R"({"stat_prefix": ""})", R"(stat_prefix: must match [A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)"},
      {R"({"stat_prefix": "a b"})", R"(stat_prefix: must match [A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)"},
      {R"({"allow": {}})", "allow: must be an array"},
      {R"({"deny": [1]})", "deny[0]: must be an object"},
      // policies
      {R"({"allow": [{"all": [{"header": "x", "present": true}]}]})",
       R"(allow[0]: needs a "name")"},
      {R"({"allow": [{"name": 1, "all": []}]})", "allow[0].name: must be a string"},
      {R"({"allow": [{"name": "a b", "all": []}]})", "allow[0].name: must match [A-Za-z0-9_-]+"},
      {R"({"allow": [{"name": "", "all": []}]})", "allow[0].name: must match [A-Za-z0-9_-]+"},
      {R"({"allow": [{"name": "a"}]})", R"(allow[0]: needs "all" or "any")"},
      {R"({"allow": [{"name": "a", "all": [], "any": []}]})",
       R"(allow[0]: has both "all" and "any")"},
      {R"({"allow": [{"name": "a", "all": []}]})", "allow[0].all: must not be empty"},
      {R"({"deny": [{"name": "a", "any": {}}]})", "deny[0].any: must be an array"},
      {R"({"allow": [{"name": "a", "all": ["x"]}]})", "allow[0].all[0]: must be an object"},
      {R"({"allow": [{"name": "a", "all": [{"header": "x", "present": true}], "when": 1}]})",
       R"(allow[0]: unknown field "when")"},
      {R"({"deny": [{"name": "a", "all": [{"header": "x", "present": true}]}],
           "allow": [{"name": "a", "all": [{"header": "y", "present": true}]}]})",
       R"(allow[0].name: duplicate policy name "a")"},
      {R"({"allow": [{"name": "a", "all": [{"header": "x", "present": true}]},
                     {"name": "a", "all": [{"header": "y", "present": true}]}]})",
       R"(allow[1].name: duplicate policy name "a")"},
      // conditions: subjects
      {cond(R"({"exact": "1"})"), R"(allow[0].all[0]: needs a subject ("header" or "attribute"))"},
      {cond(R"({"header": "x", "attribute": "path", "exact": "1"})"),
       R"(allow[0].all[0]: has two subjects ("header" and "attribute"))"},
      {cond(R"({"header": 5, "exact": "1"})"), "allow[0].all[0].header: must be a string"},
      {cond(R"({"header": "", "exact": "1"})"), "allow[0].all[0].header: not a valid header name"},
      {cond(R"({"header": "bad name", "exact": "1"})"),
       "allow[0].all[0].header: not a valid header name"},
      {cond(R"({"header": "x:y", "exact": "1"})"),
       "allow[0].all[0].header: not a valid header name"},
      {cond(R"({"attribute": "query", "exact": "1"})"),
       R"(allow[0].all[0].attribute: must be "path", "method" or "host")"},
      {cond(R"({"attribute": 1, "exact": "1"})"),
       R"(allow[0].all[0].attribute: must be "path", "method" or "host")"},
      // conditions: matchers
      {cond(R"({"header": "x"})"),
       "allow[0].all[0]: needs a matcher (exact, prefix, suffix, contains, one_of or present)"},
      {cond(R"({"header": "x", "exact": "1", "prefix": "1"})"),
       R"(allow[0].all[0]: has two matchers ("exact" and "prefix"))"},
      {cond(R"({"header": "x", "present": true, "contains": "1"})"),
       R"(allow[0].all[0]: has two matchers ("present" and "contains"))"},
      {cond(R"({"header": "x", "exact": 1})"), "allow[0].all[0].exact: must be a string"},
      {cond(R"({"header": "x", "prefix": ""})"), "allow[0].all[0].prefix: must not be empty"},
      {cond(R"({"header": "x", "suffix": ""})"), "allow[0].all[0].suffix: must not be empty"},
      {cond(R"({"header": "x", "contains": ""})"), "allow[0].all[0].contains: must not be empty"},
      {cond(R"({"header": "x", "contains": null})"), "allow[0].all[0].contains: must be a string"},
      {cond(R"({"header": "x", "one_of": []})"), "allow[0].all[0].one_of: must not be empty"},
      {cond(R"({"header": "x", "one_of": "a"})"), "allow[0].all[0].one_of: must be an array"},
      {cond(R"({"header": "x", "one_of": ["a", 2]})"),
       "allow[0].all[0].one_of[1]: must be a string"},
      {cond(R"({"header": "x", "present": "yes"})"), "allow[0].all[0].present: must be a boolean"},
      {cond(R"({"header": "x", "exact": "1", "invert": 1})"),
       "allow[0].all[0].invert: must be a boolean"},
      {cond(R"({"header": "x", "exact": "1", "ignore_case": "true"})"),
       "allow[0].all[0].ignore_case: must be a boolean"},
      {cond(R"({"header": "x", "exact": "1", "treat_missing_as_empty": 0})"),
       "allow[0].all[0].treat_missing_as_empty: must be a boolean"},
      {cond(R"({"header": "x", "present": true, "ignore_case": true})"),
       "allow[0].all[0]: ignore_case does not apply to present"},
      {cond(R"({"header": "x", "present": false, "treat_missing_as_empty": true})"),
       "allow[0].all[0]: treat_missing_as_empty does not apply to present"},
      // digests
      {cond(R"({"header": "x", "exact": "sha256:abc"})"),
       R"(allow[0].all[0].exact: invalid sha256 digest (expected "sha256:" and 64 hex digits))"},
      {cond(
           R"({"header": "x", "exact": "sha256:zz978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"})"),
       R"(allow[0].all[0].exact: invalid sha256 digest (expected "sha256:" and 64 hex digits))"},
      {cond(R"({"header": "x", "one_of": ["a", "sha256:"]})"),
       R"(allow[0].all[0].one_of[1]: invalid sha256 digest (expected "sha256:" and 64 hex digits))"},
      {cond(R"({"header": "x", "exact": ")" + digest + R"(", "ignore_case": true})"),
       "allow[0].all[0]: ignore_case cannot be used with a sha256 digest"},
      // deny_response
      {R"({"deny_response": []})", "deny_response: must be an object"},
      {R"({"deny_response": {"code": 403}})", R"(deny_response: unknown field "code")"},
      {R"({"deny_response": {"status": 199}})",
       "deny_response.status: must be an integer between 200 and 599"},
      {R"({"deny_response": {"status": 600}})",
       "deny_response.status: must be an integer between 200 and 599"},
      {R"({"deny_response": {"status": "403"}})",
       "deny_response.status: must be an integer between 200 and 599"},
      {R"({"deny_response": {"status": 403.5}})",
       "deny_response.status: must be an integer between 200 and 599"},
      {R"({"deny_response": {"grpc_status": -1}})",
       "deny_response.grpc_status: must be an integer between 0 and 16"},
      {R"({"deny_response": {"grpc_status": 17}})",
       "deny_response.grpc_status: must be an integer between 0 and 16"},
      {R"({"deny_response": {"body": 1}})", "deny_response.body: must be a string"},
      {R"({"deny_response": {"details": false}})", "deny_response.details: must be a string"},
      {R"({"deny_response": {"headers": []}})", "deny_response.headers: must be an object"},
      {R"({"deny_response": {"headers": {"bad name": "x"}}})",
       R"(deny_response.headers: invalid header name "bad name")"},
      {R"({"deny_response": {"headers": {":status": "200"}}})",
       R"(deny_response.headers: invalid header name ":status")"},
      {R"({"deny_response": {"headers": {"X-A": "1", "x-a": "2"}}})",
       R"(deny_response.headers: duplicate header "x-a")"},
      {R"({"deny_response": {"headers": {"x-a": 1}}})",
       "deny_response.headers.x-a: must be a string"},
      {R"({"deny_response": {"headers": {"x-a": "a\r\nx-b: 1"}}})",
       "deny_response.headers.x-a: must not contain CR, LF or NUL"},
      // routes
      {R"({"routes": []})", "routes: must not be empty"},
      {R"({"routes": {}})", "routes: must be an array"},
      {R"({"routes": [1]})", "routes[0]: must be an object"},
      {R"({"routes": [{"allow": []}]})", R"(routes[0]: needs a "match")"},
      {R"({"routes": [{"match": {}}]})",
       "routes[0].match: must set route_name, host or path_prefix"},
      {R"({"routes": [{"match": {"path": "/"}}]})", R"(routes[0].match: unknown field "path")"},
      {R"({"routes": [{"match": {"host": ""}}]})", "routes[0].match.host: must not be empty"},
      {R"({"routes": [{"match": {"route_name": 1}}]})",
       "routes[0].match.route_name: must be a string"},
      {R"({"routes": [{"match": {"path_prefix": "admin"}}]})",
       R"(routes[0].match.path_prefix: must start with "/")"},
      {R"({"routes": [{"match": {"host": "a"}, "stat_prefix": "x"}]})",
       R"(routes[0]: unknown field "stat_prefix")"},
      {R"({"routes": [{"match": {"host": "a"}}, {"match": {"host": "b"}, "default": "no"}]})",
       R"(routes[1].default: must be "allow" or "deny")"},
      {R"({"routes": [{"match": {"host": "a"}, "allow": [{"name": "x", "any": [{"header": "y"}]}]}]})",
       "routes[0].allow[0].any[0]: needs a matcher (exact, prefix, suffix, contains, one_of or "
       "present)"},
      {R"({"routes": [{"match": {"host": "a"}, "deny_response": {"status": 100}}]})",
       "routes[0].deny_response.status: must be an integer between 200 and 599"},
  };
}

INSTANTIATE_TEST_SUITE_P(Table, ConfigErrors, ::testing::ValuesIn(errorCases()));

TEST(ConfigAccepted, TheIssueExampleParses) {
  auto policy = Policy::parse(R"({
    "deny":  [ {"name": "no-bots", "any": [ {"header": "user-agent", "contains": "bot", "ignore_case": true} ]} ],
    "allow": [ {"name": "tutorial", "all": [ {"header": "allow", "exact": "true"} ]} ],
    "default": "deny",
    "deny_response": {"status": 403, "body": "Forbidden by ASM Wasm Plugin, cpp version\n",
                      "headers": {"content-type": "text/plain"}, "details": "header_auth_denied",
                      "grpc_status": 7},
    "dry_run": false,
    "stat_prefix": "header_auth",
    "routes": [ {"match": {"route_name": "r1", "host": "api.example.com", "path_prefix": "/admin"},
                 "allow": [], "deny": [], "default": "deny", "dry_run": false} ]
  })");
  ASSERT_TRUE(policy.isOk()) << policy.message();
  EXPECT_FALSE(policy->isTutorial());
}

TEST(ConfigAccepted, RouteMayReuseATopLevelPolicyName) {
  auto policy =
      Policy::parse(R"({"allow": [{"name": "a", "all": [{"header": "x", "present": true}]}],
      "routes": [{"match": {"host": "h"}, "deny": [{"name": "a", "all": [{"header": "y", "present": true}]}]}]})");
  EXPECT_TRUE(policy.isOk()) << policy.message();
}

TEST(ConfigAccepted, FalseOptionsWithPresentAreAccepted) {
  auto policy = Policy::parse(cond(
      R"({"header": "x", "present": true, "ignore_case": false, "treat_missing_as_empty": false})"));
  EXPECT_TRUE(policy.isOk()) << policy.message();
}

TEST(ConfigAccepted, LiteralPrefixMayStartWithSha256) {
  auto policy = Policy::parse(cond(R"({"header": "x", "prefix": "sha256:"})"));
  EXPECT_TRUE(policy.isOk()) << policy.message();
}

TEST(ConfigAccepted, StatusBoundsAreInclusive) {
  EXPECT_TRUE(Policy::parse(R"({"deny_response": {"status": 200, "grpc_status": 0}})").isOk());
  EXPECT_TRUE(Policy::parse(R"({"deny_response": {"status": 599, "grpc_status": 16}})").isOk());
}

// HEADER_AUTH_DIR is plugins/header_auth (set by CMake).
std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The ```json blocks of the README, as check_examples.py extracts them.
std::vector<std::string> readmeExamples() {
  const std::string readme = readFile(std::string(HEADER_AUTH_DIR) + "/README.md");
  std::vector<std::string> blocks;
  size_t pos = 0;
  while ((pos = readme.find("\n```json\n", pos)) != std::string::npos) {
    size_t start = pos + 9;
    size_t end = readme.find("\n```", start);
    if (end == std::string::npos) break;
    blocks.push_back(readme.substr(start, end + 1 - start));
    pos = end + 4;
  }
  return blocks;
}

TEST(ReadmeExamples, EveryJsonBlockIsAcceptedByTheParser) {
  std::vector<std::string> examples = readmeExamples();
  ASSERT_GE(examples.size(), 7u);
  for (const std::string& example : examples) {
    auto policy = Policy::parse(example);
    EXPECT_TRUE(policy.isOk()) << policy.message() << "\n" << example;
  }
  EXPECT_TRUE(Policy::parse(examples[0])->isTutorial());
}

TEST(ReadmeExamples, InvalidExamplesAreRefusedByTheParser) {
  const std::map<std::string, std::string> expected = {
      {"bad_default", R"(default: must be "allow" or "deny")"},
      {"bad_digest",
       R"(allow[0].all[0].exact: invalid sha256 digest (expected "sha256:" and 64 hex digits))"},
      {"bad_status", "deny_response.status: must be an integer between 200 and 599"},
      {"empty_list", "allow[0].any: must not be empty"},
      {"empty_match", "routes[0].match: must set route_name, host or path_prefix"},
      {"present_ignore_case", "allow[0].all[0]: ignore_case does not apply to present"},
      {"two_matchers", R"(allow[0].all[0]: has two matchers ("exact" and "prefix"))"},
      {"two_subjects", R"(allow[0].all[0]: has two subjects ("header" and "attribute"))"},
      {"unknown_field", R"(allow[0].all[1]: unknown field "exatc")"},
      {"wrong_type", "allow[0].all[0].present: must be a boolean"},
  };
  for (const auto& [name, error] : expected) {
    std::string config =
        readFile(std::string(HEADER_AUTH_DIR) + "/schema/invalid/" + name + ".json");
    ASSERT_FALSE(config.empty()) << name;
    auto policy = Policy::parse(config);
    ASSERT_FALSE(policy.isOk()) << name;
    EXPECT_EQ(policy.message(), error) << name;
  }
}

TEST(ReadmeExamples, DocumentedJsonSyntaxErrorIsReal) {
  auto policy = Policy::parse(R"({"default": "deny" "allow": []})");
  ASSERT_FALSE(policy.isOk());
  EXPECT_EQ(policy.message(), "invalid JSON at byte 19: expected ',' or '}'");
}

}  // namespace
}  // namespace meshwasm::header_auth
