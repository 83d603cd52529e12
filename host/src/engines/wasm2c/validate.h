// In-process validation (validate.cc). libwabt 1.0.32's headers are not C++20 (GCC 12 rejects
// their template-id destructors), so validate.cc is built as C++17 and this header uses only
// standard types.
#pragma once

#include <string>
#include <string_view>

namespace meshwasm::host::aot {

// False with the interpreter's error text ("Failed to load Wasm module: invalid module: ...")
// when `bytes` is not a valid module.
bool validateWasm(std::string_view bytes, std::string* error);

}  // namespace meshwasm::host::aot
