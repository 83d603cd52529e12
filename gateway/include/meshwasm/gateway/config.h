// Configuration of `meshwasm run`: listeners, clusters, the plugin chain, limits and timeouts.
// Built from command-line flags and/or a YAML file (loadConfigFile).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshwasm/abi/status.h"

namespace meshwasm::gateway {

// The name of the built-in, in-process httpbin upstream.
inline constexpr const char* kHttpbinCluster = "httpbin";

struct ClusterConfig {
  std::string name;
  std::string host;  // IPv4/IPv6 literal or a resolvable name
  uint16_t port = 80;
  bool builtin_httpbin = false;
  std::chrono::milliseconds connect_timeout{5000};
  // Time for the whole response after the request was sent (Envoy route timeout; 0 = none).
  std::chrono::milliseconds timeout{15000};
  size_t max_idle_connections = 64;  // kept per worker
};

struct PluginSpec {
  std::string name;
  std::string source;  // a .wasm path, or oci://registry/repo:tag
  std::string root_id;
  std::string vm_id;
  std::string configuration;
  std::string vm_configuration;
  std::string fail_strategy = "FAIL_CLOSE";  // FAIL_CLOSE | FAIL_OPEN | FAIL_RELOAD
  // FAIL_RELOAD backoff (host::PluginConfig::reload_backoff / reload_max_backoff; Envoy's
  // reload_config.backoff base_interval / max_interval). At least 1 ms; max 0 = not set (Envoy's
  // behaviour), otherwise at least the base.
  std::chrono::milliseconds reload_backoff{1000};
  std::chrono::milliseconds reload_max_backoff{0};
  std::string engine;  // empty: GatewayConfig::engine
  std::vector<std::pair<std::string, std::string>> environment_variables;
  // Where the module comes from, as Istio's WasmPlugin and its agent's image fetcher:
  std::string sha256;  // 64 lowercase hex, optional: for oci:// the MANIFEST digest, for a
                       // file the file's sha256; a mismatch refuses to load the plugin
  std::string image_pull_policy;  // "", IfNotPresent or Always ("": IfNotPresent, but Always
                                  // for a `latest` or missing tag not pinned by a digest/sha256)
  std::string cache_dir;          // oci:// module cache; empty: oci::defaultCacheDir()
  bool insecure = false;          // allow plain http to a non-loopback registry
  std::string registry_username;  // empty: MESHWASM_REGISTRY_USERNAME
  std::string registry_password;  // empty: MESHWASM_REGISTRY_PASSWORD
};

// "sha256:HEX" or HEX (any case) -> 64 lowercase hex; an error for anything else.
StatusOr<std::string> normalizePluginSha256(std::string_view text);
// "IfNotPresent" or "Always"; an error naming the accepted values otherwise.
Status checkImagePullPolicy(std::string_view text);

struct GatewayConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;  // 0: any free port (printed at start)
  std::string admin_host = "127.0.0.1";
  uint16_t admin_port = 15000;
  int workers = 0;  // 0: one per CPU core
  std::string route_cluster = kHttpbinCluster;  // where requests go
  std::vector<ClusterConfig> clusters;          // httpbin is always present
  std::vector<PluginSpec> plugins;              // in chain order
  std::string engine = "interp";
  std::string log_level = "info";  // the wasm logger level
  bool access_log = true;          // JSON lines on stdout

  uint32_t max_request_headers_bytes = 60 * 1024;  // -> 431
  uint64_t max_request_body_bytes = 64ull << 20;   // -> 413
  size_t buffer_limit_bytes = 1 << 20;             // filter buffering -> 413 / 500
  std::chrono::milliseconds request_headers_timeout{10000};  // slow clients -> 408
  std::chrono::milliseconds stream_idle_timeout{300000};     // no bytes mid-request -> 408
  std::chrono::milliseconds idle_timeout{60000};             // idle keep-alive connections
  std::chrono::milliseconds drain_timeout{5000};             // graceful shutdown bound
};

// Limits of the FAIL_RELOAD backoff fields (milliseconds).
inline constexpr long long kMinReloadBackoffMs = 1;
inline constexpr long long kMaxReloadBackoffMs = 86400000;  // one day
// The plugin's reload_max_backoff is 0 (not set) or not below its reload_backoff.
Status checkReloadBackoff(const PluginSpec& plugin);

// Reads `host:port` (or `:port`, or `port`) into host and port.
Status parseHostPort(std::string_view text, std::string* host, uint16_t* port);
// "http://host:port" (path ignored) or "httpbin" -> the cluster routed to; adds it.
Status applyUpstreamFlag(std::string_view value, GatewayConfig* config);
// Adds the settings of a YAML file. Errors name the file, the line and the field:
// "gateway.yaml:7: plugins[0].fail_strategy: expected FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD".
Status loadConfigFile(const std::string& path, GatewayConfig* config);
Status loadConfigText(std::string_view text, std::string_view file_name, GatewayConfig* config);
// Adds httpbin, checks names and references; fills defaults.
Status finalizeConfig(GatewayConfig* config);
const ClusterConfig* findCluster(const GatewayConfig& config, std::string_view name);

}  // namespace meshwasm::gateway
