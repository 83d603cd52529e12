// The AOT engine ("aot") through the engine seam: calls, traps, host calls, limits, refusals.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "meshwasm/host/engines.h"
#include "wasm2c_engine.h"
#include "wasm2c_test_util.h"

namespace meshwasm::host {
namespace {

using testing::fn;
using testing::hostFunction;
using testing::wat;
constexpr ValueType I32 = ValueType::I32;
constexpr ValueType I64 = ValueType::I64;
constexpr ValueType F32 = ValueType::F32;
constexpr ValueType F64 = ValueType::F64;

constexpr const char* kBasic = R"((module
  (import "env" "add64" (func $add64 (param i32 i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "boom") unreachable)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func $rec (export "recurse") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $rec)
  (func (export "host") (param i32 i64) (result i64) local.get 0 local.get 1 call $add64)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "floats") (param f32 f64) (result f64 f32)
    local.get 1 f64.const 0.5 f64.add local.get 0 f32.const 2 f32.mul)
))";

bool add64(HostCallFrame&, const uint64_t* args, uint64_t* results, std::string* trap) {
  if (args[1] == 999) {
    *trap = "host refused 999";
    return false;
  }
  results[0] = static_cast<uint32_t>(args[0]) + args[1];
  return true;
}

ImportTable basicImports() {
  ImportTable table;
  table.functions.push_back(hostFunction("env", "add64", fn({I32, I64}, {I64}), add64));
  return table;
}

class AotEngineTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> engine_ = makeWasm2cEngine(testing::testAotOptions());

  std::unique_ptr<Vm> instantiate(std::string_view text, const ImportTable& imports,
                                  void* host_data = nullptr) {
    auto module = engine_->compile(wat(text));
    EXPECT_TRUE(module.isOk()) << module.message();
    if (!module) return nullptr;
    auto vm = engine_->instantiate(*module, imports, host_data);
    EXPECT_TRUE(vm.isOk()) << vm.message();
    if (!vm) return nullptr;
    return std::move(*vm);
  }
};

TEST_F(AotEngineTest, CallsExportsWithEveryValueType) {
  auto vm = instantiate(kBasic, basicImports());
  ASSERT_NE(vm, nullptr);
  EXPECT_EQ(vm->engine(), "aot");
  uint64_t r[2] = {0, 0};
  ASSERT_TRUE(vm->call(vm->findFunction("add"), std::vector<uint64_t>{2, 40}, r).isOk());
  EXPECT_EQ(r[0], 42u);
  // i32 results are zero-extended.
  ASSERT_TRUE(vm->call(vm->findFunction("add"), std::vector<uint64_t>{0xffffffffu, 0}, r).isOk());
  EXPECT_EQ(r[0], 0xffffffffu);
  float f = 1.5f;
  double d = 2.25;
  uint32_t fbits = 0;
  uint64_t dbits = 0;
  std::memcpy(&fbits, &f, 4);
  std::memcpy(&dbits, &d, 8);
  ASSERT_TRUE(vm->call(vm->findFunction("floats"), std::vector<uint64_t>{fbits, dbits}, r).isOk());
  double d_out = 0;
  float f_out = 0;
  std::memcpy(&d_out, &r[0], 8);
  uint32_t f_out_bits = static_cast<uint32_t>(r[1]);
  std::memcpy(&f_out, &f_out_bits, 4);
  EXPECT_EQ(d_out, 2.75);
  EXPECT_EQ(f_out, 3.0f);
  const FunctionType* type = vm->functionType(vm->findFunction("floats"));
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(*type, fn({F32, F64}, {F64, F32}));
  EXPECT_EQ(vm->findFunction("memory"), kNoExport);
  EXPECT_EQ(vm->findFunction("nope"), kNoExport);
}

TEST_F(AotEngineTest, MemoryIsSharedWithTheHostAndDataSegmentsAreLoaded) {
  auto vm = instantiate(kBasic, basicImports());
  ASSERT_NE(vm, nullptr);
  EXPECT_EQ(vm->memory().size(), 65536u);
  EXPECT_EQ(vm->read(16, 5).value_or(""), "hello");
  ASSERT_TRUE(vm->writeU32(100, 0x01020304));
  uint64_t r[1] = {0};
  ASSERT_TRUE(vm->call(vm->findFunction("load"), std::vector<uint64_t>{100}, r).isOk());
  EXPECT_EQ(r[0], 0x01020304u);
  ASSERT_TRUE(vm->call(vm->findFunction("store"), std::vector<uint64_t>{200, 77}, {}).isOk());
  EXPECT_EQ(vm->readU32(200).value_or(0), 77u);
}

TEST_F(AotEngineTest, TrapFailsTheVmWithTheCommonText) {
  auto vm = instantiate(kBasic, basicImports());
  ASSERT_NE(vm, nullptr);
  auto st = vm->call(vm->findFunction("boom"), {}, {});
  EXPECT_EQ(st.message(), "unreachable");
  EXPECT_TRUE(vm->failed());
  uint64_t r[1];
  EXPECT_EQ(vm->call(vm->findFunction("add"), std::vector<uint64_t>{1, 2}, r).message(),
            "Wasm VM failed after an earlier trap");
}

TEST_F(AotEngineTest, OutOfBoundsAccessTraps) {
  auto vm = instantiate(kBasic, basicImports());
  ASSERT_NE(vm, nullptr);
  uint64_t r[1];
  EXPECT_EQ(vm->call(vm->findFunction("load"), std::vector<uint64_t>{65533}, r).message(),
            "out of bounds memory access");
  auto vm2 = instantiate(kBasic, basicImports());
  EXPECT_EQ(vm2->call(vm2->findFunction("load"), std::vector<uint64_t>{0xfffffffc}, r).message(),
            "out of bounds memory access");
}

TEST_F(AotEngineTest, IntegerTrapsUseTheCommonTexts) {
  auto vm = instantiate(kBasic, basicImports());
  uint64_t r[1];
  EXPECT_EQ(vm->call(vm->findFunction("div"), std::vector<uint64_t>{1, 0}, r).message(),
            "integer divide by zero");
  auto vm2 = instantiate(kBasic, basicImports());
  EXPECT_EQ(vm2->call(vm2->findFunction("div"), std::vector<uint64_t>{0x80000000u, 0xffffffffu}, r)
                .message(),
            "integer overflow");
}

TEST_F(AotEngineTest, DeepRecursionTrapsAsCallStackExhausted) {
  auto vm = instantiate(kBasic, basicImports());
  uint64_t r[1];
  EXPECT_EQ(vm->call(vm->findFunction("recurse"), std::vector<uint64_t>{0}, r).message(),
            "call stack exhausted");
  // The thread can run guest code again (a fresh Vm).
  auto vm2 = instantiate(kBasic, basicImports());
  ASSERT_TRUE(vm2->call(vm2->findFunction("add"), std::vector<uint64_t>{1, 2}, r).isOk());
  EXPECT_EQ(r[0], 3u);
}

TEST_F(AotEngineTest, HostFunctionsGetRawSlotsAndTheirTrapText) {
  auto vm = instantiate(kBasic, basicImports());
  uint64_t r[1];
  ASSERT_TRUE(vm->call(vm->findFunction("host"), std::vector<uint64_t>{5, 1ull << 40}, r).isOk());
  EXPECT_EQ(r[0], (1ull << 40) + 5);
  EXPECT_EQ(vm->call(vm->findFunction("host"), std::vector<uint64_t>{5, 999}, r).message(),
            "host refused 999");
  EXPECT_TRUE(vm->failed());
}

// A host function's trap text is kept between calls only while it is read: text written by a
// call that returned normally is dropped, and a later failure without a text of its own gets
// the generic one.
bool textThenRefuse(HostCallFrame&, const uint64_t* args, uint64_t* results, std::string* trap) {
  EXPECT_TRUE(trap->empty()) << "a host call starts with no trap text";
  if (args[1] == 2) return false;
  *trap = "written but not trapping";
  results[0] = args[1];
  return true;
}

TEST_F(AotEngineTest, TrapTextWrittenByASucceedingHostCallIsNotReusedLater) {
  ImportTable table;
  table.functions.push_back(hostFunction("env", "add64", fn({I32, I64}, {I64}), textThenRefuse));
  auto vm = instantiate(kBasic, table);
  ASSERT_NE(vm, nullptr);
  uint64_t r[1];
  ASSERT_TRUE(vm->call(vm->findFunction("host"), std::vector<uint64_t>{0, 1}, r).isOk());
  EXPECT_EQ(r[0], 1u);
  EXPECT_FALSE(vm->failed());
  ASSERT_TRUE(vm->call(vm->findFunction("host"), std::vector<uint64_t>{0, 3}, r).isOk());
  EXPECT_EQ(vm->call(vm->findFunction("host"), std::vector<uint64_t>{0, 2}, r).message(),
            "host function env.add64 trapped");
  EXPECT_TRUE(vm->failed());
}

TEST_F(AotEngineTest, ArgumentCountIsCheckedBeforeTheCall) {
  auto vm = instantiate(kBasic, basicImports());
  uint64_t r[1];
  EXPECT_EQ(vm->call(vm->findFunction("add"), std::vector<uint64_t>{1}, r).message(),
            "Wasm function add takes 2 arguments, got 1");
  EXPECT_EQ(vm->call(vm->findFunction("add"), std::vector<uint64_t>{1, 2}, {}).message(),
            "Wasm function add returns 1 results, room for 0");
  EXPECT_FALSE(vm->failed());
  EXPECT_EQ(vm->call(kNoExport, {}, {}).message(), "no such exported function");
}

// Indexes that name no exported function (negative, past the last export, the memory export)
// are refused by the unchecked calls too, with call()'s text, and fail nothing.
TEST_F(AotEngineTest, UncheckedCallsRefuseIndexesThatNameNoFunction) {
  auto vm = instantiate(kBasic, basicImports());
  ASSERT_NE(vm, nullptr);
  ExportFunction memory = kNoExport;  // the index of the memory export: no function there
  for (ExportFunction i = 0; i < 16 && memory == kNoExport; ++i) {
    if (vm->functionType(i) == nullptr) memory = i;
  }
  ASSERT_NE(memory, kNoExport);
  const uint64_t args[2] = {1, 2};
  uint64_t r[4] = {0, 0, 0, 0};
  for (ExportFunction bad : {kNoExport, ExportFunction{-7}, ExportFunction{1 << 20}, memory}) {
    std::string error;
    EXPECT_FALSE(vm->callUnchecked(bad, args, r, &error)) << bad;
    EXPECT_EQ(error, "no such exported function") << bad;
    const ExportFunction fns[2] = {vm->findFunction("add"), bad};
    bool call_failed = false;
    error.clear();
    auto next = [](void*, size_t) { return true; };
    EXPECT_EQ(vm->callSequenceUnchecked(fns, 2, args, r, next, nullptr, &error, &call_failed), 1u)
        << bad;
    EXPECT_TRUE(call_failed);
    EXPECT_EQ(error, "no such exported function") << bad;
    EXPECT_EQ(r[0], 3u);
  }
  EXPECT_FALSE(vm->failed());
}

TEST_F(AotEngineTest, MemoryGrowthIsCappedAt16384Pages) {
  auto vm = instantiate(kBasic, basicImports());
  uint64_t r[1];
  ASSERT_TRUE(vm->call(vm->findFunction("grow"), std::vector<uint64_t>{16384}, r).isOk());
  EXPECT_EQ(r[0], 0xffffffffu);
  ASSERT_TRUE(vm->call(vm->findFunction("grow"), std::vector<uint64_t>{3}, r).isOk());
  EXPECT_EQ(r[0], 1u);
  EXPECT_EQ(vm->memory().size(), 4u * 65536);
  ASSERT_TRUE(vm->call(vm->findFunction("grow"), std::vector<uint64_t>{16380}, r).isOk());
  EXPECT_EQ(r[0], 4u);
  EXPECT_EQ(vm->memory().size(), 16384u * 65536);
  ASSERT_TRUE(vm->call(vm->findFunction("grow"), std::vector<uint64_t>{1}, r).isOk());
  EXPECT_EQ(r[0], 0xffffffffu);
  ASSERT_TRUE(
      vm->call(vm->findFunction("load"), std::vector<uint64_t>{16384u * 65536 - 4}, r).isOk());
}

TEST_F(AotEngineTest, ImportMismatchIsRefusedWithTheCommonMessage) {
  auto module = engine_->compile(wat(kBasic));
  ASSERT_TRUE(module.isOk()) << module.message();
  ImportTable wrong;
  wrong.functions.push_back(hostFunction("env", "add64", fn({I32, I32}, {I64}), add64));
  auto vm = engine_->instantiate(*module, wrong, nullptr);
  ASSERT_FALSE(vm.isOk());
  EXPECT_EQ(vm.message(),
            "Failed to load Wasm module due to an import type mismatch: env.add64, want: (i32, "
            "i64) -> i64 but host exports: (i32, i32) -> i64");
  auto missing = engine_->instantiate(*module, ImportTable{}, nullptr);
  EXPECT_EQ(missing.message(), "Failed to load Wasm module due to a missing import: env.add64");
}

TEST_F(AotEngineTest, GarbageBytesAreRefused) {
  auto module = engine_->compile("this is not wasm at all");
  ASSERT_FALSE(module.isOk());
  EXPECT_EQ(module.message(), "Failed to load Wasm module: not a Wasm binary (bad magic number)");
  std::string truncated = wat(kBasic).substr(0, 40);
  auto t = engine_->compile(truncated);
  ASSERT_FALSE(t.isOk());
  EXPECT_EQ(t.message().rfind("Failed to load Wasm module: ", 0), 0u) << t.message();
}

TEST_F(AotEngineTest, SimdAndTailCallModulesAreRefusedClearly) {
  auto simd = engine_->compile(
      wat("(module (func (export \"f\") (param v128) (result v128) local.get 0))"));
  ASSERT_FALSE(simd.isOk());
  EXPECT_NE(simd.message().find("wasm2c cannot compile it (SIMD and tail calls are not supported)"),
            std::string::npos)
      << simd.message();
  auto tail =
      engine_->compile(wat("(module (func $f (export \"f\") (result i32) (return_call $f)))"));
  ASSERT_FALSE(tail.isOk());
  EXPECT_NE(tail.message().find("wasm2c cannot compile it"), std::string::npos) << tail.message();
}

TEST_F(AotEngineTest, NamesThatWouldEscapeGeneratedCommentsAreRefused) {
  auto module = engine_->compile(wat("(module (func (export \"x*/ int y; /*\")))"));
  ASSERT_FALSE(module.isOk());
  EXPECT_EQ(module.message(), "AOT engine refuses export name containing \"*/\"");
  // Odd but harmless names work.
  auto vm = instantiate(
      "(module (func (export \"Zed \\\"quoted\\\" \\u{e9}\") (result i32) i32.const 7))", {});
  ASSERT_NE(vm, nullptr);
  uint64_t r[1];
  ASSERT_TRUE(vm->call(vm->findFunction("Zed \"quoted\" \xc3\xa9"), {}, r).isOk());
  EXPECT_EQ(r[0], 7u);
}

struct Reentry {
  Vm* vm = nullptr;
  ExportFunction callee = kNoExport;
};

bool callBack(HostCallFrame& frame, const uint64_t* args, uint64_t* results, std::string*) {
  auto* re = static_cast<Reentry*>(frame.host_data);
  uint64_t r[1] = {0};
  Status st = frame.vm.call(re->callee, std::vector<uint64_t>{args[0]}, r);
  if (!st) return true;  // the engine fails the outer call anyway
  results[0] = r[0] + 1;
  return true;
}

constexpr const char* kReentrant = R"((module
  (import "env" "call_back" (func $cb (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "outer") (param i32) (result i32) local.get 0 call $cb)
  (func (export "inner") (param i32) (result i32)
    local.get 0 i32.const 100 i32.gt_u if unreachable end
    local.get 0 i32.const 10 i32.mul)
))";

TEST_F(AotEngineTest, HostFunctionsCanCallBackIntoTheGuest) {
  ImportTable table;
  table.functions.push_back(hostFunction("env", "call_back", fn({I32}, {I32}), callBack));
  Reentry re;
  auto vm = instantiate(kReentrant, table, &re);
  ASSERT_NE(vm, nullptr);
  re.vm = vm.get();
  re.callee = vm->findFunction("inner");
  uint64_t r[1];
  ASSERT_TRUE(vm->call(vm->findFunction("outer"), std::vector<uint64_t>{4}, r).isOk());
  EXPECT_EQ(r[0], 41u);
  // A trap in the nested call fails the outer call too.
  EXPECT_EQ(vm->call(vm->findFunction("outer"), std::vector<uint64_t>{101}, r).message(),
            "guest call from a host function trapped: unreachable");
  EXPECT_TRUE(vm->failed());
}

constexpr const char* kTables = R"((module
  (type $v_i (func (result i32)))
  (type $i_i (func (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $seven $id)
  (func $seven (result i32) i32.const 7)
  (func $id (param i32) (result i32) local.get 0)
  (func (export "call0") (param i32) (result i32) local.get 0 call_indirect (type $v_i))
))";

TEST_F(AotEngineTest, IndirectCallTrapsTellMissingElementsFromSignatureMismatches) {
  uint64_t r[1];
  auto vm = instantiate(kTables, {});
  ASSERT_TRUE(vm->call(vm->findFunction("call0"), std::vector<uint64_t>{0}, r).isOk());
  EXPECT_EQ(r[0], 7u);
  EXPECT_EQ(vm->call(vm->findFunction("call0"), std::vector<uint64_t>{1}, r).message(),
            "indirect call signature mismatch");
  auto vm2 = instantiate(kTables, {});
  EXPECT_EQ(vm2->call(vm2->findFunction("call0"), std::vector<uint64_t>{2}, r).message(),
            "undefined table element");
  auto vm3 = instantiate(kTables, {});
  EXPECT_EQ(vm3->call(vm3->findFunction("call0"), std::vector<uint64_t>{9}, r).message(),
            "undefined table element");
}

bool logStart(HostCallFrame& frame, const uint64_t* args, uint64_t*, std::string*) {
  *static_cast<uint64_t*>(frame.function_data) = args[0];
  return true;
}

TEST_F(AotEngineTest, ImportedMemoryAndStartSectionWork) {
  uint64_t seen = 0;
  ImportTable table;
  table.functions.push_back(hostFunction("env", "seen", fn({I32}, {}), logStart, &seen));
  auto vm = instantiate(R"((module
    (import "env" "memory" (memory 2 10))
    (import "env" "seen" (func $seen (param i32)))
    (func $start i32.const 8 i32.const 1234 i32.store i32.const 55 call $seen)
    (start $start)
    (func (export "size") (result i32) memory.size)
  ))",
                        table);
  ASSERT_NE(vm, nullptr);
  EXPECT_EQ(seen, 55u);
  EXPECT_EQ(vm->memory().size(), 2u * 65536);
  EXPECT_EQ(vm->readU32(8).value_or(0), 1234u);
}

TEST_F(AotEngineTest, ExportsWithReferenceTypesAreLeftOutLikeTheInterpreterDoes) {
  auto vm = instantiate(R"((module
    (func (export "takes_ref") (param externref) (result i32) i32.const 1)
    (func (export "plain") (result i32) i32.const 2)
  ))",
                        {});
  ASSERT_NE(vm, nullptr);
  EXPECT_EQ(vm->findFunction("takes_ref"), kNoExport);
  uint64_t r[1];
  ASSERT_TRUE(vm->call(vm->findFunction("plain"), {}, r).isOk());
  EXPECT_EQ(r[0], 2u);
}

TEST_F(AotEngineTest, OversizedMemoriesAreRefused) {
  auto module = engine_->compile(wat("(module (memory 16385))"));
  ASSERT_FALSE(module.isOk());
  EXPECT_EQ(module.message(),
            "Failed to load Wasm module: memory of 16385 pages is larger than the limit of 16384");
}

TEST_F(AotEngineTest, TrapDuringInstantiationIsAnError) {
  auto module = engine_->compile(wat("(module (memory 1) (data (i32.const 65535) \"ab\"))"));
  ASSERT_TRUE(module.isOk()) << module.message();
  auto vm = engine_->instantiate(*module, {}, nullptr);
  ASSERT_FALSE(vm.isOk());
  EXPECT_EQ(vm.message(), "Failed to instantiate Wasm module: out of bounds memory access");
}

TEST_F(AotEngineTest, CompileReportsTheCacheHit) {
  const std::string bytes = wat("(module (func (export \"f\") (result i32) i32.const 12345))");
  auto first = compileAot(bytes, testing::testAotOptions());
  ASSERT_TRUE(first.isOk()) << first.message();
  auto second = compileAot(bytes, testing::testAotOptions());
  ASSERT_TRUE(second.isOk()) << second.message();
  EXPECT_TRUE(second->cache_hit);
  EXPECT_EQ(second->object_path, first->object_path);
  EXPECT_EQ(second->object_path.rfind(testing::testCacheDir() + "/", 0), 0u);
  EXPECT_EQ(second->wasm2c_seconds, 0.0);
}

}  // namespace
}  // namespace meshwasm::host
