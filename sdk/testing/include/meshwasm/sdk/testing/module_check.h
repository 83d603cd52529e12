// Checks of a built guest module (.wasm) with WABT's command-line tools: validation, the
// import and export sections, and whether every import is one a Proxy-Wasm 0.2.1 host
// provides (env.proxy_* of 0.2.1 and the WASI functions every Envoy version provides).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshwasm::sdk::testing {

struct ModuleInfo {
  uint64_t size = 0;
  std::vector<std::string> imports;  // "module.name"
  std::vector<std::string> exports;  // export names
};

// `wasm-validate` passes; on failure `error` gets its output.
bool validateModule(const std::string& path, std::string* error);
// Parses `wasm-objdump -x`; nullopt (and `error`) when the file cannot be read.
std::optional<ModuleInfo> inspectModule(const std::string& path, std::string* error);
// env.proxy_* of ABI 0.2.1, or a WASI function of the set Envoy has always provided.
bool isAllowedGuestImport(std::string_view import);
// Path of a guest module: $MESHWASM_WASM_DIR/<name>.wasm (MESHWASM_WASM_DIR must be set).
std::string guestModulePath(std::string_view name);

}  // namespace meshwasm::sdk::testing
