// Image references and WWW-Authenticate headers come from users and registries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto ref = meshwasm::oci::parseReference(input);
  if (ref) {
    if (ref->repository.empty() || ref->tag.empty() || ref->host.empty()) std::abort();
    if (!ref->digest.empty() && !meshwasm::oci::isSha256Digest(ref->digest)) std::abort();
    // printing and parsing again gives the same reference
    auto again = meshwasm::oci::parseReference(ref->toString());
    if (!again || again->host != ref->host || again->repository != ref->repository ||
        again->digest != ref->digest)
      std::abort();
  }
  (void)meshwasm::oci::parseAuthChallenge(input);
  (void)meshwasm::oci::isLoopbackHost(input);
  return 0;
}
