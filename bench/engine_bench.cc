// Engine costs: compile, instantiate, host -> guest call, guest -> host call.
//
//   $BUILD/bin/engine_bench [--benchmark_filter=interp]
//
// Guest modules come from $MESHWASM_WASM_DIR (default: the build's wasm directory):
// test_basic.wasm and header_auth.wasm (compile/instantiate; every import of header_auth is
// linked to a stub answering 0) and test_bench.wasm (calls).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "meshwasm/host/engines.h"

namespace meshwasm::host {
namespace {

// Engines to measure. Add a name here to measure another engine.
const std::vector<std::string>& benchEngines() {
  static const std::vector<std::string> kEngines = {"interp", "aot"};
  return kEngines;
}

std::string wasmDir() {
  const char* dir = std::getenv("MESHWASM_WASM_DIR");
  return dir != nullptr ? dir : MESHWASM_DEFAULT_WASM_DIR;
}

std::string readModule(const std::string& name) {
  std::ifstream in(wasmDir() + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool noop(HostCallFrame&, const uint64_t*, uint64_t*, std::string*) {
  return true;
}
bool proxyLog(HostCallFrame&, const uint64_t*, uint64_t* results, std::string*) {
  results[0] = 0;
  return true;
}

ImportTable benchImports() {
  ImportTable table;
  table.functions.push_back({"test", "noop", {}, noop});
  table.functions.push_back({"env",
                             "proxy_log",
                             {{ValueType::I32, ValueType::I32, ValueType::I32}, {ValueType::I32}},
                             proxyLog});
  return table;
}

bool zeros(HostCallFrame&, const uint64_t*, uint64_t* results, std::string*) {
  results[0] = 0;
  return true;
}

// A stub for every function import of `module` (results 0), plus the table above.
ImportTable stubImports(const CompiledModule& module) {
  ImportTable table = benchImports();
  for (const auto& import : module.imports()) {
    if (import.kind != ExternKind::Function || table.find(import.module, import.name)) continue;
    table.functions.push_back(
        {import.module, import.name, import.type, import.type.results.empty() ? noop : zeros});
  }
  return table;
}

struct Loaded {
  std::unique_ptr<Engine> engine;
  std::shared_ptr<const CompiledModule> module;
};

bool load(benchmark::State& state, const std::string& engine_name, const std::string& file,
          Loaded* out) {
  auto engine = makeEngine(engine_name);
  if (!engine) {
    state.SkipWithError(engine.message().c_str());
    return false;
  }
  std::string bytes = readModule(file);
  auto module = (*engine)->compile(bytes);
  if (!module) {
    state.SkipWithError((file + ": " + module.message()).c_str());
    return false;
  }
  out->engine = std::move(*engine);
  out->module = std::move(*module);
  return true;
}

void compileModule(benchmark::State& state, const std::string& engine_name,
                   const std::string& file) {
  auto engine = makeEngine(engine_name);
  const std::string bytes = readModule(file);
  if (!engine || bytes.empty()) {
    state.SkipWithError(("engine or " + file + " missing").c_str());
    return;
  }
  for (auto _ : state) {
    auto module = (*engine)->compile(bytes);
    benchmark::DoNotOptimize(module);
  }
  state.counters["module_bytes"] = static_cast<double>(bytes.size());
}

// Instantiation plus _initialize, as the host does before the first callback.
void instantiateModule(benchmark::State& state, const std::string& engine_name,
                       const std::string& file) {
  Loaded loaded;
  if (!load(state, engine_name, file, &loaded)) return;
  const ImportTable imports = stubImports(*loaded.module);
  for (auto _ : state) {
    auto vm = loaded.engine->instantiate(loaded.module, imports, nullptr);
    if (!vm) {
      state.SkipWithError(vm.message().c_str());
      return;
    }
    (void)(*vm)->call((*vm)->findFunction("_initialize"), {}, {});
    benchmark::DoNotOptimize(vm);
  }
}

// Bytes allocated from the heap (malloc) and not yet freed, including mmap-backed blocks.
size_t heapBytesInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// Heap memory per VM after instantiation and _initialize (50 VMs kept alive): what the engine
// allocates for the VM, linear memory included (mallinfo2, independent of heap reuse).
void memoryPerVm(benchmark::State& state, const std::string& engine_name, const std::string& file) {
  Loaded loaded;
  if (!load(state, engine_name, file, &loaded)) return;
  const ImportTable imports = stubImports(*loaded.module);
  constexpr int kVms = 50;
  double per_vm = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<Vm>> vms;
    const size_t before = heapBytesInUse();
    for (int i = 0; i < kVms; ++i) {
      auto vm = loaded.engine->instantiate(loaded.module, imports, nullptr);
      if (!vm) {
        state.SkipWithError(vm.message().c_str());
        return;
      }
      (void)(*vm)->call((*vm)->findFunction("_initialize"), {}, {});
      vms.push_back(std::move(*vm));
    }
    per_vm = static_cast<double>(heapBytesInUse() - before) / kVms;
  }
  state.counters["heap_bytes_per_vm"] = per_vm;
}

void callEmptyExport(benchmark::State& state, const std::string& engine_name) {
  Loaded loaded;
  if (!load(state, engine_name, "test_bench.wasm", &loaded)) return;
  auto vm = loaded.engine->instantiate(loaded.module, benchImports(), nullptr);
  if (!vm) {
    state.SkipWithError(vm.message().c_str());
    return;
  }
  const ExportFunction empty = (*vm)->findFunction("empty");
  for (auto _ : state) {
    Status st = (*vm)->call(empty, {}, {});
    benchmark::DoNotOptimize(st);
  }
}

// One iteration = one guest -> host call of an empty import (1000 per guest call).
void callEmptyImport(benchmark::State& state, const std::string& engine_name) {
  Loaded loaded;
  if (!load(state, engine_name, "test_bench.wasm", &loaded)) return;
  auto vm = loaded.engine->instantiate(loaded.module, benchImports(), nullptr);
  if (!vm) {
    state.SkipWithError(vm.message().c_str());
    return;
  }
  const ExportFunction call_host = (*vm)->findFunction("call_host");
  constexpr uint64_t kCalls = 1000;
  const uint64_t args[1] = {kCalls};
  for (auto _ : state) {
    Status st = (*vm)->call(call_host, args, {});
    benchmark::DoNotOptimize(st);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCalls));
  state.counters["ns_per_host_call"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kCalls),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace
}  // namespace meshwasm::host

int main(int argc, char** argv) {
  using meshwasm::host::benchEngines;
  for (const std::string& engine : benchEngines()) {
    for (std::string module : {"test_basic", "header_auth"}) {
      benchmark::RegisterBenchmark(("compile/" + module + "/" + engine).c_str(),
                                   meshwasm::host::compileModule, engine, module + ".wasm")
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("instantiate/" + module + "/" + engine).c_str(),
                                   meshwasm::host::instantiateModule, engine, module + ".wasm")
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("memory_per_vm/" + module + "/" + engine).c_str(),
                                   meshwasm::host::memoryPerVm, engine, module + ".wasm")
          ->Unit(benchmark::kMillisecond)
          ->Iterations(1);
    }
    benchmark::RegisterBenchmark(("call_empty_export/" + engine).c_str(),
                                 meshwasm::host::callEmptyExport, engine);
    benchmark::RegisterBenchmark(("call_empty_import_x1000/" + engine).c_str(),
                                 meshwasm::host::callEmptyImport, engine)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
