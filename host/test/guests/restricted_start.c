/* Calls a host function outside the start-phase allow-list from a static constructor:
 * the host traps it ("restricted_callback") and the plugin fails to start. */
#include "guest.h"

GUEST_ABI_0_2_1

GUEST_IMPORT(env, proxy_define_metric)
int32_t proxy_define_metric(int32_t type, const char* name, int32_t size, int32_t* id);

__attribute__((constructor)) static void define_too_early(void) {
  int32_t id = 0;
  proxy_log(2, "constructor", 11);
  proxy_define_metric(0, "too_early", 9, &id);
}
