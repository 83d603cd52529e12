// SHA-256 digests in the forms the OCI specs use ("sha256:<64 lowercase hex>").
#pragma once

#include <string>
#include <string_view>

namespace meshwasm::oci {

// 64 lowercase hex characters.
std::string sha256Hex(std::string_view data);
// "sha256:" + sha256Hex(data).
std::string sha256Digest(std::string_view data);
// True for "sha256:" followed by exactly 64 lowercase hex characters.
bool isSha256Digest(std::string_view digest);
// True for exactly 64 lowercase hex characters.
bool isSha256Hex(std::string_view hex);

}  // namespace meshwasm::oci
