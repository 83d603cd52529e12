// A client for the registry HTTP API v2 (libcurl): push an image, pull a manifest and blobs,
// pull a plugin module. Anonymous, basic and bearer-token auth; plain http only for loopback
// hosts or when `insecure` is set. Every error says what the registry answered.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meshwasm/abi/status.h"
#include "meshwasm/oci/image.h"
#include "meshwasm/oci/reference.h"

namespace meshwasm::oci {

struct Credentials {
  std::string username;
  std::string password;
  bool empty() const { return username.empty() && password.empty(); }
};

// MESHWASM_REGISTRY_USERNAME / MESHWASM_REGISTRY_PASSWORD, empty when unset.
Credentials credentialsFromEnvironment();

struct RegistryOptions {
  Credentials credentials;
  bool insecure = false;      // allow plain http to a non-loopback host
  long timeoutSeconds = 300;  // whole request
  long connectTimeoutSeconds = 10;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;
  std::string header(const std::string& lowerName) const;
};

struct FetchedManifest {
  std::string mediaType;  // Content-Type of the answer
  std::string body;
  std::string digest;  // sha256 of body, equal to Docker-Content-Digest when sent
};

class RegistryClient {
 public:
  RegistryClient(Reference ref, RegistryOptions options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  const Reference& reference() const { return ref_; }

  // Uploads every blob missing from the repository (HEAD first), then PUTs the manifest
  // under the reference's tag (or digest). Returns the manifest digest the registry stored.
  StatusOr<std::string> push(const Image& image);

  // GET of the reference's manifest with explicit Accept; verifies Docker-Content-Digest and,
  // for a digest reference, the requested digest. An index/list is resolved to the image for
  // wasm/wasip1, else linux/amd64, else its first entry (the returned digest stays the
  // top-level one, as Istio compares it).
  StatusOr<FetchedManifest> getManifest();

  // GET of a blob (redirects followed) of at most `maxSize` bytes; sha256 verified.
  StatusOr<std::string> getBlob(const std::string& digest, std::uint64_t maxSize);

  // GET /v2/: checks the registry answers the API (after auth).
  Status ping();

 private:
  struct Request;
  StatusOr<HttpResponse> perform(const Request& request);
  StatusOr<HttpResponse> send(const Request& request);  // with the auth dance
  Status authenticate(const HttpResponse& challenge);
  std::string url(const std::string& path) const;
  StatusOr<FetchedManifest> getManifestAt(const std::string& reference, bool allowIndex);
  Status uploadBlob(const Blob& blob);

  Reference ref_;
  RegistryOptions options_;
  std::string base_;        // scheme://host
  std::string authHeader_;  // "Authorization: ..." once known
  void* curl_ = nullptr;
};

struct PulledModule {
  std::string wasm;
  std::string manifestDigest;
  std::string manifestMediaType;
  ImageFormat format = ImageFormat::Docker;
};

// Pulls the reference's manifest and the module it holds (Istio's extraction order).
StatusOr<PulledModule> pullModule(const Reference& ref, const RegistryOptions& options);

// "registry 127.0.0.1:5000 answered 404 to GET /v2/a/manifests/v1: MANIFEST_UNKNOWN: ..."
std::string describeRegistryError(const std::string& host, const std::string& method,
                                  const std::string& path, const HttpResponse& response);

}  // namespace meshwasm::oci
