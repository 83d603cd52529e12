/* Re-entrant calls: a host function that calls back into the guest (its allocator). */
#include <stdlib.h>

#include "guest.h"

GUEST_ABI_0_2_1

/* Host: allocate `size` bytes with the guest's malloc, fill them with 0..size-1 (mod 256),
 * and write the pointer to *out_ptr. Returns 0 on success. */
GUEST_IMPORT(test, host_alloc) int32_t test_host_alloc(uint32_t size, uint32_t* out_ptr);

static int32_t malloc_calls = 0;

/* The allocator the host prefers; counts its calls so the test sees the nesting. */
GUEST_EXPORT(proxy_on_memory_allocate) void* proxy_on_memory_allocate(uint32_t size) {
  ++malloc_calls;
  return malloc(size);
}

/* Asks the host for a filled buffer of `size` bytes and returns the sum of its bytes. */
GUEST_EXPORT(sum_host_buffer) uint32_t sum_host_buffer(uint32_t size) {
  uint32_t ptr = 0;
  if (test_host_alloc(size, &ptr) != 0 || ptr == 0) return 0xFFFFFFFFu;
  const unsigned char* p = (const unsigned char*)(uintptr_t)ptr;
  uint32_t sum = 0;
  for (uint32_t i = 0; i < size; ++i) sum += p[i];
  free((void*)(uintptr_t)ptr);
  return sum;
}

GUEST_EXPORT(allocations) int32_t allocations(void) { return malloc_calls; }

/* A trap inside the allocator, reached from a host function. */
GUEST_EXPORT(trapping_alloc) void* trapping_alloc(uint32_t size) {
  if (size == 13) __builtin_trap();
  return malloc(size);
}

/* Host: call the guest's trapping_alloc(13) and report. */
GUEST_IMPORT(test, host_alloc_trap) int32_t test_host_alloc_trap(void);

GUEST_EXPORT(trap_in_nested_call) int32_t trap_in_nested_call(void) {
  return test_host_alloc_trap();
}

/* Host: call back into guest `ping` (mutual recursion guest -> host -> guest ...). */
GUEST_IMPORT(test, pong) int32_t test_pong(int32_t depth);

GUEST_EXPORT(ping) int32_t ping(int32_t depth) {
  if (depth <= 0) return 0;
  return test_pong(depth - 1) + 1;
}
