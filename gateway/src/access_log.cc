#include "access_log.h"

#include <ctime>

namespace meshwasm::gateway {

namespace {

void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out.append(buf);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void field(std::string& out, const char* name, std::string_view value, bool null_if_empty) {
  if (out.size() > 1) out.push_back(',');
  appendJsonString(out, name);
  out.push_back(':');
  if (null_if_empty && value.empty()) {
    out.append("null");
  } else {
    appendJsonString(out, value);
  }
}

void number(std::string& out, const char* name, uint64_t value) {
  if (out.size() > 1) out.push_back(',');
  appendJsonString(out, name);
  out.push_back(':');
  out.append(std::to_string(value));
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

std::string formatAccessLog(const StreamInfo& info, const HeaderMap* request) {
  auto get = [&](std::string_view name) -> std::string {
    if (!request) return "";
    return std::string(request->get(name).value_or(""));
  };
  auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - info.start_steady)
                      .count();
  std::string out = "{";
  field(out, "authority", get(":authority"), true);
  number(out, "bytes_received", info.bytes_received);
  number(out, "bytes_sent", info.bytes_sent);
  field(out, "downstream_local_address", info.downstream_local_address, true);
  field(out, "downstream_remote_address", info.downstream_remote_address, true);
  number(out, "duration", static_cast<uint64_t>(duration));
  field(out, "method", get(":method"), true);
  field(out, "path", get(":path"), true);
  field(out, "protocol", info.protocol, true);
  field(out, "request_id", info.request_id, true);
  field(out, "requested_server_name", "", true);
  number(out, "response_code", static_cast<uint64_t>(info.response_code));
  field(out, "response_code_details", info.response_code_details, true);
  field(out, "response_flags", responseFlagsToString(info.response_flags), false);
  field(out, "route_name", info.route_name, true);
  field(out, "start_time", rfc3339(info.start_time), false);
  field(out, "upstream_cluster", info.upstream_cluster, true);
  field(out, "upstream_host", info.upstream_host, true);
  if (out.size() > 1) out.push_back(',');
  out.append("\"upstream_service_time\":");
  if (info.upstream_service_time) {
    appendJsonString(out, std::to_string(info.upstream_service_time->count()));
  } else {
    out.append("null");
  }
  field(out, "user_agent", get("user-agent"), true);
  field(out, "x_forwarded_for", get("x-forwarded-for"), true);
  out.push_back('}');
  return out;
}

void AccessLog::write(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  buffer_.append(line);
  buffer_.push_back('\n');
  if (buffer_.size() >= 64 * 1024) {
    std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    std::fflush(out_);
    buffer_.clear();
  }
}

void AccessLog::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!buffer_.empty()) {
    std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    buffer_.clear();
  }
  std::fflush(out_);
}

std::string responseFlagsToString(uint32_t flags) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {kUpstreamConnectionFailure, "UF"},      {kUpstreamConnectionTermination, "UC"},
      {kUpstreamRequestTimeout, "UT"},         {kDownstreamConnectionTermination, "DC"},
      {kNoClusterFound, "NC"},                 {kStreamIdleTimeout, "SI"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out.push_back(',');
    out.append(name);
  }
  return out.empty() ? "-" : out;
}

}  // namespace meshwasm::gateway
