// Header maps as the filter chain sees them: Envoy-style, lower-case names, pseudo headers
// (`:method`, `:path`, `:authority`, `:scheme` on requests, `:status` on responses) first,
// repeated headers as repeated entries.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshwasm::gateway {

class HeaderMap {
 public:
  using Entry = std::pair<std::string, std::string>;

  HeaderMap() = default;
  explicit HeaderMap(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  // First value of `name` (compared lower-case), or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  // Every value of `name` joined with ",".
  std::optional<std::string> getJoined(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

  // Appends an entry (the name is lower-cased).
  void add(std::string_view name, std::string_view value);
  // Replaces every entry of `name` with one entry (kept at the first one's position).
  void set(std::string_view name, std::string_view value);
  // Removes every entry of `name`; returns how many were removed.
  size_t remove(std::string_view name);

  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& entries() { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Sum of name and value lengths.
  size_t byteSize() const;

 private:
  std::vector<Entry> entries_;
};

// The ":status" entry read as a number (its leading digits, as atoi reads them), or nullopt
// when there is none.
std::optional<int> statusCode(const HeaderMap& headers);

std::string toLower(std::string_view s);
bool equalsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace meshwasm::gateway
