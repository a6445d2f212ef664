// Runs the steps of a phase with short lock timeouts and retries.
#include "change/step_runner.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "core/duration.h"
#include "core/error.h"

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
    output_.info(fmt::format("index {} is INVALID (an interrupted build): dropping it to build "
                             "it again",
                             index));
    connection_.execute(fmt::format("DROP INDEX CONCURRENTLY IF EXISTS \"{}\".\"{}\"",
                                    row[0].text(), index));
  }
}

void StepRunner::run_one(const Step& step) {
  db::LockRetry retry(retry_);
  db::Flavor flavor = connection_.server().flavor;
  for (;;) {
    try {
      if (!step.done_if.empty() && !connection_.query(step.done_if).empty()) return;
      if (!step.builds_index.empty()) drop_invalid_index(step.builds_index);
      connection_.execute(step.sql);
      return;
    } catch (const Error& e) {
      if (!db::is_lock_conflict(flavor, e)) {
        throw Error(ErrorCode::kOperationFailed,
                    fmt::format("{}: {}", step.what, e.message()),
                    "the statement was: " + step.sql)
            .with_sqlstate(e.sqlstate())
            .with_db_failure(e.db_failure());
      }
      auto pause = retry.next_pause();
      if (!pause) {
        throw Error(ErrorCode::kOperationFailed,
                    fmt::format("{}: still blocked after {} attempts in {} (--retry-for {}), "
                                "each waiting at most {} for its locks (--lock-timeout): {}",
                                step.what, retry.conflicts(), format_duration_ms(retry.elapsed()),
                                format_duration_ms(retry_.retry_for),
                                format_duration_ms(retry_.lock_timeout), e.message()),
                    "another session holds a lock this step needs (pg_stat_activity, pg_locks): "
                    "end it or wait, then run the same command again: it resumes")
            .with_sqlstate(e.sqlstate());
      }
      if (output_.json()) {
        output_.event({{"event", "retry"},
                       {"step", step.what},
                       {"attempt", retry.conflicts() + 1},
                       {"pause_ms", pause->count()},
                       {"message", e.message()}});
      } else {
        output_.info(fmt::format("{}: lock timeout, retrying in {} (attempt {})", step.what,
                                 format_duration_ms(*pause), retry.conflicts() + 1));
      }
      std::this_thread::sleep_for(*pause);
    }
  }
}

}  // namespace cutover::change
