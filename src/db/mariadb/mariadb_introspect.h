// The catalog of one MariaDB/MySQL database, read from information_schema.
#pragma once

#include <string>

#include "db/connection.h"

namespace cutover::db::mariadb {

// Tables (with columns, keys, indexes, foreign keys, checks, triggers, sizes), views and
// sequences of `database`, each list sorted by name; eight queries in all, whatever the size.
// Column defaults are SQL expression text ('abc', 0, current_timestamp()). MariaDB's implicit
// CHECK (json_valid(col)) of JSON columns is reported like any other check. Prefix indexes show
// their columns as "col(10)". Throws Error(kOperationFailed) when a query fails.
Catalog introspect_database(Connection& connection, Flavor flavor, const std::string& database);

}  // namespace cutover::db::mariadb
