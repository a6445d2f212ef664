// Applies one prepared migration script as the lease holder: step by step, each DDL statement
// with a short lock timeout and jittered retries, progress fenced by the lease token.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "coord/heartbeat.h"
#include "coord/lease.h"
#include "core/output.h"
#include "db/connection.h"
#include "db/lock_retry.h"
#include "migrate/history_table.h"
#include "migrate/prepared_script.h"

namespace cutover::migrate {

struct ApplyOptions {
  db::LockRetryPolicy retry;
  std::chrono::milliseconds statement_timeout{0};  // 0: none
};

// Borrows everything; all must outlive it. One script at a time, on one thread.
class ScriptApplier {
 public:
  ScriptApplier(db::Connection& connection, HistoryTable& history, coord::Lease& lease,
                const coord::LeaseToken& token, const coord::Heartbeat& heartbeat, ApplyOptions options,
                Output& output);

  // Applies `script` from statement `resume_from` (0 for a fresh start; what the lease row
  // records for a file a previous holder left half done) and appends its history row.
  // A transaction step is all or nothing; after each step the lease records how many
  // statements are done, fenced by the token, in the step's own transaction where it has one.
  // A CREATE INDEX CONCURRENTLY that an earlier attempt left INVALID is dropped and built
  // again; one found valid when resuming at it (it finished, its progress was not recorded)
  // is kept. Returns the execution time in milliseconds.
  // Throws Error(kOperationFailed) naming the file, statement and line when a statement fails
  // or stays blocked by locks past retry_for (the message says what of the file is applied),
  // and Error(kConflict) when the lease was lost: another instance takes over from there.
  // `progress_after` is what the lease's progress says once the history row is written, in the
  // same transaction: empty (nothing in progress), or what is still owed after this file.
  std::int32_t apply(const PreparedScript& script, int resume_from,
                     const std::string& progress_after = "");

 private:
  void run_step(const PreparedScript& script, const ScriptStep& step, bool last, bool resuming,
                std::chrono::steady_clock::time_point started, const std::string& progress_after);
  bool skip_or_clean_concurrent_index(const ScriptStatement& statement, bool resuming);
  // After `statement` failed: drops the INVALID index a failed CREATE INDEX CONCURRENTLY left,
  // or when that too fails, says how to. Empty when it left none. Never throws.
  std::string drop_index_left_by(const ScriptStatement& statement);
  // The INVALID indexes a CREATE INDEX CONCURRENTLY left: the one it names, or for one that
  // names none, those this process's attempts added to its table.
  std::vector<std::string> invalid_indexes_left(const ScriptStatement& statement);
  void execute(const PreparedScript& script, int index);
  // Runs `attempt` until it succeeds, retrying lock conflicts per the policy; turns a database
  // error into one that names the file, the statement and what of the file is applied (`done`
  // statements before the attempt).
  void with_retries(const PreparedScript& script, int done, const std::function<void()>& attempt);
  // Runs `body` in a transaction with the statement limits set; rolls back if it throws.
  void in_transaction(const std::function<void()>& body);
  void set_transaction_timeouts();
  void append_history(const PreparedScript& script, std::chrono::steady_clock::time_point started);
  void check_lease(const PreparedScript& script, int done) const;
  [[noreturn]] void throw_lost(const PreparedScript& script, int done) const;
  std::string applied_so_far(const PreparedScript& script, int done) const;

  db::Connection& connection_;
  HistoryTable& history_;
  coord::Lease& lease_;
  const coord::LeaseToken& token_;
  const coord::Heartbeat& heartbeat_;
  ApplyOptions options_;
  Output& output_;
  db::Flavor flavor_;
  int running_ = -1;       // the statement being executed, for error messages
  // The unnamed CREATE INDEX CONCURRENTLY last attempted, and its table's indexes before.
  const ScriptStatement* unnamed_index_statement_ = nullptr;
  std::set<std::string> indexes_before_;
  bool session_timeouts_;  // false behind a transaction pooler: only SET LOCAL is safe there
};

}  // namespace cutover::migrate
