// The freeze of `move data`: drain the write transactions under way, prove the freeze.
#include "move/write_freeze.h"

#include <fmt/format.h>

#include <set>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "db/transaction.h"

namespace cutover::move {
namespace {

// A session writes when its transaction holds a transaction id, or when a statement of it holds
// a lock that only writes take: an INSERT ... SELECT still reading before its first row has no
// id yet, but its RowExclusiveLock was taken, with the privilege check, before the freeze.
constexpr const char* kWriters = R"(
  SELECT a.pid, 'pid ' || a.pid || ' (' || coalesce(nullif(a.usename, ''), '?') || ', ' ||
         coalesce(a.state, '?') || ')', a.state = 'active'
  FROM pg_stat_activity a
  WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
    AND a.backend_type = 'client backend'
    AND (a.backend_xid IS NOT NULL OR EXISTS (
      SELECT 1 FROM pg_locks l
      WHERE l.pid = a.pid AND l.locktype = 'relation' AND l.granted
        AND l.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock',
                       'AccessExclusiveLock')))
  ORDER BY a.pid)";

bool wait_until_drained(db::Connection& database, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (database.query(kWriters).empty()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (interrupted_within(std::chrono::milliseconds(50))) {
      throw_interrupted("while waiting for the source's write transactions to end",
                        "the source stays frozen: cutover move data resumes, cutover move "
                        "abort lifts the freeze");
    }
  }
}

}  // namespace

std::vector<std::string> open_write_transactions(db::Connection& database) {
  std::vector<std::string> out;
  for (const auto& row : database.query(kWriters).rows) out.push_back(row[1].text());
  return out;
}

std::vector<std::string> drain_writes(db::Connection& database, std::chrono::milliseconds timeout) {
  std::vector<std::string> stopped;
  if (wait_until_drained(database, timeout)) return stopped;
  // Cancel the statements running; a session idle in its transaction ignores a cancel, so
  // those are ended.
  for (const auto& row : database.query(kWriters).rows) {
    bool active = row[2].text() == "t" || row[2].text() == "true";
    database.execute(
        active ? "SELECT pg_cancel_backend($1::int)" : "SELECT pg_terminate_backend($1::int)",
        {row[0]});
    stopped.push_back(row[1].text() + (active ? ": cancelled" : ": session ended"));
  }
  if (wait_until_drained(database, std::chrono::seconds(2))) return stopped;
  for (const auto& row : database.query(kWriters).rows) {
    database.execute("SELECT pg_terminate_backend($1::int)", {row[0]});
    stopped.push_back(row[1].text() + ": session ended");
  }
  if (!wait_until_drained(database, std::chrono::seconds(5))) {
    std::string left;
    for (const auto& s : open_write_transactions(database)) left += (left.empty() ? "" : ", ") + s;
    throw Error(ErrorCode::kOperationFailed,
                "write transactions on the source did not end, even after their sessions were "
                "ended: " +
                    left,
                "end them by hand (pg_terminate_backend), then run cutover move data again");
  }
  return stopped;
}

std::string cannot_drain(db::Connection& database) {
  auto row = database
                 .query(
                     "SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'), "
                     "rolsuper OR pg_has_role(current_user, 'pg_signal_backend', 'USAGE') "
                     "FROM pg_roles WHERE rolname = current_user")
                 .rows.at(0);
  auto yes = [](const db::Value& v) { return v.text() == "t" || v.text() == "true"; };
  std::vector<std::string> missing;
  if (!yes(row[0])) missing.push_back("pg_read_all_stats (to see other users' transactions)");
  if (!yes(row[1])) missing.push_back("pg_signal_backend (to cancel them)");
  if (missing.empty()) return {};
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : " and ") + m;
  return "the source's user lacks " + list;
}

std::vector<std::string> prepared_transactions(db::Connection& database) {
  std::vector<std::string> out;
  for (const auto& row : database
                             .query("SELECT gid || ' (' || owner || ')' FROM pg_prepared_xacts "
                                    "WHERE database = current_database() ORDER BY prepared")
                             .rows) {
    out.push_back(row[0].text());
  }
  return out;
}

std::string prove_freeze(db::Connection& database, const FreezeRecord& record) {
  // Application roles first: they are the ones the freeze is for.
  std::set<std::string> superusers;  // a freeze does not hold them: no proof
  for (const auto& row :
       database.query("SELECT quote_ident(rolname) FROM pg_roles WHERE rolsuper").rows) {
    superusers.insert(row[0].text());
  }
  std::vector<const WriteGrant*> candidates;
  for (const auto& g : record.grants) {
    if (g.kind == "TABLE" && g.column.empty() && g.privilege == "DELETE" && g.grantee != "PUBLIC" &&
        !superusers.count(g.grantee)) {
      candidates.insert(g.grantee != g.owner ? candidates.begin() : candidates.end(), &g);
    }
  }
  std::string tried;
  for (std::size_t i = 0; i < candidates.size() && i < 5; ++i) {
    const WriteGrant& g = *candidates[i];
    db::Transaction transaction(database);
    database.execute("SET LOCAL ROLE " + g.grantee);
    try {
      database.execute(fmt::format("DELETE FROM {} WHERE false", g.object));
    } catch (const Error& e) {
      if (e.sqlstate() == "42501") {
        return fmt::format("{} may not DELETE FROM {} (42501 insufficient_privilege)", g.grantee,
                           g.object);
      }
      continue;  // not a table one can delete from (a view without rules): try another
    }
    throw Error(
        ErrorCode::kOperationFailed,
        fmt::format("the freeze does not hold: {} could still DELETE FROM {}", g.grantee, g.object),
        "nothing was copied; cutover move abort restores the privileges");
  }
  return tried;
}

}  // namespace cutover::move
