// Internal: the guest allocator's algorithm, separate from where its memory comes from so it
// is unit-tested natively (allocator.cc instantiates it over the wasm linear memory).
//
// Segregated free lists of power-of-two blocks (16 B .. 1 GiB). A freed block goes back to the
// list of its size class and is reused by the next request of that class, so steady traffic
// does not grow memory. Blocks are neither split nor merged: rounding wastes up to half a
// block, and memory that served one size class is not reused for another. Every allocation
// is preceded by an 8-byte header (u32 size class, u32 distance of the header from the block
// start, non-zero only for over-aligned requests), so pointers are 8-aligned.
#pragma once

#include <cstddef>
#include <cstdint>

namespace meshwasm::sdk::detail {

// Grow(bytes) returns `bytes` fresh bytes (bytes is a power of two >= 16; the memory must be
// 16-aligned) or nullptr when no more memory can be had.
template <void* (*Grow)(size_t)>
class BlockAllocator {
 public:
  static constexpr size_t kHeader = 8;
  static constexpr int kClasses = 27;                     // 16 B << 26 = 1 GiB
  static constexpr size_t kMaxRequest = size_t{1} << 29;  // larger requests fail
  static constexpr size_t kMaxAlignment = 4096;

  constexpr BlockAllocator() = default;

  // nullptr when the request is too large, the alignment is not a power of two (or above
  // kMaxAlignment), or Grow fails.
  void* allocate(size_t size, size_t alignment = kHeader) {
    if (size > kMaxRequest || alignment > kMaxAlignment || (alignment & (alignment - 1)) != 0) {
      return nullptr;
    }
    const size_t extra = alignment > kHeader ? alignment : 0;
    const int k = classOf(size + kHeader + extra);
    char* block = static_cast<char*>(free_lists_[k]);
    if (block != nullptr) {
      free_lists_[k] = *reinterpret_cast<void**>(block);
    } else {
      block = static_cast<char*>(Grow(size_t{16} << k));
      if (block == nullptr) return nullptr;
    }
    uintptr_t user = reinterpret_cast<uintptr_t>(block) + kHeader;
    if (extra != 0) user = (user + alignment - 1) & ~(uintptr_t{alignment} - 1);
    auto* header = reinterpret_cast<uint32_t*>(user - kHeader);
    header[0] = static_cast<uint32_t>(k);
    header[1] = static_cast<uint32_t>(user - kHeader - reinterpret_cast<uintptr_t>(block));
    return reinterpret_cast<void*>(user);
  }

  void release(void* memory) {
    if (memory == nullptr) return;
    uint32_t* header = headerOf(memory);
    const uint32_t k = header[0];
    char* block = reinterpret_cast<char*>(header) - header[1];
    *reinterpret_cast<void**>(block) = free_lists_[k];
    free_lists_[k] = block;
  }

  // Same pointer while the block has room; otherwise a new block with the old bytes.
  void* reallocate(void* memory, size_t size) {
    if (memory == nullptr) return allocate(size);
    const size_t room = capacity(memory);
    if (size <= room) return memory;
    void* larger = allocate(size);
    if (larger == nullptr) return nullptr;
    __builtin_memcpy(larger, memory, room);
    release(memory);
    return larger;
  }

  // Usable bytes of an allocation (at least what was asked for).
  static size_t capacity(void* memory) {
    const uint32_t* header = headerOf(memory);
    return (size_t{16} << header[0]) - kHeader - header[1];
  }

 private:
  // The smallest k with 16 << k >= total (total <= kMaxRequest + 2 * kMaxAlignment).
  static int classOf(size_t total) {
    if (total <= 16) return 0;
    constexpr int kBits = static_cast<int>(sizeof(unsigned long long) * 8);
    return kBits - __builtin_clzll(static_cast<unsigned long long>(total - 1)) - 4;
  }
  static uint32_t* headerOf(void* memory) {
    return reinterpret_cast<uint32_t*>(static_cast<char*>(memory) - kHeader);
  }

  void* free_lists_[kClasses] = {};
};

}  // namespace meshwasm::sdk::detail
