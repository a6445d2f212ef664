// Runs the steps of a phase with short lock timeouts and retries.
#include "change/step_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "change/galera_nodes.h"
#include "core/duration.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "db/error_kind.h"
#include "db/lock_holders.h"
#include "db/transaction.h"

namespace cutover::change {

void report_retry(Output& output, const std::string& what, const db::LockConflict& conflict) {
  if (output.json()) {
    output.event({{"event", "retry"},
                  {"step", what},
                  {"reason", db::error_kind_name(conflict.kind)},
                  {"attempt", conflict.next_attempt},
                  {"pause_ms", conflict.pause.count()},
                  {"message", conflict.error.message()}});
  } else {
    output.info(fmt::format("{}: {}, retrying in {} (attempt {})", what,
                            db::error_kind_name(conflict.kind),
                            format_duration_ms(conflict.pause), conflict.next_attempt));
  }
}

StepRunner::StepRunner(db::Connection& connection, std::string schema, db::LockRetryPolicy retry,
                       Output& output, BeforeStep before_step)
    : connection_(connection),
      schema_(std::move(schema)),
      retry_(retry),
      output_(output),
      before_step_(std::move(before_step)) {
  connection_.set_timeouts({retry_.lock_timeout, std::chrono::milliseconds(0)});
}

void StepRunner::drop_invalid_index(const std::string& index) {
  if (connection_.server().flavor != db::Flavor::kPostgres) return;
  auto found = connection_.query(
      "SELECT n.nspname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relname = $1 AND NOT i.indisvalid AND n.nspname = $2",
      {index, schema_});
  for (const auto& row : found.rows) {
    output_.info(
        fmt::format("index {} is INVALID (an interrupted build): dropping it to build "
                    "it again",
                    index));
    connection_.execute(
        fmt::format("DROP INDEX CONCURRENTLY IF EXISTS \"{}\".\"{}\"", row[0].text(), index));
  }
}

namespace {

using Clock = std::chrono::steady_clock;

// Whether the whole of `step` must end within the lock timeout: a statement that takes strong
// locks and only changes the catalog. CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT, ANALYZE
// and an `sql` operation's statements may work long; their lock waits alone are bounded.
bool bounded(const Step& step) { return !step.outside_transaction && !step.long_running; }

// Galera replicates a DDL statement before it runs (total order isolation) and every other
// node applies it: cancelled on this node by a timeout or a KILL once replicated, it would
// leave this node's schema behind the others', and the node leaves the cluster ("Inconsistent
// by consensus"; seen with a DROP COLUMN stopped by max_statement_time). It waits for no
// application's lock (it aborts the transactions in its way), so it runs without a bound.
bool replicated_in_total_order(const db::ServerInfo& server, const Step& step) {
  if (!server.galera) return false;
  const std::size_t start = step.sql.find_first_not_of(" \t\n");
  if (start == std::string::npos) return false;
  std::string verb = step.sql.substr(start, step.sql.find_first_of(" \t\n", start) - start);
  std::transform(verb.begin(), verb.end(), verb.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const char* ddl : {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE"}) {
    if (verb == ddl) return true;
  }
  return false;
}

// The error of a bounded unit cancelled when its time ran out: a lock conflict like a lock
// timeout (55P03; MariaDB's 1205, whose sub-second waits end by being cancelled), so that it is
// retried the same way.
Error out_of_time(db::Flavor flavor, const std::string& what, std::chrono::milliseconds limit) {
  Error e(ErrorCode::kOperationFailed,
          fmt::format("{}: not done within the lock timeout ({}) as a whole: it waited for "
                      "locks one after the other, or its own work takes that long (then raise "
                      "--lock-timeout)",
                      what, format_duration_ms(limit)));
  constexpr int kMariaDbLockWaitTimeout = 1205;
  if (flavor == db::Flavor::kPostgres || flavor == db::Flavor::kSqlite) {
    e.with_sqlstate("55P03");
  } else {
    e.with_sqlstate("HY000").with_vendor_code(kMariaDbLockWaitTimeout);
  }
  e.with_db_failure(DbFailure::kStatement);
  return e;
}

}  // namespace

void StepRunner::check_nodes_agree() {
  if (nodes_ != nullptr) nodes_->check_before_first_step(retry_);
}

void StepRunner::run(const std::vector<Step>& steps) {
  if (!steps.empty()) check_nodes_agree();
  for (const Step& step : steps) {
    run_unit(step.what, {step}, false, {});
    if (nodes_ != nullptr) nodes_->make_every_node_apply(step, retry_);
  }
}

void StepRunner::run_in_one_transaction(const std::vector<Step>& steps,
                                        const std::function<void()>& before_commit) {
  if (steps.empty() && !before_commit) return;
  std::string what = steps.size() == 1
                         ? steps[0].what
                         : fmt::format("{} and {} more steps in one transaction",
                                       steps.empty() ? "commit" : steps[0].what,
                                       steps.size() - 1);
  run_unit(what, steps, true, before_commit);
}

// On SIGINT or SIGTERM the running statement is cancelled (nothing of the step, or of the
// transaction, is left but, for CREATE INDEX CONCURRENTLY, an INVALID index the next run
// drops) and the unit ends in the interrupt error; the caller says what to run next.
void StepRunner::run_unit(const std::string& what, const std::vector<Step>& steps,
                          bool in_transaction, const std::function<void()>& before_commit) {
  const Step* current = nullptr;   // the step under way, for errors
  const Step* finished = nullptr;  // a step replicated in total order, let finish on a signal
  const auto stop = [&] {
    if (finished != nullptr) {
      throw_interrupted(fmt::format("after step \"{}\", which ran to its end (on Galera a "
                                    "replicated DDL statement is never cancelled)",
                                    finished->what),
                        "");
    }
    throw_interrupted(fmt::format("at step \"{}\", which did not run to its end",
                                  current ? current->what : what),
                      "");
  };
  if (interrupted()) stop();
  const bool whole_bound = std::all_of(steps.begin(), steps.end(), bounded);
  db::LockRetryHooks hooks;
  hooks.on_retry = [&](const db::LockConflict& conflict) {
    report_retry(output_, what, conflict);
  };
  hooks.before_next_attempt = [&] {
    if (interrupted()) stop();
  };
  const db::Flavor flavor = connection_.server().flavor;
  hooks.on_give_up = [&](const Error& last, const db::LockRetry& retry) {
    return db::gave_up_waiting(
        what, last, retry,
        fmt::format("another session holds a lock this step needs ({}): end it or wait for "
                    "it",
                    flavor == db::Flavor::kMariaDb ? "SHOW PROCESSLIST; its open transactions in "
                                                     "information_schema.INNODB_TRX"
                                                   : "pg_stat_activity, pg_locks"),
        db::long_transactions(connection_, retry_.lock_timeout));
  };
  const db::Timeouts normal{retry_.lock_timeout, std::chrono::milliseconds(0)};
  try {
    db::retry_lock_conflicts(
        flavor, retry_,
        [&] {
          std::shared_ptr<db::Canceller> canceller = connection_.canceller();
          // A statement replicated in total order finishes; the unit stops after it. (The
          // mutex: no cancel decided before such a statement starts lands on it.)
          std::mutex cancel_mutex;
          bool in_total_order = false;
          const auto set_in_total_order = [&](bool value) {
            std::lock_guard lock(cancel_mutex);
            in_total_order = value;
          };
          OnInterrupt cancel(
              [&] {
                std::lock_guard lock(cancel_mutex);
                if (!in_total_order) canceller->cancel();
              },
              /*repeat=*/true);
          const Clock::time_point deadline = Clock::now() + retry_.lock_timeout;
          // Gives the statement about to run what is left of the unit's time.
          const auto bound = [&](const Step& step) {
            if (!bounded(step) || (in_transaction && !whole_bound)) return;
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) throw out_of_time(flavor, what, retry_.lock_timeout);
            connection_.set_timeouts({std::min(left, retry_.lock_timeout), left});
          };
          std::optional<db::Transaction> transaction;
          if (in_transaction) {
            transaction.emplace(connection_);
            // A client stopped between the transaction's statements (SIGSTOP, a stalled
            // network) would hold its locks for as long: the server ends the session instead.
            if (whole_bound && flavor == db::Flavor::kPostgres) {
              connection_.query("SELECT set_config('idle_in_transaction_session_timeout', $1, true)",
                                {db::Value(fmt::format("{}ms", retry_.lock_timeout.count()))});
            }
          }
          try {
            for (const Step& step : steps) {
              current = &step;
              if (before_step_) before_step_(step);
              const bool total_order = replicated_in_total_order(connection_.server(), step);
              if (!total_order) bound(step);
              if (!step.done_if.empty() && !connection_.query(step.done_if).empty()) continue;
              if (!step.builds_index.empty()) drop_invalid_index(step.builds_index);
              if (total_order) {
                connection_.set_timeouts({});
              } else {
                bound(step);
              }
              set_in_total_order(total_order);
              connection_.execute(step.sql);
              set_in_total_order(false);
              if (!in_transaction || total_order) connection_.set_timeouts(normal);
              if (total_order && interrupted()) {
                finished = &step;
                stop();
              }
            }
            current = nullptr;
            if (before_commit) before_commit();
            if (transaction) transaction->commit();
          } catch (const Error& e) {
            transaction.reset();  // rolled back, and with it the timeouts it set
            connection_.set_timeouts(normal);
            if (!interrupted() && db::classify(flavor, e) == db::ErrorKind::kCancelled) {
              throw out_of_time(flavor, what, retry_.lock_timeout);
            }
            throw;
          }
          if (in_transaction) connection_.set_timeouts(normal);
        },
        hooks);
    // Steps run back to back would take SQLite's write lock again before the waiters try.
    if (flavor == db::Flavor::kSqlite && interrupted_within(db::kSqliteWriterHandoff)) stop();
  } catch (const Error& e) {
    if (interrupted()) stop();
    if (e.db_failure() == DbFailure::kNone || db::is_lock_conflict(flavor, e)) throw;
    if (current == nullptr) throw;
    throw e.restated(ErrorCode::kOperationFailed,
                     fmt::format("{}: {}", current->what, e.message()),
                     "the statement was: " + current->sql);
  }
}

}  // namespace cutover::change
