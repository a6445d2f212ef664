// What an operation knows about the change it belongs to and the database it runs on.
#include "change/change_context.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/stable_hash.h"

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
  constexpr std::size_t kHashLength = 8;
  if (name.size() <= kLimit) return name;
  std::string head = name.substr(0, kLimit - kHashLength - 1) + "_";
  // Releases before this one shortened names with std::hash, which differs between builds:
  // a trigger on the table with the same head and another hash was made by such a release
  // for this operation, and keeps its name until the change ends.
  if (const db::TableInfo* info = catalog ? catalog->find_table(std::string(table)) : nullptr) {
    for (const db::TriggerInfo& trigger : info->triggers) {
      std::string_view found = trigger.name;
      if (!found.starts_with(head) || found.size() < head.size() + kHashLength) continue;
      std::string_view hash = found.substr(head.size(), kHashLength);
      if (hash.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
        return std::string(found.substr(0, head.size() + kHashLength));
      }
    }
  }
  return head + stable_short_hash(name);
}

const db::TableInfo& ChangeContext::require_table(std::string_view name,
                                                  const std::string& where) const {
  if (const db::TableInfo* table = catalog->find_table(std::string(name))) return *table;
  if (const db::ViewInfo* view = catalog->find_view(std::string(name))) {
    const char* kind = view->materialized ? "a materialized view" : "a view";
    throw_bad_input(fmt::format("{}: {} is {}, not a table", where, name, kind),
                    fmt::format("change operations work on tables: change the tables that {} "
                                "reads from (its definition is shown by {} {})",
                                name,
                                flavor == db::Flavor::kMariaDb  ? "SHOW CREATE VIEW"
                                : flavor == db::Flavor::kSqlite ? ".schema"
                                                                : "\\d+",
                                name));
  }
  throw_bad_input(fmt::format("{}: there is no table {} in {}", where, name, base_schema),
                  flavor == db::Flavor::kPostgres
                      ? "check the table's name and the schema (--schema) of the change"
                      : "check the table's name and the database of the URL");
}

const db::ColumnInfo& ChangeContext::require_column(const db::TableInfo& table,
                                                    std::string_view column,
                                                    const std::string& where) const {
  if (const db::ColumnInfo* info = table.find_column(std::string(column))) return *info;
  throw_bad_input(fmt::format("{}: table {} has no column {}", where, table.name, column),
                  "check the column's name; the table's columns are listed by " +
                      (flavor == db::Flavor::kMariaDb ? "SHOW COLUMNS FROM " + table.name
                       : flavor == db::Flavor::kSqlite ? "PRAGMA table_info(" + table.name + ")"
                                                       : "\\d " + table.name));
}

}  // namespace cutover::change
