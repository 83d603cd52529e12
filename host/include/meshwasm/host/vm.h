// The engine seam: everything the Proxy-Wasm host needs from a Wasm engine, and nothing more.
//
// An Engine compiles module bytes once into an immutable, thread-shareable CompiledModule and
// instantiates it into Vms. A Vm belongs to one thread. Engines: the wabt interpreter
// (src/engines/wabt/) and wasm2c ahead-of-time code (src/engines/wasm2c/); engine headers are
// included only there.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/status.h"

namespace meshwasm::host {

enum class ValueType : uint8_t { I32, I64, F32, F64 };

struct FunctionType {
  std::vector<ValueType> params;
  std::vector<ValueType> results;
  bool operator==(const FunctionType&) const = default;
};

// "(i32, i32) -> i32" style text, used in load errors.
std::string toString(const FunctionType& type);

enum class ExternKind : uint8_t { Function, Table, Memory, Global, Tag };

struct ImportDesc {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Function;
  FunctionType type;  // functions only
};

struct ExportDesc {
  std::string name;
  ExternKind kind = ExternKind::Function;
  FunctionType type;  // functions only
};

class Vm;

// What a host function receives when the guest calls an import.
struct HostCallFrame {
  Vm& vm;           // memory access and calls back into the guest (e.g. its allocator)
  void* host_data;  // the embedder's per-VM object given to Engine::instantiate
  void* function_data;  // HostFunction::data of the import being called
};

// Arguments and results are raw 64-bit slots: i32 values in the low 32 bits (zero-extended),
// i64 as is, f32/f64 as their bit patterns. Returning false traps the guest; `trap` holds
// the message (restricted-phase violation, proc_exit, broken host contract).
using HostCallback = bool (*)(HostCallFrame& frame, const uint64_t* args, uint64_t* results,
                              std::string* trap);

struct HostFunction {
  std::string module;
  std::string name;
  FunctionType type;
  HostCallback callback = nullptr;
  void* data = nullptr;
};

// The host functions a module may import. Linking is by module, name and exact signature.
struct ImportTable {
  std::vector<HostFunction> functions;
  const HostFunction* find(std::string_view module, std::string_view name) const {
    for (const auto& f : functions) {
      if (f.module == module && f.name == name) return &f;
    }
    return nullptr;
  }
};

// Checks every import of a module against `table`; the error text is the same for every
// engine: "Failed to load Wasm module due to a missing import: env.proxy_foo" or
// "Failed to load Wasm module due to an import type mismatch: env.proxy_log, want: (i32) ->
// i32 but host exports: (i32, i32, i32) -> i32". Non-function imports other than a memory or
// table are refused as missing imports.
Status checkImports(const std::vector<ImportDesc>& imports, const ImportTable& table);

class CompiledModule {
 public:
  virtual ~CompiledModule() = default;
  virtual const std::vector<ImportDesc>& imports() const = 0;
  virtual const std::vector<ExportDesc>& exports() const = 0;
  const ExportDesc* findExport(std::string_view name) const {
    for (const auto& e : exports()) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }
};

// Index of an exported function in a Vm, resolved once and reused for calls.
using ExportFunction = int32_t;
inline constexpr ExportFunction kNoExport = -1;

class Vm {
 public:
  virtual ~Vm() = default;

  virtual std::string_view engine() const = 0;

  // kNoExport when the module has no function export with that name.
  virtual ExportFunction findFunction(std::string_view name) const = 0;
  virtual const FunctionType* functionType(ExportFunction function) const = 0;

  // Calls an exported function. The argument count and types are checked against the
  // function's type before the engine sees them (a mismatch is an error, never an abort).
  // A trap returns an error whose message is the trap text; after a trap the Vm is
  // failed() and every later call returns an error at once.
  virtual Status call(ExportFunction function, std::span<const uint64_t> args,
                      std::span<uint64_t> results) = 0;

  // call() for a caller that already matched the argument count to functionType() and gives
  // room for every result (`args`/`results` hold that many slots): false with the error text
  // in `error` when it fails. Same outcome as call(); engines override it to skip the checks
  // and the Status on the success path.
  virtual bool callUnchecked(ExportFunction function, const uint64_t* args, uint64_t* results,
                             std::string* error) {
    const FunctionType* type = functionType(function);
    const size_t params = type != nullptr ? type->params.size() : 0;
    const size_t slots = type != nullptr ? type->results.size() : 0;
    Status st = call(function, std::span<const uint64_t>(args, params),
                     std::span<uint64_t>(results, slots));
    if (st) return true;
    *error = st.message();
    return false;
  }

  // callUnchecked() for `count` functions in a row that take the same arguments (`args`, as
  // callUnchecked's for each of them), the result of functions[i], if any, in results[i].
  // Before every call but the first, `between(data, i)` runs and may end the sequence
  // (false). Each call reads `args` when it starts, so `between` may change the slots the
  // next call takes (through the caller's own, writable array). Returns how many calls returned normally; when a call fails (a trap, a refusal),
  // the sequence ends there, `call_failed` is set and `error` holds that call's text, as
  // callUnchecked's.
  // Same outcome as those calls one by one; engines override it to share one call's set-up.
  using BetweenCalls = bool (*)(void* data, size_t next);
  virtual size_t callSequenceUnchecked(const ExportFunction* functions, size_t count,
                                       const uint64_t* args, uint64_t* results,
                                       BetweenCalls between, void* data, std::string* error,
                                       bool* call_failed) {
    *call_failed = false;
    for (size_t i = 0; i < count; ++i) {
      if (i != 0 && !between(data, i)) return i;
      if (!callUnchecked(functions[i], args, results + i, error)) {
        *call_failed = true;
        return i;
      }
    }
    return count;
  }

  virtual bool failed() const = 0;

  // The current linear memory. The view moves when memory grows: take it again after every
  // call into the guest, never keep it across one.
  virtual std::span<uint8_t> memory() = 0;

  // Bounds-checked access (false / nullopt when [ptr, ptr+len) is outside memory).
  std::optional<std::string_view> read(uint32_t ptr, uint32_t len) {
    auto mem = memory();
    if (uint64_t{ptr} + len > mem.size()) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(mem.data()) + ptr, len);
  }
  bool write(uint32_t ptr, std::string_view bytes) {
    auto mem = memory();
    if (uint64_t{ptr} + bytes.size() > mem.size()) return false;
    if (!bytes.empty()) std::memcpy(mem.data() + ptr, bytes.data(), bytes.size());
    return true;
  }
  bool writeU32(uint32_t ptr, uint32_t v) {
    char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                 static_cast<char>(v >> 24)};
    return write(ptr, std::string_view(b, 4));
  }
  bool writeU64(uint32_t ptr, uint64_t v) {
    return writeU32(ptr, static_cast<uint32_t>(v)) && writeU32(ptr + 4, static_cast<uint32_t>(v >> 32));
  }
  std::optional<uint32_t> readU32(uint32_t ptr) {
    auto b = read(ptr, 4);
    if (!b) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(b->data());
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
  }
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;  // "interp", "aot"

  // Parses and validates (and for AOT, loads compiled code for) module bytes.
  virtual StatusOr<std::shared_ptr<const CompiledModule>> compile(std::string_view bytes) = 0;

  // Links imports (checkImports first: exact signatures), creates memory, runs no start
  // function (the host picks and runs those). `host_data` reaches every host call.
  virtual StatusOr<std::unique_ptr<Vm>> instantiate(std::shared_ptr<const CompiledModule> module,
                                                    const ImportTable& imports,
                                                    void* host_data) = 0;
};

}  // namespace meshwasm::host
