// Module inspection of real guest modules compiled by each engine.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "meshwasm/host/engines.h"
#include "meshwasm/host/module_info.h"

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

}  // namespace
}  // namespace meshwasm::host
