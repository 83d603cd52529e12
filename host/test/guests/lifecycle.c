/* A scripted Proxy-Wasm guest for host lifecycle tests. Every callback logs one line
 * ("<callback> <args>"); what it does is chosen by:
 *  - the plugin configuration (words separated by spaces): vm_start=false,
 *    configure=false, trap=<callback> (root callbacks, and on_stream_context_create), tick,
 *    queue, defer_done, callout_ok, probe_context_create (a stream's context create reads the
 *    request headers);
 *  - the request header "x-test" (per stream): "<stage>=<action>;..." with stages
 *    rh rb rt sh sb st log (request/response headers/body/trailers, proxy_on_log) and
 *    actions continue pause buffer local trap close resume callout addheader rewrite grow
 *    enqueue oob setprop sentheaders. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

GUEST_ABI_0_2_1

#define IMPORT(name) GUEST_IMPORT(env, name)
IMPORT(proxy_get_header_map_value)
int32_t proxy_get_header_map_value(int32_t, const char*, int32_t, char**, int32_t*);
IMPORT(proxy_add_header_map_value)
int32_t proxy_add_header_map_value(int32_t, const char*, int32_t, const char*, int32_t);
IMPORT(proxy_send_local_response)
int32_t proxy_send_local_response(int32_t, const char*, int32_t, const char*, int32_t,
                                  const char*, int32_t, int32_t);
IMPORT(proxy_continue_stream) int32_t proxy_continue_stream(int32_t);
IMPORT(proxy_close_stream) int32_t proxy_close_stream(int32_t);
IMPORT(proxy_get_buffer_bytes) int32_t proxy_get_buffer_bytes(int32_t, int32_t, int32_t, char**,
                                                              int32_t*);
IMPORT(proxy_set_buffer_bytes) int32_t proxy_set_buffer_bytes(int32_t, int32_t, int32_t,
                                                              const char*, int32_t);
IMPORT(proxy_http_call)
int32_t proxy_http_call(const char*, int32_t, const char*, int32_t, const char*, int32_t,
                        const char*, int32_t, int32_t, int32_t*);
IMPORT(proxy_set_effective_context) int32_t proxy_set_effective_context(int32_t);
IMPORT(proxy_set_tick_period_milliseconds) int32_t proxy_set_tick_period_milliseconds(int32_t);
IMPORT(proxy_register_shared_queue) int32_t proxy_register_shared_queue(const char*, int32_t,
                                                                        int32_t*);
IMPORT(proxy_resolve_shared_queue)
int32_t proxy_resolve_shared_queue(const char*, int32_t, const char*, int32_t, int32_t*);
IMPORT(proxy_enqueue_shared_queue) int32_t proxy_enqueue_shared_queue(int32_t, const char*,
                                                                      int32_t);
IMPORT(proxy_dequeue_shared_queue) int32_t proxy_dequeue_shared_queue(int32_t, char**,
                                                                      int32_t*);
IMPORT(proxy_done) int32_t proxy_done(void);
IMPORT(proxy_get_property) int32_t proxy_get_property(const char*, int32_t, char**, int32_t*);
IMPORT(proxy_set_property) int32_t proxy_set_property(const char*, int32_t, const char*,
                                                      int32_t);
IMPORT(proxy_get_log_level) int32_t proxy_get_log_level(int32_t*);

static char config[256];
static char scripts[64][128]; /* per context id (mod 64) */
static int32_t callout_context[64];
static int32_t callout_token = 0;

static void logf_(const char* fmt, int32_t a, int32_t b, int32_t c, int32_t d) {
  char line[160];
  int n = snprintf(line, sizeof line, fmt, a, b, c, d);
  proxy_log(2, line, n);
}

static int has_word(const char* text, const char* word) {
  size_t n = strlen(word);
  for (const char* p = text; (p = strstr(p, word)) != NULL; p += n) {
    if ((p == text || p[-1] == ' ' || p[-1] == ';') && (p[n] == 0 || p[n] == ' ' || p[n] == ';')) {
      return 1;
    }
  }
  return 0;
}

/* The action of `stage` in the context's script ("" when none). */
static const char* action(int32_t ctx, const char* stage, char* out, size_t cap) {
  const char* s = scripts[ctx & 63];
  size_t n = strlen(stage);
  out[0] = 0;
  for (const char* p = s; p && *p;) {
    if (strncmp(p, stage, n) == 0 && p[n] == '=') {
      const char* v = p + n + 1;
      size_t len = strcspn(v, ";");
      if (len >= cap) len = cap - 1;
      memcpy(out, v, len);
      out[len] = 0;
      return out;
    }
    p = strchr(p, ';');
    if (p) ++p;
  }
  return out;
}

static void trap_if(const char* callback) {
  char word[64];
  snprintf(word, sizeof word, "trap=%s", callback);
  if (has_word(config, word)) __builtin_trap();
}

GUEST_EXPORT(proxy_on_context_create) void proxy_on_context_create(int32_t id, int32_t parent) {
  logf_("on_context_create %d %d", id, parent, 0, 0);
  if (parent == 0) {
    char* data = 0;
    int32_t size = 0;
    if (proxy_get_buffer_bytes(7, 0, -1, &data, &size) == 0 && data) {
      if (size > (int32_t)sizeof config - 1) size = sizeof config - 1;
      memcpy(config, data, (size_t)size);
      config[size] = 0;
      free(data);
    }
    trap_if("on_context_create");
  } else {
    scripts[id & 63][0] = 0;
    if (has_word(config, "probe_context_create")) {
      char* data = 0;
      int32_t size = 0;
      int32_t r = proxy_get_header_map_value(0, ":path", 5, &data, &size);
      free(data);
      logf_("stream context create get=%d", r, 0, 0, 0);
    }
    trap_if("on_stream_context_create");
  }
}

GUEST_EXPORT(proxy_on_vm_start) int32_t proxy_on_vm_start(int32_t id, int32_t size) {
  logf_("on_vm_start %d %d", id, size, 0, 0);
  trap_if("on_vm_start");
  return !has_word(config, "vm_start=false");
}

GUEST_EXPORT(proxy_on_configure) int32_t proxy_on_configure(int32_t id, int32_t size) {
  logf_("on_configure %d %d", id, size, 0, 0);
  trap_if("on_configure");
  if (has_word(config, "tick")) proxy_set_tick_period_milliseconds(10);
  if (has_word(config, "queue")) {
    int32_t token = 0;
    proxy_register_shared_queue("q", 1, &token);
    logf_("registered queue %d", token, 0, 0, 0);
  }
  return !has_word(config, "configure=false");
}

GUEST_EXPORT(proxy_on_tick) void proxy_on_tick(int32_t id) {
  logf_("on_tick %d", id, 0, 0, 0);
  trap_if("on_tick");
  if (has_word(config, "defer_done")) logf_("proxy_done -> %d", proxy_done(), 0, 0, 0);
}

GUEST_EXPORT(proxy_on_queue_ready) void proxy_on_queue_ready(int32_t id, int32_t token) {
  char* data = 0;
  int32_t size = 0;
  int32_t r = proxy_dequeue_shared_queue(token, &data, &size);
  char line[96];
  int n = snprintf(line, sizeof line, "on_queue_ready %d %d: %d %.*s", (int)id, (int)token, (int)r,
                   (int)size, data ? data : "");
  proxy_log(2, line, n);
  free(data);
}

static int32_t run(int32_t ctx, const char* stage, int32_t map, int32_t buffer, int32_t stop) {
  char act[32];
  action(ctx, stage, act, sizeof act);
  if (strcmp(act, "pause") == 0 || strcmp(act, "buffer") == 0) return stop;
  if (strcmp(act, "trap") == 0) __builtin_trap();
  if (strcmp(act, "local") == 0) {
    static const char headers[] = "\1\0\0\0\14\0\0\0\1\0\0\0x-test-reply\0" "1\0";
    proxy_send_local_response(403, "denied by test", 14, "no\n", 3, headers,
                              (int32_t)sizeof headers - 1, -1);
    return 0;
  }
  if (strcmp(act, "close") == 0) proxy_close_stream(0);
  if (strcmp(act, "resume") == 0) {
    proxy_continue_stream(0);
    return stop;
  }
  if (strcmp(act, "addheader") == 0 && map >= 0) {
    proxy_add_header_map_value(map, "X-Added", 7, "yes", 3);
  }
  if (strcmp(act, "rewrite") == 0 && buffer >= 0) {
    proxy_set_buffer_bytes(buffer, 0, -1, "rewritten", 9);
  }
  if (strcmp(act, "grow") == 0) {
    void* big = malloc(4 << 20);
    logf_("grew %d", big != 0, 0, 0, 0);
    free(big);
  }
  if (strcmp(act, "oob") == 0) {
    char* data = 0;
    int32_t size = 0;
    logf_("oob -> %d", proxy_get_header_map_value(0, (const char*)0x7ffffff0, 4, &data, &size), 0,
          0, 0);
  }
  if (strcmp(act, "setprop") == 0) proxy_set_property("my_prop", 7, "v1", 2);
  if (strcmp(act, "sentheaders") == 0) {  /* response headers the embedder added */
    char* data = 0;
    int32_t size = 0;
    int32_t server = proxy_get_header_map_value(2, "server", 6, &data, &size);
    free(data);
    data = 0;
    int32_t date = proxy_get_header_map_value(2, "date", 4, &data, &size);
    free(data);
    logf_("sent headers server=%d date=%d", server, date, 0, 0);
  }
  if (strcmp(act, "enqueue") == 0) {
    int32_t token = 0;
    int32_t r = proxy_resolve_shared_queue("", 0, "q", 1, &token);
    logf_("enqueue %d %d", r, proxy_enqueue_shared_queue(token, "hello", 5), 0, 0);
  }
  if (strcmp(act, "callout") == 0) {
    static const char headers[] =
        "\3\0\0\0" "\7\0\0\0\3\0\0\0" "\5\0\0\0\1\0\0\0" "\12\0\0\0\3\0\0\0"
        ":method\0GET\0:path\0/\0:authority\0svc\0";
    int32_t token = 0;
    int32_t r = proxy_http_call("cluster", 7, headers, (int32_t)sizeof headers - 1, "", 0, "", 0,
                                1000, &token);
    logf_("http_call -> %d token %d", r, token, 0, 0);
    callout_context[token & 63] = ctx;
    return stop;
  }
  return 0;
}

GUEST_EXPORT(proxy_on_request_headers)
int32_t proxy_on_request_headers(int32_t ctx, int32_t n, int32_t eos) {
  logf_("on_request_headers %d %d %d", ctx, n, eos, 0);
  char* data = 0;
  int32_t size = 0;
  if (proxy_get_header_map_value(0, "x-test", 6, &data, &size) == 0 && data) {
    if (size > 127) size = 127;
    memcpy(scripts[ctx & 63], data, (size_t)size);
    scripts[ctx & 63][size] = 0;
    free(data);
  }
  return run(ctx, "rh", 0, -1, 1);
}

GUEST_EXPORT(proxy_on_request_body)
int32_t proxy_on_request_body(int32_t ctx, int32_t size, int32_t eos) {
  logf_("on_request_body %d %d %d", ctx, size, eos, 0);
  return run(ctx, "rb", 1, 0, 1);
}

GUEST_EXPORT(proxy_on_request_trailers)
int32_t proxy_on_request_trailers(int32_t ctx, int32_t n) {
  logf_("on_request_trailers %d %d", ctx, n, 0, 0);
  return run(ctx, "rt", 1, -1, 1);
}

GUEST_EXPORT(proxy_on_response_headers)
int32_t proxy_on_response_headers(int32_t ctx, int32_t n, int32_t eos) {
  char* data = 0;
  int32_t size = 0;
  int32_t r = proxy_get_header_map_value(0, "x-test", 6, &data, &size);
  free(data);
  char status[8] = "";
  if (proxy_get_header_map_value(2, ":status", 7, &data, &size) == 0 && data) {
    memcpy(status, data, size < 7 ? (size_t)size : 7);
    free(data);
  }
  char line[96];
  int len = snprintf(line, sizeof line, "on_response_headers %d %d %d status=%s req=%d", (int)ctx,
                     (int)n, (int)eos, status, (int)r);
  proxy_log(2, line, len);
  return run(ctx, "sh", 2, -1, 1);
}

GUEST_EXPORT(proxy_on_response_body)
int32_t proxy_on_response_body(int32_t ctx, int32_t size, int32_t eos) {
  logf_("on_response_body %d %d %d", ctx, size, eos, 0);
  return run(ctx, "sb", 3, 1, 1);
}

GUEST_EXPORT(proxy_on_response_trailers)
int32_t proxy_on_response_trailers(int32_t ctx, int32_t n) {
  logf_("on_response_trailers %d %d", ctx, n, 0, 0);
  return run(ctx, "st", 3, -1, 1);
}

GUEST_EXPORT(proxy_on_log) void proxy_on_log(int32_t ctx) {
  char* data = 0;
  int32_t size = 0;
  int32_t r = proxy_get_header_map_value(0, ":path", 5, &data, &size);
  free(data);
  int32_t w = proxy_add_header_map_value(0, "a", 1, "b", 1);
  logf_("on_log %d get=%d add=%d", ctx, r, w, 0);
  run(ctx, "log", -1, -1, 0);
}

GUEST_EXPORT(proxy_on_done) int32_t proxy_on_done(int32_t ctx) {
  logf_("on_done %d", ctx, 0, 0, 0);
  if (ctx == 1 && has_word(config, "defer_done")) return 0;
  return 1;
}

GUEST_EXPORT(proxy_on_delete) void proxy_on_delete(int32_t ctx) {
  logf_("on_delete %d", ctx, 0, 0, 0);
}

GUEST_EXPORT(proxy_on_http_call_response)
void proxy_on_http_call_response(int32_t root, int32_t token, int32_t nh, int32_t bs,
                                 int32_t nt) {
  logf_("on_http_call_response %d %d %d %d", root, token, nh, bs);
  int32_t ctx = callout_context[token & 63];
  int32_t r = proxy_set_effective_context(ctx);
  char* data = 0;
  int32_t size = 0;
  int ok = 0;
  if (proxy_get_header_map_value(6, ":status", 7, &data, &size) == 0 && data) {
    ok = size == 3 && memcmp(data, "200", 3) == 0;
    free(data);
  }
  logf_("effective %d -> %d ok=%d", ctx, r, ok, nt);
  if (ok) {
    proxy_continue_stream(0);
  } else {
    proxy_send_local_response(401, "callout failed", 14, "", 0, "", 0, -1);
  }
}
