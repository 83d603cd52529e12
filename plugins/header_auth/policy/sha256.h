// SHA-256 (FIPS 180-4), small, one-shot and allocation-free.
//
// Written here rather than taken from a library because the policy also runs inside the
// wasm32-wasi guest, and no crypto library is available for that target in this build (Debian
// ships OpenSSL only for the native world); secrets in the configuration ("sha256:<hex>") are
// compared against the digest of the request value inside the guest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace meshwasm::header_auth {

using Sha256Digest = std::array<uint8_t, 32>;

// One-shot digest (the policy hashes whole header values; no streaming interface needed).
Sha256Digest sha256(std::string_view data);

// Compares two digests in time independent of their contents.
bool digestsEqual(const Sha256Digest& a, const Sha256Digest& b);

}  // namespace meshwasm::header_auth
