// Splitting SQL scripts into statements, per dialect, keeping each statement's line number.
#include "db/statement.h"

#include <algorithm>

#include "db/mariadb/mariadb_splitter.h"
#include "db/postgres/pg_splitter.h"
#include "db/sqlite/sqlite_splitter.h"

namespace cutover::db {

std::vector<Statement> split_statements(Flavor flavor, std::string_view script) {
  switch (flavor) {
    case Flavor::kPostgres:
      return split_postgres(script);
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      return split_mariadb(script);
    case Flavor::kSqlite:
      return split_sqlite(script);
  }
  return split_sqlite(script);
}

int line_of_offset(std::string_view script, std::size_t offset) {
  offset = std::min(offset, script.size());
  return 1 + static_cast<int>(
                 std::count(script.begin(), script.begin() + static_cast<long>(offset), '\n'));
}

}  // namespace cutover::db
