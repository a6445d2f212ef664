// Runs the steps of a phase with short lock timeouts and retries.
#include "change/step_runner.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "core/error.h"
#include "core/interrupt.h"

namespace cutover::change {

StepRunner::StepRunner(db::Connection& connection, std::string schema, db::LockRetryPolicy retry,
                       Output& output)
    : connection_(connection), schema_(std::move(schema)), retry_(retry), output_(output) {
  connection_.set_timeouts({retry_.lock_timeout, std::chrono::milliseconds(0)});
}

void StepRunner::run(const std::vector<Step>& steps) {
  for (const Step& step : steps) run_one(step);
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

// On SIGINT or SIGTERM the running statement is cancelled (a step is one statement, so nothing
// of it is left but, for CREATE INDEX CONCURRENTLY, an INVALID index the next run drops) and
// the step ends in the interrupt error; the caller says what to run next.
void StepRunner::run_one(const Step& step) {
  const auto stop = [&step] {
    throw_interrupted(fmt::format("at step \"{}\", which did not run to its end", step.what), "");
  };
  if (interrupted()) stop();
  db::LockRetryHooks hooks;
  hooks.on_retry = [&](const db::LockConflict& conflict) {
    if (output_.json()) {
      output_.event({{"event", "retry"},
                     {"step", step.what},
                     {"reason", db::error_kind_name(conflict.kind)},
                     {"attempt", conflict.next_attempt},
                     {"pause_ms", conflict.pause.count()},
                     {"message", conflict.error.message()}});
    } else {
      output_.info(fmt::format("{}: {}, retrying in {} (attempt {})", step.what,
                               db::error_kind_name(conflict.kind),
                               format_duration_ms(conflict.pause), conflict.next_attempt));
    }
  };
  hooks.before_next_attempt = [&] {
    if (interrupted()) stop();
  };
  hooks.on_give_up = [&](const Error& last, const db::LockRetry& retry) {
    return db::gave_up_waiting(
        step.what, last, retry,
        "another session holds a lock this step needs (pg_stat_activity, pg_locks): end it or "
        "wait, then run the same command again: it resumes");
  };
  db::Flavor flavor = connection_.server().flavor;
  try {
    db::retry_lock_conflicts(
        flavor, retry_,
        [&] {
          std::shared_ptr<db::Canceller> canceller = connection_.canceller();
          OnInterrupt cancel([&canceller] { canceller->cancel(); }, /*repeat=*/true);
          if (!step.done_if.empty() && !connection_.query(step.done_if).empty()) return;
          if (!step.builds_index.empty()) drop_invalid_index(step.builds_index);
          connection_.execute(step.sql);
        },
        hooks);
  } catch (const Error& e) {
    if (interrupted()) stop();
    if (e.db_failure() == DbFailure::kNone || db::is_lock_conflict(flavor, e)) throw;
    throw e.restated(ErrorCode::kOperationFailed, fmt::format("{}: {}", step.what, e.message()),
                     "the statement was: " + step.sql);
  }
}

}  // namespace cutover::change
