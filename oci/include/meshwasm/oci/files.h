// File helpers: bounded reads, atomic writes (temp file + rename), mkdir -p.
#pragma once

#include <cstddef>
#include <string>

#include "meshwasm/abi/status.h"

namespace meshwasm::oci {

StatusOr<std::string> readFile(const std::string& path, std::size_t maxSize);
// Writes to a temporary file in the same directory, fsyncs, then renames over `path`:
// readers see the old file or the complete new one, never a partial file.
Status writeFileAtomic(const std::string& path, const std::string& data);
// mkdir -p.
Status makeDirs(const std::string& path);

}  // namespace meshwasm::oci
