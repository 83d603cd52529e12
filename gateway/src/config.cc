#include "meshwasm/gateway/config.h"

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace meshwasm::gateway {

Status parseHostPort(std::string_view text, std::string* host, uint16_t* port) {
  std::string_view port_text = text;
  if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    std::string_view h = text.substr(0, colon);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (!h.empty()) *host = std::string(h);
    port_text = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || value > 65535 ||
      port_text.empty()) {
    return Status::error("invalid address '" + std::string(text) + "' (want host:port)");
  }
  *port = static_cast<uint16_t>(value);
  return Status::ok();
}

Status applyUpstreamFlag(std::string_view value, GatewayConfig* config) {
  if (value == kHttpbinCluster) {
    config->route_cluster = kHttpbinCluster;
    return Status::ok();
  }
  std::string_view rest = value;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  ClusterConfig c;
  c.name = "upstream";
  if (rest.find(':') == std::string_view::npos) {
    c.host = std::string(rest);
    c.port = 80;
  } else if (Status s = parseHostPort(rest, &c.host, &c.port); !s) {
    return Status::error("--upstream: " + s.message());
  }
  if (c.host.empty() || value.starts_with("https://")) {
    return Status::error("--upstream: expected http://host:port or httpbin, got '" +
                         std::string(value) + "'");
  }
  std::erase_if(config->clusters, [](const ClusterConfig& x) { return x.name == "upstream"; });
  config->clusters.push_back(c);
  config->route_cluster = c.name;
  return Status::ok();
}

StatusOr<std::string> normalizePluginSha256(std::string_view text) {
  std::string_view hex = text;
  if (hex.starts_with("sha256:")) hex.remove_prefix(7);
  std::string out;
  for (char c : hex) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) break;
    out += c;
  }
  if (out.size() != 64 || hex.size() != 64) {
    return Status::error("expected 64 hex characters (a sha256), got '" + std::string(text) + "'");
  }
  return out;
}

Status checkReloadBackoff(const PluginSpec& plugin) {
  if (plugin.reload_max_backoff.count() != 0 && plugin.reload_max_backoff < plugin.reload_backoff) {
    return Status::error(
        "reload_max_backoff_ms (" + std::to_string(plugin.reload_max_backoff.count()) +
        ") is less than reload_backoff_ms (" + std::to_string(plugin.reload_backoff.count()) + ")");
  }
  return Status::ok();
}

Status checkImagePullPolicy(std::string_view text) {
  if (text == "IfNotPresent" || text == "Always") return Status::ok();
  return Status::error("expected IfNotPresent or Always, got '" + std::string(text) + "'");
}

namespace {

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  Status error(const YAML::Node& node, const std::string& field, const std::string& message) {
    int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    return Status::error(file_ + ":" + std::to_string(line) + ": " + field + ": " + message);
  }

  Status str(const YAML::Node& node, const std::string& field, std::string* out) {
    if (!node.IsScalar()) return error(node, field, "expected a string");
    *out = node.Scalar();
    return Status::ok();
  }
  template <typename T>
  Status integer(const YAML::Node& node, const std::string& field, T* out, long long min,
                 long long max) {
    long long v = 0;
    if (!node.IsScalar() || !YAML::convert<long long>::decode(node, v) || v < min || v > max) {
      return error(node, field,
                   "expected an integer in [" + std::to_string(min) + ", " +
                       std::to_string(max) + "]");
    }
    *out = static_cast<T>(v);
    return Status::ok();
  }
  Status millis(const YAML::Node& node, const std::string& field, std::chrono::milliseconds* out) {
    long long v = 0;
    if (Status s = integer(node, field, &v, 0, 86400000LL); !s) return s;
    *out = std::chrono::milliseconds(v);
    return Status::ok();
  }
  Status boolean(const YAML::Node& node, const std::string& field, bool* out) {
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, *out)) {
      return error(node, field, "expected true or false");
    }
    return Status::ok();
  }
  Status address(const YAML::Node& node, const std::string& field, std::string* host,
                 uint16_t* port) {
    std::string text;
    if (Status s = str(node, field, &text); !s) return s;
    if (Status s = parseHostPort(text, host, port); !s) return error(node, field, s.message());
    return Status::ok();
  }
  // A string stays as is; a mapping or list becomes JSON (as Istio passes pluginConfig).
  Status configuration(const YAML::Node& node, const std::string& field, std::string* out) {
    if (node.IsScalar()) {
      *out = node.Scalar();
      return Status::ok();
    }
    if (node.IsNull()) {
      out->clear();
      return Status::ok();
    }
    *out = toJson(node).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return Status::ok();
  }
  Status unknownKeys(const YAML::Node& map, const std::string& prefix,
                     std::initializer_list<const char*> known) {
    if (!map.IsMap()) return error(map, prefix.empty() ? "(top level)" : prefix, "expected a mapping");
    std::set<std::string> names(known.begin(), known.end());
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (!names.count(key)) {
        return error(kv.first, prefix.empty() ? key : prefix + "." + key, "unknown field");
      }
    }
    return Status::ok();
  }

 private:
  static nlohmann::json toJson(const YAML::Node& node) {
    if (node.IsMap()) {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : node) j[kv.first.Scalar()] = toJson(kv.second);
      return j;
    }
    if (node.IsSequence()) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& item : node) j.push_back(toJson(item));
      return j;
    }
    if (node.IsNull()) return nullptr;
    if (node.Tag() == "!") return node.Scalar();  // quoted: always a string
    long long i = 0;
    if (YAML::convert<long long>::decode(node, i)) return i;
    double d = 0;
    if (YAML::convert<double>::decode(node, d)) return d;
    bool b = false;
    if (YAML::convert<bool>::decode(node, b)) return b;
    return node.Scalar();
  }
  std::string file_;
};

#define MESHWASM_TRY(expr)            \
  do {                                \
    if (Status s_ = (expr); !s_) return s_; \
  } while (0)

Status readCluster(YamlReader& r, const YAML::Node& node, const std::string& field,
                   ClusterConfig* c) {
  MESHWASM_TRY(r.unknownKeys(node, field,
                             {"name", "address", "connect_timeout_ms", "timeout_ms",
                              "max_idle_connections"}));
  if (!node["name"]) return r.error(node, field + ".name", "required");
  MESHWASM_TRY(r.str(node["name"], field + ".name", &c->name));
  if (c->name.empty()) return r.error(node["name"], field + ".name", "must not be empty");
  if (c->name == kHttpbinCluster) {
    return r.error(node["name"], field + ".name", "'httpbin' is the built-in cluster");
  }
  if (!node["address"]) return r.error(node, field + ".address", "required (host:port)");
  MESHWASM_TRY(r.address(node["address"], field + ".address", &c->host, &c->port));
  if (node["connect_timeout_ms"]) {
    MESHWASM_TRY(r.millis(node["connect_timeout_ms"], field + ".connect_timeout_ms",
                          &c->connect_timeout));
  }
  if (node["timeout_ms"]) MESHWASM_TRY(r.millis(node["timeout_ms"], field + ".timeout_ms", &c->timeout));
  if (node["max_idle_connections"]) {
    MESHWASM_TRY(r.integer(node["max_idle_connections"], field + ".max_idle_connections",
                           &c->max_idle_connections, 0, 100000));
  }
  return Status::ok();
}

Status readPlugin(YamlReader& r, const YAML::Node& node, const std::string& field, PluginSpec* p) {
  MESHWASM_TRY(
      r.unknownKeys(node, field,
                    {"name", "url", "path", "root_id", "vm_id", "configuration", "vm_configuration",
                     "fail_strategy", "reload_backoff_ms", "reload_max_backoff_ms", "engine", "env",
                     "sha256", "image_pull_policy", "cache_dir", "insecure"}));
  if (node["name"]) MESHWASM_TRY(r.str(node["name"], field + ".name", &p->name));
  const YAML::Node src = node["url"] ? node["url"] : node["path"];
  if (!src) return r.error(node, field + ".url", "required (a .wasm path or oci://...)");
  MESHWASM_TRY(r.str(src, field + (node["url"] ? ".url" : ".path"), &p->source));
  if (node["root_id"]) MESHWASM_TRY(r.str(node["root_id"], field + ".root_id", &p->root_id));
  if (node["vm_id"]) MESHWASM_TRY(r.str(node["vm_id"], field + ".vm_id", &p->vm_id));
  if (node["configuration"]) {
    MESHWASM_TRY(r.configuration(node["configuration"], field + ".configuration",
                                 &p->configuration));
  }
  if (node["vm_configuration"]) {
    MESHWASM_TRY(r.configuration(node["vm_configuration"], field + ".vm_configuration",
                                 &p->vm_configuration));
  }
  if (node["fail_strategy"]) {
    MESHWASM_TRY(r.str(node["fail_strategy"], field + ".fail_strategy", &p->fail_strategy));
    if (p->fail_strategy != "FAIL_CLOSE" && p->fail_strategy != "FAIL_OPEN" &&
        p->fail_strategy != "FAIL_RELOAD") {
      return r.error(node["fail_strategy"], field + ".fail_strategy",
                     "expected FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD");
    }
  }
  if (node["reload_backoff_ms"]) {
    long long ms = 0;
    MESHWASM_TRY(r.integer(node["reload_backoff_ms"], field + ".reload_backoff_ms", &ms,
                           kMinReloadBackoffMs, kMaxReloadBackoffMs));
    p->reload_backoff = std::chrono::milliseconds(ms);
  }
  if (node["reload_max_backoff_ms"]) {
    const YAML::Node max = node["reload_max_backoff_ms"];
    long long ms = 0;
    MESHWASM_TRY(r.integer(max, field + ".reload_max_backoff_ms", &ms, kMinReloadBackoffMs,
                           kMaxReloadBackoffMs));
    p->reload_max_backoff = std::chrono::milliseconds(ms);
    if (Status s = checkReloadBackoff(*p); !s) {
      return r.error(max, field + ".reload_max_backoff_ms",
                     "must not be less than reload_backoff_ms (" +
                         std::to_string(p->reload_backoff.count()) + ")");
    }
  }
  if (node["engine"]) MESHWASM_TRY(r.str(node["engine"], field + ".engine", &p->engine));
  if (node["sha256"]) {
    std::string text;
    MESHWASM_TRY(r.str(node["sha256"], field + ".sha256", &text));
    auto hex = normalizePluginSha256(text);
    if (!hex) return r.error(node["sha256"], field + ".sha256", hex.message());
    p->sha256 = *hex;
  }
  if (node["image_pull_policy"]) {
    const YAML::Node policy = node["image_pull_policy"];
    MESHWASM_TRY(r.str(policy, field + ".image_pull_policy", &p->image_pull_policy));
    if (Status s = checkImagePullPolicy(p->image_pull_policy); !s) {
      return r.error(policy, field + ".image_pull_policy", s.message());
    }
  }
  if (node["cache_dir"]) {
    MESHWASM_TRY(r.str(node["cache_dir"], field + ".cache_dir", &p->cache_dir));
  }
  if (node["insecure"]) {
    MESHWASM_TRY(r.boolean(node["insecure"], field + ".insecure", &p->insecure));
  }
  if (node["env"]) {
    const YAML::Node env = node["env"];
    if (!env.IsMap()) return r.error(env, field + ".env", "expected a mapping of names to values");
    for (const auto& kv : env) {
      std::string value;
      MESHWASM_TRY(r.str(kv.second, field + ".env." + kv.first.Scalar(), &value));
      p->environment_variables.emplace_back(kv.first.Scalar(), value);
    }
  }
  return Status::ok();
}

Status readTop(YamlReader& r, const YAML::Node& root, GatewayConfig* config) {
  MESHWASM_TRY(r.unknownKeys(root, "",
                             {"listen", "admin", "workers", "engine", "log_level", "access_log",
                              "route", "upstream", "clusters", "plugins", "limits", "timeouts"}));
  if (root["listen"]) {
    MESHWASM_TRY(r.address(root["listen"], "listen", &config->listen_host, &config->listen_port));
  }
  if (root["admin"]) {
    MESHWASM_TRY(r.address(root["admin"], "admin", &config->admin_host, &config->admin_port));
  }
  if (root["workers"]) MESHWASM_TRY(r.integer(root["workers"], "workers", &config->workers, 0, 256));
  if (root["engine"]) MESHWASM_TRY(r.str(root["engine"], "engine", &config->engine));
  if (root["log_level"]) MESHWASM_TRY(r.str(root["log_level"], "log_level", &config->log_level));
  if (root["access_log"]) {
    MESHWASM_TRY(r.boolean(root["access_log"], "access_log", &config->access_log));
  }
  if (root["clusters"]) {
    const YAML::Node list = root["clusters"];
    if (!list.IsSequence()) return r.error(list, "clusters", "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      ClusterConfig c;
      MESHWASM_TRY(readCluster(r, list[i], "clusters[" + std::to_string(i) + "]", &c));
      std::erase_if(config->clusters, [&](const ClusterConfig& x) { return x.name == c.name; });
      config->clusters.push_back(c);
    }
  }
  if (root["upstream"]) {
    std::string value;
    MESHWASM_TRY(r.str(root["upstream"], "upstream", &value));
    if (Status s = applyUpstreamFlag(value, config); !s) {
      return r.error(root["upstream"], "upstream", s.message());
    }
  }
  if (root["route"]) {
    MESHWASM_TRY(r.str(root["route"], "route", &config->route_cluster));
    if (!findCluster(*config, config->route_cluster) && config->route_cluster != kHttpbinCluster) {
      return r.error(root["route"], "route", "no cluster named '" + config->route_cluster + "'");
    }
  }
  if (root["plugins"]) {
    const YAML::Node list = root["plugins"];
    if (!list.IsSequence()) return r.error(list, "plugins", "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      PluginSpec p;
      MESHWASM_TRY(readPlugin(r, list[i], "plugins[" + std::to_string(i) + "]", &p));
      config->plugins.push_back(p);
    }
  }
  if (root["limits"]) {
    const YAML::Node l = root["limits"];
    MESHWASM_TRY(r.unknownKeys(l, "limits",
                               {"max_request_headers_bytes", "max_request_body_bytes",
                                "buffer_limit_bytes"}));
    if (l["max_request_headers_bytes"]) {
      MESHWASM_TRY(r.integer(l["max_request_headers_bytes"], "limits.max_request_headers_bytes",
                             &config->max_request_headers_bytes, 1024, 1 << 20));
    }
    if (l["max_request_body_bytes"]) {
      MESHWASM_TRY(r.integer(l["max_request_body_bytes"], "limits.max_request_body_bytes",
                             &config->max_request_body_bytes, 0, 1LL << 40));
    }
    if (l["buffer_limit_bytes"]) {
      MESHWASM_TRY(r.integer(l["buffer_limit_bytes"], "limits.buffer_limit_bytes",
                             &config->buffer_limit_bytes, 1024, 1LL << 32));
    }
  }
  if (root["timeouts"]) {
    const YAML::Node t = root["timeouts"];
    MESHWASM_TRY(r.unknownKeys(t, "timeouts",
                               {"request_headers_ms", "stream_idle_ms", "idle_ms", "drain_ms"}));
    if (t["request_headers_ms"]) {
      MESHWASM_TRY(r.millis(t["request_headers_ms"], "timeouts.request_headers_ms",
                            &config->request_headers_timeout));
    }
    if (t["stream_idle_ms"]) {
      MESHWASM_TRY(r.millis(t["stream_idle_ms"], "timeouts.stream_idle_ms",
                            &config->stream_idle_timeout));
    }
    if (t["idle_ms"]) MESHWASM_TRY(r.millis(t["idle_ms"], "timeouts.idle_ms", &config->idle_timeout));
    if (t["drain_ms"]) {
      MESHWASM_TRY(r.millis(t["drain_ms"], "timeouts.drain_ms", &config->drain_timeout));
    }
  }
  return Status::ok();
}

}  // namespace

Status loadConfigText(std::string_view text, std::string_view file_name, GatewayConfig* config) {
  YamlReader reader{std::string(file_name)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::error(std::string(file_name) + ":" + std::to_string(e.mark.line + 1) +
                         ": invalid YAML: " + e.msg);
  }
  if (root.IsNull()) return Status::ok();
  try {
    return readTop(reader, root, config);
  } catch (const YAML::Exception& e) {
    return Status::error(std::string(file_name) + ":" + std::to_string(e.mark.line + 1) + ": " +
                         e.msg);
  }
}

Status loadConfigFile(const std::string& path, GatewayConfig* config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(path + ": cannot read the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return loadConfigText(ss.str(), path, config);
}

const ClusterConfig* findCluster(const GatewayConfig& config, std::string_view name) {
  for (const auto& c : config.clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Status finalizeConfig(GatewayConfig* config) {
  if (!findCluster(*config, kHttpbinCluster)) {
    ClusterConfig httpbin;
    httpbin.name = kHttpbinCluster;
    httpbin.builtin_httpbin = true;
    httpbin.host = "in-process";
    config->clusters.push_back(httpbin);
  }
  if (!findCluster(*config, config->route_cluster)) {
    return Status::error("route: no cluster named '" + config->route_cluster + "'");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < config->plugins.size(); ++i) {
    PluginSpec& p = config->plugins[i];
    if (p.name.empty()) {
      std::string base = p.source;
      if (size_t slash = base.find_last_of('/'); slash != std::string::npos) base.erase(0, slash + 1);
      if (size_t colon = base.find(':'); colon != std::string::npos) base.erase(colon);
      if (base.ends_with(".wasm")) base.resize(base.size() - 5);
      p.name = base.empty() ? "plugin" + std::to_string(i) : base;
    }
    if (!names.insert(p.name).second) {
      return Status::error("plugins: two plugins are named '" + p.name + "'");
    }
    if (Status s = checkReloadBackoff(p); !s) {
      return Status::error("plugin '" + p.name + "': " + s.message());
    }
    if (p.engine.empty()) p.engine = config->engine;
  }
  return Status::ok();
}

}  // namespace meshwasm::gateway
