// Engine-independent parts of the engine seam: import checking and type text.
#include "meshwasm/host/vm.h"

#include <gtest/gtest.h>

namespace meshwasm::host {
namespace {

constexpr ValueType I32 = ValueType::I32;

TEST(CheckImports, AcceptsMemoryAndTableImportsAndRefusesGlobals) {
  ImportTable table;
  table.functions.push_back({"env", "f", {{I32}, {}}, nullptr});
  std::vector<ImportDesc> imports = {{"env", "memory", ExternKind::Memory, {}},
                                     {"env", "table", ExternKind::Table, {}},
                                     {"env", "f", ExternKind::Function, {{I32}, {}}}};
  EXPECT_TRUE(checkImports(imports, table).isOk());
  imports.push_back({"env", "__stack_pointer", ExternKind::Global, {}});
  EXPECT_EQ(checkImports(imports, table).message(),
            "Failed to load Wasm module due to a missing import: env.__stack_pointer");
}

TEST(CheckImports, ComparesResultsAndWidthsExactly) {
  ImportTable table;
  table.functions.push_back(
      {"env", "proxy_increment_metric", {{I32, ValueType::I64}, {I32}}, nullptr});
  std::vector<ImportDesc> imports = {
      {"env", "proxy_increment_metric", ExternKind::Function, {{I32, I32}, {I32}}}};
  EXPECT_EQ(checkImports(imports, table).message(),
            "Failed to load Wasm module due to an import type mismatch: "
            "env.proxy_increment_metric, want: (i32, i32) -> i32 but host exports: "
            "(i32, i64) -> i32");
  imports[0].type = {{I32, ValueType::I64}, {}};
  EXPECT_EQ(checkImports(imports, table).message(),
            "Failed to load Wasm module due to an import type mismatch: "
            "env.proxy_increment_metric, want: (i32, i64) -> () but host exports: "
            "(i32, i64) -> i32");
}

TEST(FunctionTypeText, FormatsParamsAndResults) {
  EXPECT_EQ(toString(FunctionType{}), "() -> ()");
  EXPECT_EQ(toString(FunctionType{{ValueType::F32, ValueType::F64}, {I32, ValueType::I64}}),
            "(f32, f64) -> (i32, i64)");
}

}  // namespace
}  // namespace meshwasm::host
