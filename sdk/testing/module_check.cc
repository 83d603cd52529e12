#include "meshwasm/sdk/testing/module_check.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace meshwasm::sdk::testing {
namespace {

// Runs `command` (bounded by timeout(1)); returns its exit status and stdout+stderr.
int run(const std::string& command, std::string* output) {
  FILE* pipe = ::popen(("timeout 60 " + command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> chunk;
  size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) output->append(chunk.data(), n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quote(const std::string& path) {
  std::string out = "'";
  for (char c : path) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

constexpr std::string_view kProxyImports[] = {"proxy_log",
                                              "proxy_get_log_level",
                                              "proxy_get_current_time_nanoseconds",
                                              "proxy_set_tick_period_milliseconds",
                                              "proxy_get_property",
                                              "proxy_set_property",
                                              "proxy_get_header_map_pairs",
                                              "proxy_set_header_map_pairs",
                                              "proxy_get_header_map_value",
                                              "proxy_add_header_map_value",
                                              "proxy_replace_header_map_value",
                                              "proxy_remove_header_map_value",
                                              "proxy_get_header_map_size",
                                              "proxy_get_buffer_bytes",
                                              "proxy_get_buffer_status",
                                              "proxy_set_buffer_bytes",
                                              "proxy_continue_stream",
                                              "proxy_close_stream",
                                              "proxy_send_local_response",
                                              "proxy_get_status",
                                              "proxy_http_call",
                                              "proxy_grpc_call",
                                              "proxy_grpc_stream",
                                              "proxy_grpc_send",
                                              "proxy_grpc_cancel",
                                              "proxy_grpc_close",
                                              "proxy_define_metric",
                                              "proxy_increment_metric",
                                              "proxy_record_metric",
                                              "proxy_get_metric",
                                              "proxy_get_shared_data",
                                              "proxy_set_shared_data",
                                              "proxy_register_shared_queue",
                                              "proxy_resolve_shared_queue",
                                              "proxy_enqueue_shared_queue",
                                              "proxy_dequeue_shared_queue",
                                              "proxy_set_effective_context",
                                              "proxy_done",
                                              "proxy_call_foreign_function"};

// The WASI functions of Envoy's host before Dec 2024 (reference 1.8).
constexpr std::string_view kWasiImports[] = {
    "fd_write",    "fd_read",           "fd_seek",   "fd_close",       "fd_fdstat_get",
    "environ_get", "environ_sizes_get", "args_get",  "args_sizes_get", "clock_time_get",
    "random_get",  "proc_exit",         "path_open", "fd_prestat_get", "fd_prestat_dir_name"};

}  // namespace

bool validateModule(const std::string& path, std::string* error) {
  std::string output;
  const int status = run("wasm-validate " + quote(path), &output);
  if (status != 0 && error != nullptr) *error = output;
  return status == 0;
}

std::optional<ModuleInfo> inspectModule(const std::string& path, std::string* error) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (error != nullptr) *error = "cannot read " + path + ": " + ec.message();
    return std::nullopt;
  }
  std::string output;
  if (run("wasm-objdump -x " + quote(path), &output) != 0) {
    if (error != nullptr) *error = output;
    return std::nullopt;
  }
  ModuleInfo info;
  info.size = size;
  char section = 0;  // 'I' import, 'E' export, 0 other sections
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    const std::string_view line(output.data() + start, end - start);
    start = end + 1;
    // Imports:  " - func[0] sig=6 <env.proxy_log> <- env.proxy_log"
    // Exports:  " - func[12] <_initialize> -> \"_initialize\""
    // Section headers ("Import[11]:", "Export[34]:", "Code[...]:") start in column 0.
    if (!line.empty() && line[0] != ' ' && line.find('[') != std::string_view::npos) {
      section = line.rfind("Import[", 0) == 0 ? 'I' : line.rfind("Export[", 0) == 0 ? 'E' : 0;
    }
    if (line.rfind(" - ", 0) != 0 || section == 0) continue;
    if (section == 'I' && line.find(" <- ") != std::string_view::npos) {
      info.imports.emplace_back(line.substr(line.find(" <- ") + 4));
    } else if (auto arrow = line.find(" -> \"");
               section == 'E' && arrow != std::string_view::npos) {
      std::string_view name = line.substr(arrow + 5);
      if (!name.empty() && name.back() == '"') name.remove_suffix(1);
      info.exports.emplace_back(name);
    }
  }
  return info;
}

bool isAllowedGuestImport(std::string_view import) {
  const size_t dot = import.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view module = import.substr(0, dot);
  const std::string_view name = import.substr(dot + 1);
  if (module == "env") {
    for (std::string_view allowed : kProxyImports) {
      if (name == allowed) return true;
    }
    return false;
  }
  if (module == "wasi_snapshot_preview1" || module == "wasi_unstable") {
    for (std::string_view allowed : kWasiImports) {
      if (name == allowed) return true;
    }
  }
  return false;
}

std::string guestModulePath(std::string_view name) {
  const char* dir = std::getenv("MESHWASM_WASM_DIR");
  return std::string(dir == nullptr ? "" : dir) + "/" + std::string(name) + ".wasm";
}

}  // namespace meshwasm::sdk::testing
