// Applies one prepared migration script as the lease holder.
#include "migrate/script_applier.h"

#include <fmt/format.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/duration.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "db/cancel_on_interrupt.h"
#include "db/error_kind.h"
#include "db/lock_holders.h"
#include "db/lock_retry.h"
#include "db/transaction.h"

namespace cutover::migrate {
namespace {

using Clock = std::chrono::steady_clock;

std::int32_t elapsed_ms(Clock::time_point since) {
  return static_cast<std::int32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

// SIGINT or SIGTERM came while applying `script`: `done` statements of it are applied and
// recorded, `stopped_at` is the statement that was cancelled or rolled back (-1: between steps).
// Says so on the output (an "interrupted" event with --json) and throws the one interrupt error.
[[noreturn]] void stop_interrupted(Output& output, const PreparedScript& script, int done,
                                   int stopped_at, const std::string& applied) {
  const std::string& file = script.script.file_name;
  int at = stopped_at >= 0 ? stopped_at : done;
  bool inside = at < script.count();
  if (output.json()) {
    nlohmann::json event = {{"event", "interrupted"},
                            {"signal", interrupt_signal_name()},
                            {"script", file},
                            {"statements_done", done},
                            {"resumes_at_statement", done + 1}};
    if (inside) event["statement"] = at + 1, event["line"] = script.statement(at).line;
    output.event(event);
  }
  std::string where = !inside           ? ""
                      : stopped_at >= 0 ? fmt::format(", at {}", script.where(at))
                                        : fmt::format(", before {}", script.where(at));
  throw_interrupted(fmt::format("while applying {}{}: {}", file, where, applied),
                    "run migrate again: it applies the rest of the file and what follows");
}

}  // namespace

ScriptApplier::ScriptApplier(db::Connection& connection, HistoryTable& history,
                             coord::Lease& lease, const coord::LeaseToken& token,
                             const coord::Heartbeat& heartbeat, ApplyOptions options, Output& output)
    : connection_(connection),
      history_(history),
      lease_(lease),
      token_(token),
      heartbeat_(heartbeat),
      options_(options),
      output_(output),
      flavor_(connection.server().flavor),
      session_timeouts_(!connection.server().behind_pooler) {
  // Behind a transaction pooler a session setting may land on another client's server
  // connection, so there the limits are set per transaction (SET LOCAL) only. Statements that
  // run outside a transaction then have none; they take no lock that blocks the application's
  // reads or writes (CREATE INDEX CONCURRENTLY and the like).
  if (session_timeouts_) {
    connection_.set_timeouts({options_.retry.lock_timeout, options_.statement_timeout});
  }
}

std::string ScriptApplier::applied_so_far(const PreparedScript& script, int done) const {
  const std::string& file = script.script.file_name;
  if (done == 0 && script.atomic()) {
    return fmt::format("nothing of {} is applied (its transaction was rolled back)", file);
  }
  if (done == 0) return fmt::format("nothing of {} is applied yet", file);
  return fmt::format(
      "statements 1-{} of {} are applied and recorded: migrate resumes at statement {} as long "
      "as statements 1-{} are unchanged",
      done, file, done + 1, done);
}

void ScriptApplier::throw_lost(const PreparedScript& script, int done) const {
  throw Error(ErrorCode::kConflict,
              fmt::format("{}: stopped after {} of {} statements: this instance lost the "
                          "migration lease ({}), so another instance continues from there",
                          script.script.file_name, done, script.statements.size(),
                          heartbeat_.lost() ? heartbeat_.lost_reason() : "taken over"),
              "nothing needs fixing; run migrate again and it waits for the instance that took "
              "over (a lease is lost when renewals fail for a whole --lease-ttl: check the "
              "database's load and the network)");
}

void ScriptApplier::check_lease(const PreparedScript& script, int done) const {
  if (heartbeat_.lost()) throw_lost(script, done);
}

void ScriptApplier::set_transaction_timeouts() {
  if (session_timeouts_ || flavor_ != db::Flavor::kPostgres) return;
  auto setting = [](std::chrono::milliseconds limit) {
    return db::Value(fmt::format("{}ms", limit.count()));
  };
  connection_.query(
      "select set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
      {setting(options_.retry.lock_timeout), setting(options_.statement_timeout)});
}

// On SIGINT or SIGTERM the statement is cancelled; one that ends normally all the same stops
// its transaction from committing. with_retries() turns what this throws into the interrupt
// error.
void ScriptApplier::execute(const PreparedScript& script, int index) {
  running_ = index;
  if (interrupted()) throw Error(ErrorCode::kOperationFailed, "interrupted before it ran");
  {
    db::CancelOnInterrupt cancel(connection_);
    connection_.execute(script.statement(index).text);
  }
  script.release_through(index);
  if (interrupted() && connection_.in_transaction()) {
    throw Error(ErrorCode::kOperationFailed, "interrupted before its transaction committed");
  }
  running_ = -1;
}

void ScriptApplier::append_history(const PreparedScript& script, Clock::time_point started) {
  HistoryRow row;
  if (script.script.version) row.version = script.script.version->to_string();
  row.description = script.script.description;
  row.script = script.script.file_name;
  row.checksum = script.script.checksum;
  row.installed_by = history_.default_installed_by();
  row.execution_time_ms = elapsed_ms(started);
  row.success = true;
  history_.append(row);
}

namespace {

// The index a CREATE INDEX CONCURRENTLY statement builds, quoted and schema-qualified as given.
std::string qualified_name(db::Connection& connection, const ConcurrentIndex& index) {
  std::string name = connection.quote_identifier(index.name);
  if (!index.schema.empty()) name = connection.quote_identifier(index.schema) + "." + name;
  return name;
}

// Whether the index exists and is valid; nullopt when it does not exist.
std::optional<bool> index_is_valid(db::Connection& connection, const ConcurrentIndex& index) {
  auto found = connection.query(
      "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relname = $1 AND n.nspname = coalesce(nullif($2, ''), current_schema())",
      {index.name, index.schema});
  if (found.empty()) return std::nullopt;
  return found.scalar().text() == "t";
}

// The indexes of the statement's table, quoted and schema-qualified, with whether each is valid.
std::vector<std::pair<std::string, bool>> table_indexes(db::Connection& connection,
                                                        const ConcurrentIndex& index) {
  std::string table = connection.quote_identifier(index.table);
  if (!index.schema.empty()) table = connection.quote_identifier(index.schema) + "." + table;
  std::vector<std::pair<std::string, bool>> indexes;
  for (const db::Row& row : connection
                                .query("SELECT n.nspname, c.relname, i.indisvalid FROM pg_index i "
                                       "JOIN pg_class c ON c.oid = i.indexrelid "
                                       "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                       "WHERE i.indrelid = to_regclass($1)",
                                       {table})
                                .rows) {
    indexes.emplace_back(connection.quote_identifier(row[0].text()) + "." +
                             connection.quote_identifier(row[1].text()),
                         row[2].text() == "t");
  }
  return indexes;
}

}  // namespace

std::vector<std::string> ScriptApplier::invalid_indexes_left(const ScriptStatement& statement) {
  const auto& index = statement.traits.concurrent_index;
  if (!index) return {};
  if (!index->name.empty()) {
    if (index_is_valid(connection_, *index).value_or(true)) return {};
    return {qualified_name(connection_, *index)};
  }
  // Unnamed: PostgreSQL names each attempt's index anew (t_k_idx, t_k_idx1...); those left
  // INVALID are the ones this process's attempts added.
  std::vector<std::string> left;
  if (unnamed_index_statement_ != &statement) return left;
  for (const auto& [name, valid] : table_indexes(connection_, *index)) {
    if (!valid && !indexes_before_.contains(name)) left.push_back(name);
  }
  return left;
}

// Returns true when the statement must not run: its index exists and is valid while we resume
// at it, so it finished before its progress could be recorded.
bool ScriptApplier::skip_or_clean_concurrent_index(const ScriptStatement& statement,
                                                   bool resuming) {
  const auto& index = statement.traits.concurrent_index;
  if (!index) return false;
  if (index->name.empty()) {
    if (unnamed_index_statement_ != &statement) {
      unnamed_index_statement_ = &statement;  // its first attempt here: what is there before it
      indexes_before_.clear();
      for (const auto& entry : table_indexes(connection_, *index)) {
        indexes_before_.insert(entry.first);
      }
      return false;
    }
  } else if (const std::optional<bool> valid = index_is_valid(connection_, *index);
             valid != false) {
    return valid.has_value() && resuming;  // none yet; or valid: built, when resuming at it
  }
  for (const std::string& name : invalid_indexes_left(statement)) {
    output_.info(
        fmt::format("index {} is INVALID, left by an interrupted build: dropping it to "
                    "build it again",
                    name));
    connection_.execute("DROP INDEX CONCURRENTLY IF EXISTS " + name);
  }
  return false;
}

std::string ScriptApplier::drop_index_left_by(const ScriptStatement& statement) {
  std::vector<std::string> left;
  try {
    left = invalid_indexes_left(statement);
  } catch (const Error&) {
    return {};
  }
  std::string names;
  for (const std::string& name : left) names += (names.empty() ? "" : ", ") + name;
  if (names.empty()) return {};
  try {
    for (const std::string& name : left) {
      connection_.execute("DROP INDEX CONCURRENTLY IF EXISTS " + name);
    }
    return fmt::format("; the INVALID index {} the failed build left was dropped", names);
  } catch (const Error&) {
    const bool named = !statement.traits.concurrent_index->name.empty();
    return fmt::format(
        "; the failed build left index {} INVALID (queries do not use it, writes may still "
        "maintain it): {}drop it with DROP INDEX CONCURRENTLY {}",
        names,
        named ? "the next migrate drops it and builds it again, or "
              : "the next migrate builds another (name the index in the statement to have it "
                "dropped and built again); ",
        names);
  }
}

void ScriptApplier::run_step(const PreparedScript& script, const ScriptStep& step, bool last,
                             bool resuming, Clock::time_point started,
                             const std::string& progress_after) {
  const std::string& file = script.script.file_name;
  if (!step.in_transaction) {
    const ScriptStatement& statement = script.statement(step.first);
    running_ = step.first;  // a failure to drop an INVALID index it left is this statement's
    if (!skip_or_clean_concurrent_index(statement, resuming)) execute(script, step.first);
    if (!lease_.record_progress(token_, file, script.prefix_checksum(step.end), step.end)) {
      throw_lost(script, step.end);
    }
    return;
  }
  in_transaction([&] {
    for (int i = step.first; i < step.end; ++i) execute(script, i);
    bool fenced;
    if (last) {
      append_history(script, started);
      fenced = lease_.record_progress(token_, progress_after, std::nullopt, 0);
    } else {
      fenced = lease_.record_progress(token_, file, script.prefix_checksum(step.end), step.end);
    }
    if (!fenced) throw_lost(script, step.first);
  });
}

void ScriptApplier::in_transaction(const std::function<void()>& body) {
  db::Transaction transaction(connection_);
  set_transaction_timeouts();
  body();
  transaction.commit();
}

void ScriptApplier::with_retries(const PreparedScript& script, int done,
                                 const std::function<void()>& attempt) {
  const std::string& file = script.script.file_name;
  // Where the last attempt failed: the statement running then, or the progress record.
  auto where = [&](int failed) {
    return failed >= 0 ? script.where(failed) : std::string("recording its progress");
  };
  int failed = -1;
  db::LockRetryHooks hooks;
  hooks.on_retry = [&](const db::LockConflict& conflict) {
    int line = failed >= 0 ? script.statement(failed).line : 0;
    if (output_.json()) {
      output_.event({{"event", "retry"},
                     {"script", file},
                     {"statement", failed + 1},
                     {"line", line},
                     {"reason", db::error_kind_name(conflict.kind)},
                     {"attempt", conflict.next_attempt},
                     {"pause_ms", conflict.pause.count()},
                     {"message", conflict.error.message()}});
    } else {
      output_.info(fmt::format("{}: {}: {}, retrying in {} (attempt {})", file, where(failed),
                               db::error_kind_name(conflict.kind),
                               format_duration_ms(conflict.pause), conflict.next_attempt));
    }
  };
  hooks.before_next_attempt = [&] {
    if (interrupted()) stop_interrupted(output_, script, done, -1, applied_so_far(script, done));
    check_lease(script, done);
  };
  hooks.on_give_up = [&](const Error& last, const db::LockRetry& retry) {
    return db::gave_up_waiting(
        fmt::format("{}: {}", file, where(failed)), last, retry,
        "another session holds a lock this statement needs (find it in pg_stat_activity / "
        "pg_locks, or SHOW PROCESSLIST): end it or wait for it, or give --retry-for more "
        "time; " +
            applied_so_far(script, done),
        db::long_transactions(connection_, options_.retry.lock_timeout));
  };
  try {
    db::retry_lock_conflicts(
        flavor_, options_.retry,
        [&] {
          try {
            attempt();
          } catch (const Error&) {
            failed = running_;
            running_ = -1;
            // A successor ended this session (or may be about to): the error is its doing.
            if (heartbeat_.lost()) throw_lost(script, done);
            if (interrupted()) {
              stop_interrupted(output_, script, done, failed, applied_so_far(script, done));
            }
            throw;
          }
        },
        hooks);
  } catch (const Error& e) {
    // Ours (already explained: an interruption, a lost lease whose successor may be building
    // the index) as it is.
    if (e.db_failure() == DbFailure::kNone) throw;
    const std::string index_left = failed >= 0 ? drop_index_left_by(script.statement(failed)) : "";
    // A conflict retried until --retry-for: as it is, but for the index it left.
    if (db::is_lock_conflict(flavor_, e)) {
      if (index_left.empty()) throw;
      throw e.restated(e.code(), e.message(), e.hint() + index_left);
    }
    throw e.restated(ErrorCode::kOperationFailed,
                     fmt::format("{}: {} failed: {}", file, where(failed), e.message()),
                     "fix it and run migrate again; " + applied_so_far(script, done) + index_left);
  }
}

std::int32_t ScriptApplier::apply(const PreparedScript& script, int resume_from,
                                  const std::string& progress_after) {
  auto started = Clock::now();
  const int total = script.count();
  ProgressReporter progress(output_, "apply " + script.script.file_name, "statements", total);
  progress.update(resume_from);
  // Names the file in the lease before it starts, so that waiters can say what they wait for.
  if (resume_from == 0 &&
      !lease_.record_progress(token_, script.script.file_name, script.prefix_checksum(0), 0)) {
    throw_lost(script, 0);
  }
  bool history_written = false;
  for (std::size_t s = 0; s < script.steps.size(); ++s) {
    ScriptStep step = script.steps[s];
    if (step.end <= resume_from) continue;
    step.first = std::max(step.first, resume_from);
    bool last = s + 1 == script.steps.size() && step.in_transaction;
    bool resuming = resume_from > 0 && step.first == resume_from;
    check_lease(script, step.first);
    if (interrupted()) {
      stop_interrupted(output_, script, step.first, -1, applied_so_far(script, step.first));
    }
    with_retries(script, step.first,
                 [&] { run_step(script, step, last, resuming, started, progress_after); });
    history_written = last;
    progress.update(step.end);
  }
  if (!history_written) {
    // The last statement ran on its own, or everything was done before: the history row and
    // the end of the progress go in a transaction of their own, still fenced.
    check_lease(script, total);
    with_retries(script, total, [&] {
      in_transaction([&] {
        append_history(script, started);
        if (!lease_.record_progress(token_, progress_after, std::nullopt, 0)) {
          throw_lost(script, total);
        }
      });
    });
  }
  if (output_.terminal()) progress.finish();  // ends the bar; the caller reports the result
  return elapsed_ms(started);
}

}  // namespace cutover::migrate
