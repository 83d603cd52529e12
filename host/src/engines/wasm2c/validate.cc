// Full validation of module bytes in process, so that invalid modules are refused in a
// millisecond instead of after starting wasm2c. It uses libwabt's interpreter reader (the
// interpreter engine's, validating as it reads): libwabt 1.0.32's IR reader asserts on some
// corrupted inputs, which would abort the process.
#include <wabt/binary-reader.h>
#include <wabt/error.h>
#include <wabt/feature.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include "validate.h"

#include <string>

namespace meshwasm::host::aot {

bool validateWasm(std::string_view bytes, std::string* error) {
  wabt::Features features;
  features.enable_tail_call();  // accepted here, refused by wasm2c with its own message
  const wabt::ReadBinaryOptions options(features, /*log_stream=*/nullptr,
                                        /*read_debug_names=*/false,
                                        /*stop_on_first_error=*/true,
                                        /*fail_on_custom_section_error=*/false);
  wabt::Errors errors;
  wabt::interp::ModuleDesc desc;
  if (wabt::Succeeded(wabt::interp::ReadBinaryInterp("module.wasm", bytes.data(), bytes.size(),
                                                     options, &errors, &desc))) {
    return true;
  }
  std::string what = "invalid module";
  for (const auto& error : errors) {
    if (error.error_level == wabt::ErrorLevel::Error) {
      what = "invalid module: " + error.message + " (at byte " + std::to_string(error.loc.offset) +
             ")";
      break;
    }
  }
  *error = "Failed to load Wasm module: " + what;
  return false;
}

}  // namespace meshwasm::host::aot
