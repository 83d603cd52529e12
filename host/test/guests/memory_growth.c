/* Memory growth during a call, then the host writes: the host must re-read the memory base. */
#include <stdlib.h>

#include "guest.h"

GUEST_ABI_0_2_1

/* Host: write `len` bytes of value `byte` at `ptr` (the host's view of memory must be fresh). */
GUEST_IMPORT(test, fill) int32_t test_fill(uint32_t ptr, uint32_t len, uint32_t byte);

/* Grows memory by `pages` inside wasm, asks the host to fill the last `len` bytes of the new
 * memory with 0x5a, and returns their sum (len * 0x5a when the host wrote to the right place). */
GUEST_EXPORT(grow_then_host_writes) uint32_t grow_then_host_writes(uint32_t pages, uint32_t len) {
  if (__builtin_wasm_memory_grow(0, pages) < 0) return 0;
  uint32_t end = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
  uint32_t ptr = end - len;
  if (test_fill(ptr, len, 0x5a) != 0) return 0;
  const volatile unsigned char* p = (const unsigned char*)(uintptr_t)ptr;
  uint32_t sum = 0;
  for (uint32_t i = 0; i < len; ++i) sum += p[i];
  return sum;
}

GUEST_EXPORT(memory_pages) uint32_t memory_pages(void) {
  return (uint32_t)__builtin_wasm_memory_size(0);
}
