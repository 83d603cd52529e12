// The wasm2c ahead-of-time engine ("aot") and the "auto" engine. This header does not include
// wasm2c or wasm-rt headers.
//
// Embedders: an executable that links meshwasm::engine_wasm2c must export the runtime symbols
// the compiled modules call (wasm_rt_*, meshwasm_aot_*). The target's INTERFACE link options
// pass `-Wl,--dynamic-list=<this dir>/exports.list` for that; nothing else is needed.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "meshwasm/abi/status.h"
#include "meshwasm/host/vm.h"

namespace meshwasm::host {

struct AotOptions {
  // Compiled-object cache; empty: $MESHWASM_AOT_CACHE_DIR, $XDG_CACHE_HOME/meshwasm/aot or
  // ~/.cache/meshwasm/aot.
  std::string cache_dir;
};

// Engine name "aot". compile() runs wasm2c and the C compiler unless the cache holds the
// module (seconds for a new module, about a millisecond on a cache hit), then loads the object.
// Modules wasm2c cannot compile (SIMD, tail calls) fail compile() with a clear message.
std::unique_ptr<Engine> makeWasm2cEngine(AotOptions options = {});

struct AotCompileReport {
  std::string object_path;
  std::string key;
  std::string toolchain;
  bool cache_hit = false;
  double parse_seconds = 0;
  double wasm2c_seconds = 0;
  double cc_seconds = 0;
  double load_seconds = 0;  // dlopen + checks
};

// What `meshwasm compile` runs: compile (or find in the cache) and load-check one module.
StatusOr<AotCompileReport> compileAot(std::string_view bytes, const AotOptions& options = {},
                                      const std::atomic<bool>* cancel = nullptr);

// The cache directory compile() uses for `options`.
std::string aotCacheDir(const AotOptions& options = {});

// Engine name "auto": compile() answers from `interpreter` at once and starts an AOT compile
// in a background thread; instantiate() uses AOT for modules whose compile has finished and the
// interpreter otherwise (never waits). A failed AOT compile is reported once through `log`
// (default: stderr) and the module stays on the interpreter.
std::unique_ptr<Engine> makeAutoEngine(std::unique_ptr<Engine> interpreter, AotOptions options = {},
                                       std::function<void(std::string_view)> log = nullptr);

}  // namespace meshwasm::host
