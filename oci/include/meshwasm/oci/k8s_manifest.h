// Rendering the Kubernetes resources that deploy a plugin image on Istio / ASM: WasmPlugin
// and TrafficExtension (extensions.istio.io/v1alpha1), as YAML.
#pragma once

#include <map>
#include <string>

#include "meshwasm/abi/status.h"

namespace meshwasm::oci {

enum class ManifestKind { WasmPlugin, TrafficExtension };

struct ManifestOptions {
  ManifestKind kind = ManifestKind::WasmPlugin;
  std::string name = "header-auth";
  std::string namespaceName = "istio-system";
  std::string image;       // REF or oci://REF (also http(s):// and file:// URLs, kept as is)
  std::string configJson;  // the plugin configuration: a JSON object ("" = {})
  std::map<std::string, std::string> selector = {{"istio", "ingressgateway"}};
  std::string phase = "AUTHN";
  std::string failStrategy = "FAIL_CLOSE";
  std::string pullPolicy;       // "", IfNotPresent or Always
  std::string sha256;           // 64 hex of the manifest digest, optional
  std::string pluginName;       // optional (root id)
  std::string imagePullSecret;  // optional: Secret with registry credentials
};

// The resource as YAML (block style; strings double-quoted, keys plain).
StatusOr<std::string> renderManifest(const ManifestOptions& options);

// Converts a JSON document to block-style YAML (used for embedded plugin configuration).
StatusOr<std::string> jsonToYaml(const std::string& json);

}  // namespace meshwasm::oci
