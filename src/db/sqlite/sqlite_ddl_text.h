// Facts SQLite keeps only in the CREATE text of sqlite_schema: CHECK clauses, constraint
// names of foreign keys, trigger timing and events, view bodies, index expressions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "db/catalog.h"

namespace cutover::db {

struct SqliteNamedForeignKey {  // a foreign key written with CONSTRAINT <name>
  std::string name;
  std::vector<std::string> columns;
  std::string ref_table;
};

struct SqliteTableDdl {
  std::vector<CheckInfo> checks;  // column and table CHECKs in order; name "" when unnamed
  std::vector<SqliteNamedForeignKey> named_foreign_keys;
};

// Reads a CREATE TABLE statement as sqlite_schema stores it. Quotes ('', "", ``, []),
// comments and nested parentheses are skipped properly; expressions keep their original
// text. A statement without a column list (CREATE TABLE ... AS SELECT) gives nothing.
SqliteTableDdl parse_sqlite_create_table(std::string_view sql);

// Timing ("BEFORE" when the statement names none, "AFTER", "INSTEAD OF") and event
// ("INSERT", "UPDATE", "DELETE") of a CREATE TRIGGER statement; name as given.
TriggerInfo parse_sqlite_create_trigger(std::string name, std::string_view sql);

// The query of a CREATE VIEW statement (the text after AS); the whole text if none is found.
std::string sqlite_view_query(std::string_view sql);

// The indexed items of a CREATE INDEX statement, each as written ("lower(email)", "b DESC").
std::vector<std::string> sqlite_index_items(std::string_view sql);

}  // namespace cutover::db
