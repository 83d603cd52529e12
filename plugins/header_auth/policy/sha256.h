// SHA-256 (FIPS 180-4), small and allocation-free.
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

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  Sha256Digest finish();  // the object must not be updated afterwards

 private:
  void compress(const uint8_t* block);
  uint32_t state_[8];
  uint8_t buffer_[64];
  uint64_t length_ = 0;  // bytes hashed so far
  size_t buffered_ = 0;
};

Sha256Digest sha256(std::string_view data);

// Compares two digests in time independent of their contents.
bool digestsEqual(const Sha256Digest& a, const Sha256Digest& b);

}  // namespace meshwasm::header_auth
