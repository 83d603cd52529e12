// Engine seam behaviour, identical for every engine: loading, linking, calls, traps, memory,
// re-entrancy. Each case runs on every engine named in testEngines().
#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "meshwasm/abi/limits.h"
#include "meshwasm/host/engines.h"
#include "meshwasm/host/module_info.h"
#include "meshwasm/host/vm.h"

namespace meshwasm::host {
namespace {

constexpr ValueType I32 = ValueType::I32;

// Engines under test. Add an engine here and every case below runs on it.
std::vector<std::string> testEngines() { return {"interp", "aot"}; }

std::string readGuest(const std::string& name) {
  const char* dir = std::getenv("MESHWASM_WASM_DIR");
  std::ifstream in(std::string(dir ? dir : "") + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The embedder's per-VM state the test host functions use (host_data).
struct TestHost {
  std::vector<std::pair<uint32_t, std::string>> logs;
  int count_calls = 0;
  bool propagate_nested_trap = false;
  std::string nested_error;
};

TestHost& hostOf(HostCallFrame& frame) { return *static_cast<TestHost*>(frame.host_data); }

bool proxyLog(HostCallFrame& frame, const uint64_t* args, uint64_t* results, std::string*) {
  auto text = frame.vm.read(static_cast<uint32_t>(args[1]), static_cast<uint32_t>(args[2]));
  if (!text) {
    results[0] = 3;  // InvalidMemoryAccess
    return true;
  }
  hostOf(frame).logs.emplace_back(static_cast<uint32_t>(args[0]), std::string(*text));
  results[0] = 0;
  return true;
}

bool testFill(HostCallFrame& frame, const uint64_t* args, uint64_t* results, std::string*) {
  const auto ptr = static_cast<uint32_t>(args[0]);
  const auto len = static_cast<uint32_t>(args[1]);
  results[0] = frame.vm.write(ptr, std::string(len, static_cast<char>(args[2]))) ? 0 : 1;
  return true;
}

// Allocates with the guest's proxy_on_memory_allocate, fills 0, 1, 2, ... and returns the pointer
// through the out parameter. The allocation may grow memory: every access re-reads it.
bool testHostAlloc(HostCallFrame& frame, const uint64_t* args, uint64_t* results,
                   std::string* trap) {
  const auto size = static_cast<uint32_t>(args[0]);
  const ExportFunction alloc = frame.vm.findFunction("proxy_on_memory_allocate");
  uint64_t in[1] = {size};
  uint64_t out[1] = {0};
  if (Status st = frame.vm.call(alloc, in, out); !st) {
    *trap = st.message();
    return false;
  }
  const auto ptr = static_cast<uint32_t>(out[0]);
  std::string bytes(size, '\0');
  for (uint32_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i & 0xff);
  if (ptr == 0 || !frame.vm.write(ptr, bytes) ||
      !frame.vm.writeU32(static_cast<uint32_t>(args[1]), ptr)) {
    results[0] = 1;
    return true;
  }
  results[0] = 0;
  return true;
}

// Calls trapping_alloc(13), which traps. Either reports the failure as its own trap or
// (wrongly) carries on as if nothing happened: the engine must trap the outer call anyway.
bool testHostAllocTrap(HostCallFrame& frame, const uint64_t*, uint64_t* results,
                       std::string* trap) {
  uint64_t in[1] = {13};
  uint64_t out[1] = {0};
  Status st = frame.vm.call(frame.vm.findFunction("trapping_alloc"), in, out);
  hostOf(frame).nested_error = st.message();
  if (!st && hostOf(frame).propagate_nested_trap) {
    *trap = "allocator failed: " + st.message();
    return false;
  }
  results[0] = 0;
  return true;
}

bool testPong(HostCallFrame& frame, const uint64_t* args, uint64_t* results, std::string* trap) {
  uint64_t in[1] = {args[0]};
  uint64_t out[1] = {0};
  if (Status st = frame.vm.call(frame.vm.findFunction("ping"), in, out); !st) {
    *trap = st.message();
    return false;
  }
  results[0] = out[0];
  return true;
}

bool testCount(HostCallFrame& frame, const uint64_t*, uint64_t*, std::string*) {
  ++hostOf(frame).count_calls;
  return true;
}

ImportTable testImports() {
  ImportTable table;
  table.functions.push_back({"env", "proxy_log", {{I32, I32, I32}, {I32}}, proxyLog});
  table.functions.push_back({"test", "fill", {{I32, I32, I32}, {I32}}, testFill});
  table.functions.push_back({"test", "host_alloc", {{I32, I32}, {I32}}, testHostAlloc});
  table.functions.push_back({"test", "host_alloc_trap", {{}, {I32}}, testHostAllocTrap});
  table.functions.push_back({"test", "pong", {{I32}, {I32}}, testPong});
  table.functions.push_back({"test", "count", {{}, {}}, testCount});
  return table;
}

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto engine = makeEngine(GetParam());
    ASSERT_TRUE(engine.isOk()) << engine.message();
    engine_ = std::move(*engine);
  }

  std::shared_ptr<const CompiledModule> compileGuest(const std::string& name) {
    std::string bytes = readGuest(name);
    EXPECT_FALSE(bytes.empty()) << "guest module not built: " << name;
    auto module = engine_->compile(bytes);
    EXPECT_TRUE(module.isOk()) << name << ": " << module.message();
    return module.isOk() ? *module : nullptr;
  }

  // Compiles, instantiates and runs _initialize when the module has it.
  std::unique_ptr<Vm> load(const std::string& name) {
    auto module = compileGuest(name);
    if (!module) return nullptr;
    auto vm = engine_->instantiate(module, imports_, &host_);
    EXPECT_TRUE(vm.isOk()) << name << ": " << vm.message();
    if (!vm.isOk()) return nullptr;
    if (ExportFunction init = (*vm)->findFunction("_initialize"); init != kNoExport) {
      Status st = (*vm)->call(init, {}, {});
      EXPECT_TRUE(st.isOk()) << st.message();
    }
    return std::move(*vm);
  }

  // Calls `name` with i32/i64 arguments and returns the first result (or the error).
  StatusOr<uint64_t> call(Vm& vm, std::string_view name, std::vector<uint64_t> args) {
    uint64_t results[1] = {0};
    const FunctionType* type = vm.functionType(vm.findFunction(name));
    std::span<uint64_t> out(results, type && type->results.empty() ? 0 : 1);
    if (Status st = vm.call(vm.findFunction(name), args, out); !st) return st;
    return results[0];
  }

  std::unique_ptr<Engine> engine_;
  ImportTable imports_ = testImports();
  TestHost host_;
};

TEST_P(EngineTest, ListsImportsAndExportsWithTypes) {
  auto module = compileGuest("test_basic.wasm");
  ASSERT_TRUE(module);
  ASSERT_EQ(module->imports().size(), 1u);
  EXPECT_EQ(module->imports()[0].module, "env");
  EXPECT_EQ(module->imports()[0].name, "proxy_log");
  EXPECT_EQ(toString(module->imports()[0].type), "(i32, i32, i32) -> i32");
  const ExportDesc* headers = module->findExport("proxy_on_request_headers");
  ASSERT_NE(headers, nullptr);
  EXPECT_EQ(toString(headers->type), "(i32, i32, i32) -> i32");
  EXPECT_EQ(toString(module->findExport("mix")->type), "(i32, i64, f32, f64) -> f64");
  EXPECT_EQ(toString(module->findExport("nothing")->type), "() -> ()");
  EXPECT_EQ(module->findExport("memory")->kind, ExternKind::Memory);
}

TEST_P(EngineTest, CallsExportsOfEveryValueType) {
  auto vm = load("test_basic.wasm");
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->engine(), GetParam());
  EXPECT_EQ(*call(*vm, "add_i32", {2, 3}), 5u);
  EXPECT_EQ(*call(*vm, "add_i32", {0xFFFFFFFFu, 2}), 1u);  // i32 wraps, result zero-extended
  EXPECT_EQ(*call(*vm, "add_i64", {0x1'0000'0000ull, 0x2'0000'0001ull}), 0x3'0000'0001ull);
  const uint64_t two_and_a_half = std::bit_cast<uint32_t>(2.5f);
  const uint64_t four = std::bit_cast<uint32_t>(4.0f);
  EXPECT_EQ(*call(*vm, "mul_f32", {two_and_a_half, four}), std::bit_cast<uint32_t>(10.0f));
  const uint64_t mixed = *call(*vm, "mix", {1, 2, std::bit_cast<uint32_t>(0.5f),
                                             std::bit_cast<uint64_t>(0.25)});
  EXPECT_EQ(std::bit_cast<double>(mixed), 3.75);
  EXPECT_TRUE(call(*vm, "nothing", {}).isOk());
}

TEST_P(EngineTest, GuestCallsHostFunctions) {
  auto vm = load("test_basic.wasm");
  ASSERT_TRUE(vm);
  EXPECT_TRUE(call(*vm, "proxy_on_context_create", {1, 0}).isOk());
  EXPECT_TRUE(call(*vm, "proxy_on_context_create", {2, 1}).isOk());
  EXPECT_EQ(*call(*vm, "proxy_on_request_headers", {2, 3, 1}), 2u);
  ASSERT_EQ(host_.logs.size(), 1u);
  EXPECT_EQ(host_.logs[0].first, 2u);
  EXPECT_EQ(host_.logs[0].second, "headers: 3");
}

TEST_P(EngineTest, HostReadsAndWritesGuestMemory) {
  auto vm = load("test_basic.wasm");
  ASSERT_TRUE(vm);
  const auto ptr = static_cast<uint32_t>(*call(*vm, "greeting", {}));
  ASSERT_NE(ptr, 0u);
  EXPECT_EQ(vm->read(ptr, 8), "meshwasm");
  EXPECT_TRUE(vm->write(ptr, "\x01\x02\x03\x04"));
  EXPECT_EQ(*call(*vm, "sum_bytes", {ptr, 4}), 10u);
  EXPECT_TRUE(vm->writeU32(ptr, 0xA1B2C3D4));
  EXPECT_EQ(vm->readU32(ptr), 0xA1B2C3D4u);
  const auto size = static_cast<uint32_t>(vm->memory().size());
  EXPECT_EQ(size % 65536, 0u);
  EXPECT_EQ(vm->read(size - 4, 4)->size(), 4u);
  EXPECT_FALSE(vm->read(size - 4, 5));
  EXPECT_FALSE(vm->read(0xFFFFFFFF, 2));
  EXPECT_FALSE(vm->write(size, "x"));
  EXPECT_FALSE(vm->readU32(size - 3));
}

TEST_P(EngineTest, WrongArgumentCountIsAnErrorNotAnAbort) {
  auto vm = load("test_basic.wasm");
  ASSERT_TRUE(vm);
  const ExportFunction add = vm->findFunction("add_i32");
  uint64_t one[1] = {1};
  uint64_t three[3] = {1, 2, 3};
  uint64_t result[1] = {0};
  EXPECT_EQ(vm->call(add, one, result).message(), "Wasm function add_i32 takes 2 arguments, got 1");
  EXPECT_EQ(vm->call(add, three, result).message(),
            "Wasm function add_i32 takes 2 arguments, got 3");
  uint64_t two[2] = {1, 2};
  EXPECT_EQ(vm->call(add, two, {}).message(), "Wasm function add_i32 returns 1 results, room for 0");
  EXPECT_FALSE(vm->failed());
  ASSERT_TRUE(vm->call(add, two, result).isOk());
  EXPECT_EQ(result[0], 3u);
}

TEST_P(EngineTest, UnknownFunctionsAreErrors) {
  auto vm = load("test_basic.wasm");
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->findFunction("no_such_export"), kNoExport);
  EXPECT_EQ(vm->findFunction("memory"), kNoExport);  // not a function
  EXPECT_EQ(vm->functionType(kNoExport), nullptr);
  EXPECT_EQ(vm->call(kNoExport, {}, {}).message(), "no such exported function");
  EXPECT_EQ(vm->call(100000, {}, {}).message(), "no such exported function");
  EXPECT_FALSE(vm->failed());
}

TEST_P(EngineTest, TrapInACallbackFailsTheVm) {
  auto vm = load("test_trap.wasm");
  ASSERT_TRUE(vm);
  EXPECT_EQ(*call(*vm, "ok", {}), 7u);
  auto trapped = call(*vm, "proxy_on_request_headers", {1, 2, 0});
  EXPECT_EQ(trapped.message(), "unreachable");
  EXPECT_TRUE(vm->failed());
  EXPECT_EQ(call(*vm, "ok", {}).message(), "Wasm VM failed after an earlier trap");
}

TEST_P(EngineTest, UncheckedCallsAnswerAsCallDoes) {
  auto vm = load("test_trap.wasm");
  ASSERT_TRUE(vm);
  const ExportFunction ok = vm->findFunction("ok");
  const ExportFunction headers = vm->findFunction("proxy_on_request_headers");
  uint64_t result[1] = {0};
  std::string error;
  ASSERT_TRUE(vm->callUnchecked(ok, nullptr, result, &error));
  EXPECT_EQ(result[0], 7u);
  EXPECT_EQ(error, "");
  EXPECT_FALSE(vm->callUnchecked(kNoExport, nullptr, result, &error));
  EXPECT_EQ(error, "no such exported function");
  EXPECT_FALSE(vm->failed());
  const uint64_t args[3] = {1, 2, 0};
  EXPECT_FALSE(vm->callUnchecked(headers, args, result, &error));
  EXPECT_EQ(error, "unreachable");
  EXPECT_TRUE(vm->failed());
  EXPECT_FALSE(vm->callUnchecked(ok, nullptr, result, &error));
  EXPECT_EQ(error, "Wasm VM failed after an earlier trap");
}

TEST_P(EngineTest, CallSequencesAnswerAsCallsOneByOne) {
  auto vm = load("test_trap.wasm");
  ASSERT_TRUE(vm);
  const ExportFunction ok = vm->findFunction("ok");
  const ExportFunction headers = vm->findFunction("proxy_on_request_headers");
  const ExportFunction body = vm->findFunction("proxy_on_request_body");
  const uint64_t args[3] = {1, 2, 0};
  std::vector<size_t> asked;
  struct Between {
    std::vector<size_t>* asked;
    size_t stop_at;
    static bool next(void* p, size_t i) {
      auto* b = static_cast<Between*>(p);
      b->asked->push_back(i);
      return i != b->stop_at;
    }
  };
  Between all{&asked, 99};
  std::string error;
  bool call_failed = true;
  uint64_t results[3] = {0, 0, 0};
  const ExportFunction three_ok[3] = {ok, ok, ok};
  EXPECT_EQ(vm->callSequenceUnchecked(three_ok, 3, args, results, &Between::next, &all, &error,
                                      &call_failed),
            3u);
  EXPECT_FALSE(call_failed);
  EXPECT_EQ(results[0], 7u);
  EXPECT_EQ(results[2], 7u);
  EXPECT_EQ(asked, (std::vector<size_t>{1, 2}));

  asked.clear();
  Between stop{&asked, 2};
  EXPECT_EQ(vm->callSequenceUnchecked(three_ok, 3, args, results, &Between::next, &stop, &error,
                                      &call_failed),
            2u);
  EXPECT_FALSE(call_failed);
  EXPECT_EQ(asked, (std::vector<size_t>{1, 2}));
  EXPECT_FALSE(vm->failed());

  // A refusal in the middle: the calls before it ran, its text is callUnchecked's.
  const ExportFunction refused[3] = {ok, kNoExport, ok};
  EXPECT_EQ(vm->callSequenceUnchecked(refused, 3, args, results, &Between::next, &all, &error,
                                      &call_failed),
            1u);
  EXPECT_TRUE(call_failed);
  EXPECT_EQ(error, "no such exported function");
  EXPECT_FALSE(vm->failed());

  // Stack exhaustion in the second call: that call's trap text, nothing after it runs.
  const ExportFunction deep[3] = {ok, body, ok};
  asked.clear();
  EXPECT_EQ(vm->callSequenceUnchecked(deep, 3, args, results, &Between::next, &all, &error,
                                      &call_failed),
            1u);
  EXPECT_TRUE(call_failed);
  EXPECT_EQ(error, "call stack exhausted");
  EXPECT_EQ(asked, (std::vector<size_t>{1}));
  EXPECT_TRUE(vm->failed());
  const ExportFunction after[2] = {ok, headers};
  EXPECT_EQ(vm->callSequenceUnchecked(after, 2, args, results, &Between::next, &all, &error,
                                      &call_failed),
            0u);
  EXPECT_TRUE(call_failed);
  EXPECT_EQ(error, "Wasm VM failed after an earlier trap");
}

TEST_P(EngineTest, CallSequenceStepsMayChangeTheNextCallsArguments) {
  auto vm = load("test_basic.wasm");
  ASSERT_TRUE(vm);
  const ExportFunction add = vm->findFunction("add_i32");
  const ExportFunction seq[3] = {add, add, add};
  uint64_t args[2] = {1, 2};
  uint64_t results[3] = {0, 0, 0};
  // Each call adds 2 to the result of the one before.
  struct Chain {
    uint64_t* args;
    uint64_t* results;
    static bool next(void* p, size_t i) {
      auto* c = static_cast<Chain*>(p);
      c->args[0] = c->results[i - 1];
      return true;
    }
  } chain{args, results};
  std::string error;
  bool call_failed = true;
  EXPECT_EQ(vm->callSequenceUnchecked(seq, 3, args, results, &Chain::next, &chain, &error,
                                      &call_failed),
            3u);
  EXPECT_FALSE(call_failed);
  EXPECT_EQ(results[0], 3u);
  EXPECT_EQ(results[1], 5u);
  EXPECT_EQ(results[2], 7u);
}

TEST_P(EngineTest, TrapInACallSequenceStopsItThere) {
  auto vm = load("test_trap.wasm");
  ASSERT_TRUE(vm);
  const ExportFunction ok = vm->findFunction("ok");
  const ExportFunction seq[3] = {ok, vm->findFunction("proxy_on_request_headers"), ok};
  const uint64_t args[3] = {1, 2, 0};
  uint64_t results[3] = {0, 0, 0};
  std::string error;
  bool call_failed = false;
  auto yes = [](void*, size_t) { return true; };
  EXPECT_EQ(vm->callSequenceUnchecked(seq, 3, args, results, yes, nullptr, &error, &call_failed),
            1u);
  EXPECT_TRUE(call_failed);
  EXPECT_EQ(error, "unreachable");
  EXPECT_EQ(results[0], 7u);
  EXPECT_EQ(results[2], 0u);
  EXPECT_TRUE(vm->failed());
}

TEST_P(EngineTest, StackOverflowIsATrap) {
  auto vm = load("test_trap.wasm");
  ASSERT_TRUE(vm);
  EXPECT_EQ(call(*vm, "proxy_on_request_body", {1, 0, 0}).message(), "call stack exhausted");
  EXPECT_TRUE(vm->failed());
}

TEST_P(EngineTest, OutOfBoundsAccessIsATrap) {
  auto vm = load("test_trap.wasm");
  ASSERT_TRUE(vm);
  EXPECT_EQ(call(*vm, "proxy_on_response_headers", {1, 0, 0}).message(),
            "out of bounds memory access");
  EXPECT_TRUE(vm->failed());
}

TEST_P(EngineTest, OtherVmsOfTheSameModuleSurviveATrap) {
  auto module = compileGuest("test_trap.wasm");
  ASSERT_TRUE(module);
  auto a = engine_->instantiate(module, imports_, &host_);
  auto b = engine_->instantiate(module, imports_, &host_);
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_FALSE(call(**a, "proxy_on_request_body", {1, 0, 0}).isOk());
  EXPECT_TRUE((*a)->failed());
  EXPECT_FALSE((*b)->failed());
  EXPECT_EQ(*call(**b, "ok", {}), 7u);
}

TEST_P(EngineTest, HugeAllocationRequestsFailCleanly) {
  auto vm = load("test_huge_alloc.wasm");
  ASSERT_TRUE(vm);
  const uint64_t pages = *call(*vm, "memory_pages", {});
  EXPECT_EQ(*call(*vm, "allocate", {0xFFFFFFF0u}), 0u);
  EXPECT_EQ(*call(*vm, "allocate", {0x80000000u}), 0u);  // 2 GiB: beyond the 1 GiB cap
  EXPECT_EQ(*call(*vm, "grow", {16384}), 0xFFFFFFFFu);   // memory.grow answers -1
  EXPECT_EQ(*call(*vm, "memory_pages", {}), pages);
  EXPECT_NE(*call(*vm, "allocate", {100}), 0u);
  EXPECT_FALSE(vm->failed());
}

TEST_P(EngineTest, MemoryGrowthStopsAtTheCap) {
  auto vm = load("test_unbounded_memory.wasm");
  ASSERT_TRUE(vm);
  EXPECT_EQ(*call(*vm, "grow", {abi::kMaxMemoryPages}), 0xFFFFFFFFu);
  EXPECT_EQ(*call(*vm, "grow", {65535}), 0xFFFFFFFFu);
  EXPECT_EQ(*call(*vm, "grow", {3}), 1u);
  EXPECT_EQ(*call(*vm, "pages", {}), 4u);
  EXPECT_EQ(vm->memory().size(), 4u * 65536);
}

TEST_P(EngineTest, HostWritesAfterTheGuestGrewMemoryDuringTheCall) {
  auto vm = load("test_memory_growth.wasm");
  ASSERT_TRUE(vm);
  const uint64_t pages = *call(*vm, "memory_pages", {});
  EXPECT_EQ(vm->memory().size(), pages * 65536);
  EXPECT_EQ(*call(*vm, "grow_then_host_writes", {64, 4096}), 4096u * 0x5a);
  EXPECT_EQ(*call(*vm, "memory_pages", {}), pages + 64);
  EXPECT_EQ(vm->memory().size(), (pages + 64) * 65536);
  EXPECT_EQ(vm->read(static_cast<uint32_t>((pages + 64) * 65536 - 2), 2), "\x5a\x5a");
}

TEST_P(EngineTest, HostFunctionCallsBackIntoTheGuestAllocator) {
  auto vm = load("test_reentrant.wasm");
  ASSERT_TRUE(vm);
  // 300 KB, more than the initial memory: the allocator grows memory inside the nested call.
  const uint32_t size = 300'000;
  uint64_t expected = 0;
  for (uint32_t i = 0; i < size; ++i) expected += i & 0xff;
  const size_t before = vm->memory().size();
  EXPECT_EQ(*call(*vm, "sum_host_buffer", {size}), expected);
  EXPECT_GT(vm->memory().size(), before);
  EXPECT_EQ(*call(*vm, "allocations", {}), 1u);
  EXPECT_EQ(*call(*vm, "sum_host_buffer", {10}), 45u);
  EXPECT_EQ(*call(*vm, "allocations", {}), 2u);
}

TEST_P(EngineTest, TrapInANestedCallTrapsTheOuterCallEvenIfTheHostIgnoresIt) {
  auto vm = load("test_reentrant.wasm");
  ASSERT_TRUE(vm);
  host_.propagate_nested_trap = false;
  EXPECT_EQ(call(*vm, "trap_in_nested_call", {}).message(),
            "guest call from a host function trapped: unreachable");
  EXPECT_EQ(host_.nested_error, "unreachable");
  EXPECT_TRUE(vm->failed());
}

TEST_P(EngineTest, HostTrapTextIsPassedThrough) {
  auto vm = load("test_reentrant.wasm");
  ASSERT_TRUE(vm);
  host_.propagate_nested_trap = true;
  EXPECT_EQ(call(*vm, "trap_in_nested_call", {}).message(), "allocator failed: unreachable");
  EXPECT_TRUE(vm->failed());
}

TEST_P(EngineTest, ReentrancyIsBounded) {
  auto vm = load("test_reentrant.wasm");
  ASSERT_TRUE(vm);
  EXPECT_EQ(*call(*vm, "ping", {20}), 20u);
  EXPECT_EQ(call(*vm, "ping", {1000}).message(), "too many nested guest calls");
  EXPECT_TRUE(vm->failed());
}

TEST_P(EngineTest, UnknownImportFailsTheLoadNamingIt) {
  auto module = compileGuest("test_unknown_import.wasm");
  ASSERT_TRUE(module);
  auto vm = engine_->instantiate(module, imports_, &host_);
  EXPECT_EQ(vm.message(),
            "Failed to load Wasm module due to a missing import: env.proxy_does_not_exist");
}

TEST_P(EngineTest, MistypedImportFailsTheLoadWithBothTypes) {
  auto module = compileGuest("test_mistyped_import.wasm");
  ASSERT_TRUE(module);
  auto vm = engine_->instantiate(module, imports_, &host_);
  EXPECT_EQ(vm.message(),
            "Failed to load Wasm module due to an import type mismatch: env.proxy_log, want: "
            "(i32) -> i32 but host exports: (i32, i32, i32) -> i32");
}

TEST_P(EngineTest, GarbageBytesAreACleanError) {
  EXPECT_EQ(engine_->compile(readGuest("test_garbage.wasm")).message(),
            "Failed to load Wasm module: not a Wasm binary (bad magic number)");
  EXPECT_EQ(engine_->compile("").message(),
            "Failed to load Wasm module: not a Wasm binary (bad magic number)");
  auto bad = engine_->compile(std::string("\0asm\x01\0\0\0\x01\xff\xff", 11));
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.message().rfind("Failed to load Wasm module: invalid module", 0), 0u)
      << bad.message();
}

TEST_P(EngineTest, TruncatedAndCorruptedModulesNeverCrash) {
  const std::string bytes = readGuest("test_basic.wasm");
  ASSERT_FALSE(bytes.empty());
  size_t refused = 0;  // cuts at section boundaries can leave a valid module
  for (size_t len = 0; len < bytes.size(); ++len) {
    if (!engine_->compile(bytes.substr(0, len)).isOk()) ++refused;
  }
  EXPECT_GT(refused, bytes.size() * 9 / 10);
  std::mt19937 random(42);
  int accepted = 0;
  const int mutations = GetParam() == "aot" ? 300 : 3000;  // aot runs cc on every valid one
  for (int i = 0; i < mutations; ++i) {
    std::string mutated = bytes;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      mutated[8 + random() % (mutated.size() - 8)] = static_cast<char>(random());
    }
    if (engine_->compile(mutated).isOk()) ++accepted;
  }
  EXPECT_GT(accepted, 0);  // some mutations hit data bytes and stay valid
}

TEST_P(EngineTest, ImportedMemoryAndTableAreCreatedByTheEngine) {
  auto vm = load("test_imported_memory.wasm");
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->memory().size(), 2u * 65536);
  EXPECT_TRUE(call(*vm, "store", {100, 0x01020304}).isOk());
  EXPECT_EQ(vm->readU32(100), 0x01020304u);
  EXPECT_EQ(*call(*vm, "call_indirect0", {}), 7u);
}

TEST_P(EngineTest, StartSectionRunsAtInstantiation) {
  auto vm = load("test_start_section.wasm");
  ASSERT_TRUE(vm);
  EXPECT_EQ(host_.count_calls, 1);
}

TEST_P(EngineTest, StartFunctionsRunInTheInspectedOrder) {
  auto module = compileGuest("test_initialize_main.wasm");
  ASSERT_TRUE(module);
  auto info = inspectModule(*module);
  ASSERT_TRUE(info.isOk()) << info.message();
  auto vm = engine_->instantiate(module, imports_, &host_);
  ASSERT_TRUE(vm.isOk());
  for (const auto& name : info->start_functions) {
    std::vector<uint64_t> args(name == "main" ? 2 : 0, 0);
    uint64_t result[1];
    const FunctionType* type = (*vm)->functionType((*vm)->findFunction(name));
    ASSERT_NE(type, nullptr);
    ASSERT_TRUE((*vm)->call((*vm)->findFunction(name), args,
                            std::span<uint64_t>(result, type->results.size()))
                    .isOk());
  }
  EXPECT_EQ(*call(**vm, "order", {}), 12u);
}

TEST_P(EngineTest, OneCompiledModuleServesVmsOnSeveralThreads) {
  auto module = compileGuest("test_basic.wasm");
  ASSERT_TRUE(module);
  std::vector<std::thread> threads;
  std::vector<int> sums(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      TestHost host;
      auto vm = engine_->instantiate(module, imports_, &host);
      if (!vm.isOk()) return;
      const ExportFunction add = (*vm)->findFunction("add_i32");
      for (int i = 0; i < 1000; ++i) {
        uint64_t args[2] = {static_cast<uint64_t>(i), 1};
        uint64_t result[1] = {0};
        if ((*vm)->call(add, args, result)) sums[t] += static_cast<int>(result[0]);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int s : sums) EXPECT_EQ(s, 500500);
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest, ::testing::ValuesIn(testEngines()),
                         [](const auto& info) { return info.param; });

TEST(Engines, UnknownEngineNameIsAnError) {
  auto engine = makeEngine("v8");
  ASSERT_FALSE(engine.isOk());
  EXPECT_EQ(engine.message(), "Unknown Wasm engine: v8 (known: interp, aot, auto)");
}

TEST(Engines, FactoryKnowsTheInterpreter) {
  auto engine = makeEngine("interp");
  ASSERT_TRUE(engine.isOk());
  EXPECT_EQ((*engine)->name(), "interp");
}

}  // namespace
}  // namespace meshwasm::host
