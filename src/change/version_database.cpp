// The new version's database (MariaDB).
#include "change/version_database.h"

#include "change/operations/sql_parts.h"
#include "change/version_schema.h"

#include <fmt/format.h>

#include <algorithm>

namespace cutover::change {

std::vector<DatabaseGrant> read_database_grants(db::Connection& connection,
                                                const std::string& database) {
  std::vector<DatabaseGrant> grants;
  const db::Result result = connection.query(
      "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES "
      "WHERE TABLE_SCHEMA = $1 AND PRIVILEGE_TYPE IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE') "
      "ORDER BY GRANTEE, PRIVILEGE_TYPE",
      {database});
  for (const db::Row& row : result.rows) {
    if (grants.empty() || grants.back().grantee != row[0].text()) {
      grants.push_back({row[0].text(), {}});
    }
    grants.back().privileges.push_back(row[1].text());
  }
  return grants;
}

std::vector<Step> drop_version_database(const ChangeContext& context) {
  return {{.what = fmt::format("drop version database {}", context.change),
           .sql = fmt::format("DROP DATABASE IF EXISTS {}", context.quote(context.change))}};
}

std::vector<Step> create_version_database(const ChangeContext& context, const VersionShape& shape,
                                          const std::vector<DatabaseGrant>& grants) {
  std::vector<Step> steps = {
      {.what = fmt::format("create version database {}", context.change),
       .sql = fmt::format("CREATE DATABASE IF NOT EXISTS {}", context.quote(context.change))}};
  // MERGE: a simple view over one table is updatable, and its queries use the table's
  // indexes. INVOKER: the application's account needs its own privileges on the table, as
  // before, and gets no more through the view than it had.
  // A table or view that the application dropped since the catalog was read gets no view
  // (the step is skipped): its own DDL must not fail the change.
  const auto view = [&](const std::string& name, const std::string& select,
                        const std::string& base) {
    steps.push_back(
        {.what = fmt::format("create view {}.{}", context.change, name),
         .sql = fmt::format("CREATE OR REPLACE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW {} AS {}",
                            context.view(name), select),
         .done_if = fmt::format("SELECT 1 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM "
                                "information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                                "TABLE_NAME = {})",
                                sql_literal(base))});
  };
  for (const auto& table : shape.tables) {
    // No columns: the table went while the catalog was read.
    if (!table.columns.empty()) view(table.view, view_select(context, table), table.table);
  }
  // The base database's own views, as they are: the new version finds them where it looks.
  for (const auto& base_view : context.catalog->views) {
    const bool shadowed = std::any_of(shape.tables.begin(), shape.tables.end(),
                                      [&](const VersionTable& t) { return t.view == base_view.name; });
    if (!shadowed) {
      view(base_view.name, "SELECT * FROM " + context.table(base_view.name), base_view.name);
    }
  }
  for (const auto& grant : grants) {
    std::string privileges;
    for (const auto& privilege : grant.privileges) {
      privileges += (privileges.empty() ? "" : ", ") + privilege;
    }
    steps.push_back({.what = fmt::format("grant {} on {} to {}", privileges, context.change,
                                         grant.grantee),
                     .sql = fmt::format("GRANT {} ON {}.* TO {}", privileges,
                                        context.quote(context.change), grant.grantee)});
  }
  return steps;
}

}  // namespace cutover::change
