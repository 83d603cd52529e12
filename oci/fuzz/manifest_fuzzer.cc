// A manifest and its blobs from a registry are untrusted. Input: manifest JSON, then blobs,
// separated by "\n--blob--\n"; each blob is served under its real sha256, so mutations of a
// seed manifest keep reaching the layer readers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "meshwasm/oci/archive.h"
#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSep = "\n--blob--\n";
  std::size_t end = input.find(kSep);
  std::string_view manifest = input.substr(0, end);
  std::map<std::string, std::string> blobs;
  while (end != std::string_view::npos) {
    std::size_t start = end + kSep.size();
    end = input.find(kSep, start);
    std::string blob(input.substr(start, end == std::string_view::npos ? end : end - start));
    blobs[meshwasm::oci::sha256Digest(blob)] = blob;
  }
  auto fetch = [&](const std::string& digest, const std::string&,
                   std::uint64_t) -> meshwasm::StatusOr<std::string> {
    auto it = blobs.find(digest);
    if (it == blobs.end()) return meshwasm::Status::error("unknown blob");
    return it->second;
  };
  for (std::string_view type : {"", "application/vnd.docker.distribution.manifest.v2+json"}) {
    auto out = meshwasm::oci::extractWasm(manifest, type, fetch);
    if (out && !meshwasm::oci::hasWasmMagic(out->wasm)) std::abort();
  }
  return 0;
}
