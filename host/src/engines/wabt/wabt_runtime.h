// A thin C++17 layer over libwabt's interpreter (wabt_runtime.cc is the only file including
// wabt headers). It exists because wabt 1.0.32's headers do not compile as C++20 with GCC 12
// (template-id destructors); the engine proper (wabt_engine.cc) is C++20 and talks to wabt
// only through this header, which must stay valid C++17 and free of wabt types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace meshwasm::host::wabt_rt {

// Value types; Other = v128 or a reference type (the engine seam cannot express them).
enum class Type : uint8_t { I32, I64, F32, F64, Other };
enum class Kind : uint8_t { Function, Table, Memory, Global, Tag };

struct Signature {
  std::vector<Type> params;
  std::vector<Type> results;
};

struct Import {
  std::string module;
  std::string name;
  Kind kind;
  Signature signature;  // functions only
};

struct Export {
  std::string name;
  Kind kind;
  Signature signature;  // functions only
};

// Raw 64-bit slots as in vm.h. Returning false traps the guest with `*trap` as the message.
using HostFunction =
    std::function<bool(const uint64_t* args, uint64_t* results, std::string* trap)>;

class Module {
 public:
  ~Module();
  // Reads and validates a binary; nullptr with `*error` set when it is not a valid module.
  // Memories are capped at `max_memory_pages`, tables at `max_table_elements`.
  static std::shared_ptr<const Module> read(const void* data, size_t size,
                                            uint32_t max_memory_pages, uint64_t max_table_elements,
                                            std::string* error);
  const std::vector<Import>& imports() const { return imports_; }
  const std::vector<Export>& exports() const { return exports_; }

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  Module();
  std::unique_ptr<Impl> impl_;
  std::vector<Import> imports_;
  std::vector<Export> exports_;
};

// One Store, one Thread, one instance. Single-threaded.
class Instance {
 public:
  ~Instance();
  // `functions` has one entry per function import, in import order. Imported memories and
  // tables are created here. nullptr with `*error` set when instantiation fails (including a
  // trap in the module's start section).
  static std::unique_ptr<Instance> create(std::shared_ptr<const Module> module,
                                          std::vector<HostFunction> functions,
                                          uint32_t max_memory_pages, std::string* error);

  // Calls export `export_index` (a function); the caller has checked the argument count.
  // False with `*trap` set on a trap (the raw interpreter text).
  bool call(size_t export_index, const uint64_t* args, uint64_t* results, std::string* trap);

  uint8_t* memoryData();
  size_t memorySize();

  struct Impl;

 private:
  Instance();
  std::unique_ptr<Impl> impl_;
};

}  // namespace meshwasm::host::wabt_rt
