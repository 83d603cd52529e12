// The guest's memory allocator and memory primitives (wasm32 only; natively this file is
// empty). wasi-libc's dlmalloc and its C memcpy/memmove/memset/memchr/strlen are ~12 KB of
// code, most of a small plugin; these replacements are a few hundred bytes.
//
// Allocator: block_allocator.h (segregated power-of-two free lists) over a bump region that
// starts at the linker's __heap_base and grows the linear memory page by page (memory.grow;
// wasi-libc's sbrk only takes whole pages).
//
// memcpy/memmove/memset compile to the bulk-memory instructions (memory.copy / memory.fill),
// enabled for every guest by -mbulk-memory.
#if defined(__wasm__)
#include <cstddef>
#include <cstdint>

#include "block_allocator.h"

namespace {

constexpr size_t kPage = 65536;

extern "C" unsigned char __heap_base;  // first byte after the stack and static data
uintptr_t heap_top = 0;                // next free byte of the bump region
uintptr_t heap_end = 0;                // end of the linear memory

// `bytes` (a multiple of 16) fresh bytes, or nullptr when memory cannot grow.
void* carve(size_t bytes) {
  if (heap_top == 0) {
    heap_top = (reinterpret_cast<uintptr_t>(&__heap_base) + 15) & ~uintptr_t{15};
    heap_end = __builtin_wasm_memory_size(0) * kPage;
  }
  if (bytes > heap_end - heap_top) {
    const size_t missing = bytes - (heap_end - heap_top);
    const size_t pages = (missing + kPage - 1) / kPage;
    if (__builtin_wasm_memory_grow(0, pages) == static_cast<size_t>(-1)) return nullptr;
    heap_end += pages * kPage;
  }
  void* block = reinterpret_cast<void*>(heap_top);
  heap_top += bytes;
  return block;
}

// Constant-initialized: usable before (and by) static constructors.
constinit meshwasm::sdk::detail::BlockAllocator<carve> allocator;

}  // namespace

extern "C" {

void* malloc(size_t size) {
  return allocator.allocate(size);
}

void free(void* memory) {
  allocator.release(memory);
}

void* calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  void* memory = allocator.allocate(count * size);
  if (memory != nullptr) __builtin_memset(memory, 0, count * size);
  return memory;
}

void* realloc(void* memory, size_t size) {
  return allocator.reallocate(memory, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  return allocator.allocate(size, alignment);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  void* memory = allocator.allocate(size, alignment < 8 ? 8 : alignment);
  if (memory == nullptr) return 12;  // ENOMEM
  *out = memory;
  return 0;
}

size_t malloc_usable_size(void* memory) {
  return memory == nullptr ? 0 : decltype(allocator)::capacity(memory);
}

// wasi-libc's own callers (e.g. atexit) use these names.
void* __libc_malloc(size_t size) {
  return malloc(size);
}
void __libc_free(void* memory) {
  free(memory);
}
void* __libc_calloc(size_t count, size_t size) {
  return calloc(count, size);
}

void* memcpy(void* __restrict to, const void* __restrict from, size_t size) {
  __builtin_memcpy(to, from, size);
  return to;
}
void* memmove(void* to, const void* from, size_t size) {
  __builtin_memmove(to, from, size);
  return to;
}
void* memset(void* to, int value, size_t size) {
  __builtin_memset(to, value, size);
  return to;
}

// Plain loops instead of wasi-libc's word-at-a-time versions (which are several times larger);
// no_builtin keeps the compiler from turning a loop back into a call to itself.
__attribute__((no_builtin)) void* memchr(const void* memory, int value, size_t size) {
  const auto* p = static_cast<const unsigned char*>(memory);
  for (; size != 0; --size, ++p) {
    if (*p == static_cast<unsigned char>(value)) return const_cast<unsigned char*>(p);
  }
  return nullptr;
}

__attribute__((no_builtin)) size_t strlen(const char* text) {
  const char* end = text;
  while (*end != '\0') ++end;
  return static_cast<size_t>(end - text);
}

}  // extern "C"
#endif  // __wasm__
