// What an operation knows about the change it belongs to and the database it runs on.
#include "change/change_context.h"

#include <fmt/format.h>

#include <functional>

#include "core/error.h"

namespace cutover::change {

std::string ChangeContext::quote(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string ChangeContext::table(std::string_view name) const {
  if (flavor == db::Flavor::kSqlite) return quote(name);
  return quote(base_schema) + "." + quote(name);
}

std::string ChangeContext::view(std::string_view name) const {
  return quote(change) + "." + quote(name);
}

std::string ChangeContext::shadow(std::string_view column) {
  return "_cutover_" + std::string(column);
}

std::string ChangeContext::trigger_name(int index, std::string_view table) const {
  std::string name = fmt::format("_cutover_{}_{}_{}", change, index, table);
  constexpr std::size_t kLimit = 63;  // PostgreSQL's identifier length
  if (name.size() <= kLimit) return name;
  std::string hash = fmt::format("{:08x}", std::hash<std::string>{}(name) & 0xffffffffu);
  return name.substr(0, kLimit - hash.size() - 1) + "_" + hash;
}

const db::TableInfo& ChangeContext::require_table(std::string_view name,
                                                  const std::string& where) const {
  if (const db::TableInfo* table = catalog->find_table(std::string(name))) return *table;
  throw_bad_input(fmt::format("{}: there is no table {} in {}", where, name, base_schema),
                  "check the table's name and the schema (--schema) of the change");
}

const db::ColumnInfo& ChangeContext::require_column(const db::TableInfo& table,
                                                    std::string_view column,
                                                    const std::string& where) const {
  if (const db::ColumnInfo* info = table.find_column(std::string(column))) return *info;
  throw_bad_input(fmt::format("{}: table {} has no column {}", where, table.name, column),
                  "check the column's name; the table's columns are listed by \\d " + table.name);
}

}  // namespace cutover::change
