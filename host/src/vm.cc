// Engine-independent parts of the engine seam: type text and import checking.
#include "meshwasm/host/vm.h"

#include <string>

namespace meshwasm::host {
namespace {

const char* valueTypeName(ValueType type) {
  switch (type) {
    case ValueType::I32: return "i32";
    case ValueType::I64: return "i64";
    case ValueType::F32: return "f32";
    case ValueType::F64: return "f64";
  }
  return "?";
}

std::string typeList(const std::vector<ValueType>& types) {
  std::string out = "(";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i != 0) out += ", ";
    out += valueTypeName(types[i]);
  }
  out += ")";
  return out;
}

}  // namespace

// Parameters are always parenthesised; a single result is written bare, none as "()", several
// as a parenthesised list: "(i32, i32) -> i32", "() -> ()", "(i32) -> (i32, i64)".
std::string toString(const FunctionType& type) {
  std::string out = typeList(type.params);
  out += " -> ";
  if (type.results.size() == 1) {
    out += valueTypeName(type.results[0]);
  } else {
    out += typeList(type.results);
  }
  return out;
}

Status checkImports(const std::vector<ImportDesc>& imports, const ImportTable& table) {
  for (const auto& import : imports) {
    const std::string qualified = import.module + "." + import.name;
    switch (import.kind) {
      case ExternKind::Memory:
      case ExternKind::Table: continue;  // the engine creates them
      case ExternKind::Global:
      case ExternKind::Tag:
        return Status::error("Failed to load Wasm module due to a missing import: " + qualified);
      case ExternKind::Function: break;
    }
    const HostFunction* host = table.find(import.module, import.name);
    if (host == nullptr) {
      return Status::error("Failed to load Wasm module due to a missing import: " + qualified);
    }
    if (!(host->type == import.type)) {
      return Status::error(
          "Failed to load Wasm module due to an import type mismatch: " + qualified +
          ", want: " + toString(import.type) + " but host exports: " + toString(host->type));
    }
  }
  return Status::ok();
}

}  // namespace meshwasm::host
