// The parts of a Wasm binary the AOT engine needs: imports and exports with their types,
// limits of imported memories and tables, and the module without custom sections.
// Only section structure is read; full validation is wasm2c's job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/status.h"
#include "meshwasm/host/vm.h"

namespace meshwasm::host::aot {

// Wasm binary value type codes.
inline constexpr uint8_t kTypeI32 = 0x7f;
inline constexpr uint8_t kTypeI64 = 0x7e;
inline constexpr uint8_t kTypeF32 = 0x7d;
inline constexpr uint8_t kTypeF64 = 0x7c;
inline constexpr uint8_t kTypeV128 = 0x7b;
inline constexpr uint8_t kTypeFuncRef = 0x70;
inline constexpr uint8_t kTypeExternRef = 0x6f;

struct RawFunctionType {
  std::vector<uint8_t> params;
  std::vector<uint8_t> results;
};

struct ModuleImport {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Function;
  uint32_t type_index = 0;  // functions
  uint8_t value_type = 0;   // tables: element type; globals: value type
  uint32_t initial = 0;     // memories and tables
  uint32_t maximum = 0xffffffffu;
};

struct ModuleExport {
  std::string name;
  ExternKind kind = ExternKind::Function;
  uint32_t index = 0;
};

struct ModuleShape {
  std::vector<RawFunctionType> types;
  std::vector<ModuleImport> imports;
  std::vector<uint32_t> function_types;  // type index of every function, imported first
  std::vector<ModuleExport> exports;
  std::vector<uint32_t> memory_initials;  // defined memories
  std::vector<uint32_t> table_initials;   // defined tables
  // The module without custom sections (names and debug data do not change the code).
  std::string stripped;
};

StatusOr<ModuleShape> parseModule(std::string_view bytes);

// The vm.h descriptions. A function import with a type the engine seam cannot express (v128,
// references) is an error; such exports are nullopt (the interpreter leaves them out too).
StatusOr<std::vector<ImportDesc>> importDescs(const ModuleShape& shape);
std::vector<std::optional<ExportDesc>> exportDescs(const ModuleShape& shape);

// "ij:f" for (i32, i64) -> f32: the signature text shared with the generated shim.
std::string signatureText(const FunctionType& type);

}  // namespace meshwasm::host::aot
