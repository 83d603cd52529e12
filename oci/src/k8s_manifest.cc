#include "meshwasm/oci/k8s_manifest.h"

#include <nlohmann/json.hpp>

#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/reference.h"

namespace meshwasm::oci {
namespace {

using Json = nlohmann::ordered_json;

bool plainKey(const std::string& key) {
  if (key.empty()) return false;
  static const char* kReserved[] = {"true", "false", "null", "yes", "no",
                                    "on",   "off",   "y",    "n",   "~"};
  std::string lower;
  for (char c : key)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const char* r : kReserved) {
    if (lower == r) return false;
  }
  if (!std::isalpha(static_cast<unsigned char>(key[0])) && key[0] != '_') return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' &&
        c != '/')
      return false;
  }
  return true;
}

// A JSON string literal is a valid YAML double-quoted scalar.
std::string scalar(const Json& v) {
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string key(const std::string& k) {
  return plainKey(k) ? k : scalar(Json(k));
}

bool isEmptyCollection(const Json& v) {
  return (v.is_object() || v.is_array()) && v.empty();
}

void emit(const Json& v, int indent, std::string* out);

void emitValueAfterKey(const Json& v, int indent, std::string* out) {
  if ((v.is_object() || v.is_array()) && !v.empty()) {
    *out += "\n";
    emit(v, indent + 2, out);
  } else {
    *out +=
        " " + (isEmptyCollection(v) ? std::string(v.is_object() ? "{}" : "[]") : scalar(v)) + "\n";
  }
}

void emit(const Json& v, int indent, std::string* out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      *out += pad + key(it.key()) + ":";
      emitValueAfterKey(it.value(), indent, out);
    }
  } else if (v.is_array()) {
    for (const Json& item : v) {
      if (item.is_object() && !item.empty()) {
        // "- " then the first key on the same line, the rest indented by 2
        std::string nested;
        emit(item, indent + 2, &nested);
        nested.replace(0, static_cast<std::size_t>(indent + 2), pad + "- ");
        *out += nested;
      } else if (item.is_array() && !item.empty()) {
        *out += pad + "-\n";
        emit(item, indent + 2, out);
      } else {
        *out +=
            pad + "- " +
            (isEmptyCollection(item) ? std::string(item.is_object() ? "{}" : "[]") : scalar(item)) +
            "\n";
      }
    }
  } else {
    *out += pad + scalar(v) + "\n";
  }
}

bool oneOf(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (value == a) return true;
  }
  return false;
}

}  // namespace

StatusOr<std::string> jsonToYaml(const std::string& text) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Status::error("configuration is not valid JSON");
  std::string out;
  if (isEmptyCollection(doc) || !(doc.is_object() || doc.is_array())) {
    return (isEmptyCollection(doc) ? std::string(doc.is_object() ? "{}" : "[]") : scalar(doc)) +
           "\n";
  }
  emit(doc, 0, &out);
  return out;
}

StatusOr<std::string> renderManifest(const ManifestOptions& o) {
  if (o.image.empty()) return Status::error("an image reference is required (--image)");
  std::string url = o.image;
  bool isUrl =
      url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0 || url.rfind("file://", 0) == 0;
  if (!isUrl) {
    auto ref = parseReference(url);
    if (!ref) return ref.status();
    url = "oci://" + ref->toString();
  }
  Json config = Json::object();
  if (!o.configJson.empty()) {
    config = Json::parse(o.configJson, nullptr, false);
    if (config.is_discarded()) return Status::error("plugin configuration is not valid JSON");
    if (!config.is_object()) {
      return Status::error(
          "plugin configuration must be a JSON object (pluginConfig is an object)");
    }
  }
  if (o.name.empty() || o.namespaceName.empty()) {
    return Status::error("name and namespace must not be empty");
  }
  bool traffic = o.kind == ManifestKind::TrafficExtension;
  if (!(traffic ? oneOf(o.phase, {"AUTHN", "AUTHZ", "STATS", "UNSPECIFIED"})
                : oneOf(o.phase, {"AUTHN", "AUTHZ", "STATS", "UNSPECIFIED_PHASE"}))) {
    return Status::error("phase must be AUTHN, AUTHZ or STATS, got '" + o.phase + "'");
  }
  if (!oneOf(o.failStrategy, {"FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"})) {
    return Status::error("fail strategy must be FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD, got '" +
                         o.failStrategy + "'");
  }
  if (!o.pullPolicy.empty() && !oneOf(o.pullPolicy, {"IfNotPresent", "Always"})) {
    return Status::error("pull policy must be IfNotPresent or Always, got '" + o.pullPolicy + "'");
  }
  std::string sha = o.sha256.rfind("sha256:", 0) == 0 ? o.sha256.substr(7) : o.sha256;
  if (!sha.empty() && !isSha256Hex(sha)) {
    return Status::error("sha256 must be 64 lowercase hex characters");
  }
  if (o.imagePullSecret.size() > 253) return Status::error("image pull secret name is too long");
  for (const auto& [k, v] : o.selector) {
    if (k.empty() || k.find('*') != std::string::npos || v.find('*') != std::string::npos ||
        v.size() > 63) {
      return Status::error("selector label '" + k + "=" + v + "' is not allowed");
    }
  }

  Json wasm = Json::object();
  wasm["url"] = url;
  if (!sha.empty()) wasm["sha256"] = sha;
  if (!o.pullPolicy.empty()) wasm["imagePullPolicy"] = o.pullPolicy;
  if (!o.imagePullSecret.empty()) wasm["imagePullSecret"] = o.imagePullSecret;
  if (!o.pluginName.empty()) wasm["pluginName"] = o.pluginName;
  wasm["failStrategy"] = o.failStrategy;
  wasm["pluginConfig"] = config;

  Json spec = Json::object();
  if (!o.selector.empty()) {
    Json labels = Json::object();
    for (const auto& [k, v] : o.selector) labels[k] = v;
    spec["selector"] = {{"matchLabels", labels}};
  }
  spec["phase"] = o.phase;
  if (traffic) {
    spec["wasm"] = wasm;
  } else {
    for (auto it = wasm.begin(); it != wasm.end(); ++it) spec[it.key()] = it.value();
  }
  Json doc = Json::object();
  doc["apiVersion"] = "extensions.istio.io/v1alpha1";
  doc["kind"] = traffic ? "TrafficExtension" : "WasmPlugin";
  doc["metadata"] = {{"name", o.name}, {"namespace", o.namespaceName}};
  doc["spec"] = spec;
  std::string out;
  emit(doc, 0, &out);
  return out;
}

}  // namespace meshwasm::oci
