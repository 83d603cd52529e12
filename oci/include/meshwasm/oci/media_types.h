// Media types of the three image forms Istio's fetcher accepts.
#pragma once

namespace meshwasm::oci {

inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

inline constexpr const char* kWasmConfig = "application/vnd.module.wasm.config.v1+json";
inline constexpr const char* kWasmContentLayer =
    "application/vnd.module.wasm.content.layer.v1+wasm";

inline constexpr const char* kCompatVariantAnnotation = "module.wasm.image/variant";

// The file name every form's tar layer holds (ASM requires exactly this name).
inline constexpr const char* kPluginFileName = "plugin.wasm";

}  // namespace meshwasm::oci
