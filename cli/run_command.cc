// `meshwasm run`: the local gateway (see gateway/include/meshwasm/gateway/gateway.h).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "commands.h"
#include "meshwasm/gateway/config.h"
#include "meshwasm/gateway/gateway.h"

namespace meshwasm::cli {

namespace {

constexpr const char* kRunUsage =
    "usage: meshwasm run [options]\n"
    "\n"
    "Serves HTTP/1.1 on --listen through a chain of Proxy-Wasm plugins to an upstream (the\n"
    "built-in httpbin by default), like an Envoy sidecar with Istio WasmPlugins.\n"
    "\n"
    "  --plugin PATH|oci://REF    add a plugin to the chain (repeatable; order = chain order)\n"
    "  --config FILE|STRING       plugin configuration of the last --plugin (a readable\n"
    "                             file's bytes, otherwise the string itself)\n"
    "  --vm-config FILE|STRING    VM configuration of the last --plugin\n"
    "  --plugin-name NAME         name of the last --plugin (default: file name)\n"
    "  --root-id ID  --vm-id ID   root id / VM id of the last --plugin\n"
    "  --fail-strategy S          FAIL_CLOSE (default), FAIL_OPEN or FAIL_RELOAD for the last\n"
    "                             --plugin (or for every plugin when given before any)\n"
    "  --reload-backoff-ms MS     FAIL_RELOAD: base wait before a failed VM is replaced\n"
    "                             (Envoy reload_config.backoff.base_interval; default 1000,\n"
    "                             at least 1): a request gets a new VM once a wait drawn in\n"
    "                             [MS, 1.5*MS) has passed since the worker's last VM load\n"
    "  --reload-max-backoff-ms MS FAIL_RELOAD, meshwasm extension (Envoy ignores max_interval):\n"
    "                             jittered exponential wait in [0, interval), the interval\n"
    "                             doubling from the base up to MS after each failed reload\n"
    "                             (both: for the last --plugin, or every plugin before any)\n"
    "  --sha256 HEX               expected sha256 of the last --plugin (Istio's WasmPlugin\n"
    "                             sha256): for oci:// the image's MANIFEST digest, for a file\n"
    "                             the file's sha256; a mismatch refuses to start (exit 1)\n"
    "  --pull-policy P            IfNotPresent or Always (Istio imagePullPolicy) for the last\n"
    "                             --plugin (or every plugin when given before any). Default:\n"
    "                             IfNotPresent, but Always for a `latest` or missing tag unless\n"
    "                             a @sha256: digest or --sha256 pins the image\n"
    "  --cache-dir DIR            oci:// module cache, keyed by manifest digest (default:\n"
    "                             $MESHWASM_CACHE_DIR, else $XDG_CACHE_HOME/meshwasm/oci, else\n"
    "                             ~/.cache/meshwasm/oci)\n"
    "  --registry-username U  --registry-password P\n"
    "                             registry credentials (basic, or for a bearer token); default\n"
    "                             MESHWASM_REGISTRY_USERNAME / MESHWASM_REGISTRY_PASSWORD,\n"
    "                             else anonymous\n"
    "  --insecure                 allow plain http to a non-loopback registry (loopback\n"
    "                             registries always use http)\n"
    "  -c, --file FILE.yaml       gateway configuration file (plugins, clusters, limits)\n"
    "  --listen HOST:PORT         default 127.0.0.1:8080 (port 0: any free port)\n"
    "  --admin HOST:PORT          admin listener, default 127.0.0.1:15000\n"
    "  --upstream URL|httpbin     http://host:port, or the built-in httpbin (default)\n"
    "  --workers N                worker threads (default: number of cores)\n"
    "  --engine NAME              Wasm engine (default interp)\n"
    "  --log-level LEVEL          wasm log level: trace|debug|info|warning|error|critical\n"
    "  --no-access-log            do not print JSON access-log lines on stdout\n"
    "\n"
    "Plugin log lines and gateway messages go to stderr, access-log lines to stdout.\n"
    "Admin: GET /ready /stats /stats/prometheus /plugins, POST /logging?wasm=debug,\n"
    "POST /quitquitquit. SIGINT/SIGTERM drain in-flight requests, then exit.\n";

std::string fileOrString(const std::string& value) {
  std::ifstream in(value, std::ios::binary);
  if (!in) return value;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool parseInt(const std::string& s, int min, int max, int* out) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < min || v > max) return false;
  *out = static_cast<int>(v);
  return true;
}

// A FAIL_RELOAD backoff flag's milliseconds.
bool parseReloadMillis(const std::string& s, std::chrono::milliseconds* out) {
  int v = 0;
  if (!parseInt(s, static_cast<int>(gateway::kMinReloadBackoffMs),
                static_cast<int>(gateway::kMaxReloadBackoffMs), &v)) {
    return false;
  }
  *out = std::chrono::milliseconds(v);
  return true;
}

}  // namespace

int runCommand(int argc, char** argv) {
  gateway::GatewayConfig config;
  std::string yaml_file;
  std::string global_fail_strategy;
  std::optional<std::chrono::milliseconds> global_reload_backoff, global_reload_max_backoff;
  // Per-plugin flags given before any --plugin apply to every plugin.
  gateway::PluginSpec defaults;
  bool have_defaults = false;
  // Registry access for every oci:// plugin (flags override the YAML file).
  std::string cache_dir, registry_username, registry_password, global_pull_policy;
  bool insecure = false;
  auto usageError = [](const std::string& message) {
    std::fprintf(stderr, "meshwasm run: %s\n(see meshwasm run --help)\n", message.c_str());
    return 2;
  };
  struct Flag {
    std::string name, value;
  };
  std::vector<Flag> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kRunUsage, stdout);
      return 0;
    }
    if (arg == "--no-access-log") {
      config.access_log = false;
      continue;
    }
    if (arg == "--insecure") {
      insecure = true;
      continue;
    }
    std::string value;
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else {
      if (i + 1 >= argc) return usageError(arg + " needs a value");
      value = argv[++i];
    }
    flags.push_back({arg, value});
  }
  // The YAML file first, so that flags override it.
  for (const auto& f : flags) {
    if (f.name == "-c" || f.name == "--file") yaml_file = f.value;
  }
  if (!yaml_file.empty()) {
    if (Status s = gateway::loadConfigFile(yaml_file, &config); !s) {
      std::fprintf(stderr, "meshwasm run: %s\n", s.message().c_str());
      return 2;
    }
  }
  size_t yaml_plugins = config.plugins.size();
  for (const auto& [name, value] : flags) {
    gateway::PluginSpec* last =
        config.plugins.size() > yaml_plugins ? &config.plugins.back() : nullptr;
    gateway::PluginSpec* target = last ? last : &defaults;
    if (name == "-c" || name == "--file") continue;
    if (name == "--plugin") {
      gateway::PluginSpec p = defaults;
      p.source = value;
      config.plugins.push_back(p);
    } else if (name == "--config") {
      target->configuration = fileOrString(value);
      have_defaults |= !last;
    } else if (name == "--vm-config") {
      target->vm_configuration = fileOrString(value);
      have_defaults |= !last;
    } else if (name == "--plugin-name") {
      target->name = value;
      have_defaults |= !last;
    } else if (name == "--root-id") {
      target->root_id = value;
      have_defaults |= !last;
    } else if (name == "--vm-id") {
      target->vm_id = value;
      have_defaults |= !last;
    } else if (name == "--fail-strategy") {
      if (value != "FAIL_CLOSE" && value != "FAIL_OPEN" && value != "FAIL_RELOAD") {
        return usageError("--fail-strategy: expected FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD");
      }
      if (last) {
        last->fail_strategy = value;
      } else {
        global_fail_strategy = value;
        defaults.fail_strategy = value;
      }
    } else if (name == "--reload-backoff-ms" || name == "--reload-max-backoff-ms") {
      std::chrono::milliseconds ms{0};
      if (!parseReloadMillis(value, &ms)) {
        return usageError(name + ": expected milliseconds from " +
                          std::to_string(gateway::kMinReloadBackoffMs) + " to " +
                          std::to_string(gateway::kMaxReloadBackoffMs));
      }
      bool is_max = name == "--reload-max-backoff-ms";
      (is_max ? target->reload_max_backoff : target->reload_backoff) = ms;
      if (!last) (is_max ? global_reload_max_backoff : global_reload_backoff) = ms;
    } else if (name == "--sha256") {
      if (!last) return usageError("--sha256 applies to the last --plugin: give it after one");
      auto hex = gateway::normalizePluginSha256(value);
      if (!hex) return usageError("--sha256: " + hex.message());
      last->sha256 = *hex;
    } else if (name == "--pull-policy") {
      if (Status s = gateway::checkImagePullPolicy(value); !s) {
        return usageError("--pull-policy: " + s.message());
      }
      if (last) {
        last->image_pull_policy = value;
      } else {
        global_pull_policy = value;
        defaults.image_pull_policy = value;
      }
    } else if (name == "--cache-dir") {
      if (value.empty()) return usageError("--cache-dir: expected a directory");
      cache_dir = value;
    } else if (name == "--registry-username") {
      registry_username = value;
    } else if (name == "--registry-password") {
      registry_password = value;
    } else if (name == "--listen") {
      if (Status s = gateway::parseHostPort(value, &config.listen_host, &config.listen_port); !s) {
        return usageError("--listen: " + s.message());
      }
    } else if (name == "--admin") {
      if (Status s = gateway::parseHostPort(value, &config.admin_host, &config.admin_port); !s) {
        return usageError("--admin: " + s.message());
      }
    } else if (name == "--upstream") {
      if (Status s = gateway::applyUpstreamFlag(value, &config); !s) return usageError(s.message());
    } else if (name == "--workers") {
      if (!parseInt(value, 1, 256, &config.workers)) {
        return usageError("--workers: expected a number from 1 to 256");
      }
    } else if (name == "--engine") {
      config.engine = value;
      for (auto& p : config.plugins) p.engine.clear();
    } else if (name == "--log-level") {
      config.log_level = value;
    } else {
      return usageError("unknown option " + name);
    }
  }
  if (!global_fail_strategy.empty()) {
    for (size_t i = 0; i < yaml_plugins; ++i) config.plugins[i].fail_strategy = global_fail_strategy;
  }
  for (size_t i = 0; i < yaml_plugins; ++i) {
    if (global_reload_backoff) config.plugins[i].reload_backoff = *global_reload_backoff;
    if (global_reload_max_backoff) {
      config.plugins[i].reload_max_backoff = *global_reload_max_backoff;
    }
  }
  for (const auto& p : config.plugins) {
    if (Status s = gateway::checkReloadBackoff(p); !s) {
      return usageError("plugin " + (p.name.empty() ? p.source : p.name) + ": " + s.message());
    }
  }
  if (!global_pull_policy.empty()) {
    for (size_t i = 0; i < yaml_plugins; ++i) {
      config.plugins[i].image_pull_policy = global_pull_policy;
    }
  }
  for (auto& p : config.plugins) {
    if (!cache_dir.empty()) p.cache_dir = cache_dir;
    if (!registry_username.empty()) p.registry_username = registry_username;
    if (!registry_password.empty()) p.registry_password = registry_password;
    p.insecure |= insecure;
  }
  if (have_defaults && config.plugins.size() == yaml_plugins) {
    return usageError("--config/--plugin-name/--root-id/--vm-id need a --plugin");
  }

  std::string listen_host = config.listen_host;
  std::string admin_host = config.admin_host;
  auto gw = gateway::Gateway::create(std::move(config));
  if (!gw) {
    std::fprintf(stderr, "meshwasm run: %s\n", gw.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "meshwasm run: listening on %s:%u (admin on %s:%u)\n",
               listen_host.c_str(), (*gw)->listenPort(), admin_host.c_str(), (*gw)->adminPort());
  std::fflush(stderr);
  return (*gw)->run();
}

}  // namespace meshwasm::cli
