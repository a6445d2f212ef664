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

std::size_t byte_offset_of_character(std::string_view text, int character) {
  std::size_t offset = 0;
  for (int seen = 1; seen < character && offset < text.size(); ++seen) {
    const auto lead = static_cast<unsigned char>(text[offset]);
    offset += lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  }
  return std::min(offset, text.size());
}

}  // namespace cutover::db
