// Helpers for the AOT engine tests: text modules to binaries, a per-process compile cache, and
// a host function table.
#pragma once

#include <stdlib.h>
#include <wabt/binary-writer.h>
#include <wabt/error.h>
#include <wabt/feature.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

#include <string>
#include <string_view>

#include "meshwasm/host/vm.h"
#include "wasm2c_engine.h"

namespace meshwasm::host::testing {

// WebAssembly text to binary (simd and tail calls allowed, for the refusal tests).
inline std::string wat(std::string_view text) {
  wabt::Errors errors;
  wabt::Features features;
  features.enable_simd();
  features.enable_tail_call();
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wat", text.data(), text.size(), &errors);
  std::unique_ptr<wabt::Module> module;
  wabt::WastParseOptions parse_options(features);
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)) ||
      wabt::Failed(wabt::ResolveNamesModule(module.get(), &errors))) {
    std::string message = "bad test module:";
    for (const auto& e : errors) message += " " + e.message;
    return message;  // not a Wasm binary: compile() will say so
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions options(features, false, false, false);
  wabt::WriteBinaryModule(&stream, module.get(), options);
  const auto& data = stream.output_buffer().data;
  return std::string(data.begin(), data.end());
}

// One private cache directory per test process (removed by the OS temp cleaner, not by us:
// several test executables may share objects).
inline const std::string& testCacheDir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/meshwasm-aot-test-XXXXXX";
    const char* made = mkdtemp(tmpl);
    return std::string(made != nullptr ? made : "/tmp/meshwasm-aot-test-fallback");
  }();
  return dir;
}

inline AotOptions testAotOptions() {
  return AotOptions{testCacheDir()};
}

// Host function helpers: callbacks over raw slots.
inline HostFunction hostFunction(std::string module, std::string name, FunctionType type,
                                 HostCallback callback, void* data = nullptr) {
  return HostFunction{std::move(module), std::move(name), std::move(type), callback, data};
}

inline FunctionType fn(std::vector<ValueType> params, std::vector<ValueType> results) {
  return FunctionType{std::move(params), std::move(results)};
}

}  // namespace meshwasm::host::testing
