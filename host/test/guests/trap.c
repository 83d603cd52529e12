/* Traps inside callbacks: `unreachable` and runaway recursion (stack exhaustion). */
#include "guest.h"

GUEST_ABI_0_2_1

GUEST_EXPORT(proxy_on_request_headers)
int32_t proxy_on_request_headers(int32_t id, int32_t headers, int32_t end_of_stream) {
  (void)id;
  (void)headers;
  (void)end_of_stream;
  __builtin_trap();
}

static volatile int32_t sink;

/* Unbounded recursion the optimiser cannot turn into a loop. */
__attribute__((noinline)) static int32_t recurse(int32_t n) {
  sink = n;
  return recurse(n + 1) + sink;
}

GUEST_EXPORT(proxy_on_request_body)
int32_t proxy_on_request_body(int32_t id, int32_t size, int32_t end_of_stream) {
  (void)id;
  (void)end_of_stream;
  return recurse(size);
}

/* Out-of-bounds load: the address is past the end of linear memory. */
GUEST_EXPORT(proxy_on_response_headers)
int32_t proxy_on_response_headers(int32_t id, int32_t headers, int32_t end_of_stream) {
  (void)id;
  (void)headers;
  (void)end_of_stream;
  return *(volatile int32_t*)(uintptr_t)0xFFFFFFF0u;
}

GUEST_EXPORT(ok) int32_t ok(void) { return 7; }
