// Constraints added online on MariaDB.
#include "change/operations/mariadb_constraints.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "change/operations/sql_parts.h"
#include "core/error.h"

namespace cutover::change {
Step add_mariadb_foreign_key(const ChangeContext& context, const MariaDbForeignKey& key) {
  std::string definition = fmt::format(
      "{0} FOREIGN KEY IF NOT EXISTS {0} ({1}) REFERENCES {2} ({3})", context.quote(key.name),
      quoted_list(key.columns), context.table(key.ref_table), quoted_list(key.ref_columns));
  if (key.on_delete) definition += " ON DELETE " + *key.on_delete;
  if (key.on_update) definition += " ON UPDATE " + *key.on_update;
  return {.what = fmt::format("add foreign key {} to {} (rows not checked yet)", key.name,
                              key.table),
          .sql = fmt::format("SET STATEMENT foreign_key_checks = 0 FOR ALTER TABLE {} ADD "
                             "CONSTRAINT {}, ALGORITHM=INPLACE, LOCK=NONE",
                             context.table(key.table), definition),
          .long_running = true};
}

Step check_mariadb_foreign_key(const ChangeContext& context, const MariaDbForeignKey& key) {
  std::string not_null, same;
  for (std::size_t i = 0; i < key.columns.size(); ++i) {
    not_null += fmt::format("{}_cutover_row.{} IS NOT NULL", i ? " AND " : "",
                            context.quote(key.columns[i]));
    same += fmt::format("{}_cutover_ref.{} = _cutover_row.{}", i ? " AND " : "",
                        context.quote(key.ref_columns[i]), context.quote(key.columns[i]));
  }
  return {
      .what = fmt::format("check the rows of {} against foreign key {}", key.table, key.name),
      .sql = fmt::format(
          "BEGIN NOT ATOMIC IF EXISTS (SELECT 1 FROM {table} AS _cutover_row WHERE {not_null} "
          "AND NOT EXISTS (SELECT 1 FROM {ref} AS _cutover_ref WHERE {same})) THEN SIGNAL "
          "SQLSTATE '23000' SET MESSAGE_TEXT = {message}; END IF; END",
          fmt::arg("table", context.table(key.table)), fmt::arg("not_null", not_null),
          fmt::arg("ref", context.table(key.ref_table)), fmt::arg("same", same),
          fmt::arg("message",
                   sql_literal(fmt::format("rows of {} break foreign key {}: their ({}) are not "
                                           "in {}",
                                           key.table, key.name, fmt::join(key.columns, ", "),
                                           key.ref_table)))),
      .long_running = true};
}

Step add_mariadb_check(const ChangeContext& context, const std::string& table,
                       const std::string& name, const std::string& check) {
  return {.what = fmt::format("add check {} to {} (MariaDB copies the table)", name, table),
          .sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT IF NOT EXISTS {} CHECK ({}), "
                             "ALGORITHM=COPY, LOCK=SHARED",
                             context.table(table), context.quote(name), check),
          .long_running = true};
}

std::vector<std::string> column_types(const ChangeContext& context, const std::string& table,
                                      const std::vector<std::string>& columns) {
  std::vector<std::string> types;
  if (const db::TableInfo* info = context.catalog->find_table(table)) {
    for (const auto& column : columns) {
      if (const db::ColumnInfo* found = info->find_column(column)) types.push_back(found->type);
    }
  }
  return types;
}

bool is_mariadb_long_type(std::string_view type) {
  std::string lower(type);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* kind : {"tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob",
                           "mediumblob", "longblob", "json"}) {
    if (lower == kind || lower.starts_with(std::string(kind) + " ") ||
        lower.starts_with(std::string(kind) + "(")) {
      return true;
    }
  }
  return false;
}

std::string mariadb_index_algorithm(const ChangeContext& context, const std::string& where,
                                    const std::vector<std::string>& types, bool unique) {
  if (std::none_of(types.begin(), types.end(), is_mariadb_long_type)) {
    return "ALGORITHM=INPLACE, LOCK=NONE";
  }
  if (!unique) {
    throw_bad_input(fmt::format("{}: MariaDB indexes a TEXT, BLOB or JSON column only by a "
                                "prefix of it",
                                where),
                    "index another column, or make the index with a migration (cutover "
                    "migrate), giving the prefix length: (column(100))");
  }
  refuse_copy_alter(context, where, "a unique key on a TEXT, BLOB or JSON column");
  return "ALGORITHM=COPY, LOCK=SHARED";
}

void refuse_fulltext_table(const db::TableInfo& table, const std::string& where) {
  for (const db::IndexInfo& index : table.indexes) {
    if (!index.fulltext) continue;
    throw_bad_input(
        fmt::format("{}: table {} has a FULLTEXT index ({}), and MariaDB adds or drops a column "
                    "of such a table only by rebuilding it with the application's writes to it "
                    "blocked (LOCK=SHARED)",
                    where, table.name, index.name),
        "change that table with a migration (cutover migrate) in a quiet moment");
  }
}

void refuse_copy_alter(const ChangeContext& context, const std::string& where,
                       const std::string& what) {
  if (context.allow_copy_alter) return;
  throw_bad_input(
      fmt::format("{}: MariaDB adds {} only by copying the table, with the application's "
                  "writes to it stopped meanwhile",
                  where, what),
      "pass --allow-copy-alter to accept that (reads go on; writes to the table wait for the "
      "copy), or add it with a migration (cutover migrate) in a quiet moment");
}

}  // namespace cutover::change
