#include "meshwasm/oci/image.h"

#include <nlohmann/json.hpp>

#include "meshwasm/oci/archive.h"
#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/files.h"
#include "meshwasm/oci/media_types.h"

namespace meshwasm::oci {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxManifestSize = 4u * 1024 * 1024;

json descriptor(const Blob& blob) {
  return json{{"mediaType", blob.mediaType},
              {"digest", blob.digest},
              {"size", static_cast<std::uint64_t>(blob.data.size())}};
}

Blob makeBlob(std::string mediaType, std::string data) {
  Blob blob;
  blob.mediaType = std::move(mediaType);
  blob.digest = sha256Digest(data);
  blob.data = std::move(data);
  return blob;
}

// Image config of the tar forms: a single-layer image for the wasm/wasip1 platform.
std::string tarImageConfig(const std::string& diffId) {
  json config = {{"architecture", "wasm"},
                 {"os", "wasip1"},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array({diffId})}}}};
  return config.dump();
}

const std::string* stringField(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

struct Descriptor {
  std::string mediaType;
  std::string digest;
  std::uint64_t size = 0;
};

StatusOr<Descriptor> parseDescriptor(const json& value, const std::string& what) {
  const std::string* mediaType = stringField(value, "mediaType");
  const std::string* digest = stringField(value, "digest");
  if (!mediaType || !digest) {
    return Status::error(what + ": descriptor without mediaType or digest");
  }
  if (!isSha256Digest(*digest)) {
    return Status::error(what + ": unsupported digest '" + *digest + "'");
  }
  auto size = value.find("size");
  if (size == value.end() || !size->is_number_unsigned()) {
    return Status::error(what + ": descriptor without a valid size");
  }
  return Descriptor{*mediaType, *digest, size->get<std::uint64_t>()};
}

struct ParsedManifest {
  std::string mediaType;
  Descriptor config;
  std::vector<Descriptor> layers;
};

StatusOr<ParsedManifest> parseManifest(std::string_view bytes, std::string_view contentType) {
  json doc = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Status::error("manifest is not a JSON object");
  ParsedManifest out;
  const std::string* own = stringField(doc, "mediaType");
  out.mediaType = own ? *own : std::string(contentType);
  if (out.mediaType.empty()) out.mediaType = kOciManifest;  // OCI manifests may omit it
  if (out.mediaType == kOciIndex || out.mediaType == kDockerManifestList) {
    return Status::error("manifest is an index (" + out.mediaType + "), not an image manifest");
  }
  auto config = doc.find("config");
  if (config == doc.end()) return Status::error("manifest has no config");
  auto parsedConfig = parseDescriptor(*config, "manifest config");
  if (!parsedConfig) return parsedConfig.status();
  out.config = *parsedConfig;
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array()) return Status::error("manifest has no layers");
  for (const json& layer : *layers) {
    auto parsed = parseDescriptor(layer, "manifest layer");
    if (!parsed) return parsed.status();
    out.layers.push_back(*parsed);
  }
  if (out.layers.empty()) return Status::error("manifest has no layers");
  return out;
}

StatusOr<std::string> fetchVerified(const BlobFetcher& fetch, const Descriptor& d) {
  auto data = fetch(d.digest, d.mediaType, d.size);
  if (!data) return data.status();
  if (data->size() != d.size) {
    return Status::error("blob " + d.digest + " has " + std::to_string(data->size()) +
                         " bytes, manifest says " + std::to_string(d.size));
  }
  std::string actual = sha256Digest(*data);
  if (actual != d.digest) {
    return Status::error("blob " + d.digest + " does not match its digest (got " + actual + ")");
  }
  return data;
}

StatusOr<std::string> moduleFromTarLayer(const BlobFetcher& fetch, const Descriptor& layer) {
  if (layer.size > 2 * kMaxModuleSize) {
    return Status::error("layer " + layer.digest + " is larger than " +
                         std::to_string(2 * kMaxModuleSize) + " bytes");
  }
  auto gz = fetchVerified(fetch, layer);
  if (!gz) return gz.status();
  auto tar = gzipDecompress(*gz, kMaxModuleSize + 1024 * 1024);
  if (!tar) return Status::error("layer " + layer.digest + ": " + tar.message());
  auto file = findFileInTar(*tar, kPluginFileName);
  if (!file) return Status::error("layer " + layer.digest + ": " + file.message());
  return file;
}

}  // namespace

StatusOr<ImageFormat> parseImageFormat(std::string_view name) {
  if (name == "docker") return ImageFormat::Docker;
  if (name == "compat") return ImageFormat::Compat;
  if (name == "oci") return ImageFormat::Oci;
  return Status::error("unknown image format '" + std::string(name) +
                       "' (expected docker, compat or oci)");
}

const char* toString(ImageFormat format) {
  switch (format) {
    case ImageFormat::Docker: return "docker";
    case ImageFormat::Compat: return "compat";
    case ImageFormat::Oci: return "oci";
  }
  return "unknown";
}

StatusOr<Image> buildImage(std::string_view wasm, ImageFormat format) {
  if (!hasWasmMagic(wasm)) {
    return Status::error("not a WebAssembly module (missing the \\0asm magic)");
  }
  if (wasm.size() > kMaxModuleSize) {
    return Status::error("module larger than " + std::to_string(kMaxModuleSize) + " bytes");
  }
  Image image;
  json manifest;
  if (format == ImageFormat::Oci) {
    Blob config =
        makeBlob(kWasmConfig,
                 json{{"type", "envoy_proxy"}, {"abiVersions", json::array({"v0.2.1"})}}.dump());
    Blob module = makeBlob(kWasmContentLayer, std::string(wasm));
    // Istio requires exactly two layers: the module and the Wasm config blob.
    Blob configLayer = config;
    manifest = {{"schemaVersion", 2},
                {"mediaType", kOciManifest},
                {"config", descriptor(config)},
                {"layers", json::array({descriptor(module), descriptor(configLayer)})}};
    image.blobs.push_back(std::move(config));
    image.blobs.push_back(std::move(module));
    image.manifestMediaType = kOciManifest;
  } else {
    bool docker = format == ImageFormat::Docker;
    auto tar = makeSingleFileTar(kPluginFileName, wasm);
    if (!tar) return tar.status();
    auto gz = gzipCompress(*tar);
    if (!gz) return gz.status();
    Blob config = makeBlob(docker ? kDockerConfig : kOciConfig, tarImageConfig(sha256Digest(*tar)));
    Blob layer = makeBlob(docker ? kDockerLayerGzip : kOciLayerGzip, std::move(*gz));
    image.manifestMediaType = docker ? kDockerManifest : kOciManifest;
    manifest = {{"schemaVersion", 2},
                {"mediaType", image.manifestMediaType},
                {"config", descriptor(config)},
                {"layers", json::array({descriptor(layer)})}};
    if (!docker) manifest["annotations"] = {{kCompatVariantAnnotation, "compat"}};
    image.blobs.push_back(std::move(config));
    image.blobs.push_back(std::move(layer));
  }
  image.manifest = manifest.dump();
  image.manifestDigest = sha256Digest(image.manifest);
  return image;
}

Status writeLayout(const Image& image, const std::string& dir, std::string_view refName) {
  std::string blobDir = dir + "/blobs/sha256";
  if (Status s = makeDirs(blobDir); !s) return s;
  for (const Blob& blob : image.blobs) {
    if (Status s = writeFileAtomic(blobDir + "/" + blob.digest.substr(7), blob.data); !s) return s;
  }
  if (Status s = writeFileAtomic(blobDir + "/" + image.manifestDigest.substr(7), image.manifest);
      !s)
    return s;
  if (Status s = writeFileAtomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !s)
    return s;
  json index = {{"schemaVersion", 2},
                {"mediaType", kOciIndex},
                {"manifests",
                 json::array({{{"mediaType", image.manifestMediaType},
                               {"digest", image.manifestDigest},
                               {"size", static_cast<std::uint64_t>(image.manifest.size())},
                               {"annotations",
                                {{"org.opencontainers.image.ref.name", std::string(refName)}}}}})}};
  return writeFileAtomic(dir + "/index.json", index.dump());
}

StatusOr<Image> readLayout(const std::string& dir) {
  auto readBlob = [&](const Descriptor& d) -> StatusOr<std::string> {
    if (d.size > 2 * kMaxModuleSize) return Status::error("blob " + d.digest + " is too large");
    auto data = readFile(dir + "/blobs/sha256/" + d.digest.substr(7), 2 * kMaxModuleSize);
    if (!data) return data.status();
    if (data->size() != d.size || sha256Digest(*data) != d.digest) {
      return Status::error("layout blob " + d.digest + " does not match its digest or size");
    }
    return data;
  };
  auto indexBytes = readFile(dir + "/index.json", kMaxManifestSize);
  if (!indexBytes)
    return Status::error(dir + " is not an OCI image layout: " + indexBytes.message());
  json index = json::parse(*indexBytes, nullptr, false);
  if (index.is_discarded() || !index.is_object() || !index.contains("manifests") ||
      !index["manifests"].is_array() || index["manifests"].empty()) {
    return Status::error(dir + "/index.json lists no manifest");
  }
  auto top = parseDescriptor(index["manifests"][0], "index.json");
  if (!top) return top.status();
  Image image;
  image.manifestMediaType = top->mediaType;
  image.manifestDigest = top->digest;
  auto manifestBytes = readBlob(*top);
  if (!manifestBytes) return manifestBytes.status();
  image.manifest = std::move(*manifestBytes);
  auto manifest = parseManifest(image.manifest, image.manifestMediaType);
  if (!manifest) return manifest.status();
  std::vector<Descriptor> all = {manifest->config};
  all.insert(all.end(), manifest->layers.begin(), manifest->layers.end());
  for (const Descriptor& d : all) {
    bool seen = false;
    for (const Blob& b : image.blobs) seen = seen || b.digest == d.digest;
    if (seen) continue;
    auto data = readBlob(d);
    if (!data) return data.status();
    image.blobs.push_back(Blob{d.mediaType, d.digest, std::move(*data)});
  }
  return image;
}

StatusOr<ExtractedModule> extractWasm(std::string_view manifestBytes, std::string_view mediaType,
                                      const BlobFetcher& fetchBlob) {
  auto manifest = parseManifest(manifestBytes, mediaType);
  if (!manifest) return manifest.status();
  ExtractedModule out;
  const Descriptor& last = manifest->layers.back();
  StatusOr<std::string> module = Status::error("no module");
  if (manifest->mediaType == kDockerManifest) {
    // Docker schema 2: no fallback to the other forms.
    if (last.mediaType != kDockerLayerGzip) {
      return Status::error("docker image: last layer has media type '" + last.mediaType +
                           "', expected " + kDockerLayerGzip);
    }
    out.format = ImageFormat::Docker;
    module = moduleFromTarLayer(fetchBlob, last);
  } else if (last.mediaType == kOciLayerGzip) {
    out.format = ImageFormat::Compat;
    module = moduleFromTarLayer(fetchBlob, last);
  } else {
    if (manifest->layers.size() != 2) {
      return Status::error("wasm artifact: number of layers must be 2 but got " +
                           std::to_string(manifest->layers.size()));
    }
    const Descriptor* content = nullptr;
    for (const Descriptor& d : manifest->layers) {
      if (d.mediaType == kWasmContentLayer) {
        content = &d;
        break;
      }
    }
    if (!content) {
      return Status::error(std::string("wasm artifact: no layer of media type ") +
                           kWasmContentLayer);
    }
    if (content->size > kMaxModuleSize) {
      return Status::error("wasm artifact: module layer larger than " +
                           std::to_string(kMaxModuleSize) + " bytes");
    }
    out.format = ImageFormat::Oci;
    module = fetchVerified(fetchBlob, *content);
  }
  if (!module) return module.status();
  if (!hasWasmMagic(*module)) {
    return Status::error("plugin.wasm in the image is not a WebAssembly module (no \\0asm magic)");
  }
  out.wasm = std::move(*module);
  return out;
}

}  // namespace meshwasm::oci
