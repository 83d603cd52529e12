// AOT engine costs that engine_bench does not show: a compile from scratch (wasm2c + cc, into
// an empty cache directory), a compile answered by the cache, and resident memory per VM
// (linear memory is mapped outside the malloc heap, so engine_bench's heap counter misses it).
//
//   $BUILD/bin/aot_bench [--benchmark_filter=header_auth]
//
// Modules come from $MESHWASM_WASM_DIR (default: the build's wasm directory).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "wasm2c_engine.h"

namespace meshwasm::host {
namespace {

std::string readModule(const std::string& name) {
  const char* dir = std::getenv("MESHWASM_WASM_DIR");
  std::ifstream in(std::string(dir != nullptr ? dir : MESHWASM_DEFAULT_WASM_DIR) + "/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string freshDir() {
  char tmpl[] = "/tmp/meshwasm-aot-bench-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  return dir != nullptr ? dir : "";
}

void removeDir(const std::string& dir) {
  if (dir.rfind("/tmp/meshwasm-aot-bench-", 0) != 0) return;
  const std::string cmd = "rm -rf '" + dir + "'";
  (void)std::system(cmd.c_str());
}

// wasm2c + cc + load into an empty cache.
void coldCompile(benchmark::State& state, const std::string& file) {
  const std::string bytes = readModule(file);
  if (bytes.empty()) {
    state.SkipWithError((file + " missing").c_str());
    return;
  }
  AotCompileReport last;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = freshDir();
    state.ResumeTiming();
    auto report = compileAot(bytes, AotOptions{dir + "/cache"});
    state.PauseTiming();
    removeDir(dir);
    if (!report) {
      state.SkipWithError(report.message().c_str());
      return;
    }
    last = *report;
    state.ResumeTiming();
  }
  state.counters["module_bytes"] = static_cast<double>(bytes.size());
  state.counters["wasm2c_ms"] = last.wasm2c_seconds * 1000;
  state.counters["cc_ms"] = last.cc_seconds * 1000;
  state.counters["load_ms"] = last.load_seconds * 1000;
}

// Validate + sha256 + dlopen of an object already in the cache.
void cachedCompile(benchmark::State& state, const std::string& file) {
  const std::string bytes = readModule(file);
  const std::string dir = freshDir();
  auto engine = makeWasm2cEngine(AotOptions{dir + "/cache"});
  if (bytes.empty() || !engine->compile(bytes)) {
    state.SkipWithError((file + ": cannot compile").c_str());
    removeDir(dir);
    return;
  }
  for (auto _ : state) {
    auto module = engine->compile(bytes);
    benchmark::DoNotOptimize(module);
  }
  removeDir(dir);
}

bool zeros(HostCallFrame&, const uint64_t*, uint64_t* results, std::string*) {
  results[0] = 0;
  return true;
}

long residentBytes() {
  std::ifstream statm("/proc/self/statm");
  long total = 0;
  long resident = 0;
  statm >> total >> resident;
  return resident * 4096;
}

// Resident memory (RSS, so linear memory mappings count) per AOT VM after _initialize,
// 200 VMs kept alive; every import answers 0.
void residentPerVm(benchmark::State& state, const std::string& file) {
  const std::string bytes = readModule(file);
  const std::string dir = freshDir();
  auto engine = makeWasm2cEngine(AotOptions{dir + "/cache"});
  auto module = engine->compile(bytes);
  if (!module) {
    state.SkipWithError(module.message().c_str());
    removeDir(dir);
    return;
  }
  ImportTable imports;
  for (const auto& import : (*module)->imports()) {
    if (import.kind == ExternKind::Function) {
      imports.functions.push_back({import.module, import.name, import.type, zeros});
    }
  }
  constexpr int kVms = 200;
  double per_vm = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<Vm>> vms;
    const long before = residentBytes();
    for (int i = 0; i < kVms; ++i) {
      auto vm = engine->instantiate(*module, imports, nullptr);
      if (!vm) {
        state.SkipWithError(vm.message().c_str());
        break;
      }
      (void)(*vm)->call((*vm)->findFunction("_initialize"), {}, {});
      vms.push_back(std::move(*vm));
    }
    per_vm = static_cast<double>(residentBytes() - before) / kVms;
  }
  state.counters["rss_bytes_per_vm"] = per_vm;
  removeDir(dir);
}

}  // namespace
}  // namespace meshwasm::host

int main(int argc, char** argv) {
  for (std::string module : {"test_basic", "header_auth"}) {
    benchmark::RegisterBenchmark(("aot_cold_compile/" + module).c_str(),
                                 meshwasm::host::coldCompile, module + ".wasm")
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    benchmark::RegisterBenchmark(("aot_cached_compile/" + module).c_str(),
                                 meshwasm::host::cachedCompile, module + ".wasm")
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("aot_rss_per_vm/" + module).c_str(),
                                 meshwasm::host::residentPerVm, module + ".wasm")
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
