// Module inspection: ABI marker, start functions, allocator, callback signatures.
#include "meshwasm/host/module_info.h"

#include <algorithm>
#include <array>
#include <string>

namespace meshwasm::host {
namespace {

constexpr ValueType I = ValueType::I32;

struct CallbackSpec {
  std::string_view name;
  FunctionType type;
  bool in_0_1_0;  // looked up by the host for ABI 0.1.0
  bool in_0_2_x;  // looked up for 0.2.0 and 0.2.1
};

FunctionType fn(std::vector<ValueType> params, std::vector<ValueType> results) {
  return FunctionType{std::move(params), std::move(results)};
}

// Reference sections 5.0 and 6.1 (exports), 9.8 (Envoy-only), 12 (0.1.0 differences).
const std::vector<CallbackSpec>& callbackSpecs() {
  static const std::vector<CallbackSpec> kSpecs = {
      {"proxy_on_context_create", fn({I, I}, {}), true, true},
      {"proxy_on_vm_start", fn({I, I}, {I}), true, true},
      {"proxy_on_configure", fn({I, I}, {I}), true, true},
      {"proxy_validate_configuration", fn({I, I}, {I}), true, true},
      {"proxy_on_tick", fn({I}, {}), true, true},
      {"proxy_on_queue_ready", fn({I, I}, {}), true, true},
      {"proxy_on_foreign_function", fn({I, I, I}, {}), false, true},
      {"proxy_on_new_connection", fn({I}, {I}), true, true},
      {"proxy_on_downstream_data", fn({I, I, I}, {I}), true, true},
      {"proxy_on_upstream_data", fn({I, I, I}, {I}), true, true},
      {"proxy_on_downstream_connection_close", fn({I, I}, {}), true, true},
      {"proxy_on_upstream_connection_close", fn({I, I}, {}), true, true},
      {"proxy_on_request_headers", fn({I, I, I}, {I}), false, true},
      {"proxy_on_request_headers", fn({I, I}, {I}), true, false},
      {"proxy_on_request_body", fn({I, I, I}, {I}), true, true},
      {"proxy_on_request_trailers", fn({I, I}, {I}), true, true},
      {"proxy_on_request_metadata", fn({I, I}, {I}), true, true},
      {"proxy_on_response_headers", fn({I, I, I}, {I}), false, true},
      {"proxy_on_response_headers", fn({I, I}, {I}), true, false},
      {"proxy_on_response_body", fn({I, I, I}, {I}), true, true},
      {"proxy_on_response_trailers", fn({I, I}, {I}), true, true},
      {"proxy_on_response_metadata", fn({I, I}, {I}), true, true},
      {"proxy_on_http_call_response", fn({I, I, I, I, I}, {}), true, true},
      {"proxy_on_grpc_receive_initial_metadata", fn({I, I, I}, {}), true, true},
      {"proxy_on_grpc_receive", fn({I, I, I}, {}), true, true},
      {"proxy_on_grpc_receive_trailing_metadata", fn({I, I, I}, {}), true, true},
      {"proxy_on_grpc_close", fn({I, I, I}, {}), true, true},
      {"proxy_on_log", fn({I}, {}), true, true},
      {"proxy_on_done", fn({I}, {I}), true, true},
      {"proxy_on_delete", fn({I}, {}), true, true},
      {"envoy_on_resolve_dns", fn({I, I, I}, {}), true, true},
      {"envoy_on_stats_update", fn({I, I}, {}), true, true},
  };
  return kSpecs;
}

bool appliesTo(const CallbackSpec& spec, AbiVersion version) {
  return version == AbiVersion::V0_1_0 ? spec.in_0_1_0 : spec.in_0_2_x;
}

Status badSignature(std::string_view name) {
  return Status::error("Bad function signature for: " + std::string(name));
}

// The function export `name`, or nullptr. An export of another kind does not count.
const ExportDesc* findFunctionExport(const CompiledModule& module, std::string_view name) {
  for (const auto& e : module.exports()) {
    if (e.kind == ExternKind::Function && e.name == name) return &e;
  }
  return nullptr;
}

// True when `name` is absent or has type `want`; false when present with another type.
bool absentOrTyped(const CompiledModule& module, std::string_view name, const FunctionType& want,
                   bool* present) {
  const ExportDesc* e = findFunctionExport(module, name);
  *present = e != nullptr;
  return e == nullptr || e->type == want;
}

}  // namespace

std::string_view toString(AbiVersion version) {
  switch (version) {
    case AbiVersion::V0_1_0: return "0.1.0";
    case AbiVersion::V0_2_0: return "0.2.0";
    case AbiVersion::V0_2_1: return "0.2.1";
  }
  return "unknown";
}

std::optional<AbiVersion> detectAbiVersion(const CompiledModule& module) {
  for (const auto& e : module.exports()) {
    if (e.kind != ExternKind::Function) continue;
    if (e.name == "proxy_abi_version_0_1_0") return AbiVersion::V0_1_0;
    if (e.name == "proxy_abi_version_0_2_0") return AbiVersion::V0_2_0;
    if (e.name == "proxy_abi_version_0_2_1") return AbiVersion::V0_2_1;
  }
  return std::nullopt;
}

const FunctionType* expectedCallbackType(AbiVersion version, std::string_view name) {
  for (const auto& spec : callbackSpecs()) {
    if (spec.name == name && appliesTo(spec, version)) return &spec.type;
  }
  return nullptr;
}

std::vector<std::string_view> knownCallbacks(AbiVersion version) {
  std::vector<std::string_view> names;
  for (const auto& spec : callbackSpecs()) {
    if (appliesTo(spec, version)) names.push_back(spec.name);
  }
  return names;
}

bool ModuleInfo::hasCallback(std::string_view name) const {
  return std::find(callbacks.begin(), callbacks.end(), name) != callbacks.end();
}

StatusOr<ModuleInfo> inspectModule(const CompiledModule& module) {
  ModuleInfo info;
  auto version = detectAbiVersion(module);
  if (!version) return Status::error("Missing or unknown Proxy-Wasm ABI version");
  info.abi_version = *version;

  bool exports_memory = false;
  for (const auto& e : module.exports()) {
    if (e.kind == ExternKind::Memory) exports_memory = true;
  }
  for (const auto& i : module.imports()) {
    if (i.kind == ExternKind::Memory) info.imports_memory = true;
  }
  if (!exports_memory && !info.imports_memory) {
    return Status::error("Wasm module must export or import one memory");
  }

  // Start functions (reference 1.2).
  const FunctionType void_void = fn({}, {});
  const FunctionType main_type = fn({I, I}, {I});
  const FunctionType main_void_type = fn({}, {I});
  bool has_initialize = false;
  bool has_start = false;
  if (!absentOrTyped(module, "_initialize", void_void, &has_initialize)) {
    return badSignature("_initialize");
  }
  if (!absentOrTyped(module, "_start", void_void, &has_start)) return badSignature("_start");
  if (has_initialize) {
    info.start_functions.emplace_back("_initialize");
    bool has_main = false;
    if (!absentOrTyped(module, "main", main_type, &has_main)) return badSignature("main");
    if (has_main) {
      info.start_functions.emplace_back("main");
    } else {
      bool has_main_void = false;
      if (!absentOrTyped(module, "__main_void", main_void_type, &has_main_void)) {
        return badSignature("__main_void");
      }
      if (has_main_void) info.start_functions.emplace_back("__main_void");
    }
  } else if (has_start) {
    info.start_functions.emplace_back("_start");
  }

  // Allocator (reference 1.3): malloc first.
  const FunctionType alloc_type = fn({I}, {I});
  for (std::string_view name : {"malloc", "proxy_on_memory_allocate"}) {
    bool present = false;
    if (!absentOrTyped(module, name, alloc_type, &present)) return badSignature(name);
    if (present) {
      info.allocator = std::string(name);
      break;
    }
  }

  // Callbacks of the detected version.
  for (const auto& spec : callbackSpecs()) {
    if (!appliesTo(spec, info.abi_version)) continue;
    bool present = false;
    if (!absentOrTyped(module, spec.name, spec.type, &present)) return badSignature(spec.name);
    if (present) info.callbacks.emplace_back(spec.name);
  }

  if (info.allocator.empty()) return Status::error("Wasm module is missing malloc function");
  return info;
}

}  // namespace meshwasm::host
