// What cutover migrate must know about one statement before running it: whether it may run in a
// transaction, which index a CREATE INDEX CONCURRENTLY builds, and where a script fails to parse.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "db/server_info.h"

namespace cutover::migrate {

// The index a CREATE INDEX CONCURRENTLY statement builds, as PostgreSQL will name it (quoted
// identifiers keep their case, unquoted ones are folded to lower case).
struct ConcurrentIndex {
  std::string schema;  // "" when not qualified
  std::string name;    // "" when the statement does not name the index
  std::string table;   // the table's name, in `schema`
};

struct StatementTraits {
  // Must run outside a transaction block (PostgreSQL refuses it inside one, or, for
  // ALTER TYPE ... ADD VALUE, the new value is unusable until commit).
  bool outside_transaction = false;
  std::optional<ConcurrentIndex> concurrent_index;  // set for CREATE INDEX CONCURRENTLY only
  // Controls the transaction itself (BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT,
  // SAVEPOINT, RELEASE, ROLLBACK TO, PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED; on MariaDB
  // also XA): cutover owns the transactions of a file and its progress record, so such a file
  // is refused (see check_no_transaction_control).
  bool transaction_control = false;
  std::string
      kind;  // short name for messages, e.g. "CREATE INDEX CONCURRENTLY", "" if nothing special
};

// Classifies one statement (comments included, as the splitters yield it) with libpg_query's
// parse tree. Only PostgreSQL statements are classified; other flavors and statements that do
// not parse return default traits. Statements flagged outside_transaction: CREATE/DROP INDEX
// CONCURRENTLY, REINDEX CONCURRENTLY (both syntaxes), REINDEX SCHEMA/DATABASE/SYSTEM, ALTER TYPE
// ... ADD VALUE, VACUUM (not ANALYZE), CREATE/DROP DATABASE, ALTER DATABASE SET TABLESPACE, ALTER
// SYSTEM, CREATE/DROP TABLESPACE, CLUSTER without a table, ALTER TABLE ... DETACH PARTITION ...
// CONCURRENTLY, CREATE SUBSCRIPTION unless create_slot or connect is false, ALTER SUBSCRIPTION
// ... REFRESH or ... PUBLICATION with refresh, DROP SUBSCRIPTION (always: whether it drops a slot
// is only known to the server). If `sql` holds several statements, the first special one
// decides. Throws Error(kOperationFailed) only if libpg_query returns an unreadable tree.
// MariaDB, MySQL and SQLite statements are classified by their leading keywords (the splitters
// yield whole statements without outer comments) for transaction control only: START
// TRANSACTION, BEGIN [WORK] (not MariaDB's BEGIN NOT ATOMIC block), BEGIN DEFERRED/IMMEDIATE/
// EXCLUSIVE (SQLite), COMMIT, END (SQLite), ROLLBACK, SAVEPOINT, RELEASE, XA (MariaDB).
StatementTraits classify_statement(db::Flavor flavor, std::string_view sql);

// Throws Error(kBadInput) naming the file, the statement (1-based `index + 1`), its line and
// its kind when `traits.transaction_control`, with the fix as hint; returns otherwise. Called
// for every statement before anything of the file runs.
void check_no_transaction_control(std::string_view file_name, int index, int line,
                                  const StatementTraits& traits);

}  // namespace cutover::migrate
