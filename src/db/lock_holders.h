// Who is likely to hold the locks a statement waited for in vain: the other sessions whose
// transaction has been open for longer than the lock timeout (a shorter one would have let go
// in time), named so that an operator can find them.
#pragma once

#include <chrono>
#include <string>

#include "db/connection.h"

namespace cutover::db {

// "sessions in a transaction for longer than the lock timeout: pid 4242 (user app, idle in
// transaction, transaction open for 12.3 s: UPDATE rental SET ...); ..." (at most three, the oldest
// first; on PostgreSQL only those holding a lock on a table; string literals in the statement shown
// as
// '...'). Empty when there is none, on SQLite, or when the server does not tell (the lookup is
// a courtesy: it never throws but for a lost connection).
std::string long_transactions(Connection& connection, std::chrono::milliseconds lock_timeout);

}  // namespace cutover::db
