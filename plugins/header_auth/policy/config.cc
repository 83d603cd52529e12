// Configuration parsing and strict validation: JSON text -> PolicyData.
//
// Every error names the JSON path of the offending value (`allow[0].all[1]: unknown field
// "exatc"`); the root itself is written `(root)`. The texts are part of the interface (operators
// read them in Envoy's log) and are asserted exactly in config_test.cc and the README.
#include <initializer_list>

#include "json_reader.h"
#include "policy_data.h"
#include "sha256.h"
#include "text.h"

namespace meshwasm::header_auth {
namespace {

constexpr size_t kMaxConfigSize = 256 * 1024;
constexpr std::string_view kDigestPrefix = "sha256:";

std::string childPath(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string child = path;
  child.push_back('.');
  child.append(key);
  return child;
}

std::string indexPath(const std::string& path, uint32_t index) {
  return path + "[" + decimal(index) + "]";
}

Status fieldError(const std::string& path, std::string_view message) {
  std::string text = path.empty() ? std::string("(root)") : path;
  text.append(": ");
  text.append(message);
  return Status::error(std::move(text));
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out.push_back('"');
  return out;
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

// [A-Za-z0-9_-]+
bool isPolicyName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isNameChar(c)) return false;
  }
  return true;
}

// [A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*
bool isStatPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.front() == '.' || prefix.back() == '.') return false;
  char previous = 0;
  for (char c : prefix) {
    if (c == '.' ? previous == '.' : !isNameChar(c)) return false;
    previous = c;
  }
  return true;
}

class ConfigReader {
 public:
  ConfigReader(const JsonDocument& doc, PolicyData& data) : doc_(doc), data_(data) {}

  Status read();

 private:
  using Fields = std::initializer_list<std::string_view>;

  const JsonNode* member(const JsonNode& object, std::string_view key) const {
    return doc_.member(object, key);
  }

  // Refuses members not in `allowed`, and repeated members.
  Status checkFields(const JsonNode& object, const std::string& path, Fields allowed) const {
    for (uint32_t i = object.first_child; i != kNoJsonNode; i = doc_.node(i).next_sibling) {
      const std::string& key = doc_.node(i).key;
      bool known = false;
      for (std::string_view name : allowed) known = known || key == name;
      if (!known) return fieldError(path, "unknown field " + quoted(key));
      for (uint32_t j = object.first_child; j != i; j = doc_.node(j).next_sibling) {
        if (doc_.node(j).key == key) return fieldError(path, "duplicate field " + quoted(key));
      }
    }
    return Status::ok();
  }

  Status readObject(const JsonNode& node, const std::string& path, Fields allowed) const {
    if (node.type != JsonType::Object) return fieldError(path, "must be an object");
    return checkFields(node, path, allowed);
  }

  Status readString(const JsonNode& node, const std::string& path, std::string& out) const {
    if (node.type != JsonType::String) return fieldError(path, "must be a string");
    out = node.text;
    return Status::ok();
  }

  Status readBool(const JsonNode& node, const std::string& path, bool& out) const {
    if (node.type != JsonType::Boolean) return fieldError(path, "must be a boolean");
    out = node.boolean;
    return Status::ok();
  }

  Status readVerdict(const JsonNode& node, const std::string& path, Verdict& out) const {
    if (node.type == JsonType::String && node.text == "allow") {
      out = Verdict::Allow;
    } else if (node.type == JsonType::String && node.text == "deny") {
      out = Verdict::Deny;
    } else {
      return fieldError(path, "must be \"allow\" or \"deny\"");
    }
    return Status::ok();
  }

  Status readMatchValue(const JsonNode& node, const std::string& path, bool digests,
                        MatchValue& out) const {
    if (node.type != JsonType::String) return fieldError(path, "must be a string");
    std::string_view text = node.text;
    if (!digests || text.substr(0, kDigestPrefix.size()) != kDigestPrefix) {
      out.text = node.text;
      return Status::ok();
    }
    std::string_view hex = text.substr(kDigestPrefix.size());
    if (hex.size() != 64) return fieldError(path, kBadDigest);
    for (size_t i = 0; i < 32; ++i) {
      int high = hexValue(hex[2 * i]), low = hexValue(hex[2 * i + 1]);
      if (high < 0 || low < 0) return fieldError(path, kBadDigest);
      out.digest[i] = uint8_t(high * 16 + low);
    }
    out.hashed = true;
    return Status::ok();
  }

  static int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  Status readCondition(const JsonNode& node, const std::string& path, Condition& out) const;
  Status readRules(const JsonNode& node, const std::string& path, std::vector<Rule>& out,
                   std::vector<std::string>& names_in_scope) const;
  Status readRule(const JsonNode& node, const std::string& path, Rule& out) const;
  Status readResponse(const JsonNode& node, const std::string& path, DenyResponse& out) const;
  Status readRuleSetFields(const JsonNode& object, const std::string& path, RuleSet& out) const;
  Status readRoute(const JsonNode& node, const std::string& path, Route& out) const;
  void assignCounters(RuleSet& rules);

  static constexpr std::string_view kBadDigest =
      "invalid sha256 digest (expected \"sha256:\" and 64 hex digits)";

  const JsonDocument& doc_;
  PolicyData& data_;
};

Status ConfigReader::readCondition(const JsonNode& node, const std::string& path,
                                   Condition& out) const {
  Status status = readObject(node, path,
                             {"header", "attribute", "exact", "prefix", "suffix", "contains",
                              "one_of", "present", "invert", "ignore_case",
                              "treat_missing_as_empty"});
  if (!status) return status;

  const JsonNode* header = member(node, "header");
  const JsonNode* attribute = member(node, "attribute");
  if (header != nullptr && attribute != nullptr) {
    return fieldError(path, "has two subjects (\"header\" and \"attribute\")");
  }
  if (header != nullptr) {
    std::string name;
    if (!(status = readString(*header, childPath(path, "header"), name))) return status;
    if (!isHeaderName(name, true)) {
      return fieldError(childPath(path, "header"), "not a valid header name");
    }
    out.subject = Subject::Header;
    out.header = toLowerAscii(name);
  } else if (attribute != nullptr) {
    const std::string& text = attribute->text;
    bool is_string = attribute->type == JsonType::String;
    if (is_string && text == "path") {
      out.subject = Subject::Path;
    } else if (is_string && text == "method") {
      out.subject = Subject::Method;
    } else if (is_string && text == "host") {
      out.subject = Subject::Host;
    } else {
      return fieldError(childPath(path, "attribute"), "must be \"path\", \"method\" or \"host\"");
    }
  } else {
    return fieldError(path, "needs a subject (\"header\" or \"attribute\")");
  }

  // Exactly one matcher; two are reported by their names in document order.
  static constexpr std::string_view kMatchers[] = {"exact",    "prefix", "suffix",
                                                   "contains", "one_of", "present"};
  const JsonNode* matcher = nullptr;
  for (uint32_t i = node.first_child; i != kNoJsonNode; i = doc_.node(i).next_sibling) {
    const JsonNode& field = doc_.node(i);
    for (size_t k = 0; k < 6; ++k) {
      if (field.key != kMatchers[k]) continue;
      if (matcher != nullptr) {
        return fieldError(path, "has two matchers (" + quoted(matcher->key) + " and " +
                                    quoted(field.key) + ")");
      }
      matcher = &field;
      out.kind = MatchKind(k);
    }
  }
  if (matcher == nullptr) {
    return fieldError(path, "needs a matcher (exact, prefix, suffix, contains, one_of or present)");
  }
  const std::string matcher_path = childPath(path, matcher->key);
  switch (out.kind) {
    case MatchKind::Exact:
    case MatchKind::Prefix:
    case MatchKind::Suffix:
    case MatchKind::Contains: {
      MatchValue value;
      status = readMatchValue(*matcher, matcher_path, out.kind == MatchKind::Exact, value);
      if (!status) return status;
      if (out.kind != MatchKind::Exact && value.text.empty()) {
        return fieldError(matcher_path, "must not be empty");
      }
      out.values.push_back(std::move(value));
      break;
    }
    case MatchKind::OneOf: {
      if (matcher->type != JsonType::Array) return fieldError(matcher_path, "must be an array");
      if (matcher->child_count == 0) return fieldError(matcher_path, "must not be empty");
      uint32_t index = 0;
      for (uint32_t i = matcher->first_child; i != kNoJsonNode;
           i = doc_.node(i).next_sibling, ++index) {
        MatchValue value;
        status = readMatchValue(doc_.node(i), indexPath(matcher_path, index), true, value);
        if (!status) return status;
        out.values.push_back(std::move(value));
      }
      break;
    }
    case MatchKind::Present:
      if (!(status = readBool(*matcher, matcher_path, out.present))) return status;
      break;
  }
  for (const MatchValue& value : out.values) out.any_hashed = out.any_hashed || value.hashed;

  if (const JsonNode* invert = member(node, "invert")) {
    if (!(status = readBool(*invert, childPath(path, "invert"), out.invert))) return status;
  }
  if (const JsonNode* fold = member(node, "ignore_case")) {
    if (!(status = readBool(*fold, childPath(path, "ignore_case"), out.ignore_case))) {
      return status;
    }
  }
  if (const JsonNode* missing = member(node, "treat_missing_as_empty")) {
    status = readBool(*missing, childPath(path, "treat_missing_as_empty"),
                      out.treat_missing_as_empty);
    if (!status) return status;
  }
  if (out.kind == MatchKind::Present) {
    if (out.ignore_case) return fieldError(path, "ignore_case does not apply to present");
    if (out.treat_missing_as_empty) {
      return fieldError(path, "treat_missing_as_empty does not apply to present");
    }
  }
  if (out.ignore_case && out.any_hashed) {
    return fieldError(path, "ignore_case cannot be used with a sha256 digest");
  }
  return Status::ok();
}

Status ConfigReader::readRule(const JsonNode& node, const std::string& path, Rule& out) const {
  Status status = readObject(node, path, {"name", "all", "any"});
  if (!status) return status;
  const JsonNode* name = member(node, "name");
  if (name == nullptr) return fieldError(path, "needs a \"name\"");
  const std::string name_path = childPath(path, "name");
  if (!(status = readString(*name, name_path, out.name))) return status;
  if (!isPolicyName(out.name)) return fieldError(name_path, "must match [A-Za-z0-9_-]+");

  const JsonNode* all = member(node, "all");
  const JsonNode* any = member(node, "any");
  if (all != nullptr && any != nullptr) return fieldError(path, "has both \"all\" and \"any\"");
  if (all == nullptr && any == nullptr) return fieldError(path, "needs \"all\" or \"any\"");
  const JsonNode& list = all != nullptr ? *all : *any;
  out.require_all = all != nullptr;
  const std::string list_path = childPath(path, out.require_all ? "all" : "any");
  if (list.type != JsonType::Array) return fieldError(list_path, "must be an array");
  if (list.child_count == 0) return fieldError(list_path, "must not be empty");
  uint32_t index = 0;
  for (uint32_t i = list.first_child; i != kNoJsonNode; i = doc_.node(i).next_sibling, ++index) {
    Condition condition;
    if (!(status = readCondition(doc_.node(i), indexPath(list_path, index), condition))) {
      return status;
    }
    out.conditions.push_back(std::move(condition));
  }
  return Status::ok();
}

Status ConfigReader::readRules(const JsonNode& node, const std::string& path,
                               std::vector<Rule>& out,
                               std::vector<std::string>& names_in_scope) const {
  if (node.type != JsonType::Array) return fieldError(path, "must be an array");
  out.clear();
  uint32_t index = 0;
  for (uint32_t i = node.first_child; i != kNoJsonNode; i = doc_.node(i).next_sibling, ++index) {
    Rule rule;
    const std::string rule_path = indexPath(path, index);
    Status status = readRule(doc_.node(i), rule_path, rule);
    if (!status) return status;
    for (const std::string& seen : names_in_scope) {
      if (seen == rule.name) {
        return fieldError(childPath(rule_path, "name"), "duplicate policy name " + quoted(seen));
      }
    }
    names_in_scope.push_back(rule.name);
    out.push_back(std::move(rule));
  }
  return Status::ok();
}

Status ConfigReader::readResponse(const JsonNode& node, const std::string& path,
                                  DenyResponse& out) const {
  Status status = readObject(node, path, {"status", "body", "headers", "details", "grpc_status"});
  if (!status) return status;
  if (const JsonNode* code = member(node, "status")) {
    if (!code->is_integer || code->integer < 200 || code->integer > 599) {
      return fieldError(childPath(path, "status"), "must be an integer between 200 and 599");
    }
    out.status = uint32_t(code->integer);
  }
  if (const JsonNode* body = member(node, "body")) {
    if (!(status = readString(*body, childPath(path, "body"), out.body))) return status;
  }
  if (const JsonNode* details = member(node, "details")) {
    if (!(status = readString(*details, childPath(path, "details"), out.details))) {
      return status;
    }
  }
  if (const JsonNode* grpc = member(node, "grpc_status")) {
    if (!grpc->is_integer || grpc->integer < 0 || grpc->integer > 16) {
      return fieldError(childPath(path, "grpc_status"), "must be an integer between 0 and 16");
    }
    out.grpc_status = int32_t(grpc->integer);
  }
  if (const JsonNode* headers = member(node, "headers")) {
    const std::string headers_path = childPath(path, "headers");
    if (headers->type != JsonType::Object) return fieldError(headers_path, "must be an object");
    out.headers.clear();
    for (uint32_t i = headers->first_child; i != kNoJsonNode; i = doc_.node(i).next_sibling) {
      const JsonNode& header = doc_.node(i);
      if (!isHeaderName(header.key, false)) {
        return fieldError(headers_path, "invalid header name " + quoted(header.key));
      }
      std::string name = toLowerAscii(header.key);
      for (const auto& [seen, value] : out.headers) {
        if (seen == name) return fieldError(headers_path, "duplicate header " + quoted(name));
      }
      const std::string value_path = childPath(headers_path, name);
      std::string value;
      if (!(status = readString(header, value_path, value))) return status;
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        return fieldError(value_path, "must not contain CR, LF or NUL");
      }
      out.headers.emplace_back(std::move(name), std::move(value));
    }
  }
  return Status::ok();
}

// The fields a route may override, shared with the top level.
Status ConfigReader::readRuleSetFields(const JsonNode& object, const std::string& path,
                                       RuleSet& out) const {
  Status status;
  std::vector<std::string> names;  // policy names are unique among the lists of one object
  if (const JsonNode* deny = member(object, "deny")) {
    if (!(status = readRules(*deny, childPath(path, "deny"), out.deny, names))) return status;
  }
  if (const JsonNode* allow = member(object, "allow")) {
    if (!(status = readRules(*allow, childPath(path, "allow"), out.allow, names))) return status;
  }
  if (const JsonNode* fallback = member(object, "default")) {
    if (!(status = readVerdict(*fallback, childPath(path, "default"), out.fallback))) {
      return status;
    }
  }
  if (const JsonNode* dry_run = member(object, "dry_run")) {
    if (!(status = readBool(*dry_run, childPath(path, "dry_run"), out.dry_run))) return status;
  }
  if (const JsonNode* response = member(object, "deny_response")) {
    out.response = defaultConfiguredResponse();
    status = readResponse(*response, childPath(path, "deny_response"), out.response);
    if (!status) return status;
  }
  return Status::ok();
}

Status ConfigReader::readRoute(const JsonNode& node, const std::string& path,
                               Route& out) const {
  Status status =
      readObject(node, path, {"match", "deny", "allow", "default", "dry_run", "deny_response"});
  if (!status) return status;
  const JsonNode* match = member(node, "match");
  if (match == nullptr) return fieldError(path, "needs a \"match\"");
  const std::string match_path = childPath(path, "match");
  if (!(status = readObject(*match, match_path, {"route_name", "host", "path_prefix"}))) {
    return status;
  }
  if (match->child_count == 0) {
    return fieldError(match_path, "must set route_name, host or path_prefix");
  }
  RouteMatch& m = out.match;
  const struct {
    std::string_view key;
    bool* has;
    std::string* value;
  } fields[] = {{"route_name", &m.has_route_name, &m.route_name},
                {"host", &m.has_host, &m.host},
                {"path_prefix", &m.has_path_prefix, &m.path_prefix}};
  for (const auto& field : fields) {
    const JsonNode* value = member(*match, field.key);
    if (value == nullptr) continue;
    const std::string field_path = childPath(match_path, field.key);
    if (!(status = readString(*value, field_path, *field.value))) return status;
    if (field.value->empty()) return fieldError(field_path, "must not be empty");
    *field.has = true;
  }
  m.host = toLowerAscii(m.host);
  if (m.has_path_prefix && m.path_prefix.front() != '/') {
    return fieldError(childPath(match_path, "path_prefix"), "must start with \"/\"");
  }
  out.rules = data_.top;  // inherit, then override what the route sets
  return readRuleSetFields(node, path, out.rules);
}

void ConfigReader::assignCounters(RuleSet& rules) {
  for (std::vector<Rule>* list : {&rules.deny, &rules.allow}) {
    for (Rule& rule : *list) {
      size_t index = 0;
      while (index < data_.policy_names.size() && data_.policy_names[index] != rule.name) ++index;
      if (index == data_.policy_names.size()) {
        data_.policy_names.push_back(rule.name);
        data_.policy_counters.push_back(data_.stat_prefix + ".policy." + rule.name + ".matched");
      }
      rule.counter = int32_t(index);
    }
  }
}

Status ConfigReader::read() {
  const JsonNode& root = doc_.root();
  Status status = readObject(
      root, "",
      {"deny", "allow", "default", "deny_response", "dry_run", "stat_prefix", "routes"});
  if (!status) return status;
  if (root.child_count == 0) {
    data_.tutorial = true;
    return Status::ok();
  }
  if (const JsonNode* prefix = member(root, "stat_prefix")) {
    if (!(status = readString(*prefix, "stat_prefix", data_.stat_prefix))) return status;
    if (!isStatPrefix(data_.stat_prefix)) {
      return fieldError("stat_prefix", "must match [A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
    }
  }
  data_.top.response = defaultConfiguredResponse();
  if (!(status = readRuleSetFields(root, "", data_.top))) return status;
  if (const JsonNode* routes = member(root, "routes")) {
    if (routes->type != JsonType::Array) return fieldError("routes", "must be an array");
    if (routes->child_count == 0) return fieldError("routes", "must not be empty");
    uint32_t index = 0;
    for (uint32_t i = routes->first_child; i != kNoJsonNode;
         i = doc_.node(i).next_sibling, ++index) {
      Route route;
      if (!(status = readRoute(doc_.node(i), indexPath("routes", index), route))) return status;
      data_.routes.push_back(std::move(route));
    }
  }
  data_.allowed_counter = data_.stat_prefix + ".allowed";
  data_.denied_counter = data_.stat_prefix + ".denied";
  data_.dry_run_denied_counter = data_.stat_prefix + ".dry_run_denied";
  assignCounters(data_.top);
  for (Route& route : data_.routes) assignCounters(route.rules);
  return Status::ok();
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
