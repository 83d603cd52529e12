// Engine factory.
#include "meshwasm/host/engines.h"

#include <string>

#include "wabt_engine.h"
#include "wasm2c_engine.h"

namespace meshwasm::host {

const std::vector<std::string_view>& engineNames() {
  static const std::vector<std::string_view> kNames = {"interp", "aot", "auto"};
  return kNames;
}

StatusOr<std::unique_ptr<Engine>> makeEngine(std::string_view name) {
  if (name == "interp") return makeWabtEngine();
  if (name == "aot") return makeWasm2cEngine();
  if (name == "auto") return makeAutoEngine(makeWabtEngine());
  std::string known;
  for (auto n : engineNames()) {
    if (!known.empty()) known += ", ";
    known += n;
  }
  return Status::error("Unknown Wasm engine: " + std::string(name) + " (known: " + known + ")");
}

}  // namespace meshwasm::host
