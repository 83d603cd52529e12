// Plugin::Details: what PluginVm needs to instantiate a plugin (internal).
#pragma once

#include <memory>

#include "meshwasm/host/plugin.h"

namespace meshwasm::host {

struct Plugin::Details {
  std::shared_ptr<Engine> engine;
  std::shared_ptr<const CompiledModule> module;
  ModuleInfo info;
};

}  // namespace meshwasm::host
