// Loading a Proxy-Wasm plugin and running it: Plugin (compiled once, shared by every worker)
// and PluginVm (one VM instance per plugin per worker thread, Envoy's model, reference 1.10).
//
//   auto engine = makeEngine("interp");                       // engines.h
//   auto shared = std::make_shared<SharedState>();            // one per process
//   auto plugin = Plugin::load(engine, wasm_bytes, config);   // StatusOr, clear errors
//   // on each worker thread:
//   auto vm = PluginVm::create(*plugin, shared, &embedder);  // start, vm_start, configure
//   auto stream = (*vm)->newStream(&stream_callbacks);         // see http_stream.h
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/enums.h"
#include "meshwasm/abi/status.h"
#include "meshwasm/host/embedder.h"
#include "meshwasm/host/http_stream.h"
#include "meshwasm/host/module_info.h"
#include "meshwasm/host/plugin_config.h"
#include "meshwasm/host/shared_state.h"
#include "meshwasm/host/vm.h"

namespace meshwasm::host {

class Plugin {
 public:
  // Compiles the module and checks it the way Envoy does before any VM exists: ABI marker
  // ("Missing or unknown Proxy-Wasm ABI version"), allocator ("Wasm module is missing malloc
  // function"), exact import signatures (missing import / import type mismatch), callback
  // export signatures ("Bad function signature for: X").
  static StatusOr<std::shared_ptr<const Plugin>> load(std::shared_ptr<Engine> engine,
                                                      std::string_view wasm_bytes,
                                                      PluginConfig config);

  // A plugin without code, for unit tests that drive host calls through a fake Vm.
  static std::shared_ptr<const Plugin> forTesting(PluginConfig config, AbiVersion version);

  const PluginConfig& config() const { return config_; }
  AbiVersion abiVersion() const { return abi_version_; }
  std::string_view engineName() const { return engine_ ? engine_->name() : "none"; }

  // The plugin's log level, changeable at run time from any thread (admin /logging).
  abi::LogLevel logLevel() const { return static_cast<abi::LogLevel>(log_level_.load()); }
  void setLogLevel(abi::LogLevel level) const { log_level_.store(static_cast<uint32_t>(level)); }

  // Implementation details used by PluginVm.
  struct Details;
  const Details& details() const { return *details_; }
  ~Plugin();

 private:
  Plugin() = default;
  PluginConfig config_;
  AbiVersion abi_version_ = AbiVersion::V0_2_1;
  std::shared_ptr<Engine> engine_;
  std::unique_ptr<Details> details_;
  mutable std::atomic<uint32_t> log_level_{static_cast<uint32_t>(abi::LogLevel::Info)};
};

class WasmInstance;    // one started VM with its contexts (src/)
class ReloadSchedule;  // when a failed VM may be replaced under FailReload (src/backoff.h)

// One plugin's VM on one worker thread. All methods on that thread, except that the object
// may be destroyed on any thread once no stream uses it.
class PluginVm : public std::enable_shared_from_this<PluginVm> {
 public:
  // Instantiates and starts the VM: start functions (restricted), root context create,
  // proxy_on_vm_start, proxy_on_configure. Errors (the plugin is refused):
  //   "Function: proxy_on_configure failed: <trap>" / "... returned false", start failures,
  //   instantiate errors. Guest log lines go to embedder->log as they happen.
  // `embedder` must outlive the PluginVm.
  static StatusOr<std::shared_ptr<PluginVm>> create(std::shared_ptr<const Plugin> plugin,
                                                    std::shared_ptr<SharedState> shared,
                                                    Embedder* embedder);
  ~PluginVm();

  // A new HTTP stream. `callbacks` (may be nullptr) must outlive the stream. With a failed VM
  // the stream answers by the fail strategy; with FailReload a new VM is started first when
  // the backoff (PluginConfig::reload_backoff) since this PluginVm's last VM load elapsed.
  std::unique_ptr<HttpStream> newStream(StreamCallbacks* callbacks = nullptr);

  // proxy_on_tick on the root context (the embedder's timer for setTickPeriod).
  void onTick();
  // Completion of an Embedder::httpCall; nullptr = failed/reset (num_headers 0, status 11).
  void onHttpCallResponse(uint32_t token, const HttpCallResponse* response);
  // Events of an Embedder::grpcCall, in order; onGrpcClose ends it (status 0-16, message
  // readable through proxy_get_status).
  void onGrpcReceiveInitialMetadata(uint32_t token, const Headers& metadata);
  void onGrpcReceive(uint32_t token, std::string_view message);
  void onGrpcReceiveTrailingMetadata(uint32_t token, const Headers& metadata);
  void onGrpcClose(uint32_t token, uint32_t status, std::string_view message);
  // proxy_on_queue_ready on the root context (posted through Embedder::post by the host).
  void onQueueReady(uint32_t token);
  // How a queue registered by this VM reaches it: posts onQueueReady through
  // Embedder::post while this PluginVm lives (safe to call from any thread).
  SharedState::QueueNotifier queueNotifier();
  // Root context shutdown (reference 7.9): proxy_on_done, then proxy_on_delete now or after
  // the guest calls proxy_done. Idempotent; also run by the destructor (a failed VM gets
  // nothing).
  void shutdown();

  // The VM gets no further callbacks (it counts as failed), not even proxy_on_done /
  // proxy_on_delete at destruction (Envoy's throw-away canary VM, reference 1.10).
  void abandon();

  bool failed() const;
  abi::FailState failState() const;
  const Plugin& plugin() const { return *plugin_; }
  SharedState& shared() const { return *shared_; }
  Embedder& embedder() const { return *embedder_; }
  // Number of VM replacements done under FailReload.
  uint32_t reloadCount() const { return reload_count_; }

  // The running instance (tests, diagnostics).
  WasmInstance* instance() const { return instance_.get(); }

 private:
  PluginVm(std::shared_ptr<const Plugin> plugin, std::shared_ptr<SharedState> shared,
           Embedder* embedder);
  Status start();
  void maybeReload();
  std::chrono::steady_clock::time_point now() const;

  std::shared_ptr<const Plugin> plugin_;
  std::shared_ptr<SharedState> shared_;
  Embedder* embedder_;
  std::shared_ptr<WasmInstance> instance_;
  struct Poster;
  std::shared_ptr<Poster> poster_;
  std::unique_ptr<ReloadSchedule> reload_schedule_;  // FailReload only
  uint32_t reload_count_ = 0;
};

}  // namespace meshwasm::host
