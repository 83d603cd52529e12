// wasm2c + the system C compiler: module bytes -> a cached shared object with a meshwasm shim.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "meshwasm/abi/status.h"
#include "wasm_binary.h"

namespace meshwasm::host::aot {

struct CompilerOptions {
  // Where compiled objects are kept; empty: defaultCacheDir().
  std::string cache_dir;
  // Set from another thread to stop a running compile (its subprocesses are killed).
  const std::atomic<bool>* cancel = nullptr;
};

struct CompileOutcome {
  std::string object_path;  // <cache_dir>/<key>.so
  std::string key;          // sha256 hex of module + toolchain + generator
  bool cache_hit = false;
  double wasm2c_seconds = 0;  // 0 on a cache hit
  double cc_seconds = 0;
};

// $MESHWASM_AOT_CACHE_DIR, else $XDG_CACHE_HOME/meshwasm/aot, else $HOME/.cache/meshwasm/aot,
// else <tmp>/meshwasm-aot-<uid>.
std::string defaultCacheDir();

// "wasm2c <version> | <cc --version first line> | <flags>", computed once per process.
// Tools: $MESHWASM_AOT_WASM2C (default wasm2c), $MESHWASM_AOT_CC (default cc).
StatusOr<std::string> toolchainId();

// Compiles `shape.stripped` unless the cache already holds it. Concurrent compiles of the same
// module (threads or processes) each build in a private temporary directory and publish with
// an atomic rename; the last one wins, both results are identical.
StatusOr<CompileOutcome> compileToObject(const ModuleShape& shape, const CompilerOptions& options);

// Removes a cached object that failed to load (so the next compile rebuilds it).
void evictObject(const std::string& object_path);

// Checks that a file is a regular file owned by this user and not writable by others (a
// cached object is code this process will run).
Status checkPrivateFile(const std::string& path);

// The C shim for a module (exposed for tests): the aot_abi.h text, then `#include "m.c"`,
// import thunks, export trampolines and the meshwasm_aot_module_v1 descriptor.
StatusOr<std::string> generateShim(const ModuleShape& shape);

}  // namespace meshwasm::host::aot
