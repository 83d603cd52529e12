// Configuration parsing and strict validation: JSON text -> PolicyData.
//
// Every error names the JSON path of the offending value (`allow[0].all[1]: unknown field
// "exatc"`); the root itself is written `(root)`. The texts are part of the interface (operators
// read them in Envoy's log) and are asserted exactly in config_test.cc and the README.
// Paths are built only when an error is reported: a Path is a chain of stack records.
#include <initializer_list>

#include "json_reader.h"
#include "policy_data.h"
#include "text.h"

namespace meshwasm::header_auth {
namespace {

constexpr size_t kMaxConfigSize = 256 * 1024;
constexpr std::string_view kDigestPrefix = "sha256:";
constexpr std::string_view kBadDigest =
    "invalid sha256 digest (expected \"sha256:\" and 64 hex digits)";

struct Path {
  const Path* parent = nullptr;  // nullptr: the root
  std::string_view key;          // member name, or empty for an array element
  uint32_t index = 0;
};

void renderPath(const Path& path, std::string& out) {
  if (path.parent == nullptr) return;
  renderPath(*path.parent, out);
  if (path.key.empty()) {
    out.push_back('[');
    out.append(decimal(path.index));
    out.push_back(']');
  } else {
    if (!out.empty()) out.push_back('.');
    out.append(path.key);
  }
}

// "<path>: <message parts>"; the only place an error text is built.
[[gnu::noinline]] std::string errorText(const Path& path,
                                        std::initializer_list<std::string_view> message) {
  std::string text;
  renderPath(path, text);
  if (text.empty()) text = "(root)";
  text.append(": ");
  for (std::string_view part : message) text.append(part);
  return text;
}

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
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
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
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

// Every read* method returns false after recording the first error (no Status is passed
// around: this keeps the guest code small).
class ConfigReader {
 public:
  ConfigReader(const JsonDocument& doc, PolicyData& data) : doc_(doc), data_(data) {}
  Status read() {
    if (readConfig()) return Status::ok();
    return Status::error(std::move(error_));
  }

 private:
  bool fail(const Path& path, std::initializer_list<std::string_view> message) {
    error_ = errorText(path, message);
    return false;
  }

  using Fields = std::initializer_list<std::string_view>;

  const JsonNode* member(const JsonNode& object, std::string_view key) const {
    return doc_.member(object, key);
  }
  const JsonNode* next(const JsonNode& node) const {
    return node.next_sibling == kNoJsonNode ? nullptr : &doc_.node(node.next_sibling);
  }
  const JsonNode* first(const JsonNode& node) const {
    return node.first_child == kNoJsonNode ? nullptr : &doc_.node(node.first_child);
  }

  // An object whose members are all in `allowed`, none repeated.
  bool checkObject(const JsonNode& node, const Path& path, Fields allowed) {
    if (node.type != JsonType::Object) return fail(path, {"must be an object"});
    for (const JsonNode* field = first(node); field != nullptr; field = next(*field)) {
      std::string_view key = doc_.key(*field);
      bool known = false;
      for (std::string_view name : allowed) known = known || key == name;
      if (!known) return fail(path, {"unknown field \"", key, "\""});
      if (member(node, key) != field) return fail(path, {"duplicate field \"", key, "\""});
    }
    return true;
  }

  bool readText(const JsonNode& node, const Path& path, std::string_view& out) {
    if (node.type != JsonType::String) return fail(path, {"must be a string"});
    out = doc_.text(node);
    return true;
  }

  bool readBool(const JsonNode* node, const Path& parent, std::string_view key,
                  bool& out) {
    if (node == nullptr) return true;
    if (node->type != JsonType::Boolean) return fail(Path{&parent, key}, {"must be a boolean"});
    out = node->boolean;
    return true;
  }

  bool readMatchValue(const JsonNode& node, const Path& path, bool digests, bool non_empty);
  bool readCondition(const JsonNode& node, const Path& path);
  bool readRule(const JsonNode& node, const Path& path);
  bool readRules(const JsonNode* node, const Path& parent, std::string_view key, Range& out,
                   uint32_t& names_begin);
  bool readResponse(const JsonNode& node, const Path& path, DenyResponse& out);
  bool readRuleSet(const JsonNode& object, const Path& path, RuleSet& out);
  bool readRoute(const JsonNode& node, const Path& path, Route& out);
  void assignCounters();

  bool readConfig();

  const JsonDocument& doc_;
  PolicyData& data_;
  std::string error_;
};

bool ConfigReader::readMatchValue(const JsonNode& node, const Path& path, bool digests,
                                    bool non_empty) {
  std::string_view text;
  if (!readText(node, path, text)) return false;
  MatchValue value;
  if (digests && text.substr(0, kDigestPrefix.size()) == kDigestPrefix) {
    std::string_view hex = text.substr(kDigestPrefix.size());
    if (hex.size() != 64) return fail(path, {kBadDigest});
    for (size_t i = 0; i < 32; ++i) {
      int high = hexValue(hex[2 * i]), low = hexValue(hex[2 * i + 1]);
      if (high < 0 || low < 0) return fail(path, {kBadDigest});
      value.digest[i] = uint8_t(high * 16 + low);
    }
    value.hashed = true;
  } else {
    if (non_empty && text.empty()) return fail(path, {"must not be empty"});
    value.text = data_.add(text);
  }
  data_.values.push_back(value);
  return true;
}

bool ConfigReader::readCondition(const JsonNode& node, const Path& path) {
  if (!checkObject(node, path,
                              {"header", "attribute", "exact", "prefix", "suffix", "contains",
                               "one_of", "present", "invert", "ignore_case",
                               "treat_missing_as_empty"})) return false;
  Condition out;
  const JsonNode* header = member(node, "header");
  const JsonNode* attribute = member(node, "attribute");
  if (header != nullptr && attribute != nullptr) {
    return fail(path, {"has two subjects (\"header\" and \"attribute\")"});
  }
  if (header != nullptr) {
    const Path header_path{&path, "header"};
    std::string_view name;
    if (!readText(*header, header_path, name)) return false;
    if (!isHeaderName(name, true)) return fail(header_path, {"not a valid header name"});
    out.header = data_.add(toLowerAscii(name));
  } else if (attribute != nullptr) {
    std::string_view name = attribute->type == JsonType::String ? doc_.text(*attribute) : "";
    if (name == "path") {
      out.subject = Subject::Path;
    } else if (name == "method") {
      out.subject = Subject::Method;
    } else if (name == "host") {
      out.subject = Subject::Host;
    } else {
      return fail(Path{&path, "attribute"}, {"must be \"path\", \"method\" or \"host\""});
    }
  } else {
    return fail(path, {"needs a subject (\"header\" or \"attribute\")"});
  }

  // Exactly one matcher; two are reported by their names in document order.
  static constexpr std::string_view kMatchers[] = {"exact",    "prefix", "suffix",
                                                   "contains", "one_of", "present"};
  const JsonNode* matcher = nullptr;
  for (const JsonNode* field = first(node); field != nullptr; field = next(*field)) {
    for (size_t k = 0; k < 6; ++k) {
      if (doc_.key(*field) != kMatchers[k]) continue;
      if (matcher != nullptr) {
        return fail(path, {"has two matchers (\"", doc_.key(*matcher), "\" and \"",
                           doc_.key(*field), "\")"});
      }
      matcher = field;
      out.kind = MatchKind(k);
    }
  }
  if (matcher == nullptr) {
    return fail(path, {"needs a matcher (exact, prefix, suffix, contains, one_of or present)"});
  }
  const Path matcher_path{&path, doc_.key(*matcher)};
  out.values.begin = uint32_t(data_.values.size());
  if (out.kind == MatchKind::OneOf) {
    if (matcher->type != JsonType::Array) return fail(matcher_path, {"must be an array"});
    if (matcher->child_count == 0) return fail(matcher_path, {"must not be empty"});
    uint32_t index = 0;
    for (const JsonNode* item = first(*matcher); item != nullptr; item = next(*item)) {
      if (!readMatchValue(*item, Path{&matcher_path, "", index++}, true, false)) {
        return false;
      }
    }
  } else if (out.kind == MatchKind::Present) {
    if (!readBool(matcher, path, doc_.key(*matcher), out.present)) return false;
  } else {
    bool exact = out.kind == MatchKind::Exact;
    if (!readMatchValue(*matcher, matcher_path, exact, !exact)) return false;
  }
  out.values.end = uint32_t(data_.values.size());
  for (uint32_t i = out.values.begin; i < out.values.end; ++i) {
    out.any_hashed = out.any_hashed || data_.values[i].hashed;
  }

  if (!readBool(member(node, "invert"), path, "invert", out.invert) ||
      !readBool(member(node, "ignore_case"), path, "ignore_case", out.ignore_case) ||
      !readBool(member(node, "treat_missing_as_empty"), path, "treat_missing_as_empty",
                out.treat_missing_as_empty)) {
    return false;
  }
  if (out.kind == MatchKind::Present) {
    if (out.ignore_case) return fail(path, {"ignore_case does not apply to present"});
    if (out.treat_missing_as_empty) {
      return fail(path, {"treat_missing_as_empty does not apply to present"});
    }
  }
  if (out.ignore_case && out.any_hashed) {
    return fail(path, {"ignore_case cannot be used with a sha256 digest"});
  }
  data_.conditions.push_back(out);
  return true;
}

bool ConfigReader::readRule(const JsonNode& node, const Path& path) {
  if (!checkObject(node, path, {"name", "all", "any"})) return false;
  Rule rule;
  const JsonNode* name = member(node, "name");
  if (name == nullptr) return fail(path, {"needs a \"name\""});
  const Path name_path{&path, "name"};
  std::string_view name_text;
  if (!readText(*name, name_path, name_text)) return false;
  if (!isDottedName(name_text, false)) return fail(name_path, {"must match [A-Za-z0-9_-]+"});
  rule.name = data_.add(name_text);

  const JsonNode* all = member(node, "all");
  const JsonNode* any = member(node, "any");
  if (all != nullptr && any != nullptr) return fail(path, {"has both \"all\" and \"any\""});
  if (all == nullptr && any == nullptr) return fail(path, {"needs \"all\" or \"any\""});
  const JsonNode& list = all != nullptr ? *all : *any;
  rule.require_all = all != nullptr;
  const Path list_path{&path, rule.require_all ? "all" : "any"};
  if (list.type != JsonType::Array) return fail(list_path, {"must be an array"});
  if (list.child_count == 0) return fail(list_path, {"must not be empty"});
  rule.conditions.begin = uint32_t(data_.conditions.size());
  uint32_t index = 0;
  for (const JsonNode* item = first(list); item != nullptr; item = next(*item)) {
    if (!readCondition(*item, Path{&list_path, "", index++})) return false;
  }
  rule.conditions.end = uint32_t(data_.conditions.size());
  data_.rules.push_back(rule);
  return true;
}

// Reads the list `key` of `parent` (absent: `out` unchanged). Policy names are unique among the
// lists of one object: the rules from `names_begin` on.
bool ConfigReader::readRules(const JsonNode* node, const Path& parent, std::string_view key,
                               Range& out, uint32_t& names_begin) {
  if (node == nullptr) return true;
  const Path path{&parent, key};
  if (node->type != JsonType::Array) return fail(path, {"must be an array"});
  out.begin = uint32_t(data_.rules.size());
  uint32_t index = 0;
  for (const JsonNode* item = first(*node); item != nullptr; item = next(*item)) {
    const Path rule_path{&path, "", index++};
    if (!readRule(*item, rule_path)) return false;
    std::string_view name = data_.view(data_.rules.back().name);
    for (uint32_t i = names_begin; i + 1 < data_.rules.size(); ++i) {
      if (data_.view(data_.rules[i].name) == name) {
        return fail(Path{&rule_path, "name"}, {"duplicate policy name \"", name, "\""});
      }
    }
  }
  out.end = uint32_t(data_.rules.size());
  return true;
}

bool ConfigReader::readResponse(const JsonNode& node, const Path& path,
                                  DenyResponse& out) {
  if (!checkObject(node, path, {"status", "body", "headers", "details", "grpc_status"})) {
    return false;
  }
  if (const JsonNode* code = member(node, "status")) {
    if (!code->is_integer || code->integer < 200 || code->integer > 599) {
      return fail(Path{&path, "status"}, {"must be an integer between 200 and 599"});
    }
    out.status = uint32_t(code->integer);
  }
  if (const JsonNode* grpc = member(node, "grpc_status")) {
    if (!grpc->is_integer || grpc->integer < 0 || grpc->integer > 16) {
      return fail(Path{&path, "grpc_status"}, {"must be an integer between 0 and 16"});
    }
    out.grpc_status = int32_t(grpc->integer);
  }
  std::string_view text;
  if (const JsonNode* body = member(node, "body")) {
    if (!readText(*body, Path{&path, "body"}, text)) return false;
    out.body.assign(text);
  }
  if (const JsonNode* details = member(node, "details")) {
    if (!readText(*details, Path{&path, "details"}, text)) return false;
    out.details.assign(text);
  }
  if (const JsonNode* headers = member(node, "headers")) {
    const Path headers_path{&path, "headers"};
    if (headers->type != JsonType::Object) return fail(headers_path, {"must be an object"});
    out.headers.clear();
    for (const JsonNode* header = first(*headers); header != nullptr; header = next(*header)) {
      std::string_view key = doc_.key(*header);
      if (!isHeaderName(key, false)) {
        return fail(headers_path, {"invalid header name \"", key, "\""});
      }
      std::string name = toLowerAscii(key);
      for (const auto& seen : out.headers) {
        if (seen.first == name) return fail(headers_path, {"duplicate header \"", name, "\""});
      }
      const Path value_path{&headers_path, name};
      if (!readText(*header, value_path, text)) return false;
      if (text.find_first_of(std::string_view("\r\n\0", 3)) != text.npos) {
        return fail(value_path, {"must not contain CR, LF or NUL"});
      }
      out.headers.emplace_back(std::move(name), std::string(text));
    }
  }
  return true;
}

// The fields a route may override, shared with the top level.
bool ConfigReader::readRuleSet(const JsonNode& object, const Path& path, RuleSet& out) {
  uint32_t names_begin = uint32_t(data_.rules.size());
  if (!readRules(member(object, "deny"), path, "deny", out.deny, names_begin) ||
      !readRules(member(object, "allow"), path, "allow", out.allow, names_begin) ||
      !readBool(member(object, "dry_run"), path, "dry_run", out.dry_run)) {
    return false;
  }
  if (const JsonNode* fallback = member(object, "default")) {
    std::string_view word = fallback->type == JsonType::String ? doc_.text(*fallback) : "";
    if (word == "allow") {
      out.fallback = Verdict::Allow;
    } else if (word == "deny") {
      out.fallback = Verdict::Deny;
    } else {
      return fail(Path{&path, "default"}, {"must be \"allow\" or \"deny\""});
    }
  }
  if (const JsonNode* response = member(object, "deny_response")) {
    DenyResponse parsed = defaultConfiguredResponse();
    if (!readResponse(*response, Path{&path, "deny_response"}, parsed)) return false;
    out.response = uint32_t(data_.responses.size());
    data_.responses.push_back(std::move(parsed));
  }
  return true;
}

bool ConfigReader::readRoute(const JsonNode& node, const Path& path, Route& out) {
  if (!checkObject(node, path,
                   {"match", "deny", "allow", "default", "dry_run", "deny_response"})) {
    return false;
  }
  const JsonNode* match = member(node, "match");
  if (match == nullptr) return fail(path, {"needs a \"match\""});
  const Path match_path{&path, "match"};
  if (!checkObject(*match, match_path, {"route_name", "host", "path_prefix"})) {
    return false;
  }
  if (match->child_count == 0) {
    return fail(match_path, {"must set route_name, host or path_prefix"});
  }
  RouteMatch& m = out.match;
  const struct {
    std::string_view key;
    bool* has;
    TextRef* value;
  } fields[] = {{"route_name", &m.has_route_name, &m.route_name},
                {"host", &m.has_host, &m.host},
                {"path_prefix", &m.has_path_prefix, &m.path_prefix}};
  for (const auto& field : fields) {
    const JsonNode* value = member(*match, field.key);
    if (value == nullptr) continue;
    const Path field_path{&match_path, field.key};
    std::string_view text;
    if (!readText(*value, field_path, text)) return false;
    if (text.empty()) return fail(field_path, {"must not be empty"});
    if (field.value == &m.path_prefix && text.front() != '/') {
      return fail(field_path, {"must start with \"/\""});
    }
    *field.value = data_.add(field.value == &m.host ? toLowerAscii(text) : std::string(text));
    *field.has = true;
  }
  out.rules = data_.top;  // inherit, then override what the route sets
  return readRuleSet(node, path, out.rules);
}

// One counter per distinct policy name, in order of first appearance.
void ConfigReader::assignCounters() {
  for (Rule& rule : data_.rules) {
    std::string counter = data_.stat_prefix + ".policy.";
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
  const Path path;
  if (!checkObject(
      root, path,
      {"deny", "allow", "default", "deny_response", "dry_run", "stat_prefix", "routes"})) return false;
  if (root.child_count == 0) {
    data_.tutorial = true;
    return true;
  }
  if (const JsonNode* prefix = member(root, "stat_prefix")) {
    const Path prefix_path{&path, "stat_prefix"};
    std::string_view text;
    if (!readText(*prefix, prefix_path, text)) return false;
    if (!isDottedName(text, true)) {
      return fail(prefix_path, {"must match [A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*"});
    }
    data_.stat_prefix.assign(text);
  }
  data_.responses.push_back(defaultConfiguredResponse());
  if (!readRuleSet(root, path, data_.top)) return false;
  if (const JsonNode* routes = member(root, "routes")) {
    const Path routes_path{&path, "routes"};
    if (routes->type != JsonType::Array) return fail(routes_path, {"must be an array"});
    if (routes->child_count == 0) return fail(routes_path, {"must not be empty"});
    uint32_t index = 0;
    for (const JsonNode* item = first(*routes); item != nullptr; item = next(*item)) {
      Route route;
      if (!readRoute(*item, Path{&routes_path, "", index++}, route)) return false;
      data_.routes.push_back(route);
    }
  }
  data_.allowed_counter = data_.stat_prefix + ".allowed";
  data_.denied_counter = data_.stat_prefix + ".denied";
  data_.dry_run_denied_counter = data_.stat_prefix + ".dry_run_denied";
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
    return Status::error("(root): configuration larger than " + decimal(kMaxConfigSize) +
                         " bytes");
  }
  StatusOr<JsonDocument> doc = JsonDocument::parse(json);
  if (!doc) return doc.status();
  return ConfigReader(*doc, data).read();
}

}  // namespace meshwasm::header_auth
