// An in-memory Vm for host-call unit tests: a byte vector as linear memory and a bump
// allocator exported as "malloc" that can be told to return 0, trap, or grow memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "meshwasm/host/vm.h"

namespace meshwasm::host::testing {

class FakeVm : public Vm {
 public:
  static constexpr ExportFunction kMalloc = 0;
  std::vector<uint8_t> memory_bytes = std::vector<uint8_t>(64 * 1024);
  uint32_t next = 1024;
  bool has_malloc = true;
  bool malloc_returns_zero = false;
  bool malloc_traps = false;
  bool grow_on_malloc = false;  // every allocation grows (and moves) memory by one page
  int malloc_calls = 0;
  bool failed_ = false;

  std::string_view engine() const override { return "fake"; }
  ExportFunction findFunction(std::string_view name) const override {
    return has_malloc && name == "malloc" ? kMalloc : kNoExport;
  }
  const FunctionType* functionType(ExportFunction f) const override {
    static const FunctionType type{{ValueType::I32}, {ValueType::I32}};
    return f == kMalloc ? &type : nullptr;
  }
  Status call(ExportFunction f, std::span<const uint64_t> args,
              std::span<uint64_t> results) override {
    if (failed_) return Status::error("Wasm VM failed after an earlier trap");
    if (f != kMalloc || args.size() != 1 || results.size() != 1) {
      return Status::error("no such exported function");
    }
    ++malloc_calls;
    if (malloc_traps) {
      failed_ = true;
      return Status::error("unreachable");
    }
    if (malloc_returns_zero) {
      results[0] = 0;
      return Status::ok();
    }
    uint32_t size = static_cast<uint32_t>(args[0]);
    if (grow_on_malloc || uint64_t{next} + size > memory_bytes.size()) {
      std::vector<uint8_t> bigger(memory_bytes.size() + 65536 + size);
      std::copy(memory_bytes.begin(), memory_bytes.end(), bigger.begin());
      memory_bytes.swap(bigger);  // the old view is gone, as with memory.grow
    }
    results[0] = next;
    next += (size + 7) & ~7u;
    return Status::ok();
  }
  bool failed() const override { return failed_; }
  std::span<uint8_t> memory() override { return memory_bytes; }
};

}  // namespace meshwasm::host::testing
