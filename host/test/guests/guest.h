/* Declarations shared by the tiny test guests (C, wasm32-wasi, reactor model). */
#ifndef MESHWASM_TEST_GUEST_H_
#define MESHWASM_TEST_GUEST_H_

#include <stdint.h>

#define GUEST_EXPORT(name) __attribute__((export_name(#name), used, visibility("default")))
#define GUEST_IMPORT(module, name) __attribute__((import_module(#module), import_name(#name)))

/* Every Proxy-Wasm module carries a version marker export (never called). */
#define GUEST_ABI_0_2_1 \
  GUEST_EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

GUEST_IMPORT(env, proxy_log) int32_t proxy_log(int32_t level, const char* data, int32_t size);

#endif
