// The export of the access-log callback, proxy_on_log.
// An object file of its own: a module links it only when something refers to
// detail::linkLogExport, which the registration macros do when a registered context class
// overrides onLog (registration.h). A module without this export gets no such calls: hosts skip
// callbacks a module does not export, and the default does nothing.
#include "dispatcher.h"
#include "exports.h"

namespace meshwasm::sdk::detail {
void linkLogExport() {}
}  // namespace meshwasm::sdk::detail

using meshwasm::sdk::Dispatcher;

extern "C" {

void proxy_on_log(uint32_t context_id) {
  auto* context = Dispatcher::find(context_id);
  if (context != nullptr && !context->inherits(meshwasm::sdk::inherits::kOnLog)) context->onLog();
}

}  // extern "C"
