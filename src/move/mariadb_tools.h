// mariadb-dump and the mariadb client, run for a MariaDB move: the faithful source of a
// database's DDL (tables, views, routines, triggers, events, with their definers and the
// server's own quirks), which cutover runs rather than reimplements. A password reaches them
// in their environment (MYSQL_PWD) only.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/connection_url.h"
#include "db/registry.h"

namespace cutover::move {

// How the tools reach one server.
struct MariadbToolServer {
  std::vector<std::string> arguments;  // --host, --port, --user, --protocol: no password
  std::vector<std::pair<std::string, std::string>> environment;  // MYSQL_PWD when known
  std::string shown;                                             // the URL without password
};

// The password is the one cutover's own connection to `server` uses (db::mariadb_password:
// the URL, --password-file's line for this server, MYSQL_PWD), else the tools read the option
// files. Throws Error(kBadInput) as db::mariadb_password does.
MariadbToolServer mariadb_tool_server(const ConnectionUrl& server,
                                      const db::ConnectOptions& connect);

// Which part of a database's schema a dump holds: what the data goes into (tables, views,
// routines), or what must come after it (triggers, which would fire on the copied rows, and
// events, which would run on a target not yet in use).
enum class SchemaPart { kBeforeData, kAfterData };

// mariadb-dump of `part` of `database` into `file`, without data. Throws
// Error(kOperationFailed) with the tool's last error line (redacted).
void dump_mariadb_schema(const MariadbToolServer& source, const std::string& database,
                         SchemaPart part, const std::string& file);

// Runs the SQL of `file` in `database` with the mariadb client, stopping at the first error.
void load_mariadb_schema(const MariadbToolServer& target, const std::string& database,
                         const std::string& file);

// The whole schema of `database` as mariadb-dump writes it, without dates and comments: the
// text two databases with the same schema share, whatever their names.
std::string mariadb_schema_text(const MariadbToolServer& server, const std::string& database,
                                const std::string& scratch);

}  // namespace cutover::move
