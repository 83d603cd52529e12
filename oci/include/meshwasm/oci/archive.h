// The two archive formats an image layer uses: ustar and gzip. Writers are deterministic
// (fixed mtime, owner, mode; gzip header without name or time stamp); readers treat their
// input as untrusted and never read past it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "meshwasm/abi/status.h"

namespace meshwasm::oci {

// Istio refuses modules above this size; so do we, everywhere.
inline constexpr std::size_t kMaxModuleSize = 256u * 1024 * 1024;

// A ustar archive holding one regular file `name` (mode 0644, uid/gid 0, mtime 0, no
// owner names) followed by the two zero end blocks. `name` must be 1..99 bytes.
StatusOr<std::string> makeSingleFileTar(std::string_view name, std::string_view content);

// The content of the first regular file whose base name is `baseName`. Understands ustar
// prefixes, PAX `path` records and GNU long names; checks every header's checksum.
StatusOr<std::string> findFileInTar(std::string_view tar, std::string_view baseName,
                                    std::size_t maxSize = kMaxModuleSize);

// gzip (RFC 1952) at level 9: header with mtime 0, no file name; same bytes for the same
// input with the same zlib.
StatusOr<std::string> gzipCompress(std::string_view data);

// Decompresses one gzip stream; fails above `maxOutput` bytes or on trailing garbage.
StatusOr<std::string> gzipDecompress(std::string_view data, std::size_t maxOutput);

// True when `data` starts with the Wasm binary magic "\0asm".
bool hasWasmMagic(std::string_view data);

}  // namespace meshwasm::oci
