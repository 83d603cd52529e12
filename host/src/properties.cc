// proxy_get_property: attribute lookup and value encodings (reference 4.2, 4.3, 5.2).
#include "meshwasm/host/properties.h"

#include <cstring>
#include <vector>

#include "host_call_util.h"
#include "http_stream_impl.h"
#include "meshwasm/abi/pairs.h"

namespace meshwasm::host {

namespace {
std::string le64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

const std::string* header(const Headers* h, std::string_view key) {
  if (h == nullptr) return nullptr;
  for (const auto& [k, v] : *h) {
    if (k == key) return &v;
  }
  return nullptr;
}

// Values of repeated headers comma-joined, keys in order of first appearance.
Headers joined(const Headers& h) {
  Headers out;
  for (const auto& [k, v] : h) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == k; });
    if (it == out.end()) {
      out.emplace_back(k, v);
    } else {
      it->second += ',';
      it->second += v;
    }
  }
  return out;
}

WasmResult mapProperty(const Headers* h, const std::vector<std::string_view>& seg,
                       std::string* value) {
  if (h == nullptr) return WasmResult::NotFound;
  Headers j = joined(*h);
  if (seg.size() == 2) {
    *value = encodeMapProperty(j);
    return WasmResult::Ok;
  }
  if (seg.size() != 3) return WasmResult::NotFound;
  for (const auto& [k, v] : j) {
    if (k == seg[2]) {
      *value = v;
      return WasmResult::Ok;
    }
  }
  return WasmResult::NotFound;
}

WasmResult requestProperty(const StreamState& s, const std::vector<std::string_view>& seg,
                           std::string* value) {
  const Headers* h = s.request_headers;
  std::string_view name = seg[1];
  if (name == "headers") return mapProperty(h, seg, value);
  if (seg.size() != 2) return WasmResult::NotFound;
  auto from = [&](std::string_view key) {
    const std::string* v = header(h, key);
    if (v == nullptr) return WasmResult::Unimplemented;  // the embedder may know it
    *value = *v;
    return WasmResult::Ok;
  };
  if (name == "path") return from(":path");
  if (name == "host") return from(":authority");
  if (name == "scheme") return from(":scheme");
  if (name == "method") return from(":method");
  if (name == "referer") return from("referer");
  if (name == "useragent") return from("user-agent");
  if (name == "id") return from("x-request-id");
  if (name == "url_path" || name == "query") {
    const std::string* path = header(h, ":path");
    if (path == nullptr) return WasmResult::NotFound;
    size_t q = path->find('?');
    if (name == "url_path") {
      *value = path->substr(0, q);
    } else {
      *value = q == std::string::npos ? std::string() : path->substr(q + 1);
    }
    return WasmResult::Ok;
  }
  return WasmResult::Unimplemented;  // ask the embedder (protocol, time, size, ...)
}

WasmResult responseProperty(const StreamState& s, const std::vector<std::string_view>& seg,
                            std::string* value) {
  std::string_view name = seg[1];
  if (name == "headers") return mapProperty(s.response_headers, seg, value);
  if (name == "trailers") return mapProperty(s.response_trailers, seg, value);
  if (seg.size() != 2) return WasmResult::NotFound;
  if (name == "code") {
    const std::string* status = header(s.response_headers, ":status");
    if (status == nullptr) return WasmResult::Unimplemented;
    int64_t code = 0;
    for (char c : *status) {
      if (c < '0' || c > '9') return WasmResult::NotFound;
      code = code * 10 + (c - '0');
      if (code > 100000) return WasmResult::NotFound;
    }
    *value = encodeIntProperty(code);
    return WasmResult::Ok;
  }
  if (name == "code_details" && s.owner != nullptr && !s.owner->responseCodeDetails().empty()) {
    *value = std::string(s.owner->responseCodeDetails());
    return WasmResult::Ok;
  }
  if (name == "grpc_status") {
    const std::string* g = header(s.response_headers, "grpc-status");
    if (g != nullptr) {
      *value = encodeIntProperty(std::atoll(g->c_str()));
      return WasmResult::Ok;
    }
  }
  return WasmResult::Unimplemented;
}
}  // namespace

std::string encodeIntProperty(int64_t v) {
  return le64(static_cast<uint64_t>(v));
}
std::string encodeUintProperty(uint64_t v) {
  return le64(v);
}
std::string encodeDoubleProperty(double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return le64(bits);
}
std::string encodeBoolProperty(bool v) {
  return std::string(1, v ? '\1' : '\0');
}
std::string encodeTimestampProperty(std::chrono::system_clock::time_point t) {
  return encodeIntProperty(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}
std::string encodeDurationProperty(std::chrono::nanoseconds d) {
  return encodeIntProperty(d.count());
}
std::string encodeMapProperty(const Headers& entries) {
  if (entries.empty()) return {};
  return abi::encodePairs(entries);
}

WasmResult lookupProperty(WasmInstance& w, std::string_view raw_path, std::string* value) {
  std::string_view path = raw_path;
  if (!path.empty() && path.back() == '\0') path.remove_suffix(1);
  if (path.empty()) return WasmResult::NotFound;
  std::vector<std::string_view> seg;
  size_t start = 0;
  while (true) {
    size_t end = path.find('\0', start);
    seg.push_back(path.substr(start, end == std::string_view::npos ? path.npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  const PluginConfig& cfg = w.config();
  if (seg.size() == 1) {
    if (seg[0] == "plugin_name") return *value = cfg.name, WasmResult::Ok;
    if (seg[0] == "plugin_root_id") return *value = cfg.root_id, WasmResult::Ok;
    if (seg[0] == "plugin_vm_id") return *value = cfg.vm_id, WasmResult::Ok;
  }
  Context* ctx = w.current();
  StreamState* s = ctx ? ctx->stream : nullptr;
  if (seg[0] == "request" || seg[0] == "response") {
    if (s == nullptr || seg.size() < 2) return WasmResult::NotFound;
    WasmResult r = seg[0] == "request" ? (s->request_headers ? requestProperty(*s, seg, value)
                                                             : WasmResult::NotFound)
                                       : responseProperty(*s, seg, value);
    if (r != WasmResult::Unimplemented) return r;
  }
  if (s != nullptr) {
    auto it = s->custom_properties.find(path);
    if (it != s->custom_properties.end()) {
      *value = it->second;
      return WasmResult::Ok;
    }
  }
  std::string dotted;
  for (size_t i = 0; i < seg.size(); ++i) {
    if (i) dotted += '.';
    dotted += seg[i];
  }
  std::vector<std::string> names = {dotted};
  if (dotted == "route_name") names.push_back("xds.route_name");
  if (dotted == "xds.route_name") names.push_back("route_name");
  for (const auto& name : names) {
    if (s != nullptr && s->callbacks != nullptr) {
      if (auto v = s->callbacks->property(name)) return *value = std::move(*v), WasmResult::Ok;
    }
    if (auto v = w.embedder().property(name)) return *value = std::move(*v), WasmResult::Ok;
  }
  return WasmResult::NotFound;
}

}  // namespace meshwasm::host
