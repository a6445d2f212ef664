// Reading a PostgreSQL schema from the system catalogs into a db::Catalog.
#pragma once

#include <string_view>

#include "db/catalog.h"
#include "db/connection.h"

namespace cutover::db::pg {

// Tables (ordinary and partitioned, partitions included), views and sequences of `schema`
// (empty: current_schema()), each sorted by name, plus the size of the whole database; a
// handful of catalog queries whatever the number of tables. Foreign keys to a table in another
// schema name it "schema.table". Throws Error(kBadInput) when the schema does not exist or
// none is given and the search_path names no existing schema; Error like any query otherwise.
Catalog introspect_schema(Connection& session, std::string_view schema);

}  // namespace cutover::db::pg
