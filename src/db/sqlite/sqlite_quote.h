// Quoting identifiers for SQLite: "name", with embedded double quotes doubled.
#pragma once

#include <string>
#include <string_view>

namespace cutover::db {

inline std::string sqlite_quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

}  // namespace cutover::db
