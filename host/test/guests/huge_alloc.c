/* Allocation requests of any size: malloc answers 0 when memory cannot grow that far. */
#include <stdlib.h>

#include "guest.h"

GUEST_ABI_0_2_1

/* Returns the pointer malloc gave (0 when it failed). */
GUEST_EXPORT(allocate) void* allocate(uint32_t size) { return malloc(size); }

/* Current memory size in 64 KiB pages. */
GUEST_EXPORT(memory_pages) uint32_t memory_pages(void) {
  return (uint32_t)__builtin_wasm_memory_size(0);
}

/* memory.grow as is: the old size in pages, or -1 when refused. */
GUEST_EXPORT(grow) int32_t grow(uint32_t pages) {
  return (int32_t)__builtin_wasm_memory_grow(0, pages);
}
