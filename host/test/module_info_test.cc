// Module inspection rules (reference 1.1-1.4, 6, 12) on hand-made export lists.
#include "meshwasm/host/module_info.h"

#include <gtest/gtest.h>

namespace meshwasm::host {
namespace {

constexpr ValueType I = ValueType::I32;

class FakeModule : public CompiledModule {
 public:
  const std::vector<ImportDesc>& imports() const override { return imports_; }
  const std::vector<ExportDesc>& exports() const override { return exports_; }

  FakeModule& fn(std::string name, std::vector<ValueType> params, std::vector<ValueType> results) {
    exports_.push_back({std::move(name), ExternKind::Function,
                        FunctionType{std::move(params), std::move(results)}});
    return *this;
  }
  FakeModule& memory(std::string name = "memory") {
    exports_.push_back({std::move(name), ExternKind::Memory, {}});
    return *this;
  }
  FakeModule& importMemory() {
    imports_.push_back({"env", "memory", ExternKind::Memory, {}});
    return *this;
  }

  std::vector<ImportDesc> imports_;
  std::vector<ExportDesc> exports_;
};

// A well-formed 0.2.1 reactor with malloc.
FakeModule reactor() {
  FakeModule m;
  m.memory().fn("proxy_abi_version_0_2_1", {}, {}).fn("_initialize", {}, {}).fn("malloc", {I}, {I});
  return m;
}

TEST(ModuleInfo, DetectsTheAbiVersionOfAWellFormedReactor) {
  auto info = inspectModule(reactor());
  ASSERT_TRUE(info.isOk()) << info.message();
  EXPECT_EQ(info->abi_version, AbiVersion::V0_2_1);
  EXPECT_EQ(toString(info->abi_version), "0.2.1");
  EXPECT_EQ(info->start_functions, std::vector<std::string>{"_initialize"});
  EXPECT_EQ(info->allocator, "malloc");
  EXPECT_FALSE(info->imports_memory);
  EXPECT_TRUE(info->callbacks.empty());
}

TEST(ModuleInfo, FailsWithoutAbiMarker) {
  FakeModule m;
  m.memory().fn("malloc", {I}, {I}).fn("proxy_abi_version_0_3_0", {}, {});
  auto info = inspectModule(m);
  ASSERT_FALSE(info.isOk());
  EXPECT_EQ(info.message(), "Missing or unknown Proxy-Wasm ABI version");
}

TEST(ModuleInfo, IgnoresAMarkerThatIsNotAFunction) {
  FakeModule m;
  m.memory("proxy_abi_version_0_2_1").fn("malloc", {I}, {I});
  EXPECT_EQ(inspectModule(m).message(), "Missing or unknown Proxy-Wasm ABI version");
}

TEST(ModuleInfo, FirstMarkerInExportOrderWins) {
  FakeModule m;
  m.memory()
      .fn("malloc", {I}, {I})
      .fn("proxy_abi_version_0_2_0", {}, {})
      .fn("proxy_abi_version_0_2_1", {}, {});
  EXPECT_EQ(inspectModule(m)->abi_version, AbiVersion::V0_2_0);
  FakeModule n;
  n.memory()
      .fn("proxy_abi_version_0_1_0", {I}, {I})  // the marker's type is not checked
      .fn("proxy_abi_version_0_2_1", {}, {})
      .fn("malloc", {I}, {I});
  EXPECT_EQ(inspectModule(n)->abi_version, AbiVersion::V0_1_0);
}

TEST(ModuleInfo, StartFunctionsAreInitializeThenMain) {
  auto m = reactor();
  m.fn("main", {I, I}, {I}).fn("__main_void", {}, {I}).fn("_start", {}, {});
  EXPECT_EQ(inspectModule(m)->start_functions, (std::vector<std::string>{"_initialize", "main"}));
}

TEST(ModuleInfo, StartFunctionsUseMainVoidWhenMainIsAbsent) {
  auto m = reactor();
  m.fn("__main_void", {}, {I});
  EXPECT_EQ(inspectModule(m)->start_functions,
            (std::vector<std::string>{"_initialize", "__main_void"}));
}

TEST(ModuleInfo, StartFunctionIsStartWithoutInitialize) {
  FakeModule m;
  m.memory()
      .fn("proxy_abi_version_0_2_1", {}, {})
      .fn("malloc", {I}, {I})
      .fn("_start", {}, {})
      .fn("main", {I}, {});  // main is not looked up without _initialize
  auto info = inspectModule(m);
  ASSERT_TRUE(info.isOk()) << info.message();
  EXPECT_EQ(info->start_functions, std::vector<std::string>{"_start"});
}

TEST(ModuleInfo, NoStartFunctionIsAllowed) {
  FakeModule m;
  m.memory().fn("proxy_abi_version_0_2_1", {}, {}).fn("malloc", {I}, {I});
  auto info = inspectModule(m);
  ASSERT_TRUE(info.isOk()) << info.message();
  EXPECT_TRUE(info->start_functions.empty());
}

TEST(ModuleInfo, WrongMainSignatureFailsTheLoad) {
  auto m = reactor();
  m.fn("main", {}, {I});
  EXPECT_EQ(inspectModule(m).message(), "Bad function signature for: main");
}

TEST(ModuleInfo, WrongStartFunctionSignaturesFailTheLoad) {
  FakeModule a;
  a.memory()
      .fn("proxy_abi_version_0_2_1", {}, {})
      .fn("malloc", {I}, {I})
      .fn("_initialize", {}, {I});
  EXPECT_EQ(inspectModule(a).message(), "Bad function signature for: _initialize");
  FakeModule b;
  b.memory().fn("proxy_abi_version_0_2_1", {}, {}).fn("malloc", {I}, {I}).fn("_start", {I}, {});
  EXPECT_EQ(inspectModule(b).message(), "Bad function signature for: _start");
  auto c = reactor();
  c.fn("__main_void", {}, {});
  EXPECT_EQ(inspectModule(c).message(), "Bad function signature for: __main_void");
}

TEST(ModuleInfo, MallocIsPreferredOverProxyOnMemoryAllocate) {
  FakeModule m;
  m.memory()
      .fn("proxy_abi_version_0_2_1", {}, {})
      .fn("proxy_on_memory_allocate", {I}, {I})
      .fn("malloc", {I}, {I});
  EXPECT_EQ(inspectModule(m)->allocator, "malloc");
}

TEST(ModuleInfo, ProxyOnMemoryAllocateAloneIsTheAllocator) {
  FakeModule m;
  m.memory().fn("proxy_abi_version_0_2_1", {}, {}).fn("proxy_on_memory_allocate", {I}, {I});
  EXPECT_EQ(inspectModule(m)->allocator, "proxy_on_memory_allocate");
}

TEST(ModuleInfo, MissingAllocatorFailsTheLoad) {
  FakeModule m;
  m.memory().fn("proxy_abi_version_0_2_1", {}, {}).fn("free", {I}, {});
  EXPECT_EQ(inspectModule(m).message(), "Wasm module is missing malloc function");
}

TEST(ModuleInfo, MistypedAllocatorFailsTheLoad) {
  FakeModule m;
  m.memory().fn("proxy_abi_version_0_2_1", {}, {}).fn("malloc", {ValueType::I64}, {I});
  EXPECT_EQ(inspectModule(m).message(), "Bad function signature for: malloc");
  FakeModule n;
  n.memory().fn("proxy_abi_version_0_2_1", {}, {}).fn("proxy_on_memory_allocate", {I}, {});
  EXPECT_EQ(inspectModule(n).message(), "Bad function signature for: proxy_on_memory_allocate");
}

TEST(ModuleInfo, MemoryMustBeExportedOrImported) {
  FakeModule m;
  m.fn("proxy_abi_version_0_2_1", {}, {}).fn("malloc", {I}, {I});
  EXPECT_EQ(inspectModule(m).message(), "Wasm module must export or import one memory");
  m.importMemory();
  auto info = inspectModule(m);
  ASSERT_TRUE(info.isOk()) << info.message();
  EXPECT_TRUE(info->imports_memory);
}

TEST(ModuleInfo, ListsPresentCallbacks) {
  auto m = reactor();
  m.fn("proxy_on_request_headers", {I, I, I}, {I})
      .fn("proxy_on_context_create", {I, I}, {})
      .fn("proxy_on_done", {I}, {I})
      .fn("proxy_on_unknown_thing", {I}, {});
  auto info = inspectModule(m);
  ASSERT_TRUE(info.isOk()) << info.message();
  EXPECT_EQ(info->callbacks,
            (std::vector<std::string>{"proxy_on_context_create", "proxy_on_request_headers",
                                      "proxy_on_done"}));
  EXPECT_TRUE(info->hasCallback("proxy_on_done"));
  EXPECT_FALSE(info->hasCallback("proxy_on_log"));
}

TEST(ModuleInfo, TwoParamRequestHeadersFailsA02xModule) {
  auto m = reactor();
  m.fn("proxy_on_request_headers", {I, I}, {I});
  EXPECT_EQ(inspectModule(m).message(), "Bad function signature for: proxy_on_request_headers");
}

TEST(ModuleInfo, TwoParamHeadersAreRightFor010) {
  FakeModule m;
  m.memory()
      .fn("proxy_abi_version_0_1_0", {}, {})
      .fn("malloc", {I}, {I})
      .fn("proxy_on_request_headers", {I, I}, {I})
      .fn("proxy_on_response_headers", {I, I}, {I})
      .fn("proxy_on_foreign_function", {I}, {I});  // not looked up under 0.1.0
  auto info = inspectModule(m);
  ASSERT_TRUE(info.isOk()) << info.message();
  EXPECT_EQ(info->abi_version, AbiVersion::V0_1_0);
  EXPECT_EQ(info->callbacks,
            (std::vector<std::string>{"proxy_on_request_headers", "proxy_on_response_headers"}));
  FakeModule n;
  n.memory()
      .fn("proxy_abi_version_0_1_0", {}, {})
      .fn("malloc", {I}, {I})
      .fn("proxy_on_response_headers", {I, I, I}, {I});
  EXPECT_EQ(inspectModule(n).message(), "Bad function signature for: proxy_on_response_headers");
}

TEST(ModuleInfo, EveryKnownCallbackIsCheckedExactly) {
  for (AbiVersion version : {AbiVersion::V0_1_0, AbiVersion::V0_2_0, AbiVersion::V0_2_1}) {
    for (std::string_view name : knownCallbacks(version)) {
      FakeModule m;
      m.memory().fn(version == AbiVersion::V0_1_0   ? "proxy_abi_version_0_1_0"
                    : version == AbiVersion::V0_2_0 ? "proxy_abi_version_0_2_0"
                                                    : "proxy_abi_version_0_2_1",
                    {}, {});
      m.fn("malloc", {I}, {I});
      const FunctionType* want = expectedCallbackType(version, name);
      ASSERT_NE(want, nullptr) << name;
      FunctionType wrong = *want;
      wrong.params.push_back(ValueType::I64);
      m.fn(std::string(name), wrong.params, wrong.results);
      EXPECT_EQ(inspectModule(m).message(), "Bad function signature for: " + std::string(name))
          << toString(version);
    }
  }
}

TEST(ModuleInfo, CallbackTableMatchesTheReference) {
  EXPECT_EQ(toString(*expectedCallbackType(AbiVersion::V0_2_1, "proxy_on_http_call_response")),
            "(i32, i32, i32, i32, i32) -> ()");
  EXPECT_EQ(toString(*expectedCallbackType(AbiVersion::V0_2_0, "proxy_on_vm_start")),
            "(i32, i32) -> i32");
  EXPECT_EQ(toString(*expectedCallbackType(AbiVersion::V0_1_0, "proxy_on_request_headers")),
            "(i32, i32) -> i32");
  EXPECT_EQ(expectedCallbackType(AbiVersion::V0_1_0, "proxy_on_foreign_function"), nullptr);
  EXPECT_EQ(expectedCallbackType(AbiVersion::V0_2_1, "malloc"), nullptr);
  EXPECT_EQ(knownCallbacks(AbiVersion::V0_2_1).size(), 30u);
  EXPECT_EQ(knownCallbacks(AbiVersion::V0_1_0).size(), 29u);
}

}  // namespace
}  // namespace meshwasm::host
