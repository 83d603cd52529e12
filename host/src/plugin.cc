// Plugin (load-time checks) and PluginVm (one started VM per worker, fail strategies).
#include "meshwasm/host/plugin.h"

#include <array>
#include <mutex>

#include "backoff.h"
#include "http_stream_impl.h"
#include "plugin_details.h"
#include "wasm_instance.h"

namespace meshwasm::host {

std::string_view toString(FailStrategy strategy) {
  switch (strategy) {
    case FailStrategy::FailClose: return "FAIL_CLOSE";
    case FailStrategy::FailOpen: return "FAIL_OPEN";
    case FailStrategy::FailReload: return "FAIL_RELOAD";
  }
  return "?";
}

Plugin::~Plugin() = default;

StatusOr<std::shared_ptr<const Plugin>> Plugin::load(std::shared_ptr<Engine> engine,
                                                     std::string_view wasm_bytes,
                                                     PluginConfig config) {
  if (!engine) return Status::error("No Wasm engine");
  auto module = engine->compile(wasm_bytes);
  if (!module) return module.status();

  // Envoy's order: ABI marker, linking (exact import signatures), then the exports.
  std::optional<AbiVersion> version = detectAbiVersion(**module);
  if (!version) return Status::error("Missing or unknown Proxy-Wasm ABI version");
  if (auto s = checkImports((*module)->imports(), importTable(*version)); !s) return s;
  auto info = inspectModule(**module);
  if (!info) return info.status();

  std::shared_ptr<Plugin> plugin(new Plugin());
  plugin->abi_version_ = *version;
  plugin->log_level_.store(static_cast<uint32_t>(config.log_level));
  plugin->config_ = std::move(config);
  plugin->engine_ = engine;
  plugin->details_ = std::make_unique<Details>();
  plugin->details_->engine = std::move(engine);
  plugin->details_->module = std::move(*module);
  plugin->details_->info = std::move(*info);
  return std::shared_ptr<const Plugin>(std::move(plugin));
}

std::shared_ptr<const Plugin> Plugin::forTesting(PluginConfig config, AbiVersion version) {
  std::shared_ptr<Plugin> plugin(new Plugin());
  plugin->abi_version_ = version;
  plugin->log_level_.store(static_cast<uint32_t>(config.log_level));
  plugin->config_ = std::move(config);
  plugin->details_ = std::make_unique<Details>();
  plugin->details_->info.abi_version = version;
  return plugin;
}

// Delivers queue notifications to a PluginVm through its embedder while both live.
struct PluginVm::Poster {
  std::mutex mutex;
  Embedder* embedder = nullptr;
  std::weak_ptr<PluginVm> vm;
};

PluginVm::PluginVm(std::shared_ptr<const Plugin> plugin, std::shared_ptr<SharedState> shared,
                   Embedder* embedder)
    : plugin_(std::move(plugin)),
      shared_(std::move(shared)),
      embedder_(embedder),
      poster_(std::make_shared<Poster>()) {
  const PluginConfig& config = plugin_->config();
  if (config.fail_strategy == FailStrategy::FailReload) {
    reload_schedule_ = std::make_unique<ReloadSchedule>(
        config.reload_backoff, config.reload_max_backoff,
        config.reload_random ? config.reload_random : makeSeededRandomSource());
  }
}

StatusOr<std::shared_ptr<PluginVm>> PluginVm::create(std::shared_ptr<const Plugin> plugin,
                                                     std::shared_ptr<SharedState> shared,
                                                     Embedder* embedder) {
  static Embedder null_embedder;
  if (!plugin) return Status::error("No plugin");
  if (!shared) shared = std::make_shared<SharedState>();
  if (embedder == nullptr) embedder = &null_embedder;
  std::shared_ptr<PluginVm> vm(new PluginVm(std::move(plugin), std::move(shared), embedder));
  {
    std::lock_guard<std::mutex> lock(vm->poster_->mutex);
    vm->poster_->embedder = embedder;
    vm->poster_->vm = vm;
  }
  if (auto s = vm->start(); !s) return s;
  if (vm->reload_schedule_) vm->reload_schedule_->loaded(vm->now());
  return vm;
}

Status PluginVm::start() {
  auto instance = std::make_shared<WasmInstance>(plugin_, shared_.get(), embedder_, this);
  if (auto s = instance->instantiate(); !s) return s;
  instance_ = instance;
  return instance->start();
}

PluginVm::~PluginVm() {
  {
    std::lock_guard<std::mutex> lock(poster_->mutex);
    poster_->embedder = nullptr;
  }
  shutdown();
  if (instance_) instance_->detachOwner();
}

std::chrono::steady_clock::time_point PluginVm::now() const {
  const auto& clock = plugin_->config().reload_clock;
  return clock ? clock() : std::chrono::steady_clock::now();
}

// Envoy's PluginConfig::maybeReloadHandleIfNeeded (see backoff.h): the wait is measured from
// the last load, and a failed attempt counts as a load too.
void PluginVm::maybeReload() {
  if (!reload_schedule_ || !instance_ || !instance_->failed()) return;
  auto at = now();
  if (!reload_schedule_->due(at)) return;  // fail-closed until then
  std::shared_ptr<WasmInstance> old = instance_;
  bool started = static_cast<bool>(start());
  if (started) ++reload_count_;
  reload_schedule_->attempted(at, started);
  if (old && old != instance_) old->detachOwner();
}

std::unique_ptr<HttpStream> PluginVm::newStream(StreamCallbacks* callbacks) {
  maybeReload();
  return std::make_unique<HttpStreamImpl>(instance_, callbacks, plugin_->config().fail_strategy);
}

void PluginVm::onTick() {
  if (instance_) instance_->onTick();
}

void PluginVm::onHttpCallResponse(uint32_t token, const HttpCallResponse* response) {
  if (instance_) instance_->onHttpCallResponse(token, response);
}

void PluginVm::onGrpcReceiveInitialMetadata(uint32_t token, const Headers& metadata) {
  if (instance_) instance_->onGrpcEvent(token, GrpcEvent::InitialMetadata, &metadata, {}, 0);
}

void PluginVm::onGrpcReceive(uint32_t token, std::string_view message) {
  if (instance_) instance_->onGrpcEvent(token, GrpcEvent::Message, nullptr, message, 0);
}

void PluginVm::onGrpcReceiveTrailingMetadata(uint32_t token, const Headers& metadata) {
  if (instance_) instance_->onGrpcEvent(token, GrpcEvent::TrailingMetadata, &metadata, {}, 0);
}

void PluginVm::onGrpcClose(uint32_t token, uint32_t status, std::string_view message) {
  if (instance_) instance_->onGrpcEvent(token, GrpcEvent::Close, nullptr, message, status);
}

void PluginVm::onQueueReady(uint32_t token) {
  if (instance_) instance_->onQueueReady(token);
}

SharedState::QueueNotifier PluginVm::queueNotifier() {
  std::shared_ptr<Poster> poster = poster_;
  return [poster](uint32_t token) {
    std::lock_guard<std::mutex> lock(poster->mutex);
    if (poster->embedder == nullptr) return;
    std::weak_ptr<PluginVm> weak = poster->vm;
    poster->embedder->post([weak, token] {
      if (auto vm = weak.lock()) vm->onQueueReady(token);
    });
  };
}

void PluginVm::shutdown() {
  if (instance_) instance_->shutdown();
}

void PluginVm::abandon() {
  if (instance_) instance_->abandon();
}

bool PluginVm::failed() const {
  return !instance_ || instance_->failed();
}

abi::FailState PluginVm::failState() const {
  if (!instance_) return abi::FailState::UnableToCreateVm;
  return instance_->failed() ? abi::FailState::RuntimeError : abi::FailState::Ok;
}

}  // namespace meshwasm::host
