/* Host-side entry points of the AOT runtime (runtime.c). Not seen by generated code. */
#ifndef MESHWASM_AOT_RUNTIME_H_
#define MESHWASM_AOT_RUNTIME_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aot_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Linear memory cap (1 GiB, as V8 in Envoy) and table size cap. */
#define MESHWASM_AOT_MAX_PAGES 16384u
#define MESHWASM_AOT_MAX_TABLE_ELEMENTS 10000000u

/* Trap codes beyond wasm_rt_trap_t's: */
#define MESHWASM_AOT_TRAP_UNKNOWN 100 /* wasm_rt_trap(NONE) */
#define MESHWASM_AOT_TRAP_DETAIL 101  /* the text is meshwasm_aot_trap_detail() */
#define MESHWASM_AOT_TRAP_HOST 102    /* a host function failed; the Vm holds the text */

/* Calls `entry` with a trap target on this thread. Returns 0, or the trap code (a
 * wasm_rt_trap_t value or one of the codes above). Nests (guest -> host -> guest). */
int meshwasm_aot_protected_call(meshwasm_aot_entry_t entry, void* instance, const uint64_t* args,
                                uint64_t* results);

/* Calls entries[0..count) one after another with the same `args`, entries[i]'s results in
 * results + i, under one trap target; between(data, i) runs before every call but the first
 * (it must not trap) and ends the sequence when it returns false. Returns how many calls
 * returned; *code is 0, or the trap code of the call at that index, as
 * meshwasm_aot_protected_call's. */
typedef bool (*meshwasm_aot_between_t)(void* data, size_t next);
size_t meshwasm_aot_protected_sequence(const meshwasm_aot_entry_t* entries, size_t count,
                                       void* instance, const uint64_t* args, uint64_t* results,
                                       meshwasm_aot_between_t between, void* data, int* code);

/* Traps the innermost protected call on this thread; `detail` must be a static string. */
__attribute__((noreturn)) void meshwasm_aot_raise(int code, const char* detail);

/* The detail text of the last MESHWASM_AOT_TRAP_DETAIL trap on this thread. */
const char* meshwasm_aot_trap_detail(void);

#ifdef __cplusplus
}
#endif

#endif /* MESHWASM_AOT_RUNTIME_H_ */
