// Loading real guest modules: inspection, and what compile/instantiate refuse or accept.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "meshwasm/host/engines.h"
#include "meshwasm/host/module_info.h"
#include "meshwasm/host/vm.h"

namespace meshwasm::host {
namespace {

std::string readGuest(const std::string& name) {
  const char* dir = std::getenv("MESHWASM_WASM_DIR");
  std::ifstream in(std::string(dir ? dir : "") + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

StatusOr<ModuleInfo> inspectGuest(const std::string& name) {
  auto engine = makeEngine("interp");
  if (!engine) return engine.status();
  std::string bytes = readGuest(name);
  if (bytes.empty()) return Status::error("guest module not built: " + name);
  auto module = (*engine)->compile(bytes);
  if (!module) return module.status();
  return inspectModule(**module);
}

TEST(ModuleInfoGuests, InspectsTheBasicGuest) {
  auto info = inspectGuest("test_basic.wasm");
  ASSERT_TRUE(info.isOk()) << info.message();
  EXPECT_EQ(info->abi_version, AbiVersion::V0_2_1);
  EXPECT_EQ(info->start_functions, std::vector<std::string>{"_initialize"});
  EXPECT_EQ(info->allocator, "malloc");
  EXPECT_TRUE(info->hasCallback("proxy_on_request_headers"));
}

TEST(ModuleInfoGuests, ReportsEachBrokenGuestExactly) {
  EXPECT_EQ(inspectGuest("test_no_abi_marker.wasm").message(),
            "Missing or unknown Proxy-Wasm ABI version");
  EXPECT_EQ(inspectGuest("test_bad_export_signature.wasm").message(),
            "Bad function signature for: proxy_on_request_headers");
  EXPECT_EQ(inspectGuest("test_no_allocator.wasm").message(),
            "Wasm module is missing malloc function");
  EXPECT_EQ(inspectGuest("test_bad_main.wasm").message(), "Bad function signature for: main");
}

TEST(ModuleInfoGuests, InspectsVersionsStartFunctionsAndAllocators) {
  auto v020 = inspectGuest("test_abi_0_2_0.wasm");
  ASSERT_TRUE(v020.isOk()) << v020.message();
  EXPECT_EQ(v020->abi_version, AbiVersion::V0_2_0);
  auto v010 = inspectGuest("test_abi_0_1_0.wasm");
  ASSERT_TRUE(v010.isOk()) << v010.message();
  EXPECT_EQ(v010->abi_version, AbiVersion::V0_1_0);
  EXPECT_TRUE(v010->hasCallback("proxy_on_request_headers"));
  auto alloc = inspectGuest("test_proxy_allocator.wasm");
  ASSERT_TRUE(alloc.isOk()) << alloc.message();
  EXPECT_EQ(alloc->allocator, "proxy_on_memory_allocate");
  auto start = inspectGuest("test_start_only.wasm");
  ASSERT_TRUE(start.isOk()) << start.message();
  EXPECT_EQ(start->start_functions, std::vector<std::string>{"_start"});
  auto main = inspectGuest("test_initialize_main.wasm");
  ASSERT_TRUE(main.isOk()) << main.message();
  EXPECT_EQ(main->start_functions, (std::vector<std::string>{"_initialize", "main"}));
}

// ---------------------------------------------------------------- per engine

// Engines under test. Add an engine here and every case below runs on it.
std::vector<std::string> loadingEngines() {
  return {"interp", "aot"};
}

class ModuleLoading : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto engine = makeEngine(GetParam());
    ASSERT_TRUE(engine.isOk()) << engine.message();
    engine_ = std::move(*engine);
  }

  StatusOr<std::shared_ptr<const CompiledModule>> compile(const std::string& name) {
    std::string bytes = readGuest(name);
    if (bytes.empty()) return Status::error("guest module not built: " + name);
    return engine_->compile(bytes);
  }

  StatusOr<std::unique_ptr<Vm>> instantiate(const std::string& name) {
    auto module = compile(name);
    if (!module) return module.status();
    return engine_->instantiate(*module, ImportTable{}, nullptr);
  }

  std::unique_ptr<Engine> engine_;
};

TEST_P(ModuleLoading, TrapInTheStartSectionFailsInstantiation) {
  EXPECT_EQ(instantiate("test_start_trap.wasm").message(),
            "Failed to instantiate Wasm module: unreachable");
}

TEST_P(ModuleLoading, DataSegmentOutOfBoundsFailsInstantiation) {
  EXPECT_EQ(instantiate("test_data_out_of_bounds.wasm").message(),
            "Failed to instantiate Wasm module: out of bounds memory access");
}

TEST_P(ModuleLoading, InitialMemoryAboveTheCapIsRefused) {
  EXPECT_EQ(compile("test_oversized_memory.wasm").message(),
            "Failed to load Wasm module: memory of 16385 pages is larger than the limit of "
            "16384");
}

TEST_P(ModuleLoading, ExportsWithV128ValuesAreLeftOut) {
  if (GetParam() == "aot") {  // wasm2c 1.0.32 has no SIMD: refused clearly ("auto" falls back)
    EXPECT_NE(compile("test_simd_export.wasm").message().find("wasm2c cannot compile it"),
              std::string::npos);
    return;
  }
  auto module = compile("test_simd_export.wasm");
  ASSERT_TRUE(module.isOk()) << module.message();
  EXPECT_EQ((*module)->findExport("takes_v128"), nullptr);
  ASSERT_NE((*module)->findExport("lane_sum"), nullptr);
  auto vm = engine_->instantiate(*module, ImportTable{}, nullptr);
  ASSERT_TRUE(vm.isOk()) << vm.message();
  EXPECT_EQ((*vm)->findFunction("takes_v128"), kNoExport);
  uint64_t result[1] = {0};
  ASSERT_TRUE((*vm)->call((*vm)->findFunction("lane_sum"), {}, result).isOk());
  EXPECT_EQ(result[0], 44u);
}

TEST_P(ModuleLoading, TailCallsRun) {
  if (GetParam() == "aot") {  // wasm2c 1.0.32 has no tail calls: refused clearly
    EXPECT_NE(compile("test_tail_call.wasm").message().find("wasm2c cannot compile it"),
              std::string::npos);
    return;
  }
  auto vm = instantiate("test_tail_call.wasm");
  ASSERT_TRUE(vm.isOk()) << vm.message();
  uint64_t args[1] = {100000};  // far deeper than the call stack: only tail calls get there
  uint64_t result[1] = {0};
  ASSERT_TRUE((*vm)->call((*vm)->findFunction("count_down"), args, result).isOk());
  EXPECT_EQ(result[0], 42u);
}

TEST_P(ModuleLoading, MissingImportIsReportedBeforeAnythingRuns) {
  // test_start_section.wasm imports test.count, which this empty table lacks: the start
  // section must not run (it would call the missing function).
  EXPECT_EQ(instantiate("test_start_section.wasm").message(),
            "Failed to load Wasm module due to a missing import: test.count");
}

INSTANTIATE_TEST_SUITE_P(Engines, ModuleLoading, ::testing::ValuesIn(loadingEngines()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace meshwasm::host
