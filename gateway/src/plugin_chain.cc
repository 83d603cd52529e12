#include "plugin_chain.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "meshwasm/host/engines.h"
#include "meshwasm/host/plugin.h"
#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/fetch.h"
#include "wasm_filter.h"
#include "worker.h"

namespace meshwasm::gateway {

namespace {

// Logs of VMs that belong to no worker (the canary on the main thread).
class MainEmbedder final : public host::Embedder {
 public:
  void log(const host::LogRecord& record) override {
    std::string line = formatPluginLog(record) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
};

// The module's bytes: a local file (checked against spec.sha256 when set), or an oci:// image
// fetched like Istio's agent (spec.sha256 is then the manifest digest; cache, pull policy).
StatusOr<std::string> readModule(const PluginSpec& spec, std::string* resolved_path) {
  std::string path = spec.source;
  bool from_registry = path.starts_with("oci://");
  if (from_registry) {
    oci::FetchOptions options;
    options.url = spec.source;
    options.expectedSha256 = spec.sha256;
    options.cacheDir = spec.cache_dir;
    if (!spec.image_pull_policy.empty()) {
      auto policy = oci::parsePullPolicy(spec.image_pull_policy);
      if (!policy) return policy.status();
      options.pullPolicy = *policy;
    }
    options.registry.credentials = oci::credentialsFromEnvironment();
    if (!spec.registry_username.empty()) {
      options.registry.credentials.username = spec.registry_username;
    }
    if (!spec.registry_password.empty()) {
      options.registry.credentials.password = spec.registry_password;
    }
    options.registry.insecure = spec.insecure;
    auto fetched = oci::fetchPlugin(options);
    if (!fetched) return Status::error("pull failed: " + fetched.message());
    path = fetched->path;
  } else if (path.starts_with("file://")) {
    path.erase(0, 7);
  }
  *resolved_path = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  if (!from_registry && !spec.sha256.empty()) {
    std::string actual = oci::sha256Hex(bytes);
    if (actual != spec.sha256) {
      return Status::error("module sha256 " + actual + " does not match the expected sha256 " +
                           spec.sha256);
    }
  }
  return bytes;
}

StatusOr<host::FailStrategy> failStrategy(const std::string& name) {
  if (name == "FAIL_CLOSE") return host::FailStrategy::FailClose;
  if (name == "FAIL_OPEN") return host::FailStrategy::FailOpen;
  if (name == "FAIL_RELOAD") return host::FailStrategy::FailReload;
  return Status::error("unknown fail strategy '" + name +
                       "' (expected FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD)");
}

struct LoadedPlugin {
  PluginSpec spec;
  std::shared_ptr<const host::Plugin> plugin;
  std::string sha256;
  size_t size = 0;
  std::shared_ptr<PluginCounters> counters = std::make_shared<PluginCounters>();
};

class WasmPluginChain final : public PluginChain {
 public:
  WasmPluginChain(std::vector<LoadedPlugin> plugins, std::shared_ptr<host::SharedState> shared,
                  abi::LogLevel level, Stats& stats)
      : plugins_(std::move(plugins)), shared_(std::move(shared)), level_(level) {
    stats.addSource([this](std::vector<std::pair<std::string, int64_t>>* out) { addStats(out); });
  }

  void startWorker(Worker& worker) override {
    auto embedder = std::make_unique<WorkerEmbedder>(worker);
    std::vector<std::shared_ptr<host::PluginVm>> vms;
    for (auto& p : plugins_) {
      auto vm = host::PluginVm::create(p.plugin, shared_, embedder.get());
      if (!vm) {
        std::fprintf(stderr, "meshwasm run: plugin '%s' refused on worker %d: %s\n",
                     p.spec.name.c_str(), worker.id, vm.message().c_str());
        p.counters->vms_refused.fetch_add(1);
        worker.filter_factories.push_back(makeWasmFilterFactory(nullptr, worker, p.counters));
        vms.push_back(nullptr);
        continue;
      }
      p.counters->vms_created.fetch_add(1);
      vms.push_back(*vm);
      worker.filter_factories.push_back(makeWasmFilterFactory(*vm, worker, p.counters));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    workers_[worker.id] = WorkerState{std::move(embedder), std::move(vms)};
  }

  void stopWorker(Worker& worker) override {
    WorkerState state;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = workers_.find(worker.id);
      if (it == workers_.end()) return;
      state = std::move(it->second);
      workers_.erase(it);
    }
    worker.filter_factories.clear();
    state.embedder->stopTimers();
    for (auto& vm : state.vms) {
      if (vm) vm->shutdown();  // proxy_on_done / proxy_on_delete on the root context
    }
    state.vms.clear();
    // The embedder goes last: VMs still referenced elsewhere no longer call it. Workers stop
    // on their own threads at the same time, so the list is shared under the lock.
    std::lock_guard<std::mutex> lock(mutex_);
    pending_embedders_.push_back(std::move(state.embedder));
  }

  std::string pluginsJson() const override {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : plugins_) {
      const auto& c = *p.counters;
      std::string state = c.failed.load()       ? "failed"
                          : c.vms_refused.load() ? "partially_loaded"
                                                 : "running";
      list.push_back({{"name", p.spec.name},
                      {"source", p.spec.source},
                      {"sha256", p.sha256},
                      {"size", p.size},
                      {"engine", std::string(p.plugin->engineName())},
                      {"root_id", p.spec.root_id},
                      {"vm_id", p.spec.vm_id},
                      {"fail_strategy", p.spec.fail_strategy},
                      {"state", state},
                      {"vms", c.vms_created.load()},
                      {"vms_refused", c.vms_refused.load()},
                      {"vm_failures", c.vm_failures.load()},
                      {"fail_streams", c.fail_streams.load()}});
    }
    return list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  bool setLogLevel(std::string_view name) override {
    abi::LogLevel level;
    if (!parseLogLevel(name, &level)) return false;
    level_.store(level);
    for (auto& p : plugins_) p.plugin->setLogLevel(level);
    return true;
  }
  std::string logLevel() const override { return std::string(logLevelName(level_.load())); }

 private:
  struct WorkerState {
    std::unique_ptr<WorkerEmbedder> embedder;
    std::vector<std::shared_ptr<host::PluginVm>> vms;
  };

  void addStats(std::vector<std::pair<std::string, int64_t>>* out) const {
    std::map<std::string, int64_t> engines;
    for (const auto& p : plugins_) {
      const auto& c = *p.counters;
      std::string base = "wasm.plugin." + p.spec.name + ".";
      out->emplace_back(base + "loaded", 1);
      out->emplace_back(base + "failed", c.failed.load() ? 1 : 0);
      out->emplace_back(base + "vms_created", static_cast<int64_t>(c.vms_created.load()));
      out->emplace_back(base + "vms_refused", static_cast<int64_t>(c.vms_refused.load()));
      out->emplace_back(base + "vm_failures", static_cast<int64_t>(c.vm_failures.load()));
      out->emplace_back(base + "fail_streams", static_cast<int64_t>(c.fail_streams.load()));
      engines[std::string(p.plugin->engineName())] += static_cast<int64_t>(c.vms_created.load());
    }
    for (const auto& [engine, n] : engines) {
      out->emplace_back("wasm.envoy.wasm.runtime." + engine + ".created", n);
    }
    for (const auto& m : shared_->metrics()) {
      if (m.type == abi::MetricType::Histogram) {
        out->emplace_back("wasmcustom." + m.name + ".count", static_cast<int64_t>(m.sample_count));
        out->emplace_back("wasmcustom." + m.name + ".sum", static_cast<int64_t>(m.sample_sum));
      } else {
        out->emplace_back("wasmcustom." + m.name, m.value);
      }
    }
  }

  std::vector<LoadedPlugin> plugins_;
  std::shared_ptr<host::SharedState> shared_;
  std::atomic<abi::LogLevel> level_;
  std::mutex mutex_;
  std::map<int, WorkerState> workers_;
  std::vector<std::unique_ptr<WorkerEmbedder>> pending_embedders_;  // under mutex_
};

}  // namespace

StatusOr<std::unique_ptr<PluginChain>> loadPluginChain(const GatewayConfig& config,
                                                       Stats& stats) {
  abi::LogLevel level = abi::LogLevel::Info;
  if (!parseLogLevel(config.log_level, &level)) {
    return Status::error("unknown log level '" + config.log_level +
                         "' (trace, debug, info, warning, error, critical, off)");
  }
  auto shared = std::make_shared<host::SharedState>();
  std::vector<LoadedPlugin> loaded;
  MainEmbedder canary_embedder;
  for (const auto& spec : config.plugins) {
    auto fail = [&](const std::string& why) {
      return Status::error("plugin '" + spec.name + "' (" + spec.source + "): " + why);
    };
    std::string path;
    auto bytes = readModule(spec, &path);
    if (!bytes) return fail(bytes.message());
    auto strategy = failStrategy(spec.fail_strategy);
    if (!strategy) return fail(strategy.message());
    auto engine = host::makeEngine(spec.engine);
    if (!engine) return fail(engine.message());
    host::PluginConfig pc;
    pc.name = spec.name;
    pc.root_id = spec.root_id;
    pc.vm_id = spec.vm_id;
    pc.configuration = spec.configuration;
    pc.vm_configuration = spec.vm_configuration;
    pc.fail_strategy = *strategy;
    pc.reload_backoff = spec.reload_backoff;
    if (spec.reload_max_backoff.count() > 0) pc.reload_max_backoff = spec.reload_max_backoff;
    pc.log_level = level;
    pc.environment_variables = spec.environment_variables;
    std::shared_ptr<host::Engine> shared_engine(std::move(engine.value()));
    auto plugin = host::Plugin::load(shared_engine, *bytes, pc);
    if (!plugin) return fail(plugin.message());
    // The canary: start and configure once before any worker does (Envoy refuses a plugin
    // whose proxy_on_vm_start / proxy_on_configure fails). Envoy destroys it without
    // proxy_on_done / proxy_on_delete, hence abandon().
    {
      auto canary = host::PluginVm::create(*plugin, shared, &canary_embedder);
      if (!canary) return fail(canary.message());
      (*canary)->abandon();
    }
    LoadedPlugin lp;
    lp.spec = spec;
    lp.plugin = *plugin;
    lp.sha256 = oci::sha256Hex(*bytes);
    lp.size = bytes->size();
    loaded.push_back(std::move(lp));
  }
  return std::unique_ptr<PluginChain>(
      std::make_unique<WasmPluginChain>(std::move(loaded), shared, level, stats));
}

}  // namespace meshwasm::gateway
