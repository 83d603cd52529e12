// Internal: the module's registry of plugin registrations and its table of live contexts, shared
// by dispatcher.cc (which defines the data and the exports every module has) and the files of
// the optional exports (request_exports.cc, response_exports.cc, log_export.cc).
#pragma once

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "imports.h"
#include "meshwasm/sdk/log.h"
#include "meshwasm/sdk/registration.h"

namespace meshwasm::sdk {

struct Dispatcher {
  // Registrations live in a constant-initialized array: static constructors of plugins may
  // run before any other SDK global is constructed.
  static constexpr size_t kMaxRegistrations = 16;
  static Registration registrations[kMaxRegistrations];
  static size_t registration_count;

  // Live contexts sorted by id, in a plain array grown with realloc: slots are trivially
  // copyable, so inserting and erasing are a memmove (std::vector's insert machinery costs
  // most of a kilobyte of code in every module).
  struct Slot {
    uint32_t id;
    ContextBase* context;  // owned
  };
  static Slot* slots;
  static size_t slot_count;
  static size_t slot_capacity;

  static void add(const Registration& registration) {
    if (registration_count == kMaxRegistrations) {
      fatal("meshwasm sdk: too many plugin registrations in one module");
    }
    registrations[registration_count++] = registration;
  }

  static const Registration* findRegistration(std::string_view root_id) {
    const Registration* fallback = nullptr;
    for (size_t i = 0; i < registration_count; ++i) {
      if (registrations[i].root_id == root_id) return &registrations[i];
      if (registrations[i].root_id.empty() && fallback == nullptr) fallback = &registrations[i];
    }
    return fallback;
  }

  static size_t lowerBound(uint32_t id) {
    size_t lo = 0;
    size_t hi = slot_count;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (slots[mid].id < id) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // The host calls one context several times in a row (a request's callbacks), so the last
  // context found is remembered; insert and erase keep it right.
  static uint32_t last_id;
  static ContextBase* last_context;

  // The remembered context is checked where find() is called (no call in the common case).
  [[gnu::always_inline]] static ContextBase* find(uint32_t id) {
    if (id == last_id && last_context != nullptr) return last_context;
    return search(id);
  }
  [[gnu::noinline]] static ContextBase* search(uint32_t id) {
    const size_t at = indexOf(id);
    if (at >= slot_count || slots[at].id != id) return nullptr;
    last_id = id;
    last_context = slots[at].context;
    return last_context;
  }

  // lowerBound(id) without the search in the common cases: the host hands out increasing ids,
  // so a new context goes last, and the oldest live context (the root) is first.
  static size_t indexOf(uint32_t id) {
    if (slot_count == 0 || slots[slot_count - 1].id < id) return slot_count;
    if (slots[slot_count - 1].id == id) return slot_count - 1;
    if (slots[0].id >= id) return 0;
    return lowerBound(id);
  }

  static void insert(uint32_t id, ContextBase* context) {
    // indexOf's first case checked here: a new context usually goes last.
    const size_t at = (slot_count == 0 || slots[slot_count - 1].id < id) ? slot_count : indexOf(id);
    if (at < slot_count && slots[at].id == id) {
      delete slots[at].context;  // the host reuses an id: the old context is gone
      slots[at].context = context;
      if (last_id == id) last_context = context;
      return;
    }
    if (slot_count == slot_capacity) {
      const size_t capacity = slot_capacity == 0 ? 16 : slot_capacity * 2;
      void* grown = ::realloc(slots, capacity * sizeof(Slot));
      if (grown == nullptr) fatal("meshwasm sdk: out of memory");
      slots = static_cast<Slot*>(grown);
      slot_capacity = capacity;
    }
    // Usually the newest context goes last: no move (memory.copy costs a call even for 0 bytes).
    if (at != slot_count) {
      std::memmove(slots + at + 1, slots + at, (slot_count - at) * sizeof(Slot));
    }
    slots[at] = Slot{id, context};
    ++slot_count;
    // The new context is the one the host calls next.
    last_id = id;
    last_context = context;
  }

  static void erase(uint32_t id) {
    // indexOf's second case checked here: the newest context usually ends first.
    const size_t at =
        (slot_count != 0 && slots[slot_count - 1].id == id) ? slot_count - 1 : indexOf(id);
    if (at < slot_count && slots[at].id == id) {
      ContextBase* context = slots[at].context;
      --slot_count;
      if (at != slot_count) {
        std::memmove(slots + at, slots + at + 1, (slot_count - at) * sizeof(Slot));
      }
      if (last_id == id) {
        // The oldest live context, usually the root the next stream context is created on.
        last_id = slot_count != 0 ? slots[0].id : 0;
        last_context = slot_count != 0 ? slots[0].context : nullptr;
      }
      delete context;
    }
  }

  static RootContext* root(uint32_t id) { return rootInline(id); }
  [[gnu::always_inline]] static RootContext* rootInline(uint32_t id) {
    ContextBase* context = find(id);
    return (context != nullptr && context->kind() == ContextKind::Root)
               ? static_cast<RootContext*>(context)
               : nullptr;
  }
  // The HTTP context `id` when its class overrides `callback` (an inherits:: bit); nullptr
  // when there is none or the SDK's default answers.
  static HttpContext* http(uint32_t id, uint16_t callback) {
    ContextBase* context = find(id);
    return (context != nullptr && context->isKindOverriding(ContextKind::Http, callback))
               ? static_cast<HttpContext*>(context)
               : nullptr;
  }
  static StreamContext* stream(uint32_t id) {
    ContextBase* context = find(id);
    return (context != nullptr && context->kind() == ContextKind::Stream)
               ? static_cast<StreamContext*>(context)
               : nullptr;
  }

  static void createRoot(uint32_t id) {
    // The host lets root context creation read plugin_root_id; absent means "".
    std::string root_id;
    char* data = nullptr;
    size_t size = 0;
    constexpr std::string_view kRootIdPath = "plugin_root_id";
    const uint32_t status =
        proxy_get_property(kRootIdPath.data(), kRootIdPath.size(), &data, &size);
    const HostBuffer value(data, size);  // freed whatever the status
    if (status == 0) root_id.assign(value.view());
    const Registration* registration = findRegistration(root_id);
    RootContext* context = (registration != nullptr && registration->root != nullptr)
                               ? registration->root(id, root_id).release()
                               : new RootContext(id, root_id);
    context->registration_ = registration;
    insert(id, context);
    if (!context->inherits(inherits::kOnCreate)) context->onCreate();
  }

  static void createChild(uint32_t id, uint32_t parent_id) {
    RootContext* parent = rootInline(parent_id);  // once per stream: no call
    if (parent == nullptr) {
      logError("meshwasm sdk: unknown root context");
      return;
    }
    const Registration* registration = parent->registration_;
    if (registration == nullptr) return;  // a plugin without stream factories
    std::unique_ptr<ContextBase> context;
    if (registration->http != nullptr) {
      context = registration->http(id, parent);
    } else if (registration->stream != nullptr) {
      context = registration->stream(id, parent);
    }
    if (!context) return;
    ContextBase* raw = context.release();
    insert(id, raw);
    if (!raw->inherits(inherits::kOnCreate)) raw->onCreate();
  }
};

}  // namespace meshwasm::sdk
