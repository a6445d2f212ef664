// Reading the catalog of an SQLite database: tables, columns, keys, indexes, foreign keys,
// checks, triggers, views and sizes.
#pragma once

#include <string>
#include <string_view>

#include "db/catalog.h"
#include "db/connection.h"

namespace cutover::db {

// The catalog of `schema` ("main" when empty; "temp" or an attached name also work), read
// through `connection`'s queries. SQLite-specific answers:
//  - tables are ordinary tables only (not sqlite_* internals, virtual or shadow tables);
//  - an unnamed constraint has name ""; keys and indexes carry the names SQLite reports
//    (sqlite_autoindex_<table>_<n>); a primary key that is the rowid has no index, so "";
//  - row_estimate comes from sqlite_stat1 (after ANALYZE), else -1; size_bytes from the
//    dbstat table (table plus its indexes), else -1; there are no sequences;
//  - a view's definition is its query, the text after AS.
// Throws Error(kBadInput) for an unknown schema and the connection's errors otherwise.
Catalog sqlite_introspect(Connection& connection, std::string_view schema);

}  // namespace cutover::db
