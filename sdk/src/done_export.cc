// The export of proxy_on_done (a root context that finishes later answers false).
// An object file of its own: a module links it only when something refers to
// detail::linkDoneExport, which the registration macros do when a registered context class
// overrides onDone (registration.h). A module without this export gets no such calls: hosts
// skip callbacks a module does not export and take the context as done, which is what the
// default answers.
#include "dispatcher.h"
#include "exports.h"

namespace meshwasm::sdk::detail {
void linkDoneExport() {}
}  // namespace meshwasm::sdk::detail

using meshwasm::sdk::Dispatcher;

extern "C" {

uint32_t proxy_on_done(uint32_t context_id) {
  auto* context = Dispatcher::find(context_id);
  return (context == nullptr || context->inherits(meshwasm::sdk::inherits::kOnDone) ||
          context->onDone())
             ? 1
             : 0;
}

}  // extern "C"
