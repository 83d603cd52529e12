/* meshwasm's implementation of the wasm2c runtime API (wasm-rt.h of wabt 1.0.32) plus the
 * protected entry used by the AOT engine.
 *
 * - Trap state is per thread: each protected call installs its own jmp_buf, nested calls
 *   (guest -> host -> guest) restore the outer one; a trap never leaves its thread.
 * - Stack exhaustion: modules are compiled with call-depth counting in a per-thread counter
 *   and a native stack floor per thread (aot_abi.h), so deep recursion traps on any thread.
 * - Memory: explicit bounds checks in the module (no signal handler, no guard pages, no
 *   process-wide signal state); linear memory is an anonymous mapping of exactly its size,
 *   grown with mremap and unmapped on free, capped at MESHWASM_AOT_MAX_PAGES.
 * - No signal mask save per call: the trap target is __builtin_setjmp's (frame, resume address,
 *   stack pointer), a few instructions inline instead of libc's setjmp; libc's setjmp/longjmp
 *   under the sanitizers, which must see every jump. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "aot_abi.h"
#include "runtime.h"
#include "wasm-rt.h"

#define MESHWASM_PAGE_SIZE 65536u

__thread uint32_t meshwasm_aot_call_depth = 0;
__thread uintptr_t meshwasm_aot_stack_floor = 0;

/* wasm-rt.h declares this global counter; modules built for meshwasm never use it (they count
 * in meshwasm_aot_call_depth), it exists so that the declaration has a definition. */
uint32_t wasm_rt_call_stack_depth = 0;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MESHWASM_LIBC_TRAP_JUMP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MESHWASM_LIBC_TRAP_JUMP 1
#endif
#endif

#ifdef MESHWASM_LIBC_TRAP_JUMP
typedef jmp_buf trap_target_t;
#else
typedef void* trap_target_t[5]; /* __builtin_setjmp's buffer */
#endif

static __thread trap_target_t* t_trap_target = NULL;
static __thread int t_trap_code = 0;
static __thread const char* t_trap_detail = NULL;

/* ------------------------------------------------------------------ traps */

__attribute__((noreturn)) static void raise_trap(int code) {
  trap_target_t* target = t_trap_target;
  if (target == NULL) {
    /* Guest code only runs inside meshwasm_aot_protected_call; reaching this is a host bug. */
    abort();
  }
  t_trap_code = code != 0 ? code : MESHWASM_AOT_TRAP_UNKNOWN;
#ifdef MESHWASM_LIBC_TRAP_JUMP
  longjmp(*target, 1);
#else
  __builtin_longjmp(*target, 1);
#endif
}

void wasm_rt_trap(wasm_rt_trap_t trap) {
  raise_trap(trap == WASM_RT_TRAP_NONE ? MESHWASM_AOT_TRAP_UNKNOWN : (int)trap);
}

void meshwasm_aot_raise(int code, const char* detail) {
  t_trap_detail = detail;
  raise_trap(code);
}

void meshwasm_aot_missing_import(void) {
  meshwasm_aot_raise(MESHWASM_AOT_TRAP_DETAIL, "call to a missing import");
}

const char* meshwasm_aot_trap_detail(void) {
  return t_trap_detail;
}

const char* wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE: return "no trap";
    case WASM_RT_TRAP_OOB: return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable";
    case WASM_RT_TRAP_CALL_INDIRECT: return "indirect call signature mismatch";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
#if !WASM_RT_MERGED_OOB_AND_EXHAUSTION_TRAPS
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
#endif
  }
  return "unknown trap";
}

/* The lowest address guest frames may use on this thread: the stack's low end plus a margin
 * for host functions called from the guest (clamped to [32 KiB, 256 KiB], a quarter of the
 * stack at most). */
static void init_stack_floor(void) {
  uintptr_t here = (uintptr_t)__builtin_frame_address(0);
  uintptr_t floor = here > (1u << 20) ? here - (1u << 20) : 1;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = NULL;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr != NULL && size > 0) {
      size_t margin = size / 4;
      if (margin > (256u << 10)) margin = 256u << 10;
      if (margin < (32u << 10)) margin = 32u << 10;
      floor = (uintptr_t)addr + margin;
    }
    pthread_attr_destroy(&attr);
  }
  meshwasm_aot_stack_floor = floor;
}

int meshwasm_aot_protected_call(meshwasm_aot_entry_t entry, void* instance, const uint64_t* args,
                                uint64_t* results) {
  if (meshwasm_aot_stack_floor == 0) init_stack_floor();
  trap_target_t here;
  trap_target_t* const outer = t_trap_target;
  const uint32_t depth = meshwasm_aot_call_depth;
  t_trap_target = &here;
  int code = 0;
#ifdef MESHWASM_LIBC_TRAP_JUMP
  if (setjmp(here) == 0) {
#else
  if (__builtin_setjmp(here) == 0) {
#endif
    t_trap_detail = NULL;
    entry(instance, args, results);
  } else {
    code = t_trap_code; /* raise_trap's, never 0 */
  }
  t_trap_target = outer;
  meshwasm_aot_call_depth = depth;
  return code;
}

size_t meshwasm_aot_protected_sequence(const meshwasm_aot_entry_t* entries, size_t count,
                                       void* instance, const uint64_t* args, uint64_t* results,
                                       meshwasm_aot_between_t between, void* data, int* code) {
  if (meshwasm_aot_stack_floor == 0) init_stack_floor();
  trap_target_t here;
  trap_target_t* const outer = t_trap_target;
  const uint32_t depth = meshwasm_aot_call_depth;
  /* The index of the running call lives in memory: it is read after a trap's jump. */
  volatile size_t at = 0;
  t_trap_target = &here;
  *code = 0;
#ifdef MESHWASM_LIBC_TRAP_JUMP
  if (setjmp(here) == 0) {
#else
  if (__builtin_setjmp(here) == 0) {
#endif
    for (size_t i = 0; i < count; ++i) {
      if (i != 0 && !between(data, i)) break;
      at = i;
      t_trap_detail = NULL;
      entries[i](instance, args, results + i);
      at = i + 1;
    }
  } else {
    *code = t_trap_code; /* raise_trap's, never 0 */
  }
  t_trap_target = outer;
  meshwasm_aot_call_depth = depth;
  return at;
}

/* ------------------------------------------------------------------ runtime state */

static pthread_mutex_t g_types_lock = PTHREAD_MUTEX_INITIALIZER;
static char** g_types = NULL; /* signature texts, index = registered type id */
static uint32_t g_type_count = 0;
static uint32_t g_type_capacity = 0;
static uint32_t g_tag_count = 0;

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) {
  return true;
}
void wasm_rt_free(void) {}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  /* A type's text: one letter per value type, params then ':' then results. */
  uint32_t total = params + results;
  char* text = malloc((size_t)total + 2);
  if (text == NULL) meshwasm_aot_raise(MESHWASM_AOT_TRAP_DETAIL, "out of host memory");
  va_list ap;
  va_start(ap, results);
  uint32_t n = 0;
  for (uint32_t i = 0; i < total; ++i) {
    if (i == params) text[n++] = ':';
    int type = va_arg(ap, int);
    text[n++] = (char)('a' + (type & 15));
  }
  if (params == total) text[n++] = ':';
  text[n] = 0;
  va_end(ap);

  pthread_mutex_lock(&g_types_lock);
  uint32_t id = 0;
  for (; id < g_type_count; ++id) {
    if (strcmp(g_types[id], text) == 0) break;
  }
  if (id == g_type_count) {
    if (g_type_count == g_type_capacity) {
      uint32_t capacity = g_type_capacity ? g_type_capacity * 2 : 64;
      char** grown = realloc(g_types, capacity * sizeof(char*));
      if (grown == NULL) {
        pthread_mutex_unlock(&g_types_lock);
        free(text);
        meshwasm_aot_raise(MESHWASM_AOT_TRAP_DETAIL, "out of host memory");
      }
      g_types = grown;
      g_type_capacity = capacity;
    }
    g_types[g_type_count++] = text;
    text = NULL;
  }
  pthread_mutex_unlock(&g_types_lock);
  free(text);
  return id;
}

/* Exceptions (only used by modules built with the exceptions proposal, which the compiler
 * does not enable): per-thread state so that a stray use stays on its thread. */
static __thread uint32_t t_exception_tag = 0;
static __thread uint32_t t_exception_size = 0;
static __thread unsigned char t_exception[256];
static __thread WASM_RT_UNWIND_TARGET* t_unwind_target = NULL;

uint32_t wasm_rt_register_tag(uint32_t size) {
  (void)size;
  return __atomic_fetch_add(&g_tag_count, 1, __ATOMIC_RELAXED);
}

void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void* values) {
  if (size > sizeof(t_exception)) wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
  t_exception_tag = tag;
  t_exception_size = size;
  if (size) memcpy(t_exception, values, size);
}

void wasm_rt_throw(void) {
  if (t_unwind_target == NULL) wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
  longjmp(*t_unwind_target, 1);
}

WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) {
  return t_unwind_target;
}
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET* target) {
  t_unwind_target = target;
}
uint32_t wasm_rt_exception_tag(void) {
  return t_exception_tag;
}
uint32_t wasm_rt_exception_size(void) {
  return t_exception_size;
}
void* wasm_rt_exception(void) {
  return t_exception;
}

/* ------------------------------------------------------------------ memory */

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  memory->data = NULL;
  memory->pages = 0;
  memory->size = 0;
  memory->max_pages = max_pages < MESHWASM_AOT_MAX_PAGES ? max_pages : MESHWASM_AOT_MAX_PAGES;
  if (initial_pages > memory->max_pages) {
    meshwasm_aot_raise(MESHWASM_AOT_TRAP_DETAIL, "initial memory size exceeds the limit");
  }
  if (initial_pages == 0) return;
  size_t bytes = (size_t)initial_pages * MESHWASM_PAGE_SIZE;
  void* data = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) {
    meshwasm_aot_raise(MESHWASM_AOT_TRAP_DETAIL, "could not allocate linear memory");
  }
  memory->data = data;
  memory->pages = initial_pages;
  memory->size = (uint32_t)bytes;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  uint32_t old_pages = memory->pages;
  if (delta == 0) return old_pages;
  uint64_t new_pages = (uint64_t)old_pages + delta;
  if (new_pages > memory->max_pages || new_pages > MESHWASM_AOT_MAX_PAGES) return UINT32_MAX;
  size_t new_bytes = (size_t)new_pages * MESHWASM_PAGE_SIZE;
  void* data;
  if (memory->data == NULL) {
    data = mmap(NULL, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  } else {
    data = mremap(memory->data, memory->size, new_bytes, MREMAP_MAYMOVE);
  }
  if (data == MAP_FAILED) return UINT32_MAX;
  memory->data = data;
  memory->pages = (uint32_t)new_pages;
  /* 65536 pages would be 4 GiB, which does not fit; the page cap keeps it below. */
  memory->size = (uint32_t)new_bytes;
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  if (memory->data != NULL) munmap(memory->data, memory->size);
  memory->data = NULL;
  memory->pages = 0;
  memory->size = 0;
}

/* ------------------------------------------------------------------ tables */

static uint32_t cap_table_max(uint32_t max) {
  return max < MESHWASM_AOT_MAX_TABLE_ELEMENTS ? max : MESHWASM_AOT_MAX_TABLE_ELEMENTS;
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* table, uint32_t elements,
                                    uint32_t max_elements) {
  table->data = NULL;
  table->size = 0;
  table->max_size = cap_table_max(max_elements);
  if (elements > table->max_size) {
    meshwasm_aot_raise(MESHWASM_AOT_TRAP_DETAIL, "initial table size exceeds the limit");
  }
  if (elements == 0) return;
  table->data = calloc(elements, sizeof(wasm_rt_funcref_t));
  if (table->data == NULL) meshwasm_aot_raise(MESHWASM_AOT_TRAP_DETAIL, "out of host memory");
  table->size = elements;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* table) {
  free(table->data);
  table->data = NULL;
  table->size = 0;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* table, uint32_t delta,
                                    wasm_rt_funcref_t init) {
  uint32_t old_size = table->size;
  uint64_t new_size = (uint64_t)old_size + delta;
  if (new_size > table->max_size) return UINT32_MAX;
  if (delta == 0) return old_size;
  wasm_rt_funcref_t* data = realloc(table->data, (size_t)new_size * sizeof(wasm_rt_funcref_t));
  if (data == NULL) return UINT32_MAX;
  for (uint64_t i = old_size; i < new_size; ++i) data[i] = init;
  table->data = data;
  table->size = (uint32_t)new_size;
  return old_size;
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t* table, uint32_t elements,
                                      uint32_t max_elements) {
  table->data = NULL;
  table->size = 0;
  table->max_size = cap_table_max(max_elements);
  if (elements > table->max_size) {
    meshwasm_aot_raise(MESHWASM_AOT_TRAP_DETAIL, "initial table size exceeds the limit");
  }
  if (elements == 0) return;
  table->data = calloc(elements, sizeof(wasm_rt_externref_t));
  if (table->data == NULL) meshwasm_aot_raise(MESHWASM_AOT_TRAP_DETAIL, "out of host memory");
  table->size = elements;
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t* table) {
  free(table->data);
  table->data = NULL;
  table->size = 0;
}

uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* table, uint32_t delta,
                                      wasm_rt_externref_t init) {
  uint32_t old_size = table->size;
  uint64_t new_size = (uint64_t)old_size + delta;
  if (new_size > table->max_size) return UINT32_MAX;
  if (delta == 0) return old_size;
  wasm_rt_externref_t* data = realloc(table->data, (size_t)new_size * sizeof(wasm_rt_externref_t));
  if (data == NULL) return UINT32_MAX;
  for (uint64_t i = old_size; i < new_size; ++i) data[i] = init;
  table->data = data;
  table->size = (uint32_t)new_size;
  return old_size;
}
