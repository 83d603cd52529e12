// The wabt interpreter behind the engine seam (vm.h), on top of wabt_runtime.h.
//
// Vm rules implemented here: arguments are checked before the interpreter sees them (it
// aborts on a wrong count); after a trap the Vm is failed for good (the interpreter's thread
// is left mid-call); a host function's nested guest call that trapped makes the host function
// trap too; nesting depth is bounded; memory is never cached across guest calls.
#include "wabt_engine.h"

#include <cstring>
#include <string>
#include <vector>

#include "meshwasm/abi/limits.h"
#include "meshwasm/host/engines.h"
#include "wabt_runtime.h"

namespace meshwasm::host {
namespace {

// Tables larger than this are refused (V8 has the same limit); the interpreter allocates
// their elements eagerly.
constexpr uint64_t kMaxTableElements = 10'000'000;

std::optional<FunctionType> toFunctionType(const wabt_rt::Signature& signature) {
  auto convert = [](const std::vector<wabt_rt::Type>& in, std::vector<ValueType>& out) {
    for (auto t : in) {
      switch (t) {
        case wabt_rt::Type::I32: out.push_back(ValueType::I32); break;
        case wabt_rt::Type::I64: out.push_back(ValueType::I64); break;
        case wabt_rt::Type::F32: out.push_back(ValueType::F32); break;
        case wabt_rt::Type::F64: out.push_back(ValueType::F64); break;
        case wabt_rt::Type::Other: return false;
      }
    }
    return true;
  };
  FunctionType type;
  if (!convert(signature.params, type.params) || !convert(signature.results, type.results)) {
    return std::nullopt;
  }
  return type;
}

ExternKind toExternKind(wabt_rt::Kind kind) {
  switch (kind) {
    case wabt_rt::Kind::Function: return ExternKind::Function;
    case wabt_rt::Kind::Table: return ExternKind::Table;
    case wabt_rt::Kind::Memory: return ExternKind::Memory;
    case wabt_rt::Kind::Global: return ExternKind::Global;
    case wabt_rt::Kind::Tag: return ExternKind::Tag;
  }
  return ExternKind::Tag;
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Maps the interpreter's trap texts onto the engine-independent ones of engines.h.
std::string normalizeTrap(std::string_view message) {
  if (startsWith(message, "unreachable")) return std::string(traps::kUnreachable);
  if (message.find("stack exhausted") != std::string_view::npos) {
    return std::string(traps::kCallStackExhausted);
  }
  if (startsWith(message, traps::kOutOfBoundsMemory)) return std::string(traps::kOutOfBoundsMemory);
  if (startsWith(message, traps::kOutOfBoundsTable)) return std::string(traps::kOutOfBoundsTable);
  if (startsWith(message, "undefined table index") ||
      startsWith(message, "uninitialized table element")) {
    return std::string(traps::kUndefinedElement);
  }
  return std::string(message);
}

class WabtModule final : public CompiledModule {
 public:
  const std::vector<ImportDesc>& imports() const override { return imports_; }
  const std::vector<ExportDesc>& exports() const override { return exports_; }

  std::shared_ptr<const wabt_rt::Module> runtime_;
  std::vector<ImportDesc> imports_;
  std::vector<ExportDesc> exports_;
  // exports_[i] is runtime export runtime_export_[i]: exports with value types the seam cannot
  // express (v128, references) are left out.
  std::vector<size_t> runtime_export_;
};

struct BoundImport {
  std::string qualified_name;
  HostCallback callback;
  void* data;
};

class WabtVm final : public Vm {
 public:
  WabtVm(std::shared_ptr<const WabtModule> module, void* host_data)
      : module_(std::move(module)), host_data_(host_data) {}

  Status init(const ImportTable& table);

  std::string_view engine() const override { return "interp"; }

  ExportFunction findFunction(std::string_view name) const override {
    const auto& exports = module_->exports_;
    for (size_t i = 0; i < exports.size(); ++i) {
      if (exports[i].kind == ExternKind::Function && exports[i].name == name) {
        return static_cast<ExportFunction>(i);
      }
    }
    return kNoExport;
  }

  const FunctionType* functionType(ExportFunction function) const override {
    if (!validFunction(function)) return nullptr;
    return &module_->exports_[static_cast<size_t>(function)].type;
  }

  Status call(ExportFunction function, std::span<const uint64_t> args,
              std::span<uint64_t> results) override;

  bool failed() const override { return failed_; }

  std::span<uint8_t> memory() override {
    if (!instance_) return {};
    uint8_t* data = instance_->memoryData();
    if (data == nullptr) return {};
    return {data, instance_->memorySize()};
  }

 private:
  bool validFunction(ExportFunction function) const {
    return function >= 0 && static_cast<size_t>(function) < module_->exports_.size() &&
           module_->exports_[static_cast<size_t>(function)].kind == ExternKind::Function;
  }

  bool callHost(size_t index, const uint64_t* args, uint64_t* results, std::string* trap);

  std::shared_ptr<const WabtModule> module_;
  void* host_data_;
  std::vector<BoundImport> bound_;
  std::unique_ptr<wabt_rt::Instance> instance_;
  bool failed_ = false;
  std::string failure_;
  bool last_trap_from_host_ = false;
  int depth_ = 0;
};

Status WabtVm::init(const ImportTable& table) {
  if (Status st = checkImports(module_->imports_, table); !st) return st;
  std::vector<wabt_rt::HostFunction> functions;
  for (const auto& import : module_->imports_) {
    if (import.kind != ExternKind::Function) continue;
    const HostFunction* host = table.find(import.module, import.name);
    bound_.push_back({import.module + "." + import.name, host->callback, host->data});
    const size_t index = bound_.size() - 1;
    functions.emplace_back(
        [this, index](const uint64_t* args, uint64_t* results, std::string* trap) {
          return callHost(index, args, results, trap);
        });
  }
  std::string error;
  // Host functions may run from the module's start section, before instance_ is set: they
  // then see no memory and no exports.
  instance_ = wabt_rt::Instance::create(module_->runtime_, std::move(functions),
                                        abi::kMaxMemoryPages, &error);
  if (!instance_) {
    return Status::error("Failed to instantiate Wasm module: " +
                         (last_trap_from_host_ ? error : normalizeTrap(error)));
  }
  return Status::ok();
}

Status WabtVm::call(ExportFunction function, std::span<const uint64_t> args,
                    std::span<uint64_t> results) {
  if (failed_) return Status::error(std::string(call_errors::kVmFailed));
  if (!validFunction(function) || !instance_) {
    return Status::error(std::string(call_errors::kNoSuchFunction));
  }
  const ExportDesc& desc = module_->exports_[static_cast<size_t>(function)];
  const FunctionType& type = desc.type;
  if (args.size() != type.params.size()) {
    return Status::error("Wasm function " + desc.name + " takes " +
                         std::to_string(type.params.size()) + " arguments, got " +
                         std::to_string(args.size()));
  }
  if (results.size() < type.results.size()) {
    return Status::error("Wasm function " + desc.name + " returns " +
                         std::to_string(type.results.size()) + " results, room for " +
                         std::to_string(results.size()));
  }
  if (depth_ >= kMaxNestedCalls) return Status::error(std::string(traps::kTooManyNestedCalls));

  std::string trap;
  last_trap_from_host_ = false;
  ++depth_;
  const bool ok = instance_->call(module_->runtime_export_[static_cast<size_t>(function)],
                                  args.data(), results.data(), &trap);
  --depth_;
  if (!ok) {
    failed_ = true;
    failure_ = last_trap_from_host_ ? trap : normalizeTrap(trap);
    return Status::error(failure_);
  }
  return Status::ok();
}

bool WabtVm::callHost(size_t index, const uint64_t* args, uint64_t* results, std::string* trap) {
  const BoundImport& import = bound_[index];
  HostCallFrame frame{*this, host_data_, import.data};
  const bool ok = import.callback(frame, args, results, trap);
  if (ok && !failed_) return true;
  // A nested guest call that trapped leaves the interpreter's thread mid-call: whatever the
  // host function answered, this call traps too.
  if (ok || trap->empty()) {
    *trap = failed_ ? std::string(traps::kNestedCallTrapped) + failure_
                    : "host function " + import.qualified_name + " trapped";
  }
  last_trap_from_host_ = true;
  return false;
}

class WabtEngine final : public Engine {
 public:
  std::string_view name() const override { return "interp"; }

  StatusOr<std::shared_ptr<const CompiledModule>> compile(std::string_view bytes) override;

  StatusOr<std::unique_ptr<Vm>> instantiate(std::shared_ptr<const CompiledModule> module,
                                            const ImportTable& imports, void* host_data) override {
    auto wabt_module = std::dynamic_pointer_cast<const WabtModule>(module);
    if (!wabt_module) {
      return Status::error("Failed to instantiate Wasm module: compiled by another engine");
    }
    auto vm = std::make_unique<WabtVm>(std::move(wabt_module), host_data);
    if (Status st = vm->init(imports); !st) return st;
    return std::unique_ptr<Vm>(std::move(vm));
  }
};

StatusOr<std::shared_ptr<const CompiledModule>> WabtEngine::compile(std::string_view bytes) {
  static constexpr char kMagic[4] = {'\0', 'a', 's', 'm'};
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return Status::error("Failed to load Wasm module: not a Wasm binary (bad magic number)");
  }
  std::string error;
  auto runtime = wabt_rt::Module::read(bytes.data(), bytes.size(), abi::kMaxMemoryPages,
                                       kMaxTableElements, &error);
  if (!runtime) return Status::error("Failed to load Wasm module: " + error);

  auto module = std::make_shared<WabtModule>();
  for (const auto& import : runtime->imports()) {
    ImportDesc out{import.module, import.name, toExternKind(import.kind), {}};
    if (out.kind == ExternKind::Function) {
      auto type = toFunctionType(import.signature);
      if (!type) {
        return Status::error(
            "Failed to load Wasm module due to an import type mismatch: " + import.module + "." +
            import.name + ", want: a type with v128 or reference values");
      }
      out.type = std::move(*type);
    }
    module->imports_.push_back(std::move(out));
  }
  for (size_t i = 0; i < runtime->exports().size(); ++i) {
    const auto& e = runtime->exports()[i];
    ExportDesc out{e.name, toExternKind(e.kind), {}};
    if (out.kind == ExternKind::Function) {
      auto type = toFunctionType(e.signature);
      if (!type) continue;
      out.type = std::move(*type);
    }
    module->exports_.push_back(std::move(out));
    module->runtime_export_.push_back(i);
  }
  module->runtime_ = std::move(runtime);
  return std::shared_ptr<const CompiledModule>(std::move(module));
}

}  // namespace

std::unique_ptr<Engine> makeWabtEngine() {
  return std::make_unique<WabtEngine>();
}

}  // namespace meshwasm::host
