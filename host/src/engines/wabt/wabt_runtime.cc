// libwabt interpreter glue (C++17; see wabt_runtime.h).
//
// Facts about libwabt 1.0.32 this file relies on:
// - the library is built with assertions: a call with the wrong number of arguments aborts the
//   process (the engine checks argument counts before calling in);
// - a host function may call back into the guest on the same Thread (nested Run);
// - a Memory's data is a std::vector that reallocates on growth (memoryData() reads it anew);
// - objects live until their Store is destroyed (Store::Collect is never run).
#include "wabt_runtime.h"

#include <wabt/binary-reader.h>
#include <wabt/error.h>
#include <wabt/feature.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include <cstring>
#include <new>
#include <utility>

namespace meshwasm::host::wabt_rt {

namespace wi = wabt::interp;

namespace {

Type fromWabt(wabt::Type type) {
  switch (static_cast<wabt::Type::Enum>(type)) {
    case wabt::Type::I32: return Type::I32;
    case wabt::Type::I64: return Type::I64;
    case wabt::Type::F32: return Type::F32;
    case wabt::Type::F64: return Type::F64;
    default: return Type::Other;
  }
}

Signature fromWabt(const wi::FuncType& type) {
  Signature out;
  for (auto t : type.params) out.params.push_back(fromWabt(t));
  for (auto t : type.results) out.results.push_back(fromWabt(t));
  return out;
}

Kind fromWabt(wabt::ExternalKind kind) {
  switch (kind) {
    case wabt::ExternalKind::Func: return Kind::Function;
    case wabt::ExternalKind::Table: return Kind::Table;
    case wabt::ExternalKind::Memory: return Kind::Memory;
    case wabt::ExternalKind::Global: return Kind::Global;
    case wabt::ExternalKind::Tag: return Kind::Tag;
  }
  return Kind::Tag;
}

uint64_t toSlot(wabt::Type type, const wi::Value& value) {
  switch (static_cast<wabt::Type::Enum>(type)) {
    case wabt::Type::I32: return value.Get<wi::u32>();
    case wabt::Type::I64: return value.Get<wi::u64>();
    case wabt::Type::F32: {
      const float f = value.Get<wi::f32>();
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      return bits;
    }
    case wabt::Type::F64: {
      const double d = value.Get<wi::f64>();
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return bits;
    }
    default: return 0;
  }
}

wi::Value fromSlot(wabt::Type type, uint64_t slot) {
  switch (static_cast<wabt::Type::Enum>(type)) {
    case wabt::Type::I32: return wi::Value::Make(static_cast<wi::u32>(slot));
    case wabt::Type::I64: return wi::Value::Make(static_cast<wi::u64>(slot));
    case wabt::Type::F32: {
      const uint32_t bits = static_cast<uint32_t>(slot);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return wi::Value::Make(f);
    }
    case wabt::Type::F64: {
      double d;
      std::memcpy(&d, &slot, sizeof d);
      return wi::Value::Make(d);
    }
    default: return wi::Value::Make(wi::u32{0});
  }
}

bool capLimits(wabt::Limits& limits, uint64_t cap) {
  if (limits.initial > cap) return false;
  if (!limits.has_max || limits.max > cap) {
    limits.max = cap;
    limits.has_max = true;
  }
  return true;
}

}  // namespace

// ------------------------------------------------------------------------------- Module

struct Module::Impl {
  wi::ModuleDesc desc;
  uint64_t max_table_elements = 0;
};

Module::Module() : impl_(std::make_unique<Impl>()) {}
Module::~Module() = default;

std::shared_ptr<const Module> Module::read(const void* data, size_t size, uint32_t max_memory_pages,
                                           uint64_t max_table_elements, std::string* error) {
  wabt::Features features;
  features.enable_tail_call();
  const wabt::ReadBinaryOptions options(features, /*log_stream=*/nullptr,
                                        /*read_debug_names=*/false,
                                        /*stop_on_first_error=*/true,
                                        /*fail_on_custom_section_error=*/false);
  wabt::Errors errors;
  std::shared_ptr<Module> module(new Module());
  wi::ModuleDesc& desc = module->impl_->desc;
  module->impl_->max_table_elements = max_table_elements;
  if (wabt::Failed(wi::ReadBinaryInterp("module.wasm", data, size, options, &errors, &desc))) {
    *error = "invalid module";
    for (const auto& e : errors) {
      if (e.error_level == wabt::ErrorLevel::Error) {
        *error = "invalid module: " + e.message + " (at byte " + std::to_string(e.loc.offset) + ")";
        break;
      }
    }
    return nullptr;
  }
  for (auto& memory : desc.memories) {
    if (!capLimits(memory.type.limits, max_memory_pages)) {
      *error = "memory of " + std::to_string(memory.type.limits.initial) +
               " pages is larger than the limit of " + std::to_string(max_memory_pages);
      return nullptr;
    }
  }
  for (auto& table : desc.tables) {
    if (!capLimits(table.type.limits, max_table_elements)) {
      *error = "table of " + std::to_string(table.type.limits.initial) +
               " elements is larger than the limit of " + std::to_string(max_table_elements);
      return nullptr;
    }
  }
  for (const auto& import : desc.imports) {
    const wi::ImportType& type = import.type;
    Import out{type.module, type.name, fromWabt(type.type->kind), {}};
    if (out.kind == Kind::Function) {
      out.signature = fromWabt(*wabt::cast<wi::FuncType>(type.type.get()));
    } else if (out.kind == Kind::Memory) {
      wabt::Limits limits = wabt::cast<wi::MemoryType>(type.type.get())->limits;
      if (!capLimits(limits, max_memory_pages)) {
        *error = "imported memory of " + std::to_string(limits.initial) +
                 " pages is larger than the limit of " + std::to_string(max_memory_pages);
        return nullptr;
      }
    } else if (out.kind == Kind::Table) {
      wabt::Limits limits = wabt::cast<wi::TableType>(type.type.get())->limits;
      if (!capLimits(limits, max_table_elements)) {
        *error = "imported table of " + std::to_string(limits.initial) +
                 " elements is larger than the limit of " + std::to_string(max_table_elements);
        return nullptr;
      }
    }
    module->imports_.push_back(std::move(out));
  }
  for (const auto& e : desc.exports) {
    Export out{e.type.name, fromWabt(e.type.type->kind), {}};
    if (out.kind == Kind::Function) {
      out.signature = fromWabt(*wabt::cast<wi::FuncType>(e.type.type.get()));
    }
    module->exports_.push_back(std::move(out));
  }
  return module;
}

// ------------------------------------------------------------------------------- Instance

struct Instance::Impl {
  std::shared_ptr<const Module> module;
  // The Store owns every wabt object and is declared first, so it is destroyed last.
  wi::Store store{wabt::Features{}};
  std::unique_ptr<wi::Thread> thread;
  std::vector<HostFunction> functions;
  std::vector<wi::Extern::Ptr> imported;
  wi::Instance::Ptr instance;
  wi::Memory::Ptr memory;
  std::vector<wi::Func::Ptr> exports;  // parallel to Module::exports(); empty if not a function

  wabt::Result callHost(size_t index, const wi::FuncType& type, const wi::Values& args,
                        wi::Values& out, wi::Trap::Ptr* out_trap) {
    constexpr size_t kInline = 16;
    uint64_t inline_args[kInline];  // only the slots in use are written
    uint64_t inline_results[kInline];
    std::vector<uint64_t> heap_args;
    std::vector<uint64_t> heap_results;
    uint64_t* a = inline_args;
    uint64_t* r = inline_results;
    if (type.params.size() > kInline) {
      heap_args.resize(type.params.size());
      a = heap_args.data();
    }
    if (type.results.size() > kInline) {
      heap_results.resize(type.results.size());
      r = heap_results.data();
    }
    for (size_t i = 0; i < type.params.size(); ++i) {
      a[i] = i < args.size() ? toSlot(type.params[i], args[i]) : 0;
    }
    for (size_t i = 0; i < type.results.size(); ++i) r[i] = 0;
    std::string trap;
    if (!functions[index](a, r, &trap)) {
      *out_trap = wi::Trap::New(store, trap);
      return wabt::Result::Error;
    }
    out.resize(type.results.size());
    for (size_t i = 0; i < type.results.size(); ++i) out[i] = fromSlot(type.results[i], r[i]);
    return wabt::Result::Ok;
  }
};

Instance::Instance() : impl_(std::make_unique<Impl>()) {}
Instance::~Instance() = default;

std::unique_ptr<Instance> Instance::create(std::shared_ptr<const Module> module,
                                           std::vector<HostFunction> functions,
                                           uint32_t max_memory_pages, std::string* error) {
  std::unique_ptr<Instance> self(new Instance());
  Impl& impl = *self->impl_;
  impl.module = std::move(module);
  impl.functions = std::move(functions);
  impl.thread = std::make_unique<wi::Thread>(impl.store);
  const wi::ModuleDesc& desc = impl.module->impl().desc;

  wi::RefVec imports;
  size_t next_function = 0;
  for (const auto& import : desc.imports) {
    const wi::ImportType& type = import.type;
    switch (type.type->kind) {
      case wabt::ExternalKind::Func: {
        if (next_function >= impl.functions.size()) {
          *error = "no host function for import " + type.module + "." + type.name;
          return nullptr;
        }
        const size_t index = next_function++;
        const wi::FuncType func_type = *wabt::cast<wi::FuncType>(type.type.get());
        Impl* p = &impl;
        auto func = wi::HostFunc::New(
            impl.store, func_type,
            [p, index, func_type](wi::Thread&, const wi::Values& args, wi::Values& out,
                                  wi::Trap::Ptr* out_trap) -> wabt::Result {
              return p->callHost(index, func_type, args, out, out_trap);
            });
        imports.push_back(func.ref());
        impl.imported.emplace_back(func);
        break;
      }
      case wabt::ExternalKind::Memory: {
        wabt::Limits limits = wabt::cast<wi::MemoryType>(type.type.get())->limits;
        capLimits(limits, max_memory_pages);  // checked by Module::read
        impl.memory = wi::Memory::New(impl.store, wi::MemoryType(limits));
        imports.push_back(impl.memory.ref());
        impl.imported.emplace_back(impl.memory);
        break;
      }
      case wabt::ExternalKind::Table: {
        const auto* table_type = wabt::cast<wi::TableType>(type.type.get());
        wabt::Limits limits = table_type->limits;
        capLimits(limits, impl.module->impl().max_table_elements);
        auto table = wi::Table::New(impl.store, wi::TableType(table_type->element, limits));
        imports.push_back(table.ref());
        impl.imported.emplace_back(table);
        break;
      }
      default: *error = "unsupported import " + type.module + "." + type.name; return nullptr;
    }
  }

  // Module::New takes its description by value: every instance gets its own copy of the code.
  auto wabt_module = wi::Module::New(impl.store, desc);
  wi::Trap::Ptr trap;
  try {
    impl.instance = wi::Instance::Instantiate(impl.store, wabt_module.ref(), imports, &trap);
  } catch (const std::bad_alloc&) {
    *error = "out of memory";
    return nullptr;
  }
  if (!impl.instance) {
    *error = trap ? trap->message() : std::string("instantiation failed");
    return nullptr;
  }
  if (!impl.memory && !impl.instance->memories().empty()) {
    impl.memory = impl.store.UnsafeGet<wi::Memory>(impl.instance->memories()[0]);
  }
  const wi::RefVec& exports = impl.instance->exports();
  impl.exports.resize(exports.size());
  for (size_t i = 0; i < exports.size() && i < desc.exports.size(); ++i) {
    if (desc.exports[i].type.type->kind == wabt::ExternalKind::Func) {
      impl.exports[i] = impl.store.UnsafeGet<wi::Func>(exports[i]);
    }
  }
  return self;
}

bool Instance::call(size_t export_index, const uint64_t* args, uint64_t* results,
                    std::string* trap) {
  Impl& impl = *impl_;
  if (export_index >= impl.exports.size() || !impl.exports[export_index]) {
    *trap = "not an exported function";
    return false;
  }
  const wi::Func::Ptr& func = impl.exports[export_index];
  const wi::FuncType& type = func->type();
  // Nested calls (host function -> guest) must not clobber the outer call's vectors.
  wi::Values params;
  params.reserve(type.params.size());
  for (size_t i = 0; i < type.params.size(); ++i)
    params.push_back(fromSlot(type.params[i], args[i]));
  wi::Values out;
  wi::Trap::Ptr wabt_trap;
  wabt::Result result = wabt::Result::Error;
  try {
    result = func->Call(*impl.thread, params, out, &wabt_trap);
  } catch (const std::bad_alloc&) {
    // memory.grow / table.grow resize std::vectors; the host process is out of memory.
    *trap = "out of memory";
    return false;
  }
  if (wabt::Failed(result)) {
    *trap = wabt_trap ? wabt_trap->message() : std::string("trap");
    return false;
  }
  for (size_t i = 0; i < type.results.size() && i < out.size(); ++i) {
    results[i] = toSlot(type.results[i], out[i]);
  }
  return true;
}

uint8_t* Instance::memoryData() {
  return impl_->memory ? impl_->memory->UnsafeData() : nullptr;
}

size_t Instance::memorySize() {
  return impl_->memory ? static_cast<size_t>(impl_->memory->ByteSize()) : 0;
}

}  // namespace meshwasm::host::wabt_rt
