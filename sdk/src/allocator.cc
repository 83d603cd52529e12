// The guest's memory allocator and memory primitives (wasm32 only; natively this file is
// empty). wasi-libc's dlmalloc and its C memcpy/memmove/memset/memchr/strlen are ~12 KB of
// code, most of a small plugin; these replacements are a few hundred bytes.
//
// Allocator: segregated free lists of power-of-two blocks (16 B .. 1 GiB) carved from a bump
// region that starts at the linker's __heap_base and grows the linear memory page by page
// (memory.grow; wasi-libc's sbrk only takes whole pages).
// A freed block goes back to the list of its size class and is reused by the next request of
// that class, so steady per-request traffic does not grow memory. Blocks are neither split
// nor merged: rounding wastes up to half a block, and memory that served one size class is
// not reused for another. Every block starts with an 8-byte header (size class, and the
// distance from the block start for aligned allocations), so returned pointers are 8-aligned.
//
// memcpy/memmove/memset compile to the bulk-memory instructions (memory.copy / memory.fill),
// enabled for every guest by -mbulk-memory.
#if defined(__wasm__)
#include <cstddef>
#include <cstdint>

namespace {

constexpr size_t kHeader = 8;
constexpr int kClasses = 27;  // 16 B << 26 = 1 GiB, the host's memory cap
constexpr size_t kMaxRequest = size_t{1} << 29;
constexpr size_t kPage = 65536;
void* free_lists[kClasses];

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

int classOf(size_t total) {
  int k = 0;
  for (size_t block = 16; block < total; block <<= 1) ++k;
  return k;
}

void* allocate(size_t size, size_t alignment) {
  if (size > kMaxRequest || alignment > 4096 || (alignment & (alignment - 1)) != 0) {
    return nullptr;
  }
  const size_t extra = alignment > kHeader ? alignment : 0;
  const int k = classOf(size + kHeader + extra);
  char* block = static_cast<char*>(free_lists[k]);
  if (block != nullptr) {
    free_lists[k] = *reinterpret_cast<void**>(block);
  } else {
    block = static_cast<char*>(carve(size_t{16} << k));
    if (block == nullptr) return nullptr;
  }
  uintptr_t user = reinterpret_cast<uintptr_t>(block) + kHeader;
  if (extra != 0) user = (user + alignment - 1) & ~(uintptr_t{alignment} - 1);
  auto* header = reinterpret_cast<uint32_t*>(user - kHeader);
  header[0] = static_cast<uint32_t>(k);
  header[1] = static_cast<uint32_t>(user - kHeader - reinterpret_cast<uintptr_t>(block));
  return reinterpret_cast<void*>(user);
}

uint32_t* headerOf(void* memory) {
  return reinterpret_cast<uint32_t*>(static_cast<char*>(memory) - kHeader);
}

size_t capacityOf(void* memory) {
  const uint32_t* header = headerOf(memory);
  return (size_t{16} << header[0]) - kHeader - header[1];
}

}  // namespace

extern "C" {

void* malloc(size_t size) {
  return allocate(size, kHeader);
}

void free(void* memory) {
  if (memory == nullptr) return;
  uint32_t* header = headerOf(memory);
  const uint32_t k = header[0];
  char* block = reinterpret_cast<char*>(header) - header[1];
  *reinterpret_cast<void**>(block) = free_lists[k];
  free_lists[k] = block;
}

void* calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  void* memory = malloc(count * size);
  if (memory != nullptr) __builtin_memset(memory, 0, count * size);
  return memory;
}

void* realloc(void* memory, size_t size) {
  if (memory == nullptr) return malloc(size);
  const size_t capacity = capacityOf(memory);
  if (size <= capacity) return memory;
  void* larger = malloc(size);
  if (larger == nullptr) return nullptr;
  __builtin_memcpy(larger, memory, capacity);
  free(memory);
  return larger;
}

void* aligned_alloc(size_t alignment, size_t size) {
  return allocate(size, alignment);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  void* memory = allocate(size, alignment < kHeader ? kHeader : alignment);
  if (memory == nullptr) return 12;  // ENOMEM
  *out = memory;
  return 0;
}

size_t malloc_usable_size(void* memory) {
  return memory == nullptr ? 0 : capacityOf(memory);
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
