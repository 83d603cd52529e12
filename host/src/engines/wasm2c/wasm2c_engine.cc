// The wasm2c AOT engine behind the engine seam: compiled objects are loaded with dlopen, every
// entry into guest code goes through meshwasm_aot_protected_call (runtime.c), imports reach
// the host's HostCallbacks through meshwasm_aot_host_call.
//
// No C++ object with a destructor may be alive in a frame that a trap unwinds (longjmp): the
// frames between a protected call and a trap are the entry adapters below, generated C code,
// and meshwasm_aot_host_call, none of which own anything.
#include "wasm2c_engine.h"

#include <dlfcn.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "aot_internal.h"
#include "compiler.h"
#include "meshwasm/host/engines.h"
#include "runtime.h"
#include "validate.h"
#include "wasm-rt.h"
#include "wasm_binary.h"

namespace meshwasm::host {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

constexpr uint32_t kMaxPages = MESHWASM_AOT_MAX_PAGES;
constexpr uint32_t kMaxTable = MESHWASM_AOT_MAX_TABLE_ELEMENTS;

class AotModule final : public CompiledModule {
 public:
  ~AotModule() override {
    if (handle_ != nullptr) dlclose(handle_);
  }
  const std::vector<ImportDesc>& imports() const override { return imports_; }
  const std::vector<ExportDesc>& exports() const override { return exports_; }

  void* handle_ = nullptr;
  const meshwasm_aot_module_t* desc_ = nullptr;
  std::vector<ImportDesc> imports_;
  std::vector<ExportDesc> exports_;
  std::vector<meshwasm_aot_entry_t> entries_;  // parallel to exports_ (null: not a function)
  aot::ModuleShape shape_;
};

// Runs desc->init_module() inside a protected call.
void initModuleEntry(void* desc, const uint64_t*, uint64_t*) {
  static_cast<const meshwasm_aot_module_t*>(desc)->init_module();
}

std::string trapText(int code) {
  switch (code) {
    case WASM_RT_TRAP_UNREACHABLE: return std::string(traps::kUnreachable);
    case WASM_RT_TRAP_EXHAUSTION: return std::string(traps::kCallStackExhausted);
    case WASM_RT_TRAP_OOB: return std::string(traps::kOutOfBoundsMemory);
    case WASM_RT_TRAP_DIV_BY_ZERO: return std::string(traps::kIntegerDivideByZero);
    case WASM_RT_TRAP_INT_OVERFLOW: return std::string(traps::kIntegerOverflow);
    case WASM_RT_TRAP_INVALID_CONVERSION: return std::string(traps::kInvalidConversion);
    case WASM_RT_TRAP_CALL_INDIRECT: return std::string(traps::kIndirectCallMismatch);
    case MESHWASM_AOT_TRAP_UNDEFINED_ELEMENT: return std::string(traps::kUndefinedElement);
    case MESHWASM_AOT_TRAP_DETAIL: {
      const char* detail = meshwasm_aot_trap_detail();
      return detail != nullptr ? detail : "trap";
    }
    default: return wasm_rt_strerror(static_cast<wasm_rt_trap_t>(code));
  }
}

// Loads a compiled object and checks it against the module it was built from.
StatusOr<std::shared_ptr<AotModule>> loadObject(const std::string& path, aot::ModuleShape shape) {
  if (Status s = aot::checkPrivateFile(path); !s) return s;
  auto module = std::make_shared<AotModule>();
  module->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module->handle_ == nullptr) {
    const char* err = dlerror();
    return Status::error(std::string("cannot load compiled module: ") + (err ? err : path));
  }
  const auto* desc =
      static_cast<const meshwasm_aot_module_t*>(dlsym(module->handle_, "meshwasm_aot_module_v1"));
  if (desc == nullptr) return Status::error("compiled module has no meshwasm descriptor: " + path);
  if (desc->magic != MESHWASM_AOT_MAGIC || desc->abi_version != MESHWASM_AOT_ABI_VERSION) {
    return Status::error("compiled module was built for another runtime version: " + path);
  }
  if (desc->bounds_checked != 1 || desc->stack_depth_counted != 1) {
    return Status::error("compiled module was built without explicit bounds checks: " + path);
  }
  auto imports = aot::importDescs(shape);
  if (!imports) return imports.status();
  module->imports_ = std::move(*imports);
  uint32_t function_imports = 0;
  for (const auto& import : module->imports_) {
    if (import.kind != ExternKind::Function) continue;
    if (function_imports >= desc->import_function_count ||
        aot::signatureText(import.type) != desc->import_signatures[function_imports]) {
      return Status::error("compiled module does not match its imports: " + path);
    }
    ++function_imports;
  }
  if (function_imports != desc->import_function_count) {
    return Status::error("compiled module does not match its imports: " + path);
  }
  auto exports = aot::exportDescs(shape);
  if (exports.size() != desc->export_count) {
    return Status::error("compiled module does not match its exports: " + path);
  }
  for (size_t i = 0; i < exports.size(); ++i) {
    const meshwasm_aot_export_t& e = desc->exports[i];
    const aot::ModuleExport& raw = shape.exports[i];
    if (std::string_view(e.name, e.name_size) != raw.name ||
        e.kind != static_cast<uint32_t>(raw.kind)) {
      return Status::error("compiled module does not match its exports: " + path);
    }
    if (!exports[i]) continue;  // a signature the seam cannot express
    if (raw.kind == ExternKind::Function &&
        (e.entry == nullptr || aot::signatureText(exports[i]->type) != e.signature)) {
      return Status::error("compiled module does not match its exports: " + path);
    }
    module->exports_.push_back(std::move(*exports[i]));
    module->entries_.push_back(raw.kind == ExternKind::Function ? e.entry : nullptr);
  }
  int code = meshwasm_aot_protected_call(initModuleEntry, const_cast<meshwasm_aot_module_t*>(desc),
                                         nullptr, nullptr);
  if (code != 0) return Status::error("Failed to load Wasm module: " + trapText(code));
  module->desc_ = desc;
  module->shape_ = std::move(shape);
  return module;
}

struct BoundImport {
  std::string qualified_name;
  HostCallback callback;
  void* data;
};

// Cache-line aligned (as the module instance below): the worker threads' VMs are made one after
// another, and a VM's per-call writes (depth_) must not share a line with another worker's VM.
class alignas(64) AotVm final : public Vm {
 public:
  AotVm(std::shared_ptr<const AotModule> module, void* host_data)
      : module_(std::move(module)),
        host_data_(host_data),
        entries_(module_->entries_.data()),
        entry_count_(module_->entries_.size()) {}
  ~AotVm() override;

  Status init(const ImportTable& table);

  std::string_view engine() const override { return "aot"; }

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
  bool callUnchecked(ExportFunction function, const uint64_t* args, uint64_t* results,
                     std::string* error) override;
  size_t callSequenceUnchecked(const ExportFunction* functions, size_t count,
                               const uint64_t* args, uint64_t* results, BetweenCalls between,
                               void* data, std::string* error, bool* call_failed) override;

  bool failed() const override { return failed_; }

  std::span<uint8_t> memory() override {
    if (memory_ == nullptr || memory_->data == nullptr) return {};
    return {memory_->data, memory_->size};
  }

  // Called from generated code (through meshwasm_aot_host_call); false: trap.
  bool runImport(uint32_t index, const uint64_t* args, uint64_t* results);

  wasm_rt_memory_t* importMemory(uint32_t initial, uint32_t max);
  wasm_rt_funcref_table_t* importTable(uint32_t initial, uint32_t max);

 private:
  bool validFunction(ExportFunction function) const {
    return static_cast<uint32_t>(function) < entry_count_ &&
           entries_[static_cast<uint32_t>(function)] != nullptr;
  }
  void fail(int code);
  // callUnchecked's rare paths, kept out of its body.
  [[gnu::noinline, gnu::cold]] bool refuse(ExportFunction function, const uint64_t* args,
                                           uint64_t* results, std::string* error);
  [[gnu::noinline, gnu::cold]] bool trapped(int code, std::string* error);
  // runImport's failure (or a text written by a host function that returned true, which is
  // dropped: true): records the trap text, takes trap_text_ and leaves it empty.
  [[gnu::noinline, gnu::cold]] bool importFailed(const BoundImport& import, bool ok);

  std::shared_ptr<const AotModule> module_;
  void* host_data_;
  // module_->entries_, read on every call (the module outlives this VM and never changes).
  const meshwasm_aot_entry_t* entries_;
  size_t entry_count_;
  void* instance_ = nullptr;
  bool instantiated_ = false;
  std::vector<BoundImport> bound_;
  size_t bound_count_ = 0;  // bound_.size()
  // The trap text host functions write (kept, not made per call; empty between calls).
  std::string trap_text_;
  wasm_rt_memory_t* memory_ = nullptr;
  bool imported_memory_created_ = false;
  wasm_rt_memory_t imported_memory_{};
  bool imported_table_created_ = false;
  wasm_rt_funcref_table_t imported_table_{};
  bool failed_ = false;
  std::string failure_;
  std::string pending_trap_;  // text of the host function trap being raised
  int depth_ = 0;
};

struct InstantiateArgs {
  const meshwasm_aot_module_t* desc;
  void* instance;
  void* context;
};

void instantiateEntry(void* p, const uint64_t*, uint64_t*) {
  auto* a = static_cast<InstantiateArgs*>(p);
  a->desc->instantiate(a->instance, a->context);
}

AotVm::~AotVm() {
  if (instance_ != nullptr) {
    if (instantiated_) module_->desc_->free_instance(instance_);
    std::free(instance_);
  }
  if (imported_memory_created_) wasm_rt_free_memory(&imported_memory_);
  if (imported_table_created_) wasm_rt_free_funcref_table(&imported_table_);
}

Status AotVm::init(const ImportTable& table) {
  if (Status st = checkImports(module_->imports_, table); !st) return st;
  for (const auto& import : module_->imports_) {
    if (import.kind == ExternKind::Function) {
      const HostFunction* host = table.find(import.module, import.name);
      bound_.push_back({import.module + "." + import.name, host->callback, host->data});
    }
  }
  bound_count_ = bound_.size();
  const meshwasm_aot_module_t* desc = module_->desc_;
  // Whole cache lines: the generated code writes the module's globals (its stack pointer) on
  // nearly every call.
  const size_t instance_bytes = (std::max<uint64_t>(desc->instance_size, 1) + 63) / 64 * 64;
  instance_ = std::aligned_alloc(64, instance_bytes);
  if (instance_ != nullptr) std::memset(instance_, 0, instance_bytes);
  if (instance_ == nullptr)
    return Status::error("Failed to instantiate Wasm module: out of memory");
  InstantiateArgs args{desc, instance_, this};
  ++depth_;
  const int code = meshwasm_aot_protected_call(instantiateEntry, &args, nullptr, nullptr);
  --depth_;
  // A trap part-way leaves some memories and tables allocated: free_instance releases those
  // (the instance was zeroed, so the others are empty).
  instantiated_ = true;
  if (code != 0) {
    std::string text = code == MESHWASM_AOT_TRAP_HOST ? pending_trap_ : trapText(code);
    return Status::error("Failed to instantiate Wasm module: " + text);
  }
  if (void* exported = desc->exported_memory(instance_); exported != nullptr) {
    memory_ = static_cast<wasm_rt_memory_t*>(exported);
  } else if (imported_memory_created_) {
    memory_ = &imported_memory_;
  }
  return Status::ok();
}

void AotVm::fail(int code) {
  failed_ = true;
  failure_ = code == MESHWASM_AOT_TRAP_HOST ? pending_trap_ : trapText(code);
}

Status AotVm::call(ExportFunction function, std::span<const uint64_t> args,
                   std::span<uint64_t> results) {
  if (failed_) return Status::error(std::string(call_errors::kVmFailed));
  if (!validFunction(function)) return Status::error(std::string(call_errors::kNoSuchFunction));
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
  // i32 arguments: only the low 32 bits count (the trampolines truncate).
  uint64_t scratch[1];
  uint64_t* out = results.empty() ? scratch : results.data();
  ++depth_;
  const int code = meshwasm_aot_protected_call(entries_[static_cast<uint32_t>(function)], instance_,
                                               args.data(), out);
  --depth_;
  if (code != 0) {
    fail(code);
    return Status::error(failure_);
  }
  return Status::ok();
}

bool AotVm::callUnchecked(ExportFunction function, const uint64_t* args, uint64_t* results,
                          std::string* error) {
  if (failed_ || !validFunction(function) || depth_ >= kMaxNestedCalls) [[unlikely]] {
    return refuse(function, args, results, error);
  }
  ++depth_;
  const int code = meshwasm_aot_protected_call(entries_[static_cast<uint32_t>(function)], instance_,
                                               args, results);
  --depth_;
  if (code != 0) [[unlikely]] {
    return trapped(code, error);
  }
  return true;
}

size_t AotVm::callSequenceUnchecked(const ExportFunction* functions, size_t count,
                                    const uint64_t* args, uint64_t* results,
                                    BetweenCalls between, void* data, std::string* error,
                                    bool* call_failed) {
  constexpr size_t kMaxSequence = 4;
  bool plain = count > kMaxSequence || failed_ || depth_ >= kMaxNestedCalls;
  meshwasm_aot_entry_t entries[kMaxSequence];
  for (size_t i = 0; i < count && !plain; ++i) {
    plain = !validFunction(functions[i]);
    if (!plain) entries[i] = entries_[static_cast<uint32_t>(functions[i])];
  }
  if (plain) [[unlikely]] {
    return Vm::callSequenceUnchecked(functions, count, args, results, between, data, error,
                                     call_failed);
  }
  int code = 0;
  ++depth_;
  const size_t done = meshwasm_aot_protected_sequence(entries, count, instance_, args, results,
                                                      between, data, &code);
  --depth_;
  *call_failed = code != 0;
  if (code != 0) [[unlikely]] {
    trapped(code, error);
  }
  return done;
}

// Refusals take call()'s path for their texts.
bool AotVm::refuse(ExportFunction function, const uint64_t* args, uint64_t* results,
                   std::string* error) {
  return Vm::callUnchecked(function, args, results, error);
}

bool AotVm::trapped(int code, std::string* error) {
  fail(code);
  *error = failure_;
  return false;
}

bool AotVm::runImport(uint32_t index, const uint64_t* args, uint64_t* results) {
  // pending_trap_ is set on every false return (and read only after one).
  if (index >= bound_count_) [[unlikely]] {
    pending_trap_ = "call to a missing import";
    return false;
  }
  const BoundImport& import = bound_[index];
  HostCallFrame frame{*this, host_data_, import.data};
  bool ok = false;
  // An exception must not unwind through generated code (built without unwind tables).
  try {
    ok = import.callback(frame, args, results, &trap_text_);
  } catch (const std::exception& e) {
    trap_text_ = "host function " + import.qualified_name + " failed: " + e.what();
  } catch (...) {
    trap_text_ = "host function " + import.qualified_name + " failed";
  }
  if (ok && !failed_ && trap_text_.empty()) [[likely]] {
    return true;
  }
  return importFailed(import, ok);
}

bool AotVm::importFailed(const BoundImport& import, bool ok) {
  // Empty again before anything else runs: the next host call (also a nested one) starts with
  // no text.
  std::string trap = std::move(trap_text_);
  trap_text_.clear();
  // A host function that returned normally but wrote a text: the call still succeeds.
  if (ok && !failed_) return true;
  // A nested guest call that trapped fails this call too, whatever the host function said.
  if (!ok && !trap.empty()) {
    pending_trap_ = std::move(trap);
  } else if (failed_) {
    pending_trap_ = std::string(traps::kNestedCallTrapped) + failure_;
  } else {
    pending_trap_ = "host function " + import.qualified_name + " trapped";
  }
  return false;
}

wasm_rt_memory_t* AotVm::importMemory(uint32_t initial, uint32_t max) {
  if (!imported_memory_created_) {
    // Traps (longjmp) on failure before anything is recorded.
    wasm_rt_allocate_memory(&imported_memory_, initial, max);
    imported_memory_created_ = true;
  }
  return &imported_memory_;
}

wasm_rt_funcref_table_t* AotVm::importTable(uint32_t initial, uint32_t max) {
  if (!imported_table_created_) {
    wasm_rt_allocate_funcref_table(&imported_table_, initial, max);
    imported_table_created_ = true;
  }
  return &imported_table_;
}

class AotEngine final : public Engine {
 public:
  explicit AotEngine(AotOptions options) : options_(std::move(options)) {}

  std::string_view name() const override { return "aot"; }

  StatusOr<std::shared_ptr<const CompiledModule>> compile(std::string_view bytes) override {
    auto loaded = compileAndLoad(bytes, options_, nullptr, nullptr);
    if (!loaded) return loaded.status();
    return std::shared_ptr<const CompiledModule>(std::move(*loaded));
  }

  StatusOr<std::unique_ptr<Vm>> instantiate(std::shared_ptr<const CompiledModule> module,
                                            const ImportTable& imports, void* host_data) override {
    auto aot_module = std::dynamic_pointer_cast<const AotModule>(module);
    if (!aot_module) {
      return Status::error("Failed to instantiate Wasm module: compiled by another engine");
    }
    auto vm = std::make_unique<AotVm>(std::move(aot_module), host_data);
    if (Status st = vm->init(imports); !st) return st;
    return std::unique_ptr<Vm>(std::move(vm));
  }

  static StatusOr<std::shared_ptr<AotModule>> compileAndLoad(std::string_view bytes,
                                                             const AotOptions& options,
                                                             const std::atomic<bool>* cancel,
                                                             AotCompileReport* report);

 private:
  AotOptions options_;
};

StatusOr<std::shared_ptr<AotModule>> AotEngine::compileAndLoad(std::string_view bytes,
                                                               const AotOptions& options,
                                                               const std::atomic<bool>* cancel,
                                                               AotCompileReport* report) {
  const auto t0 = std::chrono::steady_clock::now();
  if (bytes.size() < 8 || std::memcmp(bytes.data(), "\0asm", 4) != 0) {
    return Status::error("Failed to load Wasm module: not a Wasm binary (bad magic number)");
  }
  // The validator's texts first (they are the interpreter's), then the engine's own reading.
  if (std::string invalid; !aot::validateWasm(bytes, &invalid)) return Status::error(invalid);
  auto shape = aot::parseModule(bytes);
  if (!shape) return shape.status();
  // The interpreter's limits and texts.
  auto tooLarge = [](const char* what, uint32_t initial, const char* unit, uint32_t limit) {
    return Status::error(std::string("Failed to load Wasm module: ") + what + " of " +
                         std::to_string(initial) + " " + unit + " is larger than the limit of " +
                         std::to_string(limit));
  };
  for (uint32_t initial : shape->memory_initials) {
    if (initial > kMaxPages) return tooLarge("memory", initial, "pages", kMaxPages);
  }
  for (uint32_t initial : shape->table_initials) {
    if (initial > kMaxTable) return tooLarge("table", initial, "elements", kMaxTable);
  }
  for (const auto& import : shape->imports) {
    if (import.kind == ExternKind::Memory && import.initial > kMaxPages) {
      return tooLarge("imported memory", import.initial, "pages", kMaxPages);
    }
    if (import.kind == ExternKind::Table && import.initial > kMaxTable) {
      return tooLarge("imported table", import.initial, "elements", kMaxTable);
    }
  }
  if (auto imports = aot::importDescs(*shape); !imports) return imports.status();
  if (report != nullptr) report->parse_seconds = secondsSince(t0);

  aot::CompilerOptions compiler_options{options.cache_dir, cancel};
  StatusOr<std::shared_ptr<AotModule>> loaded = Status::error("not loaded");
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto outcome = aot::compileToObject(*shape, compiler_options);
    if (!outcome) return outcome.status();
    const auto t1 = std::chrono::steady_clock::now();
    loaded = loadObject(outcome->object_path, *shape);
    if (report != nullptr) {
      report->object_path = outcome->object_path;
      report->key = outcome->key;
      report->cache_hit = outcome->cache_hit;
      report->wasm2c_seconds = outcome->wasm2c_seconds;
      report->cc_seconds = outcome->cc_seconds;
      report->load_seconds = secondsSince(t1);
    }
    if (loaded || !outcome->cache_hit) break;
    // A cached object that does not load (truncated, other runtime): rebuild it once.
    aot::evictObject(outcome->object_path);
  }
  return loaded;
}

}  // namespace

std::unique_ptr<Engine> makeWasm2cEngine(AotOptions options) {
  return std::make_unique<AotEngine>(std::move(options));
}

StatusOr<AotCompileReport> compileAot(std::string_view bytes, const AotOptions& options,
                                      const std::atomic<bool>* cancel) {
  AotCompileReport report;
  auto toolchain = aot::toolchainId();
  if (!toolchain) return toolchain.status();
  report.toolchain = *toolchain;
  auto loaded = AotEngine::compileAndLoad(bytes, options, cancel, &report);
  if (!loaded) return loaded.status();
  return report;
}

StatusOr<std::shared_ptr<const CompiledModule>> compileAotModule(std::string_view bytes,
                                                                 const AotOptions& options,
                                                                 const std::atomic<bool>* cancel) {
  auto loaded = AotEngine::compileAndLoad(bytes, options, cancel, nullptr);
  if (!loaded) return loaded.status();
  return std::shared_ptr<const CompiledModule>(std::move(*loaded));
}

std::string aotCacheDir(const AotOptions& options) {
  return options.cache_dir.empty() ? aot::defaultCacheDir() : options.cache_dir;
}

}  // namespace meshwasm::host

// ---- called by compiled modules (exported from the executable, see exports.list)

extern "C" void meshwasm_aot_host_call(void* host_context, uint32_t import_index,
                                       const uint64_t* args, uint64_t* results) {
  auto* vm = static_cast<meshwasm::host::AotVm*>(host_context);
  if (!vm->runImport(import_index, args, results)) {
    meshwasm_aot_raise(MESHWASM_AOT_TRAP_HOST, nullptr);
  }
}

extern "C" void* meshwasm_aot_import_memory(void* host_context, uint32_t initial_pages,
                                            uint32_t max_pages) {
  return static_cast<meshwasm::host::AotVm*>(host_context)->importMemory(initial_pages, max_pages);
}

extern "C" void* meshwasm_aot_import_funcref_table(void* host_context, uint32_t initial,
                                                   uint32_t max) {
  return static_cast<meshwasm::host::AotVm*>(host_context)->importTable(initial, max);
}
