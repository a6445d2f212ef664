// `cutover migrate`: exactly one instance applies, the others wait until nothing is pending.
#include "migrate/migration_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "coord/heartbeat.h"
#include "coord/server_session.h"
#include "core/duration.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "db/transaction.h"
#include "migrate/resume_point.h"

namespace cutover::migrate {
namespace {

using Clock = std::chrono::steady_clock;

// How often a waiting instance looks at the lease and the history: often enough that waiters
// proceed soon after the leader's last commit, with jitter so they do not poll in step.
constexpr std::chrono::milliseconds kPollMin{100};
constexpr std::chrono::milliseconds kPollMax{250};

void throw_problems(const MigrationPlan& plan) {
  std::string message =
      fmt::format("the migrations and the history disagree ({} problem{}):", plan.problems.size(),
                  plan.problems.size() == 1 ? "" : "s");
  for (const auto& problem : plan.problems) message += "\n  " + problem.message;
  throw_bad_input(std::move(message), plan.problems.front().hint + "; nothing has been applied");
}

void announce_applied(Output& output, const PreparedScript& script, std::int32_t ms) {
  if (output.json()) {
    nlohmann::json event = {{"event", "applied"},
                            {"script", script.script.file_name},
                            {"version", nullptr},
                            {"execution_time_ms", ms},
                            {"statements", script.statements.size()}};
    if (script.script.version) event["version"] = script.script.version->to_string();
    output.event(event);
  } else {
    output.info(fmt::format("applied {} in {} ms", script.script.file_name, ms));
  }
}

// Tells what the waiting instance is waiting for, each time that changes.
class WaitReporter {
 public:
  explicit WaitReporter(Output& output) : output_(output) {}

  void report(const std::optional<coord::LeaseState>& lease) {
    std::string holder = lease && lease->holder ? *lease->holder : "";
    std::string script = lease && lease->script ? *lease->script : "";
    int done = lease ? lease->statements_done : 0;
    if (holder == holder_ && script == script_ && done == done_) return;
    holder_ = holder, script_ = script, done_ = done;
    if (holder.empty()) return;
    if (output_.json()) {
      nlohmann::json event = {{"event", "waiting"}, {"holder", holder}};
      if (!script.empty()) event["script"] = script, event["statements_done"] = done;
      output_.event(event);
    } else {
      output_.info(fmt::format(
          "waiting: {} is applying migrations{}", holder,
          script.empty() ? "" : fmt::format(" ({}, {} statements done)", script, done)));
    }
  }

  std::string describe_holder() const {
    if (holder_.empty()) return "another instance";
    return script_.empty() ? holder_ : fmt::format("{} (applying {})", holder_, script_);
  }

 private:
  Output& output_;
  std::string holder_, script_;
  int done_ = -1;
};

// SIGINT or SIGTERM came while this instance was not applying anything: says so on the output
// (an "interrupted" event with --json) and throws the one interrupt error.
[[noreturn]] void stop_interrupted(Output& output, const MigrateOutcome& outcome,
                                   const WaitReporter& waiting) {
  bool waiter = outcome.role == MigrateRole::kWaiter;
  if (output.json()) {
    nlohmann::json event = {{"event", "interrupted"},
                            {"signal", interrupt_signal_name()},
                            {"role", role_name(outcome.role)},
                            {"applied", outcome.applied}};
    if (waiter) event["waiting_for"] = waiting.describe_holder();
    output.event(event);
  }
  if (waiter) {
    throw_interrupted(
        fmt::format("while waiting for {} to finish the pending migrations",
                    waiting.describe_holder()),
        "this instance applied nothing; the other one goes on, and the next run waits for it "
        "or finds everything applied");
  }
  if (outcome.applied == 0) {
    throw_interrupted("before applying anything", "run migrate again to apply what is pending");
  }
  throw_interrupted(fmt::format("after applying {} migration{}, before the next", outcome.applied,
                                outcome.applied == 1 ? "" : "s"),
                    "run migrate again to apply the rest");
}

// The work of the lease holder: applies everything pending, then gives the lease back.
class Leader {
 public:
  // `baseline_first`: the database had tables but no history when this instance looked, and
  // options.baseline_on_migrate is given.
  Leader(const MigrateOptions& options, db::Connection& connection, HistoryTable& history,
         coord::Lease& lease, const std::vector<MigrationScript>& scripts,
         const std::vector<PreparedScript>& prepared, CallbackRunner& callbacks, Output& output,
         bool baseline_first)
      : baseline_first_(baseline_first),
        options_(options),
        connection_(connection),
        history_(history),
        lease_(lease),
        scripts_(scripts),
        prepared_(prepared),
        callbacks_(callbacks),
        output_(output) {}

  int lead(const coord::LeaseToken& token) {
    try {
      int applied = apply_pending(token);
      lease_.release(token);
      return applied;
    } catch (...) {
      if (callbacks_started_) callbacks_.run_after_error("afterMigrateError");
      // Let the others go on at once rather than after the ttl: they meet the same error, or
      // take over where this one stopped. A lease lost already is not ours to release.
      try {
        lease_.release(token);
      } catch (const Error&) {
      }
      throw;
    }
  }

 private:
  int apply_pending(const coord::LeaseToken& token) {
    coord::Heartbeat heartbeat(options_.url, lease_.key(), token, options_.lease, options_.connect);
    // Not when a leader that died left a file partly applied: the tables may be that file's
    // (MariaDB commits each DDL statement), so it is resumed, not baselined over.
    if (baseline_first_ && history_.read().empty()) {
      const std::optional<coord::LeaseState> state = lease_.current();
      if (!state || !state->script) baseline(token);
    }
    ScriptApplier applier(connection_, history_, lease_, token, heartbeat, options_.apply, output_);
    // Read again under the lease: another leader may have finished since this one looked.
    ReadyPlan ready = ready_plan(scripts_, history_.read(), connection_.server(), options_, nullptr,
                                 {}, &prepared_);
    // Flyway's migrate callbacks run here only, in the one instance that applies: with many
    // instances starting at once, beforeMigrate runs once, not once per instance.
    if (ready.pending.empty()) {
      if (!ready.plan.older_release && after_migrate_owed(lease_.current())) {
        run_owed_after_migrate(token);
      }
      return 0;
    }
    // A partly applied next file whose applied statements changed is refused before any
    // callback runs: exit 2 changes nothing.
    const int first_resume = resume_point(lease_.current(), ready.pending.front());
    callbacks_started_ = true;
    callbacks_.run("beforeMigrate");
    int applied = 0;
    bool versioned_done = false;
    const bool has_after_migrate =
        callbacks_.has("afterMigrateApplied") || callbacks_.has("afterMigrate");
    for (const PreparedScript& script : ready.pending) {
      if (!versioned_done && script.script.kind == MigrationKind::kRepeatable) {
        versioned_done = true;
        callbacks_.run("afterVersioned");
        callbacks_.run("beforeRepeatables");
      }
      const int resume_from =
          &script == &ready.pending.front() ? first_resume : resume_point(lease_.current(), script);
      if (resume_from > 0) {
        output_.info(
            fmt::format("{}: resuming at statement {}: statements 1-{} were applied "
                        "by an instance that stopped",
                        script.script.file_name, resume_from + 1, resume_from));
      }
      std::int32_t ms = 0;
      // The last file's commit records that the after-migrate callbacks are owed.
      const bool last = &script == &ready.pending.back();
      try {
        callbacks_.run("beforeEachMigrate");
        ms = applier.apply(script, resume_from, last && has_after_migrate ? kAfterMigrateOwed : "");
      } catch (...) {
        callbacks_.run_after_error("afterEachMigrateError");
        throw;
      }
      callbacks_.run("afterEachMigrate");
      ++applied;
      announce_applied(output_, script, ms);
    }
    if (!versioned_done) callbacks_.run("afterVersioned");
    if (applied > 0) callbacks_.run("afterMigrateApplied");
    callbacks_.run("afterMigrate");
    if (has_after_migrate) paid_after_migrate(token);
    return applied;
  }

  // The after-migrate callbacks of a run that applied its last migration and then failed or
  // died before they had all run.
  void run_owed_after_migrate(const coord::LeaseToken& token) {
    output_.info(
        "the run that applied the last migration stopped before its afterMigrateApplied and "
        "afterMigrate callbacks had all run: running them now");
    callbacks_started_ = true;
    callbacks_.run("afterMigrateApplied");
    callbacks_.run("afterMigrate");
    paid_after_migrate(token);
  }

  void paid_after_migrate(const coord::LeaseToken& token) {
    if (!lease_.record_progress(token, "", std::nullopt, 0)) {
      throw Error(ErrorCode::kConflict,
                  "the afterMigrate callbacks ran, but this instance lost the migration lease "
                  "before it could record that",
                  "run migrate again: the instance that took over runs them once more");
    }
  }

  // Flyway's baselineOnMigrate, under the lease: the first leader to find the history empty
  // writes the baseline row, fenced, in one transaction.
  void baseline(const coord::LeaseToken& token) {
    const Version& version = *options_.baseline_on_migrate;
    db::Transaction transaction(connection_);
    history_.append_baseline(version, options_.baseline_description);
    if (!lease_.record_progress(token, "", std::nullopt, 0)) {
      throw Error(ErrorCode::kConflict,
                  "this instance lost the migration lease before it could baseline the database",
                  "run migrate again: the instance that took over baselines it");
    }
    transaction.commit();
    if (output_.json()) {
      output_.event({{"event", "baseline"}, {"version", version.to_string()}});
    } else {
      output_.info(
          fmt::format("the database has tables but no history: baselined at version {} "
                      "(flyway.baselineOnMigrate); the files above it are applied",
                      version.to_string()));
    }
  }

  const bool baseline_first_;
  const MigrateOptions& options_;
  db::Connection& connection_;
  HistoryTable& history_;
  coord::Lease& lease_;
  const std::vector<MigrationScript>& scripts_;
  const std::vector<PreparedScript>& prepared_;  // by every instance's first look at the files
  CallbackRunner& callbacks_;
  bool callbacks_started_ = false;  // beforeMigrate ran: afterMigrateError runs on failure
  Output& output_;
};

// Says how the previous holder's server session was dealt with before resuming its work.
void announce_takeover(Output& output, const coord::SessionTakeover& takeover) {
  const std::string who = coord::describe_session(takeover.session);
  std::string what;
  if (takeover.outcome == "ended") {
    what = fmt::format(
        "ended the previous leader's {} and waited {} ms until it was gone: what "
        "it had not committed is rolled back",
        who, takeover.took.count());
  } else if (takeover.outcome == "node left") {
    what = fmt::format(
        "the previous leader's {} is on a node that has left the cluster: what it "
        "had not committed cannot commit any more",
        who);
  } else {
    what = fmt::format("the previous leader's {} had already ended", who);
  }
  if (output.json()) {
    nlohmann::json event = {{"event", "takeover"},
                            {"previous_session", takeover.session.id},
                            {"outcome", takeover.outcome},
                            {"waited_ms", takeover.took.count()},
                            {"message", what}};
    if (!takeover.session.node.empty()) event["previous_node"] = takeover.session.node;
    output.event(event);
  } else {
    output.info(what);
  }
}

}  // namespace

void require_schema(db::Connection& connection, const MigrateOptions& options) {
  if (!options.schema || connection.server().flavor != db::Flavor::kPostgres) return;
  if (!connection.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", {*options.schema})
           .empty()) {
    return;
  }
  throw_bad_input(
      fmt::format("schema {} (flyway.schemas / flyway.defaultSchema) does not exist in database "
                  "{}",
                  *options.schema, connection.server().database),
      fmt::format("create it first (CREATE SCHEMA \"{}\"; Flyway's createSchemas is not done by "
                  "cutover), or name an existing one; nothing has been created or applied",
                  *options.schema));
}

bool after_migrate_owed(const std::optional<coord::LeaseState>& lease) {
  return lease && lease->script == kAfterMigrateOwed;
}

coord::LeaseKey migration_lease_key(const std::string& history_table) {
  return {history_table + "_lease", history_table};
}

const char* role_name(MigrateRole role) {
  switch (role) {
    case MigrateRole::kNone:
      return "none";
    case MigrateRole::kLeader:
      return "leader";
    case MigrateRole::kWaiter:
      return "waiter";
  }
  return "?";
}

ReadyPlan ready_plan(const std::vector<MigrationScript>& scripts,
                     const std::vector<HistoryRow>& history, const db::ServerInfo& server,
                     const MigrateOptions& options, Output* warnings,
                     const std::vector<MissingPlaceholder>& callbacks_missing,
                     const std::vector<PreparedScript>* prepared) {
  ReadyPlan ready{plan_migrations(scripts, history, options.plan), {}};
  MigrationPlan& plan = ready.plan;
  for (const auto& script : scripts) {
    for (const auto& warning : script.options.warnings) {
      if (warnings) warnings->warn(warning);
    }
  }
  std::erase_if(plan.problems, [&](const Problem& problem) {
    if (problem.kind != ProblemKind::kFutureVersion &&
        problem.kind != ProblemKind::kOlderRepeatable &&
        problem.kind != ProblemKind::kMissingRepeatable) {
      return false;
    }
    if (warnings) warnings->warn(problem.message);
    return true;
  });
  if (!plan.problems.empty()) throw_problems(plan);
  // Every placeholder without a value at once: a repeatable script's checksum needs them all
  // (Flyway's too), a pending versioned one and a callback need them to run.
  std::vector<MissingPlaceholder> missing;
  const auto add = [&](const std::vector<MissingPlaceholder>& more) {
    missing.insert(missing.end(), more.begin(), more.end());
  };
  for (const auto& script : scripts) {
    if (script.kind == MigrationKind::kRepeatable) add(script.missing_placeholders);
  }
  for (const auto& script : plan.pending) {
    if (script.kind == MigrationKind::kVersioned) add(script.missing_placeholders);
  }
  add(callbacks_missing);
  if (!missing.empty()) throw_missing_placeholders(missing);
  for (const auto& script : plan.pending) {
    const PreparedScript* earlier = nullptr;
    for (std::size_t i = 0; prepared && i < prepared->size() && !earlier; ++i) {
      const PreparedScript& done = (*prepared)[i];
      if (done.script.file_name == script.file_name && done.script.checksum == script.checksum) {
        earlier = &done;
      }
    }
    // A copy of a prepared script shares its text: cheap.
    ready.pending.push_back(earlier ? *earlier
                                    : prepare_script(script, server, options.placeholders));
  }
  return ready;
}

void apply_execute_in_transaction(const MigrateOptions& options,
                                  std::vector<MigrationScript>& scripts) {
  if (options.execute_in_transaction) return;
  for (auto& script : scripts) script.options.no_transaction = true;
}

std::vector<std::string> pending_file_names(const ReadyPlan& ready) {
  std::vector<std::string> names;
  for (const PreparedScript& script : ready.pending) names.push_back(script.script.file_name);
  return names;
}

namespace {

// Whether the database (PostgreSQL: the connection's schema) has tables other than the history
// and its lease: what Flyway's baselineOnMigrate calls a non-empty schema.
bool has_tables_of_its_own(db::Connection& connection, const std::string& history_table) {
  const db::Catalog catalog = connection.introspect();
  return std::any_of(catalog.tables.begin(), catalog.tables.end(), [&](const db::TableInfo& t) {
    return t.name != history_table && t.name != history_table + "_lease";
  });
}

}  // namespace

MigrateOutcome run_migrate(const MigrateOptions& given_options, Output& output) {
  std::unique_ptr<db::Connection> connection =
      db::connect(given_options.url, given_options.connect);
  // Flyway's built-in placeholders come from the session, and a repeatable script's checksum
  // from its text with placeholders replaced: read the files once those are known.
  MigrateOptions options = given_options;
  require_schema(*connection, options);
  options.placeholders =
      with_builtin_placeholders(options.placeholders, *connection, options.history_table);
  std::vector<MigrationScript> scripts = load_migrations(options.dir, options.placeholders);
  apply_execute_in_transaction(options, scripts);
  warn_if_no_migrations(scripts, output);
  CallbackRunner callbacks(load_callbacks(options.dir, options.placeholders), *connection,
                           options.placeholders, output);
  callbacks.warn_unsupported();
  if (connection->server().galera) {
    // Reads wait until this node has applied everything the cluster committed before them,
    // so a waiter on another node than the leader never plans from a stale history.
    connection->execute("SET SESSION wsrep_sync_wait = 1");
  }
  HistoryTable history(*connection, options.history_table);
  coord::LeaseOptions lease_options = options.lease;
  lease_options.url = options.url;  // to reach a dead leader's Galera node
  lease_options.connect = options.connect;
  // A dead leader's session may take as long to roll back as it ran: as long as a wait.
  lease_options.session_end_timeout = options.wait_timeout;
  coord::Lease lease(*connection, migration_lease_key(options.history_table), lease_options);
  // Every instance checks the files before touching anything, so bad input fails them all
  // alike with nothing applied.
  const bool has_history = history.exists();
  if (has_history) history.check_columns();  // a table it cannot read or write: refused now
  const std::vector<HistoryRow> rows = has_history ? history.read() : std::vector<HistoryRow>{};
  ReadyPlan ready = ready_plan(scripts, rows, connection->server(), options, &output,
                               callbacks.missing_placeholders());
  const bool baseline_first = options.baseline_on_migrate && rows.empty() &&
                              has_tables_of_its_own(*connection, options.history_table);
  history.check_can_record(pending_file_names(ready));
  history.ensure_exists();
  lease.ensure_table();

  const std::string me = coord::describe_this_process();
  Leader leader(options, *connection, history, lease, scripts, ready.pending, callbacks, output,
                baseline_first);
  WaitReporter waiting(output);
  MigrateOutcome outcome;
  const auto deadline = Clock::now() + options.wait_timeout;
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<std::int64_t> poll(kPollMin.count(), kPollMax.count());
  for (;;) {
    if (interrupted()) stop_interrupted(output, outcome, waiting);
    // Cheap enough to poll: the scripts were checked above, and are again by the leader.
    MigrationPlan plan = plan_migrations(scripts, history.read(), options.plan);
    // Done, unless callbacks are owed; those are the newest release's: an older release's
    // instance leaves them.
    if (plan.pending.empty() && (plan.older_release || !after_migrate_owed(lease.current()))) {
      if (plan.current) outcome.current = plan.current->to_string();
      return outcome;
    }
    if (auto token = lease.try_acquire(me)) {
      if (token->takeover) announce_takeover(output, *token->takeover);
      outcome.role = MigrateRole::kLeader;
      outcome.applied += leader.lead(*token);
      continue;
    }
    if (outcome.role == MigrateRole::kNone) outcome.role = MigrateRole::kWaiter;
    waiting.report(lease.current());
    if (Clock::now() >= deadline) {
      throw Error(ErrorCode::kConflict,
                  fmt::format("gave up after waiting {} (--wait-timeout) for {} to finish the "
                              "pending migrations",
                              format_duration_ms(options.wait_timeout), waiting.describe_holder()),
                  "that instance renews its lease while it works; if it died, another takes "
                  "over within --lease-ttl. If it is still migrating, wait longer with "
                  "--wait-timeout");
    }
    if (interrupted_within(std::chrono::milliseconds(poll(random)))) {
      stop_interrupted(output, outcome, waiting);
    }
  }
}

}  // namespace cutover::migrate
