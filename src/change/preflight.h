// What `change start` checks on a PostgreSQL server before its first step, beyond the catalog
// that operations validate against: partitions, the objects that depend on a column complete
// drops, and the types and expressions of the operations, parsed by the server itself. A change
// that would fail at any later step for these reasons is refused with nothing changed.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "change/change_context.h"
#include "db/connection.h"
#include "db/lock_retry.h"

namespace cutover::change {

// A column that complete drops (drop_column; alter_column drops the original for its shadow).
struct DroppedColumn {
  std::string table;
  std::string column;
  // alter_column builds the indexes and constraints that include the column again on its
  // shadow; drop_column does not, so a multi-column index or constraint would vanish with it.
  bool rebuilds_indexes_and_constraints = false;
};

// What one operation asks the preflight to check.
struct Preflight {
  // Tables whose columns the operation adds, renames, retypes or drops: not a partition
  // (PostgreSQL changes a partition's columns only through its partitioned table).
  std::vector<std::string> column_tables;
  // Tables the operation changes in a way PostgreSQL cannot do online on a partitioned table
  // (CREATE INDEX CONCURRENTLY, NOT VALID foreign keys, unique keys from a concurrent index).
  std::vector<std::string> whole_tables;
  std::vector<DroppedColumn> dropped_columns;
  // Statements that must succeed, run in a read-only transaction that is rolled back: casts to
  // the operation's types, SELECTs of its expressions over its tables WHERE false. They take
  // no lock stronger than ACCESS SHARE and read no row.
  std::vector<std::string> probes;
  // PostgreSQL: statements on a temporary copy of a table's columns (kSandboxTable, made from
  // `sandbox_table` with CREATE TEMP TABLE ... (LIKE ...)), run in a transaction that is rolled
  // back: what only DDL finds (a subquery in a check, a function that is not IMMUTABLE in an
  // index's WHERE, an unknown index method). They lock the table no more than a SELECT.
  std::string sandbox_table;
  std::vector<std::string> sandbox;
};

// The temporary table sandbox statements work on.
inline constexpr const char* kSandboxTable = "pg_temp._cutover_probe";

// Checks every operation's Preflight; `checks` pairs each with its operation's where(). Throws
// Error(kBadInput) naming the operation, the problem and the fix at the first operation with a
// problem (all the objects depending on a column at once). Waits for locks at most
// `retry.lock_timeout` at a time, retrying as db::retry_lock_conflicts does. Returns the
// where() of the operations whose sandbox statements could not run (PostgreSQL: the user may
// not create temporary tables).
std::vector<std::string> run_preflight(db::Connection& connection, const ChangeContext& context,
                                       const std::vector<std::pair<std::string, Preflight>>& checks,
                                       const db::LockRetryPolicy& retry);

// `type` as CAST accepts it: serial, bigserial and smallserial (shorthands of column
// definitions) become their integer types; any other type is returned as given.
std::string castable_type(std::string_view type);

// `SELECT CAST(NULL AS <type>)`: the server resolves the type's name and modifiers.
std::string probe_type(std::string_view type);
// MariaDB's CAST takes few types: a temporary table with a column of the type, which the
// probe then drops.
std::string probe_mariadb_type(std::string_view type);

// `SELECT (<expression>) FROM <table> AS new WHERE false`: the server resolves the expression's
// columns against the row (named `new`, as in the trigger and the backfill) and checks its types
// without reading a row.
std::string probe_expression(const ChangeContext& context, const std::string& table,
                             const std::string& expression);

}  // namespace cutover::change
