// Wasm plugin images in the three forms Istio's fetcher accepts, OCI image layouts on disk,
// and extraction of plugin.wasm from a manifest in Istio's order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/status.h"

namespace meshwasm::oci {

enum class ImageFormat {
  Docker,  // Docker schema 2; last layer a gzip tar holding plugin.wasm
  Compat,  // OCI manifest, same layer with OCI media types, variant=compat annotation
  Oci,     // Wasm artifact: config + raw module layer (two layers)
};

StatusOr<ImageFormat> parseImageFormat(std::string_view name);  // docker|compat|oci
const char* toString(ImageFormat format);

struct Blob {
  std::string mediaType;
  std::string digest;  // sha256:...
  std::string data;
};

struct Image {
  std::string manifestMediaType;
  std::string manifest;  // the exact bytes that are pushed and digested
  std::string manifestDigest;
  std::vector<Blob> blobs;  // config first, then layers; no duplicates
};

// Builds the image for a module; the same bytes always give the same manifest digest.
// Refuses data that does not start with the "\0asm" magic.
StatusOr<Image> buildImage(std::string_view wasm, ImageFormat format);

// Writes an OCI image layout (oci-layout, index.json, blobs/sha256/...) into `dir`, creating
// it when needed. index.json names the manifest `refName`.
Status writeLayout(const Image& image, const std::string& dir, std::string_view refName = "latest");

// Reads the first manifest of a layout's index.json and the blobs it references, verifying
// every digest and size.
StatusOr<Image> readLayout(const std::string& dir);

// Returns a blob's bytes given its descriptor (digest verified by the caller or by the
// fetcher itself: extractWasm verifies again).
using BlobFetcher = std::function<StatusOr<std::string>(
    const std::string& digest, const std::string& mediaType, std::uint64_t size)>;

struct ExtractedModule {
  std::string wasm;
  ImageFormat format = ImageFormat::Docker;
};

// Finds plugin.wasm in an image manifest the way Istio does: a Docker schema 2 manifest
// must have a gzip tar as its last layer; otherwise an OCI gzip tar as last layer is the
// compat form; otherwise the manifest must be the two-layer Wasm artifact. The module must
// start with "\0asm" and be at most kMaxModuleSize bytes. `mediaType` is the manifest's
// Content-Type when known (empty: taken from the manifest's own mediaType field).
StatusOr<ExtractedModule> extractWasm(std::string_view manifest, std::string_view mediaType,
                                      const BlobFetcher& fetchBlob);

}  // namespace meshwasm::oci
