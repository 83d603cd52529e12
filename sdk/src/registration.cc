// Registration with factories of classes the SDK does not know: the module then exports every
// callback (a file of its own, so that modules registering through the macros do not refer to
// the optional exports; see registration.h).
#include "meshwasm/sdk/registration.h"

namespace meshwasm::sdk {

RegisterContextFactory::RegisterContextFactory(RootFactory root, HttpFactory http,
                                               std::string_view root_id)
    : RegisterContextFactory(detail::KnownClasses{}, root, http, root_id) {
  detail::linkRequestExports();
  detail::linkResponseExports();
  detail::linkLogExport();
  detail::linkDoneExport();
}

RegisterContextFactory::RegisterContextFactory(RootFactory root, StreamFactory stream,
                                               std::string_view root_id)
    : RegisterContextFactory(detail::KnownClasses{}, root, stream, root_id) {
  detail::linkLogExport();
  detail::linkDoneExport();
}

}  // namespace meshwasm::sdk
