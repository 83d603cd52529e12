// Layer bytes from a registry are untrusted: gzip and tar readers must never crash, read out
// of bounds, or return more than they were allowed to.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "meshwasm/oci/archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t kCap = 1 << 20;
  auto file = meshwasm::oci::findFileInTar(input, "plugin.wasm", kCap);
  if (file && file->size() > kCap) std::abort();
  auto tar = meshwasm::oci::gzipDecompress(input, kCap);
  if (tar) {
    if (tar->size() > kCap) std::abort();
    auto inner = meshwasm::oci::findFileInTar(*tar, "plugin.wasm", kCap);
    if (inner && inner->size() > tar->size()) std::abort();
  }
  return 0;
}
