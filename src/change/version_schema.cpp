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
