// What a SQLite move reads and writes on its files: the triggers that freeze a database, its
// tables, each table's count and checksum, and its schema as text.
#pragma once

#include <string>
#include <vector>

#include "db/connection.h"
#include "move/table_verify.h"

namespace cutover::move {

// Every freeze trigger of the move: refused writes name it.
inline constexpr const char* kFreezeTriggerPrefix = "cutover_freeze_";

struct FreezeTrigger {
  std::string name;
  std::string create;  // CREATE TRIGGER ... RAISE(ABORT, ...)
};

// One BEFORE INSERT, UPDATE and DELETE trigger for each table (virtual tables aside: their
// shadow tables get them), each refusing the write with a message that names move `move_id`.
std::vector<FreezeTrigger> freeze_trigger_statements(db::Connection& database,
                                                     const std::string& move_id);

// A write that must fail, tried and rolled back: "a DELETE on t was refused", or the number of
// triggers when no table has a row to try. Throws Error(kOperationFailed) when it succeeded.
std::string prove_sqlite_freeze(db::Connection& database);

// The tables whose rows are compared (virtual tables and SQLite's own aside), by name.
std::vector<std::string> sqlite_tables(db::Connection& database);

// The count and checksum of `table`: the sum of a 64-bit FNV-1a hash of each row's values
// (NULL apart from ''), so no row order changes it.
TableSum sqlite_table_sum(db::Connection& database, const std::string& table);

// sqlite_schema (the freeze triggers aside), user_version and application_id, as text.
std::string sqlite_schema_text(db::Connection& database);

}  // namespace cutover::move
