// The freeze of `move data` on one source database: writes stopped (by privileges or the
// user's hook), the write transactions under way drained, and the freeze proven.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "db/connection.h"
#include "move/privilege_freeze.h"

namespace cutover::move {

// Sessions of the source database still in a write transaction: "pid 123 (app, idle in
// transaction)" each. Our own session aside.
std::vector<std::string> open_write_transactions(db::Connection& database);

// Waits up to `timeout` for the database's write transactions to end, then cancels those left
// (and ends the sessions of those that stay, such as idle ones) and waits for them to go.
// Returns one line per session it had to stop.
std::vector<std::string> drain_writes(db::Connection& database, std::chrono::milliseconds timeout);

// Why the session's user cannot drain other users' write transactions (it cannot see them in
// pg_stat_activity, or cannot cancel them), or empty when it can.
std::string cannot_drain(db::Connection& database);

// Prepared transactions (two-phase commit) waiting in the database: they would commit after
// the copy. "gid (owner)" each.
std::vector<std::string> prepared_transactions(db::Connection& database);

// Proves a privilege freeze by a write that must fail: as a role that could write before,
// DELETE ... WHERE false on a table it could write. Returns what was tried, e.g. "app may not
// DELETE FROM public.orders (42501)"; empty when no role could write before. Throws
// Error(kOperationFailed) when the write was allowed.
std::string prove_freeze(db::Connection& database, const FreezeRecord& record);

}  // namespace cutover::move
