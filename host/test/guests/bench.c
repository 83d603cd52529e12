/* Benchmark guest: an empty export and a loop of empty host calls. */
#include "guest.h"

GUEST_ABI_0_2_1

GUEST_IMPORT(test, noop) void test_noop(void);

GUEST_EXPORT(empty) void empty(void) {}

/* Calls the empty host function `n` times. */
GUEST_EXPORT(call_host) void call_host(int32_t n) {
  for (int32_t i = 0; i < n; ++i) test_noop();
}
