// Fetching a plugin from oci://HOST/REPO:TAG[@sha256:...] the way Istio's agent does: a
// cache keyed by manifest digest, an expected sha256 compared with the MANIFEST digest, and
// the IfNotPresent / Always pull policies.
//
//   meshwasm::oci::FetchOptions options;
//   options.url = "oci://127.0.0.1:5000/plugins/header-auth:v1";
//   auto fetched = meshwasm::oci::fetchPlugin(options);
//   if (!fetched) { report(fetched.message()); }
//   else { load(fetched->path); }  // a complete module file starting with "\0asm"
#pragma once

#include <string>

#include "meshwasm/abi/status.h"
#include "meshwasm/oci/registry.h"

namespace meshwasm::oci {

enum class PullPolicy {
  Unspecified,   // IfNotPresent, except a `latest` tag without digest: Always (as Istio)
  IfNotPresent,  // use the cached module when the manifest digest is known locally
  Always,        // always ask the registry for the manifest (blobs only when not cached)
};

StatusOr<PullPolicy> parsePullPolicy(std::string_view name);  // IfNotPresent|Always

struct FetchOptions {
  std::string url;       // oci://HOST/REPO[:TAG][@sha256:HEX] (also accepted without oci://)
  std::string cacheDir;  // empty: $MESHWASM_CACHE_DIR, $XDG_CACHE_HOME/meshwasm/oci, ~/.cache/...
  std::string expectedSha256;  // 64 hex of the manifest digest (WasmPlugin.sha256), optional
  PullPolicy pullPolicy = PullPolicy::Unspecified;
  RegistryOptions registry;  // credentials, --insecure, timeouts
};

struct FetchedPlugin {
  std::string path;            // <cache>/modules/<manifest hex>.wasm
  std::string manifestDigest;  // sha256:...
  std::string moduleSha256;    // hex of the module bytes
  bool fromCache = false;      // true when no registry request was needed for blobs
};

StatusOr<FetchedPlugin> fetchPlugin(const FetchOptions& options);

// The cache directory fetchPlugin uses when FetchOptions::cacheDir is empty.
std::string defaultCacheDir();

}  // namespace meshwasm::oci
