// Bulk loading into MariaDB: batched multi-row INSERTs through prepared statements.
#pragma once

#include <mysql.h>

#include <memory>
#include <string>
#include <vector>

#include "db/connection.h"

namespace cutover::db::mariadb {

// A loader that inserts into `quoted_table` (`quoted_columns`, already quoted) on `mysql`,
// which must outlive it. Rows go in batches of up to 500 (fewer for wide tables, since a
// statement takes at most 65535 markers, or when a batch nears max_allowed_packet). Batches
// commit as the session does (autocommit, or the caller's transaction).
std::unique_ptr<BulkLoader> make_bulk_loader(MYSQL* mysql, std::string quoted_table,
                                             std::vector<std::string> quoted_columns);

}  // namespace cutover::db::mariadb
