// Splitting SQL scripts into statements, per dialect, keeping each statement's line number.
#include "db/statement.h"

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

}  // namespace cutover::db
