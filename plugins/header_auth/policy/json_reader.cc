#include "json_reader.h"

#include <cstring>

#include "text.h"

namespace meshwasm::header_auth {

class JsonParser {
 public:
  JsonParser(std::string_view text, JsonDocument& document) : text_(text), doc_(document) {}

  Status run() {
    doc_.nodes_.emplace_back();
    if (parseValue(0, 0)) {
      skipWhitespace();
      if (pos_ != text_.size()) fail("trailing characters after the value");
    }
    if (error_ == nullptr) return Status::ok();
    return Status::error("invalid JSON at byte " + decimal(error_at_) + ": " + error_);
  }

 private:
  bool fail(const char* reason) {
    if (error_ == nullptr) {
      error_ = reason;
      error_at_ = pos_;
    }
    return false;
  }
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skipWhitespace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++pos_;
    }
  }

  uint32_t addChild(uint32_t parent, uint32_t& last_child) {
    uint32_t child = static_cast<uint32_t>(doc_.nodes_.size());
    doc_.nodes_.emplace_back();
    JsonNode& parent_node = doc_.nodes_[parent];
    if (last_child == kNoJsonNode) {
      parent_node.first_child = child;
    } else {
      doc_.nodes_[last_child].next_sibling = child;
    }
    ++parent_node.child_count;
    last_child = child;
    return child;
  }

  bool parseValue(uint32_t index, int depth) {
    skipWhitespace();
    if (atEnd()) return fail("unexpected end of input");
    switch (peek()) {
      case '{': return parseObject(index, depth + 1);
      case '[': return parseArray(index, depth + 1);
      case '"':
        doc_.nodes_[index].type = JsonType::String;
        return parseString(doc_.nodes_[index].text);
      case 't': return parseLiteral(index, "true", JsonType::Boolean, true);
      case 'f': return parseLiteral(index, "false", JsonType::Boolean, false);
      case 'n': return parseLiteral(index, "null", JsonType::Null, false);
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parseNumber(index);
        return fail("expected a value");
    }
  }

  bool parseLiteral(uint32_t index, std::string_view word, JsonType type, bool value) {
    if (text_.size() - pos_ < word.size() ||
        std::memcmp(text_.data() + pos_, word.data(), word.size()) != 0) {
      return fail("expected a value");
    }
    pos_ += word.size();
    doc_.nodes_[index].type = type;
    doc_.nodes_[index].boolean = value;
    return true;
  }

  bool parseObject(uint32_t index, int depth) {
    if (depth > kMaxJsonDepth) return fail("nesting deeper than 32 levels");
    doc_.nodes_[index].type = JsonType::Object;
    ++pos_;  // '{'
    skipWhitespace();
    if (!atEnd() && peek() == '}') {
      ++pos_;
      return true;
    }
    uint32_t last = kNoJsonNode;
    while (true) {
      skipWhitespace();
      if (atEnd()) return fail("unexpected end of input");
      if (peek() != '"') return fail("expected a string key");
      JsonText key;
      if (!parseString(key)) return false;
      skipWhitespace();
      if (atEnd()) return fail("unexpected end of input");
      if (peek() != ':') return fail("expected ':' after an object key");
      ++pos_;
      uint32_t child = addChild(index, last);
      doc_.nodes_[child].key = key;
      if (!parseValue(child, depth)) return false;
      skipWhitespace();
      if (atEnd()) return fail("unexpected end of input");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool parseArray(uint32_t index, int depth) {
    if (depth > kMaxJsonDepth) return fail("nesting deeper than 32 levels");
    doc_.nodes_[index].type = JsonType::Array;
    ++pos_;  // '['
    skipWhitespace();
    if (!atEnd() && peek() == ']') {
      ++pos_;
      return true;
    }
    uint32_t last = kNoJsonNode;
    while (true) {
      uint32_t child = addChild(index, last);
      if (!parseValue(child, depth)) return false;
      skipWhitespace();
      if (atEnd()) return fail("unexpected end of input");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool digits() {
    size_t start = pos_;
    while (!atEnd() && peek() >= '0' && peek() <= '9') ++pos_;
    return pos_ > start;
  }

  bool parseNumber(uint32_t index) {
    size_t start = pos_;
    bool negative = peek() == '-';
    if (negative) ++pos_;
    if (atEnd()) return fail("invalid number");
    if (peek() == '0') {
      ++pos_;
    } else if (!digits()) {
      return fail("invalid number");
    }
    size_t integer_end = pos_;
    bool integral = true;
    if (!atEnd() && peek() == '.') {
      ++pos_;
      integral = false;
      if (!digits()) return fail("invalid number");
    }
    if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      integral = false;
      if (!atEnd() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!digits()) return fail("invalid number");
    }
    JsonNode& node = doc_.nodes_[index];
    node.type = JsonType::Number;
    if (integral) {
      // Accumulate the magnitude; give up (not an integer) past int64_t's range.
      uint64_t magnitude = 0;
      const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
      bool fits = true;
      for (size_t i = start + (negative ? 1 : 0); i < integer_end && fits; ++i) {
        uint64_t digit = uint64_t(text_[i] - '0');
        if (magnitude > (limit - digit) / 10) {
          fits = false;
        } else {
          magnitude = magnitude * 10 + digit;
        }
      }
      if (fits) {
        node.is_integer = true;
        node.integer = negative ? int64_t(0 - magnitude) : int64_t(magnitude);
      }
    }
    return true;
  }

  int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads "\uXXXX" at pos_ (pointing at the backslash); -1 on error.
  int32_t readEscapedUnit() {
    if (text_.size() - pos_ < 6 || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') return -1;
    int32_t unit = 0;
    for (size_t i = 2; i < 6; ++i) {
      int digit = hexDigit(text_[pos_ + i]);
      if (digit < 0) return -1;
      unit = unit * 16 + digit;
    }
    pos_ += 6;
    return unit;
  }

  static void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(char(cp));
    } else if (cp < 0x800) {
      out.push_back(char(0xc0 | (cp >> 6)));
      out.push_back(char(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(char(0xe0 | (cp >> 12)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(char(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(char(0xf0 | (cp >> 18)));
      out.push_back(char(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(char(0x80 | (cp & 0x3f)));
    }
  }

  bool parseEscape(std::string& out) {
    if (pos_ + 1 >= text_.size()) {
      ++pos_;
      return fail("unterminated string");
    }
    char c = text_[pos_ + 1];
    const char* simple = nullptr;
    switch (c) {
      case '"': simple = "\""; break;
      case '\\': simple = "\\"; break;
      case '/': simple = "/"; break;
      case 'b': simple = "\b"; break;
      case 'f': simple = "\f"; break;
      case 'n': simple = "\n"; break;
      case 'r': simple = "\r"; break;
      case 't': simple = "\t"; break;
      case 'u': break;
      default: return fail("invalid escape in string");
    }
    if (simple != nullptr) {
      out.push_back(*simple);
      pos_ += 2;
      return true;
    }
    size_t start = pos_;
    int32_t unit = readEscapedUnit();
    if (unit < 0) return fail("invalid \\u escape");
    uint32_t cp = uint32_t(unit);
    if (cp >= 0xdc00 && cp <= 0xdfff) {
      pos_ = start;
      return fail("unpaired surrogate in \\u escape");
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
      int32_t low = readEscapedUnit();
      if (low < 0xdc00 || low > 0xdfff) {
        pos_ = start;
        return fail("unpaired surrogate in \\u escape");
      }
      cp = 0x10000 + ((cp - 0xd800) << 10) + (uint32_t(low) - 0xdc00);
    }
    appendUtf8(out, cp);
    return true;
  }

  // Length of the well-formed UTF-8 sequence at pos_ (lead byte >= 0x80), or 0.
  size_t utf8Length() const {
    const auto byte = [&](size_t i) { return uint8_t(text_[pos_ + i]); };
    const size_t available = text_.size() - pos_;
    const uint8_t lead = byte(0);
    size_t length;
    uint8_t low = 0x80, high = 0xbf;  // allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) low = 0xa0;   // no overlong forms
      if (lead == 0xed) high = 0x9f;  // no UTF-16 surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;  // nothing above U+10FFFF
    } else {
      return 0;
    }
    if (available < length) return 0;
    if (byte(1) < low || byte(1) > high) return 0;
    for (size_t i = 2; i < length; ++i) {
      if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
    }
    return length;
  }

  // Decodes a string into the pool; `slice` receives where.
  bool parseString(JsonText& slice) {
    std::string& out = doc_.strings_;
    const size_t begin = out.size();
    ++pos_;  // opening quote
    while (true) {
      if (atEnd()) return fail("unterminated string");
      const uint8_t c = uint8_t(peek());
      if (c == '"') {
        ++pos_;
        slice = JsonText{uint32_t(begin), uint32_t(out.size() - begin)};
        return true;
      }
      if (c == '\\') {
        if (!parseEscape(out)) return false;
      } else if (c < 0x20) {
        return fail("control character in string");
      } else if (c < 0x80) {
        out.push_back(char(c));
        ++pos_;
      } else {
        size_t length = utf8Length();
        if (length == 0) return fail("invalid UTF-8 in string");
        out.append(text_.substr(pos_, length));
        pos_ += length;
      }
    }
  }

  std::string_view text_;
  JsonDocument& doc_;
  size_t pos_ = 0;
  const char* error_ = nullptr;
  size_t error_at_ = 0;
};

StatusOr<JsonDocument> JsonDocument::parse(std::string_view text) {
  JsonDocument document;
  JsonParser parser(text, document);
  Status status = parser.run();
  if (!status.isOk()) return status;
  return document;
}

const JsonNode* JsonDocument::member(const JsonNode& object, std::string_view key) const {
  if (object.type != JsonType::Object) return nullptr;
  for (uint32_t i = object.first_child; i != kNoJsonNode; i = nodes_[i].next_sibling) {
    if (slice(nodes_[i].key) == key) return &nodes_[i];
  }
  return nullptr;
}

std::string_view jsonTypeName(JsonType type) {
  switch (type) {
    case JsonType::Null: return "null";
    case JsonType::Boolean: return "boolean";
    case JsonType::Number: return "number";
    case JsonType::String: return "string";
    case JsonType::Array: return "array";
    case JsonType::Object: return "object";
  }
  return "value";
}

}  // namespace meshwasm::header_auth
