/* A well-formed 0.2.1 module: callbacks, typed helper exports, one host call. */
#include <stdlib.h>
#include <string.h>

#include "guest.h"

GUEST_ABI_0_2_1

static int32_t contexts_created = 0;

GUEST_EXPORT(proxy_on_context_create) void proxy_on_context_create(int32_t id, int32_t parent) {
  (void)id;
  (void)parent;
  ++contexts_created;
}

/* Logs "headers: <n>" at info and returns the number of contexts created so far. */
GUEST_EXPORT(proxy_on_request_headers)
int32_t proxy_on_request_headers(int32_t id, int32_t headers, int32_t end_of_stream) {
  (void)id;
  (void)end_of_stream;
  char line[32] = "headers: ";
  size_t len = strlen(line);
  if (headers >= 0 && headers < 10) line[len++] = (char)('0' + headers);
  proxy_log(2, line, (int32_t)len);
  return contexts_created;
}

GUEST_EXPORT(add_i32) int32_t add_i32(int32_t a, int32_t b) { return a + b; }
GUEST_EXPORT(add_i64) int64_t add_i64(int64_t a, int64_t b) { return a + b; }
GUEST_EXPORT(mul_f32) float mul_f32(float a, float b) { return a * b; }
GUEST_EXPORT(mix) double mix(int32_t a, int64_t b, float c, double d) {
  return (double)a + (double)b + (double)c + d;
}
GUEST_EXPORT(nothing) void nothing(void) {}

/* Returns a buffer holding "meshwasm" (for host-side memory reads). */
GUEST_EXPORT(greeting) const char* greeting(void) {
  char* p = malloc(8);
  if (p) memcpy(p, "meshwasm", 8);
  return p;
}

/* Sums `len` bytes at `p` (for host-side memory writes). */
GUEST_EXPORT(sum_bytes) uint32_t sum_bytes(const unsigned char* p, uint32_t len) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < len; ++i) sum += p[i];
  return sum;
}
