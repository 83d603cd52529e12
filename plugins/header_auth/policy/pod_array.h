// PodArray<T>: a growable array of trivially copyable records whose growth code is shared by
// every element type (one out-of-line function for all of them). The policy keeps its parsed
// records in these instead of std::vector so the guest binary does not carry a copy of
// vector's growth code per record type (header_auth.wasm has a 40 KiB budget).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace meshwasm::header_auth {

class PodBuffer {
 public:
  PodBuffer() = default;
  PodBuffer(const PodBuffer&) = delete;
  PodBuffer& operator=(const PodBuffer&) = delete;
  PodBuffer(PodBuffer&& other) noexcept { swap(other); }
  PodBuffer& operator=(PodBuffer&& other) noexcept {
    swap(other);
    return *this;
  }
  ~PodBuffer() { std::free(data_); }

 protected:
  // Room for one more element of `element_size` bytes; returns its address.
  void* appendSlot(uint32_t element_size);
  void swap(PodBuffer& other) noexcept {
    uint8_t* data = data_;
    uint32_t size = size_, capacity = capacity_;
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.data_ = data;
    other.size_ = size;
    other.capacity_ = capacity;
  }

  uint8_t* data_ = nullptr;
  uint32_t size_ = 0;      // elements
  uint32_t capacity_ = 0;  // elements
};

template <typename T>
class PodArray : public PodBuffer {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](uint32_t i) { return data()[i]; }
  const T& operator[](uint32_t i) const { return data()[i]; }
  T& back() { return data()[size_ - 1]; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& push_back(const T& value) {
    void* slot = appendSlot(sizeof(T));
    std::memcpy(slot, &value, sizeof(T));
    return *static_cast<T*>(slot);
  }
  T& emplace_back() { return push_back(T{}); }

 private:
  T* data() { return reinterpret_cast<T*>(data_); }
  const T* data() const { return reinterpret_cast<const T*>(data_); }
};

}  // namespace meshwasm::header_auth
