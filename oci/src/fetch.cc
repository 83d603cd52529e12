#include "meshwasm/oci/fetch.h"

#include <sys/stat.h>

#include <cstdlib>

#include "meshwasm/oci/archive.h"
#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/files.h"

namespace meshwasm::oci {
namespace {

bool isFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 4;
}

std::string modulePath(const std::string& cache, const std::string& digest) {
  return cache + "/modules/" + digest.substr(7) + ".wasm";
}

// Tag references map to a manifest digest; the file name is the sha256 of the reference.
std::string tagPath(const std::string& cache, const Reference& ref) {
  return cache + "/tags/" + sha256Hex(ref.host + "/" + ref.repository + ":" + ref.tag);
}

StatusOr<FetchedPlugin> fromCache(const std::string& cache, const std::string& digest) {
  std::string path = modulePath(cache, digest);
  if (!isFile(path)) return Status::error("not cached");
  auto data = readFile(path, kMaxModuleSize);
  if (!data || !hasWasmMagic(*data)) return Status::error("cached module unreadable");
  return FetchedPlugin{path, digest, sha256Hex(*data), true};
}

}  // namespace

StatusOr<PullPolicy> parsePullPolicy(std::string_view name) {
  if (name == "IfNotPresent") return PullPolicy::IfNotPresent;
  if (name == "Always") return PullPolicy::Always;
  return Status::error("unknown pull policy '" + std::string(name) +
                       "' (expected IfNotPresent or Always)");
}

std::string defaultCacheDir() {
  if (const char* dir = std::getenv("MESHWASM_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/meshwasm/oci";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.cache/meshwasm/oci";
  }
  return "/tmp/meshwasm-oci-cache";
}

StatusOr<FetchedPlugin> fetchPlugin(const FetchOptions& options) {
  std::string_view url = options.url;
  if (url.substr(0, 7) == "http://" || url.substr(0, 8) == "https://" ||
      url.substr(0, 7) == "file://") {
    return Status::error("fetchPlugin handles oci:// references only, got '" + options.url + "'");
  }
  auto ref = parseReference(url);
  if (!ref) return ref.status();
  std::string expected;
  if (!options.expectedSha256.empty()) {
    std::string hex = options.expectedSha256;
    if (hex.substr(0, 7) == "sha256:") hex = hex.substr(7);
    if (!isSha256Hex(hex)) return Status::error("sha256 must be 64 lowercase hex characters");
    expected = "sha256:" + hex;
  }
  if (!expected.empty() && !ref->digest.empty() && expected != ref->digest) {
    return Status::error("sha256 " + expected + " contradicts the reference digest " + ref->digest);
  }
  std::string cache = options.cacheDir.empty() ? defaultCacheDir() : options.cacheDir;
  PullPolicy policy = options.pullPolicy;
  if (policy == PullPolicy::Unspecified) {
    policy = (ref->tag == "latest" && ref->digest.empty() && expected.empty())
                 ? PullPolicy::Always
                 : PullPolicy::IfNotPresent;
  }

  std::string known = !ref->digest.empty() ? ref->digest : expected;
  if (policy == PullPolicy::IfNotPresent) {
    if (known.empty()) {
      auto mapped = readFile(tagPath(cache, *ref), 128);
      if (mapped && isSha256Digest(*mapped)) known = *mapped;
    }
    if (!known.empty()) {
      if (auto hit = fromCache(cache, known)) return hit;
    }
  }

  RegistryClient client(*ref, options.registry);
  auto manifest = client.getManifest();
  if (!manifest) return manifest.status();
  if (!expected.empty() && manifest->digest != expected) {
    return Status::error(ref->toString() + ": manifest digest " + manifest->digest +
                         " does not match the expected sha256 " + expected.substr(7));
  }
  if (Status s = makeDirs(cache + "/modules"); !s) return s;
  if (Status s = makeDirs(cache + "/tags"); !s) return s;
  if (auto hit = fromCache(cache, manifest->digest)) {
    if (ref->digest.empty()) (void)writeFileAtomic(tagPath(cache, *ref), hit->manifestDigest);
    return hit;
  }
  auto module = extractWasm(manifest->body, manifest->mediaType,
                            [&](const std::string& digest, const std::string&, std::uint64_t size) {
                              return client.getBlob(digest, size);
                            });
  if (!module) return Status::error(ref->toString() + ": " + module.message());
  FetchedPlugin out;
  out.path = modulePath(cache, manifest->digest);
  out.manifestDigest = manifest->digest;
  out.moduleSha256 = sha256Hex(module->wasm);
  if (Status s = writeFileAtomic(out.path, module->wasm); !s) return s;
  if (ref->digest.empty()) {
    if (Status s = writeFileAtomic(tagPath(cache, *ref), manifest->digest); !s) return s;
  }
  return out;
}

}  // namespace meshwasm::oci
