#include "pod_array.h"

namespace meshwasm::header_auth {

void* PodBuffer::appendSlot(uint32_t element_size) {
  if (size_ == capacity_) {
    uint32_t capacity = capacity_ == 0 ? 8 : capacity_ * 2;
    // malloc + copy rather than realloc: the guest links malloc and free anyway.
    auto* grown = static_cast<uint8_t*>(std::malloc(size_t(capacity) * element_size));
    if (grown == nullptr) std::abort();  // out of memory: nothing sensible to continue with
    if (size_ > 0) std::memcpy(grown, data_, size_t(size_) * element_size);
    std::free(data_);
    data_ = grown;
    capacity_ = capacity;
  }
  return data_ + size_t(size_++) * element_size;
}

}  // namespace meshwasm::header_auth
