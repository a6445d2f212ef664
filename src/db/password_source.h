// Where a MariaDB connection's password comes from: shared by cutover's own sessions and the
// client tools it runs (mariadb-dump, mariadb), so that both log in to a server the same way.
#pragma once

#include <optional>
#include <string>

#include "core/connection_url.h"
#include "db/registry.h"

namespace cutover::db {

// The password for a MariaDB connection to `url`, first found wins:
//   1. the URL (mariadb://user:pw@...), discouraged because it shows in process lists;
//   2. --password-file (ConnectOptions::password_file): its one password, or the first of its
//      pgpass lines that matches the URL's host ("localhost" for a local socket), port (3306
//      when not given), database (empty when none) and user;
//   3. the MYSQL_PWD environment variable;
//   4. nullopt: libmariadb and the tools read `password=` from the option files.
// Throws Error(kBadInput, DbFailure::kConnect) naming the file, and the server redacted,
// when the file cannot be used or none of its lines matches.
std::optional<std::string> mariadb_password(const ConnectionUrl& url,
                                            const ConnectOptions& options);

}  // namespace cutover::db
