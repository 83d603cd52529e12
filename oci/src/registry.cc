#include "meshwasm/oci/registry.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <cctype>

#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>

#include "meshwasm/oci/archive.h"
#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/media_types.h"

namespace meshwasm::oci {
namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxManifestBytes = 4u * 1024 * 1024;
constexpr std::uint64_t kMaxSmallBody = 1024 * 1024;

const char* kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

std::string urlEscape(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return std::string(s);
}

// Host[:port] of an http(s) URL, empty when it is not one.
std::string urlHost(std::string_view url) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  url.remove_prefix(scheme + 3);
  std::size_t end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, end);
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  return std::string(authority);
}

std::string printable(std::string_view body, std::size_t max) {
  std::string out;
  for (char c : body.substr(0, max)) {
    out.push_back((c >= 0x20 && c < 0x7f) ? c : ' ');
  }
  if (body.size() > max) out += "...";
  return trim(out);
}

struct Sink {
  std::string* body;
  std::uint64_t max;
  bool overflow = false;
};

size_t writeBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::size_t n = size * count;
  if (sink->body->size() + n > sink->max) {
    sink->overflow = true;
    return 0;
  }
  sink->body->append(data, n);
  return n;
}

size_t writeHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") {
    headers->clear();  // a new response in a redirect chain
  } else if (std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    (*headers)[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return size * count;
}

}  // namespace

struct RegistryClient::Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;
  std::string_view body;
  std::uint64_t maxBody = kMaxSmallBody;
  bool followRedirects = false;
  bool withAuth = true;
};

Credentials credentialsFromEnvironment() {
  Credentials c;
  if (const char* u = std::getenv("MESHWASM_REGISTRY_USERNAME")) c.username = u;
  if (const char* p = std::getenv("MESHWASM_REGISTRY_PASSWORD")) c.password = p;
  return c;
}

std::string HttpResponse::header(const std::string& lowerName) const {
  auto it = headers.find(lowerName);
  return it == headers.end() ? std::string() : it->second;
}

std::string describeRegistryError(const std::string& host, const std::string& method,
                                  const std::string& path, const HttpResponse& response) {
  std::string out = "registry " + host + " answered " + std::to_string(response.status) + " to " +
                    method + " " + path;
  json doc = json::parse(response.body, nullptr, false);
  std::string details;
  if (!doc.is_discarded() && doc.is_object() && doc.contains("errors") &&
      doc["errors"].is_array()) {
    for (const json& e : doc["errors"]) {
      if (!e.is_object()) continue;
      std::string one;
      if (e.contains("code") && e["code"].is_string()) one = e["code"].get<std::string>();
      if (e.contains("message") && e["message"].is_string()) {
        one += (one.empty() ? "" : ": ") + e["message"].get<std::string>();
      }
      if (e.contains("detail") && !e["detail"].is_null()) {
        one += " (" + printable(e["detail"].dump(), 200) + ")";
      }
      if (!one.empty()) details += (details.empty() ? "" : "; ") + one;
    }
  } else if (!response.body.empty()) {
    details = printable(response.body, 200);
  }
  if (details.empty() && response.status == 401) {
    details = "credentials rejected (check --username/--password)";
  }
  if (!details.empty()) out += ": " + details;
  return out;
}

RegistryClient::RegistryClient(Reference ref, RegistryOptions options)
    : ref_(std::move(ref)), options_(std::move(options)) {
  globalInit();
  curl_ = curl_easy_init();
  std::string host = ref_.apiHost();
  bool plain = options_.insecure || isLoopbackHost(host);
  base_ = (plain ? "http://" : "https://") + host;
}

RegistryClient::~RegistryClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::string RegistryClient::url(const std::string& path) const {
  return base_ + path;
}

StatusOr<HttpResponse> RegistryClient::perform(const Request& req) {
  CURL* c = static_cast<CURL*>(curl_);
  if (!c) return Status::error("libcurl could not be initialised");
  bool allowPlain = options_.insecure || isLoopbackHost(ref_.apiHost());
  if (req.url.substr(0, 7) == "http://" && !allowPlain && !isLoopbackHost(urlHost(req.url))) {
    return Status::error("refusing plain http to " + urlHost(req.url) +
                         " (use --insecure to allow it)");
  }
  curl_easy_reset(c);
  HttpResponse resp;
  Sink sink{&resp.body, req.maxBody};
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, allowPlain ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connectTimeoutSeconds);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, options_.timeoutSeconds);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "meshwasm/0.1");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, writeBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, writeHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
  if (req.followRedirects) {
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  }
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.empty() ? "" : req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_slist* list = nullptr;
  for (const std::string& h : req.headers) list = curl_slist_append(list, h.c_str());
  // Credentials go to the registry host only (an upload Location may point elsewhere).
  if (req.withAuth && !authHeader_.empty() && urlHost(req.url) == ref_.apiHost()) {
    list = curl_slist_append(list, authHeader_.c_str());
  }
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (sink.overflow) {
    return Status::error("answer to " + req.method + " " + req.url + " is larger than " +
                         std::to_string(req.maxBody) + " bytes");
  }
  if (rc != CURLE_OK) {
    return Status::error("cannot reach registry " + ref_.host + " (" + req.method + " " + req.url +
                         "): " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

Status RegistryClient::authenticate(const HttpResponse& challengeResponse) {
  std::string header = challengeResponse.header("www-authenticate");
  if (header.empty()) return Status::error("401 without a WWW-Authenticate challenge");
  auto challenge = parseAuthChallenge(header);
  if (!challenge) return challenge.status();
  std::string scheme = lower(challenge->scheme);
  const Credentials& cred = options_.credentials;
  if (scheme == "basic") {
    if (cred.empty()) {
      return Status::error("registry " + ref_.host +
                           " requires Basic authentication: pass --username/--password or set "
                           "MESHWASM_REGISTRY_USERNAME/MESHWASM_REGISTRY_PASSWORD");
    }
    authHeader_ = "Authorization: Basic " + base64(cred.username + ":" + cred.password);
    return Status::ok();
  }
  if (scheme != "bearer") {
    return Status::error("unsupported auth scheme '" + challenge->scheme + "' from registry " +
                         ref_.host);
  }
  if (challenge->realm.empty()) return Status::error("Bearer challenge without a realm");
  std::string tokenUrl = challenge->realm;
  char sep = tokenUrl.find('?') == std::string::npos ? '?' : '&';
  if (!challenge->service.empty()) {
    tokenUrl += sep + std::string("service=") + urlEscape(challenge->service);
    sep = '&';
  }
  if (!challenge->scope.empty())
    tokenUrl += sep + std::string("scope=") + urlEscape(challenge->scope);
  Request req;
  req.url = tokenUrl;
  req.withAuth = false;
  req.followRedirects = true;
  if (!cred.empty()) {
    req.headers.push_back("Authorization: Basic " + base64(cred.username + ":" + cred.password));
  }
  auto resp = perform(req);
  if (!resp) return resp.status();
  if (resp->status != 200) {
    return Status::error("token server " + urlHost(tokenUrl) + " answered " +
                         std::to_string(resp->status) + " for scope '" + challenge->scope + "'" +
                         (resp->body.empty() ? "" : ": " + printable(resp->body, 200)));
  }
  json doc = json::parse(resp->body, nullptr, false);
  std::string token;
  if (!doc.is_discarded() && doc.is_object()) {
    for (const char* key : {"token", "access_token"}) {
      if (doc.contains(key) && doc[key].is_string() && !doc[key].get<std::string>().empty()) {
        token = doc[key].get<std::string>();
        break;
      }
    }
  }
  if (token.empty()) return Status::error("token server " + urlHost(tokenUrl) + " sent no token");
  authHeader_ = "Authorization: Bearer " + token;
  return Status::ok();
}

StatusOr<HttpResponse> RegistryClient::send(const Request& req) {
  auto resp = perform(req);
  if (!resp || resp->status != 401) return resp;
  if (Status s = authenticate(*resp); !s) return s;
  return perform(req);
}

Status RegistryClient::ping() {
  Request req;
  req.url = url("/v2/");
  auto resp = send(req);
  if (!resp) return resp.status();
  if (resp->status != 200)
    return Status::error(describeRegistryError(ref_.host, "GET", "/v2/", *resp));
  return Status::ok();
}

Status RegistryClient::uploadBlob(const Blob& blob) {
  std::string blobPath = "/v2/" + ref_.repository + "/blobs/" + blob.digest;
  Request head;
  head.method = "HEAD";
  head.url = url(blobPath);
  auto exists = send(head);
  if (!exists) return exists.status();
  if (exists->status == 200) return Status::ok();
  if (exists->status != 404) {
    return Status::error(describeRegistryError(ref_.host, "HEAD", blobPath, *exists));
  }
  std::string startPath = "/v2/" + ref_.repository + "/blobs/uploads/";
  Request start;
  start.method = "POST";
  start.url = url(startPath);
  start.headers.push_back("Content-Length: 0");
  auto started = send(start);
  if (!started) return started.status();
  if (started->status != 202) {
    return Status::error(describeRegistryError(ref_.host, "POST", startPath, *started));
  }
  std::string location = started->header("location");
  if (location.empty()) return Status::error("registry " + ref_.host + " sent no upload Location");
  if (location.substr(0, 7) != "http://" && location.substr(0, 8) != "https://") {
    location = base_ + (location.front() == '/' ? "" : "/") + location;
  }
  location += (location.find('?') == std::string::npos ? "?" : "&");
  location += "digest=" + urlEscape(blob.digest);
  Request put;
  put.method = "PUT";
  put.url = location;
  put.body = blob.data;
  put.headers.push_back("Content-Type: application/octet-stream");
  auto done = send(put);
  if (!done) return done.status();
  if (done->status != 201) {
    return Status::error(describeRegistryError(ref_.host, "PUT", startPath + "...", *done));
  }
  std::string stored = done->header("docker-content-digest");
  if (!stored.empty() && stored != blob.digest) {
    return Status::error("registry " + ref_.host + " stored blob " + blob.digest + " as " + stored);
  }
  return Status::ok();
}

StatusOr<std::string> RegistryClient::push(const Image& image) {
  if (!ref_.digest.empty() && ref_.digest != image.manifestDigest) {
    return Status::error("reference asks for " + ref_.digest + " but the image is " +
                         image.manifestDigest);
  }
  for (const Blob& blob : image.blobs) {
    if (Status s = uploadBlob(blob); !s) return s;
  }
  // A digest-only reference stores the manifest untagged.
  const std::string& target = (!ref_.digest.empty() && !ref_.explicitTag) ? ref_.digest : ref_.tag;
  std::string path = "/v2/" + ref_.repository + "/manifests/" + target;
  Request put;
  put.method = "PUT";
  put.url = url(path);
  put.body = image.manifest;
  put.headers.push_back("Content-Type: " + image.manifestMediaType);
  auto resp = send(put);
  if (!resp) return resp.status();
  if (resp->status != 201)
    return Status::error(describeRegistryError(ref_.host, "PUT", path, *resp));
  std::string stored = resp->header("docker-content-digest");
  if (!stored.empty() && stored != image.manifestDigest) {
    return Status::error("registry " + ref_.host + " stored the manifest as " + stored +
                         ", expected " + image.manifestDigest);
  }
  return image.manifestDigest;
}

StatusOr<FetchedManifest> RegistryClient::getManifestAt(const std::string& reference,
                                                        bool allowIndex) {
  std::string path = "/v2/" + ref_.repository + "/manifests/" + reference;
  Request get;
  get.url = url(path);
  get.headers.push_back(kManifestAccept);
  get.maxBody = kMaxManifestBytes;
  auto resp = send(get);
  if (!resp) return resp.status();
  if (resp->status != 200)
    return Status::error(describeRegistryError(ref_.host, "GET", path, *resp));
  FetchedManifest out;
  out.body = std::move(resp->body);
  out.digest = sha256Digest(out.body);
  std::string announced = resp->header("docker-content-digest");
  if (!announced.empty() && announced != out.digest) {
    return Status::error("manifest " + ref_.toString() + ": Docker-Content-Digest " + announced +
                         " does not match the body's sha256 " + out.digest);
  }
  if (isSha256Digest(reference) && reference != out.digest) {
    return Status::error("manifest " + ref_.repository + "@" + reference +
                         " does not match its digest (body is " + out.digest + ")");
  }
  std::string type = resp->header("content-type");
  out.mediaType = trim(type.substr(0, type.find(';')));
  json doc = json::parse(out.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::error("manifest " + ref_.toString() + " is not a JSON object");
  }
  if (doc.contains("mediaType") && doc["mediaType"].is_string()) {
    out.mediaType = doc["mediaType"].get<std::string>();
  }
  if (out.mediaType != kOciIndex && out.mediaType != kDockerManifestList) return out;
  if (!allowIndex) return Status::error("manifest " + reference + " is a nested index");
  if (!doc.contains("manifests") || !doc["manifests"].is_array() || doc["manifests"].empty()) {
    return Status::error("index " + ref_.toString() + " lists no manifests");
  }
  const json* chosen = nullptr;
  int bestRank = 3;
  for (const json& m : doc["manifests"]) {
    if (!m.is_object() || !m.contains("digest") || !m["digest"].is_string()) continue;
    int rank = 2;
    if (m.contains("platform") && m["platform"].is_object()) {
      const json& p = m["platform"];
      std::string os = p.value("os", ""), arch = p.value("architecture", "");
      if (os == "wasip1" && arch == "wasm") rank = 0;
      if (os == "linux" && arch == "amd64") rank = 1;
    }
    if (rank < bestRank) {
      bestRank = rank;
      chosen = &m;
    }
  }
  if (!chosen) return Status::error("index " + ref_.toString() + " has no usable manifest");
  std::string childDigest = (*chosen)["digest"].get<std::string>();
  if (!isSha256Digest(childDigest)) return Status::error("index entry has digest " + childDigest);
  auto child = getManifestAt(childDigest, false);
  if (!child) return child.status();
  child->digest = out.digest;  // Istio compares the top-level digest
  return child;
}

StatusOr<FetchedManifest> RegistryClient::getManifest() {
  return getManifestAt(ref_.manifestReference(), true);
}

StatusOr<std::string> RegistryClient::getBlob(const std::string& digest, std::uint64_t maxSize) {
  if (!isSha256Digest(digest)) return Status::error("unsupported blob digest '" + digest + "'");
  std::string path = "/v2/" + ref_.repository + "/blobs/" + digest;
  Request get;
  get.url = url(path);
  get.followRedirects = true;
  get.maxBody = maxSize;
  auto resp = send(get);
  if (!resp) return resp.status();
  if (resp->status != 200)
    return Status::error(describeRegistryError(ref_.host, "GET", path, *resp));
  std::string actual = sha256Digest(resp->body);
  if (actual != digest) {
    return Status::error("blob " + digest + " from registry " + ref_.host +
                         " does not match its digest (got " + actual + ")");
  }
  return std::move(resp->body);
}

StatusOr<PulledModule> pullModule(const Reference& ref, const RegistryOptions& options) {
  RegistryClient client(ref, options);
  auto manifest = client.getManifest();
  if (!manifest) return manifest.status();
  auto module = extractWasm(manifest->body, manifest->mediaType,
                            [&](const std::string& digest, const std::string&, std::uint64_t size) {
                              return client.getBlob(digest, size);
                            });
  if (!module) return Status::error(ref.toString() + ": " + module.message());
  PulledModule out;
  out.wasm = std::move(module->wasm);
  out.manifestDigest = manifest->digest;
  out.manifestMediaType = manifest->mediaType;
  out.format = module->format;
  return out;
}

}  // namespace meshwasm::oci
