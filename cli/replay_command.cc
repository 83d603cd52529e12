// meshwasm replay: runs a Proxy-Wasm plugin over a list of requests the way Envoy's HTTP
// filter would, and prints what happened as JSON lines (issue 3, section 2).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "meshwasm/host/engines.h"
#include "meshwasm/host/plugin.h"
#include "meshwasm/host/properties.h"

namespace meshwasm::cli {

namespace {

using Json = nlohmann::ordered_json;
using host::Headers;

constexpr const char* kReplayUsage =
    "usage: meshwasm replay --plugin X.wasm --requests FILE_OR_JSON [options]\n"
    "\n"
    "  --config FILE_OR_STRING      plugin configuration (a readable file's bytes, else the text)\n"
    "  --vm-config FILE_OR_STRING   VM configuration\n"
    "  --plugin-name NAME           plugin_name (default: the file name without .wasm)\n"
    "  --root-id ID                 plugin_root_id (default: empty)\n"
    "  --vm-id ID                   plugin_vm_id (default: empty)\n"
    "  --log-level LEVEL            trace|debug|info|warn|error|critical (default: info)\n"
    "  --fail-open                  a failed VM lets requests through (default: fail closed)\n"
    "  --engine NAME                interp|aot|auto (default: interp)\n"
    "  --iterations N               benchmark: run the list N times after a warm-up\n"
    "\n"
    "Requests: a JSON list of {\"headers\": [[name, value], ...], \"body\"?: str,\n"
    "\"response_headers\"?: [[...]], \"response_body\"?: str, \"properties\"?: {\"a.b\": v}}.\n"
    "Output: JSON lines (a load event, one line per request, metrics).\n";

const char* levelWord(abi::LogLevel level) {
  switch (level) {
    case abi::LogLevel::Trace: return "trace";
    case abi::LogLevel::Debug: return "debug";
    case abi::LogLevel::Info: return "info";
    case abi::LogLevel::Warn: return "warn";
    case abi::LogLevel::Error: return "error";
    case abi::LogLevel::Critical: return "critical";
    default: return "off";
  }
}

std::optional<abi::LogLevel> parseLevel(std::string_view s) {
  for (uint32_t l = 0; l <= abi::kMaxLogLevel; ++l) {
    if (s == levelWord(static_cast<abi::LogLevel>(l))) return static_cast<abi::LogLevel>(l);
  }
  return std::nullopt;
}

std::optional<std::string> readFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

std::string fileOrString(const std::string& arg) {
  if (auto bytes = readFile(arg)) return *bytes;
  return arg;
}

std::string print(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void emit(const Json& j) {
  std::string line = print(j);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
}

Json headersJson(const Headers& h) {
  Json out = Json::array();
  for (const auto& [k, v] : h) out.push_back(Json::array({k, v}));
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Request {
  Headers headers;
  std::optional<std::string> body;
  std::optional<Headers> response_headers;
  std::optional<std::string> response_body;
  std::vector<std::pair<std::string, std::string>> properties;  // dotted name -> encoded
};

bool parseHeaders(const Json& j, bool request, Headers* out, std::string* error) {
  if (!j.is_array()) return *error = "headers must be a list of [name, value]", false;
  for (const auto& pair : j) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      *error = "each header must be [name, value] with two strings";
      return false;
    }
    std::string name = lower(pair[0].get<std::string>());
    if (request && name == "host") name = ":authority";
    out->emplace_back(std::move(name), pair[1].get<std::string>());
  }
  return true;
}

std::optional<std::vector<Request>> parseRequests(const std::string& text, std::string* error) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return *error = "requests: not valid JSON", std::nullopt;
  if (!j.is_array()) return *error = "requests: expected a JSON list", std::nullopt;
  std::vector<Request> out;
  size_t index = 0;
  for (const auto& r : j) {
    std::string where = "requests[" + std::to_string(index++) + "]: ";
    if (!r.is_object()) return *error = where + "expected an object", std::nullopt;
    Request req;
    for (const auto& [key, value] : r.items()) {
      std::string e;
      if (key == "headers") {
        if (!parseHeaders(value, true, &req.headers, &e)) return *error = where + e, std::nullopt;
      } else if (key == "response_headers") {
        req.response_headers.emplace();
        if (!parseHeaders(value, false, &*req.response_headers, &e)) {
          return *error = where + e, std::nullopt;
        }
      } else if (key == "body" || key == "response_body") {
        if (!value.is_string()) return *error = where + key + " must be a string", std::nullopt;
        (key == "body" ? req.body : req.response_body) = value.get<std::string>();
      } else if (key == "properties") {
        if (!value.is_object())
          return *error = where + "properties must be an object", std::nullopt;
        for (const auto& [name, v] : value.items()) {
          std::string encoded;
          if (v.is_string()) {
            encoded = v.get<std::string>();
          } else if (v.is_boolean()) {
            encoded = host::encodeBoolProperty(v.get<bool>());
          } else if (v.is_number_unsigned()) {
            encoded = host::encodeUintProperty(v.get<uint64_t>());
          } else if (v.is_number_integer()) {
            encoded = host::encodeIntProperty(v.get<int64_t>());
          } else if (v.is_number_float()) {
            encoded = host::encodeDoubleProperty(v.get<double>());
          } else {
            return *error = where + "property " + name + " must be a string, number or bool",
                   std::nullopt;
          }
          req.properties.emplace_back(name, std::move(encoded));
        }
      } else {
        return *error = where + "unknown field \"" + key + "\"", std::nullopt;
      }
    }
    out.push_back(std::move(req));
  }
  return out;
}

class ReplayEmbedder : public host::Embedder {
 public:
  void log(const host::LogRecord& r) override {
    if (record_) logs_.emplace_back(levelWord(r.level), std::string(r.message));
  }
  bool post(std::function<void()> task) override {
    tasks_.push_back(std::move(task));
    return true;
  }
  abi::WasmResult httpCall(host::PluginVm&, const host::HttpCallRequest&) override {
    return abi::WasmResult::BadArgument;  // replay has no clusters
  }
  void runTasks() {
    for (int guard = 0; guard < 10000 && !tasks_.empty(); ++guard) {
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      task();
    }
  }
  Json takeLogs() {
    Json out = Json::array();
    for (auto& [level, msg] : logs_) out.push_back(Json::array({level, msg}));
    logs_.clear();
    return out;
  }
  void setRecord(bool record) {
    record_ = record;
    logs_.clear();
  }

 private:
  bool record_ = true;
  std::vector<std::pair<std::string, std::string>> logs_;
  std::deque<std::function<void()>> tasks_;
};

class ReplayStream : public host::StreamCallbacks {
 public:
  explicit ReplayStream(const Request& request) : request_(request) {}
  std::optional<std::string> property(std::string_view path) override {
    for (const auto& [name, value] : request_.properties) {
      if (name == path) return value;
    }
    return std::nullopt;
  }
  void continueRequest() override { continued_request_ = true; }
  void sendLocalReply() override { async_reply_ = true; }
  void resetStream() override { reset_ = true; }
  bool continued_request_ = false;
  bool async_reply_ = false;
  bool reset_ = false;

 private:
  const Request& request_;
};

bool stops(host::FilterAction a) {
  return a != host::FilterAction::Continue;
}

// Runs one request through the plugin; returns its JSON line (when `out` is set).
void runRequest(host::PluginVm& vm, ReplayEmbedder& embedder, const Request& req, Json* out) {
  ReplayStream callbacks(req);
  auto stream = vm.newStream(&callbacks);
  Headers headers = req.headers;
  std::string body = req.body.value_or("");
  Headers trailers;
  Headers response_headers = req.response_headers.value_or(Headers{});
  std::string response_body = req.response_body.value_or("");
  Headers response_trailers;
  const char* action = "continue";
  bool has_response = req.response_headers.has_value() || req.response_body.has_value();

  auto settle = [&](host::FilterAction a) {
    if (a == host::FilterAction::LocalReply) {
      action = "local_reply";
    } else if (a == host::FilterAction::Reset) {
      action = "reset";
    } else if (stops(a)) {
      action = "pause";
    }
    return !stops(a);
  };
  bool go = settle(stream->onRequestHeaders(headers, !req.body.has_value()));
  embedder.runTasks();
  if (go && callbacks.async_reply_) go = settle(host::FilterAction::LocalReply);
  if (go && req.body) {
    go = settle(stream->onRequestBody(body, true, &trailers));
    embedder.runTasks();
  }
  if (go && has_response) {
    go = settle(stream->onResponseHeaders(response_headers, !req.response_body.has_value()));
    embedder.runTasks();
    if (go && req.response_body) {
      go = settle(stream->onResponseBody(response_body, true, &response_trailers));
      embedder.runTasks();
    }
  }
  if (!go && std::string_view(action) == "pause" && callbacks.async_reply_) action = "local_reply";
  stream->onComplete();
  embedder.runTasks();
  if (out == nullptr) return;

  Json line;
  line["action"] = action;
  const host::LocalReply* reply = stream->localReply();
  if (reply != nullptr && std::string_view(action) == "local_reply") {
    Json r;
    r["status"] = reply->status;
    r["body"] = reply->body;
    r["headers"] = headersJson(reply->headers);
    r["grpc_status"] = reply->grpc_status;
    r["details"] = reply->details;
    line["local_reply"] = r;
  } else {
    line["local_reply"] = nullptr;
  }
  line["request_headers_after"] = headersJson(headers);
  if (has_response) line["response_headers_after"] = headersJson(response_headers);
  if (req.body) line["request_body_after"] = body;
  if (req.response_body) line["response_body_after"] = response_body;
  if (std::string_view(action) == "reset")
    line["details"] = std::string(stream->responseCodeDetails());
  line["logs"] = embedder.takeLogs();
  if (stream->vmFailed()) line["vm_failed"] = true;
  *out = std::move(line);
}

int64_t threadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

int64_t median(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

const char* metricTypeWord(abi::MetricType t) {
  switch (t) {
    case abi::MetricType::Counter: return "counter";
    case abi::MetricType::Gauge: return "gauge";
    case abi::MetricType::Histogram: return "histogram";
  }
  return "?";
}

}  // namespace

int replayCommand(int argc, char** argv) {
  host::PluginConfig config;
  std::string plugin_path, requests_arg, engine_name = "interp";
  std::optional<std::string> plugin_name;
  long iterations = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "meshwasm replay: %s needs a value\n", argv[i]);
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kReplayUsage, stdout);
      return 0;
    } else if (arg == "--fail-open") {
      config.fail_strategy = host::FailStrategy::FailOpen;
    } else if (arg == "--plugin") {
      if (!value(&plugin_path)) return 2;
    } else if (arg == "--config") {
      if (!value(&v)) return 2;
      config.configuration = fileOrString(v);
    } else if (arg == "--vm-config") {
      if (!value(&v)) return 2;
      config.vm_configuration = fileOrString(v);
    } else if (arg == "--plugin-name") {
      if (!value(&v)) return 2;
      plugin_name = v;
    } else if (arg == "--root-id") {
      if (!value(&config.root_id)) return 2;
    } else if (arg == "--vm-id") {
      if (!value(&config.vm_id)) return 2;
    } else if (arg == "--log-level") {
      if (!value(&v)) return 2;
      auto level = parseLevel(v);
      if (!level) {
        std::fprintf(stderr, "meshwasm replay: unknown log level '%s'\n", v.c_str());
        return 2;
      }
      config.log_level = *level;
    } else if (arg == "--engine") {
      if (!value(&engine_name)) return 2;
    } else if (arg == "--requests") {
      if (!value(&requests_arg)) return 2;
    } else if (arg == "--iterations") {
      if (!value(&v)) return 2;
      char* end = nullptr;
      iterations = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || iterations <= 0 || iterations > 100000000) {
        std::fprintf(stderr, "meshwasm replay: --iterations needs a positive number\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "meshwasm replay: unknown option '%s'\n\n%s", argv[i], kReplayUsage);
      return 2;
    }
  }
  if (plugin_path.empty() || requests_arg.empty()) {
    std::fputs(kReplayUsage, stderr);
    return 2;
  }
  std::string error;
  auto requests = parseRequests(fileOrString(requests_arg), &error);
  if (!requests) {
    std::fprintf(stderr, "meshwasm replay: %s\n", error.c_str());
    return 2;
  }
  if (plugin_name) {
    config.name = *plugin_name;
  } else {
    std::string base = plugin_path.substr(plugin_path.find_last_of('/') + 1);
    if (base.size() > 5 && base.ends_with(".wasm")) base.resize(base.size() - 5);
    config.name = base;
  }

  ReplayEmbedder embedder;
  auto shared = std::make_shared<host::SharedState>();
  Json load;
  load["event"] = "load";
  load["ok"] = false;
  load["engine"] = engine_name;
  load["abi_version"] = nullptr;
  auto fail_load = [&](const std::string& message) {
    load["errors"] = Json::array({message});
    load["logs"] = embedder.takeLogs();
    emit(load);
    return 1;
  };
  auto bytes = readFile(plugin_path);
  if (!bytes) return fail_load("Cannot read plugin file: " + plugin_path);
  auto engine = host::makeEngine(engine_name);
  if (!engine) return fail_load(engine.message());
  load["engine"] = std::string((*engine)->name());
  auto plugin = host::Plugin::load(std::move(*engine), *bytes, config);
  if (!plugin) return fail_load(plugin.message());
  load["abi_version"] = std::string(host::toString((*plugin)->abiVersion()));
  auto vm = host::PluginVm::create(*plugin, shared, &embedder);
  if (!vm) return fail_load(vm.message());
  embedder.runTasks();
  load["ok"] = true;
  load["errors"] = Json::array();
  load["logs"] = embedder.takeLogs();
  emit(load);

  if (iterations > 0) {
    embedder.setRecord(false);
    for (const auto& req : *requests) runRequest(**vm, embedder, req, nullptr);  // warm-up
    std::vector<int64_t> wall, cpu;
    wall.reserve(static_cast<size_t>(iterations) * requests->size());
    cpu.reserve(wall.capacity());
    for (long it = 0; it < iterations; ++it) {
      for (const auto& req : *requests) {
        auto t0 = std::chrono::steady_clock::now();
        int64_t c0 = threadCpuNs();
        runRequest(**vm, embedder, req, nullptr);
        int64_t c1 = threadCpuNs();
        auto t1 = std::chrono::steady_clock::now();
        wall.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
        cpu.push_back(c1 - c0);
      }
    }
    Json bench;
    bench["event"] = "bench";
    bench["engine"] = std::string((*plugin)->engineName());
    bench["requests"] = requests->size();
    bench["iterations"] = iterations;
    bench["ns_per_request_median"] = median(wall);
    bench["cpu_ns_per_request_median"] = median(cpu);
    bench["vm_failed"] = (*vm)->failed();
    emit(bench);
  } else {
    for (const auto& req : *requests) {
      Json line;
      runRequest(**vm, embedder, req, &line);
      emit(line);
    }
  }
  (*vm)->shutdown();
  embedder.runTasks();
  auto metrics = shared->metrics();
  if (!metrics.empty()) {
    Json m;
    m["event"] = "metrics";
    Json list = Json::array();
    for (const auto& s : metrics) {
      Json e;
      e["name"] = s.name;
      e["type"] = metricTypeWord(s.type);
      if (s.type == abi::MetricType::Histogram) {
        e["count"] = s.sample_count;
        e["sum"] = s.sample_sum;
      } else if (s.type == abi::MetricType::Counter) {
        e["value"] = static_cast<uint64_t>(s.value);
      } else {
        e["value"] = s.value;
      }
      list.push_back(std::move(e));
    }
    m["metrics"] = std::move(list);
    emit(m);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace meshwasm::cli
