// The "auto" engine: the interpreter at once, AOT code as soon as a background compile of the
// module has finished. One worker thread compiles modules in the order they were first seen.
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "aot_internal.h"
#include "wasm2c_engine.h"

namespace meshwasm::host {
namespace {

// Compile state of one module, shared by every AutoModule with the same bytes.
struct AotState {
  std::mutex mu;
  bool done = false;
  std::shared_ptr<const CompiledModule> aot;  // set when the compile succeeded
  std::string error;
};

class AutoModule final : public CompiledModule {
 public:
  AutoModule(std::shared_ptr<const CompiledModule> interp, std::shared_ptr<AotState> state)
      : interp_(std::move(interp)), state_(std::move(state)) {}
  const std::vector<ImportDesc>& imports() const override { return interp_->imports(); }
  const std::vector<ExportDesc>& exports() const override { return interp_->exports(); }

  std::shared_ptr<const CompiledModule> aot() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->aot;
  }

  std::shared_ptr<const CompiledModule> interp_;
  std::shared_ptr<AotState> state_;
};

class AutoEngine final : public Engine {
 public:
  AutoEngine(std::unique_ptr<Engine> interpreter, AotOptions options,
             std::function<void(std::string_view)> log)
      : interp_(std::move(interpreter)),
        aot_(makeWasm2cEngine(options)),
        options_(std::move(options)),
        log_(std::move(log)) {
    if (!log_) {
      log_ = [](std::string_view message) {
        std::fprintf(stderr, "meshwasm: %.*s\n", static_cast<int>(message.size()), message.data());
      };
    }
  }

  ~AutoEngine() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cancel_ = true;
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  std::string_view name() const override { return "auto"; }

  StatusOr<std::shared_ptr<const CompiledModule>> compile(std::string_view bytes) override {
    auto interp = interp_->compile(bytes);
    if (!interp) return interp.status();
    std::shared_ptr<AotState> state;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = states_.find(std::string(bytes));
      if (it != states_.end()) {
        state = it->second;
      } else {
        state = std::make_shared<AotState>();
        states_.emplace(std::string(bytes), state);
        queue_.emplace_back(std::string(bytes), state);
        if (!worker_.joinable()) worker_ = std::thread([this] { work(); });
      }
    }
    cv_.notify_all();
    return std::shared_ptr<const CompiledModule>(
        std::make_shared<AutoModule>(std::move(*interp), std::move(state)));
  }

  StatusOr<std::unique_ptr<Vm>> instantiate(std::shared_ptr<const CompiledModule> module,
                                            const ImportTable& imports, void* host_data) override {
    auto auto_module = std::dynamic_pointer_cast<const AutoModule>(module);
    if (!auto_module) {
      return Status::error("Failed to instantiate Wasm module: compiled by another engine");
    }
    if (auto aot = auto_module->aot()) {
      auto vm = aot_->instantiate(std::move(aot), imports, host_data);
      if (vm) return vm;
      // The interpreter decides (it gives the same errors for the module's own faults).
    }
    return interp_->instantiate(auto_module->interp_, imports, host_data);
  }

 private:
  void work() {
    for (;;) {
      std::pair<std::string, std::shared_ptr<AotState>> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      auto compiled = compileAotModule(job.first, options_, &cancel_);
      if (cancel_) return;
      {
        std::lock_guard<std::mutex> lock(job.second->mu);
        job.second->done = true;
        if (compiled) {
          job.second->aot = std::move(*compiled);
        } else {
          job.second->error = compiled.message();
        }
      }
      if (!compiled) {
        log_("AOT compile failed, the plugin stays on the interpreter: " + compiled.message());
      }
    }
  }

  std::unique_ptr<Engine> interp_;
  std::unique_ptr<Engine> aot_;
  AotOptions options_;
  std::function<void(std::string_view)> log_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};
  std::unordered_map<std::string, std::shared_ptr<AotState>> states_;
  std::deque<std::pair<std::string, std::shared_ptr<AotState>>> queue_;
  std::thread worker_;
};

}  // namespace

std::unique_ptr<Engine> makeAutoEngine(std::unique_ptr<Engine> interpreter, AotOptions options,
                                       std::function<void(std::string_view)> log) {
  return std::make_unique<AutoEngine>(std::move(interpreter), std::move(options), std::move(log));
}

}  // namespace meshwasm::host
