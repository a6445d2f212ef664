// Whether the session's user may create tables, read from SHOW GRANTS.
#pragma once

#include <string>
#include <string_view>

#include "db/connection.h"

namespace cutover::db::mariadb {

// True when a grant of the session (its user or its active role) gives CREATE or ALL
// PRIVILEGES on *.* or on a database pattern matching `database` ('app', 'app\_%').
// Table-level CREATE grants are not counted. With no database selected (`database` empty),
// only a grant on *.* counts: the user may then create tables in any database.
// Throws Error(kOperationFailed) when SHOW GRANTS fails.
bool may_create_tables(Connection& connection, const std::string& database);

// One line of SHOW GRANTS, e.g. "GRANT SELECT, CREATE ON `app`.* TO `u`@`%`": whether it
// grants CREATE on `database`. Exposed for unit tests.
bool grant_allows_create(std::string_view grant_line, std::string_view database);

}  // namespace cutover::db::mariadb
