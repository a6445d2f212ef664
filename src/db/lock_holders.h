// Who is likely to hold the locks a statement waited for in vain: the other sessions whose
// transaction has been open for longer than the lock timeout (a shorter one would have let go
// in time), named so that an operator can find them.
#pragma once

#include <chrono>
#include <string>

#include "db/connection.h"

namespace cutover::db {

// "sessions in a transaction for longer than the lock timeout: pid 4242 (user app, idle in
// transaction, transaction open for 12.3 s, locks on rental: UPDATE rental SET x = $1 WHERE id
// = $2); ... (and 2 more)" (at most five, the oldest first). PostgreSQL: sessions of this
// database holding a lock on a table, the tables named, their statement with its constants
// replaced by $n (or none when it does not parse); MariaDB: connections of this database with
// an InnoDB transaction, without statement. Empty when there is none, on SQLite, or when the
// lookup fails: it never throws.
std::string long_transactions(Connection& connection, std::chrono::milliseconds lock_timeout);

}  // namespace cutover::db
