// Configuration parsing and strict validation: JSON text -> PolicyData.
//
// Every error names the JSON path of the offending value (`allow[0].all[1]: unknown field
// "exatc"`); the root itself is written `(root)`. The texts are part of the interface (operators
// read them in Envoy's log) and are asserted exactly in config_test.cc and the README.
//
// Written for small guest code (header_auth.wasm has a 40 KiB budget): the JSON path is a stack
// of segments kept in the reader and rendered only when an error is reported; field lists are
// data; readers return bool after recording the first error.
#include <cstdlib>
#include <cstring>

#include "json_reader.h"
#include "policy_data.h"
#include "text.h"

namespace meshwasm::header_auth {
namespace {

constexpr size_t kMaxConfigSize = 256 * 1024;
constexpr char kDigestPrefix[] = "sha256:";
constexpr size_t kDigestPrefixSize = sizeof(kDigestPrefix) - 1;
constexpr char kBadDigest[] = "invalid sha256 digest (expected \"sha256:\" and 64 hex digits)";

// Field lists (nullptr-terminated).
constexpr const char* kTopFields[] = {"deny",    "allow",       "default", "deny_response",
                                      "dry_run", "stat_prefix", "routes",  nullptr};
constexpr const char* kRouteFields[] = {"match",   "deny",          "allow", "default",
                                        "dry_run", "deny_response", nullptr};
constexpr const char* kMatchFields[] = {"route_name", "host", "path_prefix", nullptr};
constexpr const char* kRuleFields[] = {"name", "all", "any", nullptr};
constexpr const char* kResponseFields[] = {"status",  "body",        "headers",
                                           "details", "grpc_status", nullptr};
// The six matchers first, in MatchKind order.
constexpr const char* kConditionFields[] = {"exact",
                                            "prefix",
                                            "suffix",
                                            "contains",
                                            "one_of",
                                            "present",
                                            "header",
                                            "attribute",
                                            "invert",
                                            "ignore_case",
                                            "treat_missing_as_empty",
                                            nullptr};
constexpr int kMatcherCount = 6;

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool isHeaderName(std::string_view name, bool allow_pseudo) {
  if (allow_pseudo && !name.empty() && name.front() == ':') name.remove_prefix(1);
  if (name.empty()) return false;
  for (char c : name) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// [A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)* ; with dots = false: [A-Za-z0-9_-]+
bool isDottedName(std::string_view name, bool dots) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  char previous = 0;
  for (char c : name) {
    if (c == '.' ? (!dots || previous == '.') : !isNameChar(c)) return false;
    previous = c;
  }
  return true;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = asciiLower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

class ConfigReader {
 public:
  ConfigReader(const JsonDocument& doc, PolicyData& data) : doc_(doc), data_(data) {}

  Status read() {
    if (readConfig()) return Status::ok();
    return Status::error(std::move(error_));
  }

 private:
  struct Segment {
    std::string_view key;  // empty: an array element
    uint32_t index;
  };

  // The path of the value being read. On failure the reader stops, so a failed branch never
  // needs to leave().
  [[gnu::noinline]] void enter(std::string_view key) { path_[depth_++] = Segment{key, 0}; }
  [[gnu::noinline]] void enterIndex(uint32_t index) { path_[depth_++] = Segment{{}, index}; }
  void leave() { --depth_; }

  // Records "<path>: <message><name><tail>" and returns false.
  [[gnu::noinline]] bool fail(const char* message, std::string_view name = {},
                              const char* tail = "") {
    for (uint32_t i = 0; i < depth_; ++i) {
      if (path_[i].key.empty()) {
        error_.push_back('[');
        error_.append(decimal(path_[i].index));
        error_.push_back(']');
      } else {
        if (i > 0) error_.push_back('.');
        error_.append(path_[i].key);
      }
    }
    if (depth_ == 0) error_ = "(root)";
    error_.append(": ");
    error_.append(message);
    error_.append(name);
    error_.append(tail);
    return false;
  }

  const JsonNode* first(const JsonNode& node) const {
    return node.first_child == kNoJsonNode ? nullptr : &doc_.node(node.first_child);
  }
  const JsonNode* next(const JsonNode& node) const {
    return node.next_sibling == kNoJsonNode ? nullptr : &doc_.node(node.next_sibling);
  }
  [[gnu::noinline]] const JsonNode* member(const JsonNode& object, const char* key) const {
    return doc_.member(object, key);
  }
  bool textIs(const JsonNode& node, const char* word) const {
    return node.type == JsonType::String && doc_.text(node) == word;
  }

  // An object whose members are all in `allowed`, none repeated.
  [[gnu::noinline]] bool checkObject(const JsonNode& node, const char* const* allowed) {
    if (node.type != JsonType::Object) return fail("must be an object");
    for (const JsonNode* field = first(node); field != nullptr; field = next(*field)) {
      std::string_view key = doc_.key(*field);
      bool known = false;
      for (const char* const* name = allowed; *name != nullptr; ++name) {
        known = known || key == *name;
      }
      if (!known) return fail("unknown field \"", key, "\"");
      if (doc_.member(node, key) != field) return fail("duplicate field \"", key, "\"");
    }
    return true;
  }

  // The string member `key` of `object`, if present (`out` untouched when absent).
  [[gnu::noinline]] bool readText(const JsonNode& object, const char* key, std::string_view& out,
                                  bool non_empty = false) {
    const JsonNode* node = member(object, key);
    if (node == nullptr) return true;
    enter(key);
    if (node->type != JsonType::String) return fail("must be a string");
    out = doc_.text(*node);
    if (non_empty && out.empty()) return fail("must not be empty");
    leave();
    return true;
  }

  [[gnu::noinline]] bool readBool(const JsonNode& object, const char* key, bool& out) {
    const JsonNode* node = member(object, key);
    if (node == nullptr) return true;
    if (node->type != JsonType::Boolean) {
      enter(key);
      return fail("must be a boolean");
    }
    out = node->boolean;
    return true;
  }

  // An integer member within [low, high].
  [[gnu::noinline]] bool readInteger(const JsonNode& object, const char* key, int64_t low,
                                     int64_t high, const char* message, int64_t& out) {
    const JsonNode* node = member(object, key);
    if (node == nullptr) return true;
    if (!node->is_integer || node->integer < low || node->integer > high) {
      enter(key);
      return fail(message);
    }
    out = node->integer;
    return true;
  }

  // A non-empty-checked array member; `list` is nullptr when absent.
  [[gnu::noinline]] bool readArray(const JsonNode& object, const char* key, bool non_empty,
                                   const JsonNode*& list) {
    list = member(object, key);
    if (list == nullptr) return true;
    enter(key);
    if (list->type != JsonType::Array) return fail("must be an array");
    if (non_empty && list->child_count == 0) return fail("must not be empty");
    leave();
    return true;
  }

  bool readMatchValue(const JsonNode& node, bool digests, bool non_empty);
  bool readCondition(const JsonNode& node);
  bool readRule(const JsonNode& node);
  bool readRules(const JsonNode& object, const char* key, Range& out, uint32_t names_begin);
  bool readResponse(const JsonNode& node, DenyResponse& out);
  bool readRuleSet(const JsonNode& object, RuleSet& out);
  bool readRoute(const JsonNode& node, Route& out);
  bool readConfig();
  void assignCounters();

  const JsonDocument& doc_;
  PolicyData& data_;
  std::string error_;
  uint32_t next_response_ = 1;
  Segment path_[kMaxJsonDepth + 2];
  uint32_t depth_ = 0;
};

// The path is at the value.
bool ConfigReader::readMatchValue(const JsonNode& node, bool digests, bool non_empty) {
  if (node.type != JsonType::String) return fail("must be a string");
  std::string_view text = doc_.text(node);
  MatchValue value;
  if (digests && text.substr(0, kDigestPrefixSize) == kDigestPrefix) {
    std::string_view hex = text.substr(kDigestPrefixSize);
    if (hex.size() != 64) return fail(kBadDigest);
    for (size_t i = 0; i < 32; ++i) {
      int high = hexValue(hex[2 * i]), low = hexValue(hex[2 * i + 1]);
      if (high < 0 || low < 0) return fail(kBadDigest);
      value.digest[i] = uint8_t(high * 16 + low);
    }
    value.hashed = true;
  } else {
    if (non_empty && text.empty()) return fail("must not be empty");
    value.text = data_.add(text);
  }
  data_.values.push_back(value);
  return true;
}

bool ConfigReader::readCondition(const JsonNode& node) {
  if (!checkObject(node, kConditionFields)) return false;
  Condition out;
  const JsonNode* header = member(node, "header");
  const JsonNode* attribute = member(node, "attribute");
  if (header != nullptr && attribute != nullptr) {
    return fail("has two subjects (\"header\" and \"attribute\")");
  }
  if (header != nullptr) {
    std::string_view name;
    if (!readText(node, "header", name)) return false;
    if (!isHeaderName(name, true)) {
      enter("header");
      return fail("not a valid header name");
    }
    out.header = data_.add(toLowerAscii(name));
  } else if (attribute != nullptr) {
    if (textIs(*attribute, "path")) {
      out.subject = Subject::Path;
    } else if (textIs(*attribute, "method")) {
      out.subject = Subject::Method;
    } else if (textIs(*attribute, "host")) {
      out.subject = Subject::Host;
    } else {
      enter("attribute");
      return fail("must be \"path\", \"method\" or \"host\"");
    }
  } else {
    return fail("needs a subject (\"header\" or \"attribute\")");
  }

  // Exactly one matcher; two are reported by their names in document order.
  const JsonNode* matcher = nullptr;
  for (const JsonNode* field = first(node); field != nullptr; field = next(*field)) {
    for (int k = 0; k < kMatcherCount; ++k) {
      if (doc_.key(*field) != kConditionFields[k]) continue;
      if (matcher != nullptr) {
        std::string names(doc_.key(*matcher));
        names.append("\" and \"");
        names.append(doc_.key(*field));
        return fail("has two matchers (\"", names, "\")");
      }
      matcher = field;
      out.kind = MatchKind(k);
    }
  }
  if (matcher == nullptr) {
    return fail("needs a matcher (exact, prefix, suffix, contains, one_of or present)");
  }
  out.values.begin = uint32_t(data_.values.size());
  if (out.kind == MatchKind::Present) {
    if (!readBool(node, "present", out.present)) return false;
  } else {
    enter(doc_.key(*matcher));
    if (out.kind == MatchKind::OneOf) {
      if (matcher->type != JsonType::Array) return fail("must be an array");
      if (matcher->child_count == 0) return fail("must not be empty");
      uint32_t index = 0;
      for (const JsonNode* item = first(*matcher); item != nullptr; item = next(*item)) {
        enterIndex(index++);
        if (!readMatchValue(*item, true, false)) return false;
        leave();
      }
    } else {
      bool exact = out.kind == MatchKind::Exact;
      if (!readMatchValue(*matcher, exact, !exact)) return false;
    }
    leave();
  }
  out.values.end = uint32_t(data_.values.size());
  for (uint32_t i = out.values.begin; i < out.values.end; ++i) {
    out.any_hashed = out.any_hashed || data_.values[i].hashed;
  }

  if (!readBool(node, "invert", out.invert) || !readBool(node, "ignore_case", out.ignore_case) ||
      !readBool(node, "treat_missing_as_empty", out.treat_missing_as_empty)) {
    return false;
  }
  if (out.kind == MatchKind::Present) {
    if (out.ignore_case) return fail("ignore_case does not apply to present");
    if (out.treat_missing_as_empty) {
      return fail("treat_missing_as_empty does not apply to present");
    }
  }
  if (out.ignore_case && out.any_hashed) {
    return fail("ignore_case cannot be used with a sha256 digest");
  }
  data_.conditions.push_back(out);
  return true;
}

bool ConfigReader::readRule(const JsonNode& node) {
  if (!checkObject(node, kRuleFields)) return false;
  Rule rule;
  if (member(node, "name") == nullptr) return fail("needs a \"name\"");
  std::string_view name;
  if (!readText(node, "name", name)) return false;
  if (!isDottedName(name, false)) {
    enter("name");
    return fail("must match [A-Za-z0-9_-]+");
  }
  rule.name = data_.add(name);

  const JsonNode* all = member(node, "all");
  const JsonNode* any = member(node, "any");
  if (all != nullptr && any != nullptr) return fail("has both \"all\" and \"any\"");
  if (all == nullptr && any == nullptr) return fail("needs \"all\" or \"any\"");
  rule.require_all = all != nullptr;
  const char* key = rule.require_all ? "all" : "any";
  const JsonNode* list = nullptr;
  if (!readArray(node, key, true, list)) return false;
  enter(key);
  rule.conditions.begin = uint32_t(data_.conditions.size());
  uint32_t index = 0;
  for (const JsonNode* item = first(*list); item != nullptr; item = next(*item)) {
    enterIndex(index++);
    if (!readCondition(*item)) return false;
    leave();
  }
  leave();
  rule.conditions.end = uint32_t(data_.conditions.size());
  data_.rules.push_back(rule);
  return true;
}

// The list `key` of `object` (absent: `out` unchanged). Policy names are unique among the
// lists of one object: the rules from `names_begin` on.
bool ConfigReader::readRules(const JsonNode& object, const char* key, Range& out,
                             uint32_t names_begin) {
  const JsonNode* list = nullptr;
  if (!readArray(object, key, false, list)) return false;
  if (list == nullptr) return true;
  enter(key);
  out.begin = uint32_t(data_.rules.size());
  uint32_t index = 0;
  for (const JsonNode* item = first(*list); item != nullptr; item = next(*item)) {
    enterIndex(index++);
    if (!readRule(*item)) return false;
    std::string_view name = data_.view(data_.rules.back().name);
    for (uint32_t i = names_begin; i + 1 < data_.rules.size(); ++i) {
      if (data_.view(data_.rules[i].name) == name) {
        enter("name");
        return fail("duplicate policy name \"", name, "\"");
      }
    }
    leave();
  }
  leave();
  out.end = uint32_t(data_.rules.size());
  return true;
}

// The path is at the deny_response object.
bool ConfigReader::readResponse(const JsonNode& node, DenyResponse& out) {
  if (!checkObject(node, kResponseFields)) return false;
  int64_t status = out.status, grpc_status = out.grpc_status;
  std::string_view body = out.body, details = out.details;
  if (!readInteger(node, "status", 200, 599, "must be an integer between 200 and 599", status) ||
      !readInteger(node, "grpc_status", 0, 16, "must be an integer between 0 and 16",
                   grpc_status) ||
      !readText(node, "body", body) || !readText(node, "details", details)) {
    return false;
  }
  out.status = uint32_t(status);
  out.grpc_status = int32_t(grpc_status);
  out.body = std::string(body);
  out.details = std::string(details);
  const JsonNode* headers = member(node, "headers");
  if (headers == nullptr) return true;
  enter("headers");
  if (headers->type != JsonType::Object) return fail("must be an object");
  out.headers.clear();
  for (const JsonNode* header = first(*headers); header != nullptr; header = next(*header)) {
    std::string_view key = doc_.key(*header);
    if (!isHeaderName(key, false)) return fail("invalid header name \"", key, "\"");
    std::string name = toLowerAscii(key);
    for (const auto& seen : out.headers) {
      if (seen.first == name) return fail("duplicate header \"", name, "\"");
    }
    enter(key);
    path_[depth_ - 1].key = out.headers.emplace_back(std::move(name), std::string()).first;
    if (header->type != JsonType::String) return fail("must be a string");
    std::string_view value = doc_.text(*header);
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != value.npos) {
      return fail("must not contain CR, LF or NUL");
    }
    out.headers.back().second = std::string(value);
    leave();
  }
  leave();
  return true;
}

// The fields a route may override, shared with the top level; the path is at the object.
bool ConfigReader::readRuleSet(const JsonNode& object, RuleSet& out) {
  uint32_t names_begin = uint32_t(data_.rules.size());
  if (!readRules(object, "deny", out.deny, names_begin) ||
      !readRules(object, "allow", out.allow, names_begin) ||
      !readBool(object, "dry_run", out.dry_run)) {
    return false;
  }
  if (const JsonNode* fallback = member(object, "default")) {
    if (textIs(*fallback, "allow")) {
      out.fallback = Verdict::Allow;
    } else if (textIs(*fallback, "deny")) {
      out.fallback = Verdict::Deny;
    } else {
      enter("default");
      return fail("must be \"allow\" or \"deny\"");
    }
  }
  if (const JsonNode* response = member(object, "deny_response")) {
    // The top level owns responses[0]; each route with a deny_response the next slot (counted
    // by readConfig before any route is read).
    if (&out != &data_.top) out.response = next_response_++;
    if (out.response >= data_.response_count) std::abort();  // counting bug, not input
    DenyResponse& parsed = data_.responses[out.response];
    parsed = defaultConfiguredResponse();
    enter("deny_response");
    if (!readResponse(*response, parsed)) return false;
    leave();
  }
  return true;
}

// The path is at the route.
bool ConfigReader::readRoute(const JsonNode& node, Route& out) {
  if (!checkObject(node, kRouteFields)) return false;
  const JsonNode* match = member(node, "match");
  if (match == nullptr) return fail("needs a \"match\"");
  enter("match");
  if (!checkObject(*match, kMatchFields)) return false;
  if (match->child_count == 0) return fail("must set route_name, host or path_prefix");
  RouteMatch& m = out.match;
  std::string_view route_name, host, path_prefix;
  if (!readText(*match, "route_name", route_name, true) || !readText(*match, "host", host, true) ||
      !readText(*match, "path_prefix", path_prefix, true)) {
    return false;
  }
  if (!path_prefix.empty() && path_prefix.front() != '/') {
    enter("path_prefix");
    return fail("must start with \"/\"");
  }
  m.has_route_name = !route_name.empty();
  m.has_host = !host.empty();
  m.has_path_prefix = !path_prefix.empty();
  m.route_name = data_.add(route_name);
  m.host = data_.add(toLowerAscii(host));
  m.path_prefix = data_.add(path_prefix);
  leave();
  out.rules = data_.top;  // inherit, then override what the route sets
  return readRuleSet(node, out.rules);
}

// One counter per distinct policy name, in order of first appearance.
void ConfigReader::assignCounters() {
  for (Rule& rule : data_.rules) {
    std::string counter = data_.stat_prefix;
    counter.append(".policy.");
    counter.append(data_.view(rule.name));
    counter.append(".matched");
    size_t index = 0;
    while (index < data_.policy_counters.size() && data_.policy_counters[index] != counter) {
      ++index;
    }
    if (index == data_.policy_counters.size()) data_.policy_counters.push_back(counter);
    rule.counter = int32_t(index);
  }
}

bool ConfigReader::readConfig() {
  const JsonNode& root = doc_.root();
  if (!checkObject(root, kTopFields)) return false;
  if (root.child_count == 0) {
    data_.tutorial = true;
    return true;
  }
  std::string_view prefix = data_.stat_prefix;
  if (!readText(root, "stat_prefix", prefix)) return false;
  if (!isDottedName(prefix, true)) {
    enter("stat_prefix");
    return fail("must match [A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
  }
  data_.stat_prefix = std::string(prefix);
  const JsonNode* routes = member(root, "routes");
  data_.response_count = 1;
  if (routes != nullptr && routes->type == JsonType::Array) {
    for (const JsonNode* route = first(*routes); route != nullptr; route = next(*route)) {
      if (member(*route, "deny_response") != nullptr) ++data_.response_count;
    }
  }
  data_.responses = std::make_unique<DenyResponse[]>(data_.response_count);
  data_.responses[0] = defaultConfiguredResponse();
  if (!readRuleSet(root, data_.top)) return false;
  if (!readArray(root, "routes", true, routes)) return false;
  if (routes != nullptr) {
    enter("routes");
    uint32_t index = 0;
    for (const JsonNode* item = first(*routes); item != nullptr; item = next(*item)) {
      enterIndex(index++);
      Route route;
      if (!readRoute(*item, route)) return false;
      data_.routes.push_back(route);
      leave();
    }
    leave();
  }
  setOutcomeCounters(data_);
  assignCounters();
  return true;
}

}  // namespace

DenyResponse defaultConfiguredResponse() {
  DenyResponse response = tutorialResponse();
  response.details = "header_auth_denied";
  return response;
}

Status parseConfig(std::string_view json, PolicyData& data) {
  if (json.size() > kMaxConfigSize) {
    return Status::error("(root): configuration larger than " + decimal(kMaxConfigSize) + " bytes");
  }
  StatusOr<JsonDocument> doc = JsonDocument::parse(json);
  if (!doc) return doc.status();
  return ConfigReader(*doc, data).read();
}

}  // namespace meshwasm::header_auth
