#include "meshwasm/oci/digest.h"

#include <openssl/evp.h>

namespace meshwasm::oci {

std::string sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest cannot fail for SHA-256 on valid memory; an all-zero digest would be noticed
  // by every comparison downstream.
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) len = 0;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string sha256Digest(std::string_view data) {
  return "sha256:" + sha256Hex(data);
}

bool isSha256Hex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool isSha256Digest(std::string_view digest) {
  return digest.substr(0, 7) == "sha256:" && isSha256Hex(digest.substr(7));
}

}  // namespace meshwasm::oci
