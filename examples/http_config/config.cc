#include "config.h"

namespace meshwasm::examples {
namespace {

// A small strict JSON reader for exactly this shape: objects and strings, nothing else.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  Status fail(std::string_view what) const { return failAt(pos_, what); }
  static Status failAt(size_t at, std::string_view what) {
    return Status::error("byte " + std::to_string(at) + ": " + std::string(what));
  }
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool consume(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool atEnd() {
    skipSpace();
    return pos_ == text_.size();
  }
  char peek() {
    skipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  Status readString(std::string& out) {
    out.clear();
    if (!consume('"')) return fail("expected '\"'");
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return Status::ok();
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == text_.size()) break;
      const size_t escape = pos_ - 1;  // errors in an escape point at its backslash
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t code = 0;
          if (!readHex4(code)) return failAt(escape, "invalid \\u escape");
          if (code >= 0xD800 && code <= 0xDBFF) {  // a surrogate pair
            uint32_t low = 0;
            if (pos_ + 2 > text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
              return failAt(escape, "unpaired surrogate");
            }
            pos_ += 2;
            if (!readHex4(low) || low < 0xDC00 || low > 0xDFFF) {
              return failAt(escape, "unpaired surrogate");
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return failAt(escape, "unpaired surrogate");
          }
          appendUtf8(out, code);
          break;
        }
        default: return failAt(escape, "invalid escape in string");
      }
    }
    return fail("unterminated string");
  }

 private:
  bool readHex4(uint32_t& code) {
    if (pos_ + 4 > text_.size()) return false;
    code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      code <<= 4;
      if (c >= '0' && c <= '9') {
        code |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }
  static void appendUtf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// RFC 9110 token characters; upper case is accepted and lower-cased.
bool isHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool isHeaderValue(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

Status headerError(const std::string& name, std::string_view what) {
  return Status::error("headers.\"" + name + "\": " + std::string(what));
}

}  // namespace

StatusOr<HttpConfig> parseHttpConfig(std::string_view json) {
  Reader reader(json);
  if (reader.atEnd()) {
    return Status::error("empty configuration; expected {\"headers\": {\"<name>\": \"<value>\"}}");
  }
  if (!reader.consume('{')) return reader.fail("expected '{'");
  HttpConfig config;
  bool seen_headers = false;
  std::string key;
  if (!reader.consume('}')) {
    do {
      if (Status s = reader.readString(key); !s) return s;
      if (!reader.consume(':')) return reader.fail("expected ':'");
      if (key != "headers") return Status::error("unknown field \"" + key + "\"");
      if (seen_headers) return Status::error("field \"headers\" given twice");
      seen_headers = true;
      if (!reader.consume('{')) return Status::error("headers: must be an object");
      if (reader.consume('}')) continue;
      do {
        std::string name;
        std::string value;
        if (Status s = reader.readString(name); !s) return s;
        if (!reader.consume(':')) return reader.fail("expected ':'");
        if (reader.peek() != '"') return headerError(name, "value must be a string");
        if (Status s = reader.readString(value); !s) return s;
        if (!isHeaderName(name)) return headerError(name, "not a valid header name");
        if (!isHeaderValue(value)) return headerError(name, "value contains CR, LF or NUL");
        for (char& c : name) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        config.headers.emplace_back(std::move(name), std::move(value));
      } while (reader.consume(','));
      if (!reader.consume('}')) return reader.fail("expected ',' or '}'");
    } while (reader.consume(','));
    if (!reader.consume('}')) return reader.fail("expected ',' or '}'");
  }
  if (!reader.atEnd()) return reader.fail("trailing characters after the configuration");
  if (!seen_headers) return Status::error("missing field \"headers\"");
  return config;
}

}  // namespace meshwasm::examples
