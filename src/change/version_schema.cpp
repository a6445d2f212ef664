// The new version's schema of views (PostgreSQL).
#include "change/version_schema.h"

#include <fmt/format.h>

namespace cutover::change {

std::string view_select(const ChangeContext& context, const VersionTable& table) {
  std::string columns;
  for (const auto& column : table.columns) {
    if (!columns.empty()) columns += ", ";
    columns += context.quote(column.column);
    if (column.column != column.name) columns += " AS " + context.quote(column.name);
  }
  return fmt::format("SELECT {} FROM {}", columns, context.table(table.table));
}

std::map<std::string, std::string> read_partition_parents(db::Connection& connection,
                                                          const std::string& schema) {
  std::map<std::string, std::string> parents;
  const db::Result result = connection.query(
      "SELECT c.relname, p.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid "
      "JOIN pg_class p ON p.oid = h.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relispartition AND n.nspname = $1 AND p.relnamespace = n.oid",
      {schema});
  for (const db::Row& row : result.rows) parents[row[0].text()] = row[1].text();
  return parents;
}

std::vector<Step> drop_version_schema(const ChangeContext& context) {
  return {{fmt::format("drop version schema {}", context.change),
           fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", context.quote(context.change)), false,
           "", ""}};
}

std::vector<Step> create_version_schema(const ChangeContext& context, const VersionShape& shape) {
  std::vector<Step> steps = drop_version_schema(context);
  steps.push_back({fmt::format("create version schema {}", context.change),
                   fmt::format("CREATE SCHEMA {}", context.quote(context.change)), false, "", ""});
  for (const auto& table : shape.tables) {
    steps.push_back({fmt::format("create view {}.{}", context.change, table.view),
                     fmt::format("CREATE VIEW {} AS {}", context.view(table.view),
                                 view_select(context, table)),
                     false, "", ""});
  }
  return steps;
}

}  // namespace cutover::change
