// Opens a connection with the driver the connection string's scheme names.
#include "db/registry.h"

#include "core/connection_url.h"
#include "core/error.h"
#include "db/mariadb/mariadb_connection.h"
#include "db/postgres/pg_connection.h"
#include "db/sqlite/sqlite_connection.h"

namespace cutover::db {

std::unique_ptr<Connection> connect(std::string_view url, const ConnectOptions& options) {
  ConnectionUrl parsed = parse_connection_url(url);
  switch (parsed.scheme) {
    case Scheme::kPostgres:
      return open_postgres(parsed, options);
    case Scheme::kMariaDb:
      return open_mariadb(parsed, options);
    case Scheme::kSqlite:
      return open_sqlite(parsed, options);
  }
  throw_bad_input("unknown scheme in " + parsed.redacted());
}

}  // namespace cutover::db
