// A test plugin whose callbacks run whatever the test installs, so SDK calls can be made from
// inside real callbacks (root or stream context) driven by the FakeHost.
#pragma once

#include <functional>

#include "meshwasm/sdk/sdk.h"

namespace meshwasm::sdk::probe {

struct Hooks {
  std::function<bool()> on_configure;
  std::function<void()> on_tick;
  std::function<void(uint32_t token)> on_queue_ready;
  std::function<FilterHeadersStatus(HttpContext&)> on_request_headers;
  std::function<FilterDataStatus(HttpContext&, size_t, bool)> on_request_body;
  std::function<FilterHeadersStatus(HttpContext&)> on_response_headers;
  std::function<FilterDataStatus(HttpContext&, size_t, bool)> on_response_body;
};

inline Hooks& hooks() {
  static Hooks instance;
  return instance;
}

class ProbeRoot : public RootContext {
 public:
  ProbeRoot(uint32_t id, std::string_view root_id) : RootContext(id, root_id) {}
  bool onConfigure(size_t) override { return hooks().on_configure ? hooks().on_configure() : true; }
  void onTick() override {
    if (hooks().on_tick) hooks().on_tick();
  }
  void onQueueReady(uint32_t token) override {
    if (hooks().on_queue_ready) hooks().on_queue_ready(token);
  }
};

class ProbeHttp : public HttpContext {
 public:
  ProbeHttp(uint32_t id, RootContext* root) : HttpContext(id, root) {}
  FilterHeadersStatus onRequestHeaders(uint32_t, bool) override {
    return hooks().on_request_headers ? hooks().on_request_headers(*this)
                                      : FilterHeadersStatus::Continue;
  }
  FilterDataStatus onRequestBody(size_t size, bool end_of_stream) override {
    return hooks().on_request_body ? hooks().on_request_body(*this, size, end_of_stream)
                                   : FilterDataStatus::Continue;
  }
  FilterHeadersStatus onResponseHeaders(uint32_t, bool) override {
    return hooks().on_response_headers ? hooks().on_response_headers(*this)
                                       : FilterHeadersStatus::Continue;
  }
  FilterDataStatus onResponseBody(size_t size, bool end_of_stream) override {
    return hooks().on_response_body ? hooks().on_response_body(*this, size, end_of_stream)
                                    : FilterDataStatus::Continue;
  }
};

// Registers the probe plugin for root_id "probe" (include in exactly one file per test).
#define MESHWASM_REGISTER_PROBE()                                  \
  MESHWASM_REGISTER_HTTP_PLUGIN(::meshwasm::sdk::probe::ProbeRoot, \
                                ::meshwasm::sdk::probe::ProbeHttp, "probe")

}  // namespace meshwasm::sdk::probe
