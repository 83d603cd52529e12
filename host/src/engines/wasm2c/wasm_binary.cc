#include "wasm_binary.h"

#include <optional>

namespace meshwasm::host::aot {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool done() const { return pos_ >= bytes_.size(); }
  size_t pos() const { return pos_; }
  bool failed() const { return failed_; }

  uint8_t byte() {
    if (pos_ >= bytes_.size()) return fail();
    return static_cast<uint8_t>(bytes_[pos_++]);
  }

  uint32_t u32() {
    uint64_t value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      uint8_t b = byte();
      if (failed_) return 0;
      value |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        if (value > 0xffffffffu) return fail();
        return static_cast<uint32_t>(value);
      }
    }
    return fail();
  }

  std::string_view bytes(uint32_t n) {
    if (n > bytes_.size() - pos_) {
      fail();
      return {};
    }
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  void skip(uint32_t n) { bytes(n); }

  // Sub-reader over the next n bytes.
  Reader sub(uint32_t n) { return Reader(bytes(n)); }

 private:
  uint8_t fail() {
    failed_ = true;
    pos_ = bytes_.size();
    return 0;
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  bool failed_ = false;
};

bool readLimits(Reader& r, uint32_t* initial, uint32_t* maximum) {
  uint8_t flags = r.byte();
  if (flags > 3) return false;  // 64-bit memories are not supported
  *initial = r.u32();
  *maximum = (flags & 1) ? r.u32() : 0xffffffffu;
  return !r.failed();
}

bool isValueType(uint8_t t) {
  return t == kTypeI32 || t == kTypeI64 || t == kTypeF32 || t == kTypeF64 || t == kTypeV128 ||
         t == kTypeFuncRef || t == kTypeExternRef;
}

Status malformed(const char* what) {
  return Status::error(std::string("Failed to load Wasm module: invalid module: ") + what);
}

std::optional<ValueType> toValueType(uint8_t t) {
  switch (t) {
    case kTypeI32: return ValueType::I32;
    case kTypeI64: return ValueType::I64;
    case kTypeF32: return ValueType::F32;
    case kTypeF64: return ValueType::F64;
    default: return std::nullopt;
  }
}

StatusOr<FunctionType> toFunctionType(const ModuleShape& shape, uint32_t type_index,
                                      const std::string& what) {
  if (type_index >= shape.types.size()) return malformed("function type index out of range");
  const RawFunctionType& raw = shape.types[type_index];
  FunctionType type;
  for (uint8_t t : raw.params) {
    auto v = toValueType(t);
    if (!v) return Status::error(what);
    type.params.push_back(*v);
  }
  for (uint8_t t : raw.results) {
    auto v = toValueType(t);
    if (!v) return Status::error(what);
    type.results.push_back(*v);
  }
  return type;
}

}  // namespace

StatusOr<ModuleShape> parseModule(std::string_view bytes) {
  static constexpr char kHeader[8] = {'\0', 'a', 's', 'm', 1, 0, 0, 0};
  if (bytes.size() < 8 || bytes.substr(0, 4) != std::string_view(kHeader, 4)) {
    return Status::error("Failed to load Wasm module: not a Wasm binary (bad magic number)");
  }
  if (bytes.substr(4, 4) != std::string_view(kHeader + 4, 4)) {
    return malformed("unsupported binary version");
  }
  ModuleShape shape;
  shape.stripped.assign(kHeader, 8);
  Reader r(bytes.substr(8));
  uint32_t imported_functions = 0;
  while (!r.done()) {
    const size_t section_start = r.pos();
    uint8_t id = r.byte();
    uint32_t size = r.u32();
    Reader s = r.sub(size);
    if (r.failed()) return malformed("section extends past the end of the module");
    if (id != 0) {
      shape.stripped.append(bytes.substr(8 + section_start, r.pos() - section_start));
    }
    switch (id) {
      case 1: {  // type
        uint32_t count = s.u32();
        for (uint32_t i = 0; i < count && !s.failed(); ++i) {
          if (s.byte() != 0x60) return malformed("unsupported type form");
          RawFunctionType type;
          uint32_t params = s.u32();
          for (uint32_t p = 0; p < params && !s.failed(); ++p) type.params.push_back(s.byte());
          uint32_t results = s.u32();
          for (uint32_t p = 0; p < results && !s.failed(); ++p) type.results.push_back(s.byte());
          for (uint8_t t : type.params) {
            if (!isValueType(t)) return malformed("bad value type");
          }
          for (uint8_t t : type.results) {
            if (!isValueType(t)) return malformed("bad value type");
          }
          shape.types.push_back(std::move(type));
        }
        break;
      }
      case 2: {  // import
        uint32_t count = s.u32();
        for (uint32_t i = 0; i < count && !s.failed(); ++i) {
          ModuleImport import;
          import.module = std::string(s.bytes(s.u32()));
          import.name = std::string(s.bytes(s.u32()));
          uint8_t kind = s.byte();
          switch (kind) {
            case 0:
              import.kind = ExternKind::Function;
              import.type_index = s.u32();
              shape.function_types.push_back(import.type_index);
              ++imported_functions;
              break;
            case 1:
              import.kind = ExternKind::Table;
              import.value_type = s.byte();
              if (!readLimits(s, &import.initial, &import.maximum)) return malformed("bad limits");
              break;
            case 2:
              import.kind = ExternKind::Memory;
              if (!readLimits(s, &import.initial, &import.maximum)) return malformed("bad limits");
              break;
            case 3:
              import.kind = ExternKind::Global;
              import.value_type = s.byte();
              s.byte();  // mutability
              break;
            case 4:
              import.kind = ExternKind::Tag;
              s.byte();
              s.u32();
              break;
            default: return malformed("bad import kind");
          }
          shape.imports.push_back(std::move(import));
        }
        break;
      }
      case 3: {  // function
        uint32_t count = s.u32();
        for (uint32_t i = 0; i < count && !s.failed(); ++i) shape.function_types.push_back(s.u32());
        break;
      }
      case 4: {  // table
        uint32_t count = s.u32();
        for (uint32_t i = 0; i < count && !s.failed(); ++i) {
          s.byte();  // element type
          uint32_t initial = 0, maximum = 0;
          if (!readLimits(s, &initial, &maximum)) return malformed("bad limits");
          shape.table_initials.push_back(initial);
        }
        break;
      }
      case 5: {  // memory
        uint32_t count = s.u32();
        for (uint32_t i = 0; i < count && !s.failed(); ++i) {
          uint32_t initial = 0, maximum = 0;
          if (!readLimits(s, &initial, &maximum)) return malformed("bad limits");
          shape.memory_initials.push_back(initial);
        }
        break;
      }
      case 7: {  // export
        uint32_t count = s.u32();
        for (uint32_t i = 0; i < count && !s.failed(); ++i) {
          ModuleExport exp;
          exp.name = std::string(s.bytes(s.u32()));
          uint8_t kind = s.byte();
          if (kind > 4) return malformed("bad export kind");
          exp.kind = static_cast<ExternKind>(kind);
          exp.index = s.u32();
          shape.exports.push_back(std::move(exp));
        }
        break;
      }
      default: break;
    }
    if (s.failed()) return malformed("truncated section");
  }
  (void)imported_functions;
  for (const auto& type_index : shape.function_types) {
    if (type_index >= shape.types.size()) return malformed("function type index out of range");
  }
  for (const auto& exp : shape.exports) {
    if (exp.kind == ExternKind::Function && exp.index >= shape.function_types.size()) {
      return malformed("exported function index out of range");
    }
  }
  return shape;
}

StatusOr<std::vector<ImportDesc>> importDescs(const ModuleShape& shape) {
  std::vector<ImportDesc> out;
  for (const auto& import : shape.imports) {
    ImportDesc desc;
    desc.module = import.module;
    desc.name = import.name;
    desc.kind = import.kind;
    if (import.kind == ExternKind::Function) {
      auto type = toFunctionType(
          shape, import.type_index,
          "Failed to load Wasm module due to an import type mismatch: " + import.module + "." +
              import.name + ", want: a signature with unsupported value types");
      if (!type) return type.status();
      desc.type = std::move(*type);
    }
    out.push_back(std::move(desc));
  }
  return out;
}

std::vector<std::optional<ExportDesc>> exportDescs(const ModuleShape& shape) {
  std::vector<std::optional<ExportDesc>> out;
  for (const auto& exp : shape.exports) {
    ExportDesc desc;
    desc.name = exp.name;
    desc.kind = exp.kind;
    if (exp.kind == ExternKind::Function) {
      auto type = toFunctionType(shape, shape.function_types[exp.index], "export " + exp.name);
      if (!type) {
        out.push_back(std::nullopt);  // not callable through the engine seam
        continue;
      }
      desc.type = std::move(*type);
    }
    out.push_back(std::move(desc));
  }
  return out;
}

std::string signatureText(const FunctionType& type) {
  auto letter = [](ValueType t) {
    switch (t) {
      case ValueType::I32: return 'i';
      case ValueType::I64: return 'j';
      case ValueType::F32: return 'f';
      case ValueType::F64: return 'd';
    }
    return '?';
  };
  std::string out;
  for (auto t : type.params) out += letter(t);
  out += ':';
  for (auto t : type.results) out += letter(t);
  return out;
}

}  // namespace meshwasm::host::aot
