/* The binary contract between the meshwasm host runtime and an ahead-of-time compiled module.
 *
 * This C header is compiled twice: into the host (runtime.c, wasm2c_engine.cc) and, as text
 * embedded in the host, at the top of every generated shim (with MESHWASM_AOT_SHIM defined),
 * before the wasm2c output. The shim exports one symbol, `meshwasm_aot_module_v1`, describing
 * the module; the host checks its magic, ABI version and memory-check mode before using it.
 * Everything the module needs from the host (the wasm-rt.h functions, the host-call
 * trampoline, the per-thread call depth) is exported by the host executable. */
#ifndef MESHWASM_AOT_ABI_H_
#define MESHWASM_AOT_ABI_H_

#include <stdint.h>

#define MESHWASM_AOT_MAGIC 0x6d77616fu /* "mwao" */
#define MESHWASM_AOT_ABI_VERSION 1u

/* Calls deeper than this trap with "call stack exhausted" (the native stack is checked too). */
#define MESHWASM_AOT_MAX_CALL_DEPTH 20000u

/* Trap code (beyond wasm_rt_trap_t) for a call_indirect to a missing or null element. */
#define MESHWASM_AOT_TRAP_UNDEFINED_ELEMENT 103

/* Export kinds, the Wasm binary's external kind numbers. */
#define MESHWASM_AOT_KIND_FUNCTION 0u
#define MESHWASM_AOT_KIND_TABLE 1u
#define MESHWASM_AOT_KIND_MEMORY 2u
#define MESHWASM_AOT_KIND_GLOBAL 3u

#ifdef __cplusplus
extern "C" {
#endif

/* Calls one exported function: arguments and results are raw 64-bit slots (vm.h). */
typedef void (*meshwasm_aot_entry_t)(void* instance, const uint64_t* args, uint64_t* results);

typedef struct {
  const char* name; /* the export name bytes, not NUL-terminated */
  uint32_t name_size;
  uint32_t kind;              /* MESHWASM_AOT_KIND_* */
  const char* signature;      /* functions: "ij:f" = (i32, i64) -> f32; others "" */
  meshwasm_aot_entry_t entry; /* functions only */
} meshwasm_aot_export_t;

typedef struct {
  uint32_t magic;
  uint32_t abi_version;
  uint32_t bounds_checked;      /* 1: every memory access has an explicit bounds check */
  uint32_t stack_depth_counted; /* 1: every function counts meshwasm_aot_call_depth */
  uint32_t max_call_depth;
  uint32_t import_function_count;
  uint64_t instance_size;
  void (*init_module)(void);
  /* `host_context` is passed to every import thunk and import accessor. */
  void (*instantiate)(void* instance, void* host_context);
  void (*free_instance)(void* instance);
  /* The module's first exported memory (a wasm_rt_memory_t*), or NULL. */
  void* (*exported_memory)(void* instance);
  uint32_t export_count;
  const meshwasm_aot_export_t* exports;
  /* Per function import, in import order: its signature as above. */
  const char* const* import_signatures;
} meshwasm_aot_module_t;

/* ---- exported by the host ---- */

/* Runs import `import_index` (function imports only, in import order). Traps (does not
 * return) when the host function fails. */
void meshwasm_aot_host_call(void* host_context, uint32_t import_index, const uint64_t* args,
                            uint64_t* results);
/* Imported memory / table of the instance (created by the host on first use). */
void* meshwasm_aot_import_memory(void* host_context, uint32_t initial_pages, uint32_t max_pages);
void* meshwasm_aot_import_funcref_table(void* host_context, uint32_t initial, uint32_t max);
/* Traps with "unknown import": accessors of imports the host refuses before instantiating. */
void meshwasm_aot_missing_import(void);

/* Per-thread guest call depth and the lowest native stack address guest code may reach. */
extern __thread uint32_t meshwasm_aot_call_depth;
extern __thread uintptr_t meshwasm_aot_stack_floor;

#ifdef __cplusplus
}
#endif

#ifdef MESHWASM_AOT_SHIM
/* Explicit bounds checks and call-depth counting, whatever the compiler command line says.
 * The shim reports both modes in meshwasm_aot_module_v1 and the host refuses any other. */
#undef WASM_RT_MEMCHECK_SIGNAL_HANDLER
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0
#undef WASM_RT_USE_STACK_DEPTH_COUNT
#define WASM_RT_USE_STACK_DEPTH_COUNT 1
#undef WASM_RT_MAX_CALL_STACK_DEPTH
#if defined(__x86_64__)
#define MESHWASM_AOT_SP()                          \
  ({                                               \
    uintptr_t sp_;                                 \
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp_)); \
    sp_;                                           \
  })
#elif defined(__aarch64__)
#define MESHWASM_AOT_SP()                       \
  ({                                            \
    uintptr_t sp_;                              \
    __asm__ volatile("mov %0, sp" : "=r"(sp_)); \
    sp_;                                        \
  })
#else
#define MESHWASM_AOT_SP() ((uintptr_t)__builtin_frame_address(0))
#endif
/* The generated prologue is `if (++depth > WASM_RT_MAX_CALL_STACK_DEPTH) trap`: a native
 * stack below the thread's floor makes the limit 0, so the call traps as exhaustion. */
#define WASM_RT_MAX_CALL_STACK_DEPTH \
  (MESHWASM_AOT_SP() > meshwasm_aot_stack_floor ? MESHWASM_AOT_MAX_CALL_DEPTH : 0u)
#include "wasm-rt.h"
/* wasm2c's own CALL_INDIRECT (renamed in its output) reports one trap for every failure; this
 * one tells a missing element from a signature mismatch, as the interpreter does. */
#define CALL_INDIRECT(table, t, ft, x, ...)                                  \
  ((LIKELY((x) < (table).size && (table).data[x].func) ||                    \
    (wasm_rt_trap((wasm_rt_trap_t)MESHWASM_AOT_TRAP_UNDEFINED_ELEMENT), 0)), \
   (LIKELY((table).data[x].func_type == func_types[ft]) ||                   \
    (wasm_rt_trap(WASM_RT_TRAP_CALL_INDIRECT), 0)),                          \
   ((t)(table).data[x].func)(__VA_ARGS__))
/* The generated code counts depth in this per-thread variable instead of wasm-rt.h's global. */
#define wasm_rt_call_stack_depth meshwasm_aot_call_depth
#endif

#endif /* MESHWASM_AOT_ABI_H_ */
