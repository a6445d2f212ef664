// `cutover migrate`: exactly one instance applies, the others wait until nothing is pending.
#include "migrate/migration_runner.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/duration.h"
#include "core/error.h"
#include "migrate/heartbeat.h"
#include "migrate/resume_point.h"

namespace cutover::migrate {
namespace {

using Clock = std::chrono::steady_clock;

// How often a waiting instance looks at the lease and the history: often enough that waiters
// proceed soon after the leader's last commit, with jitter so they do not poll in step.
constexpr std::chrono::milliseconds kPollMin{100};
constexpr std::chrono::milliseconds kPollMax{250};

void throw_problems(const MigrationPlan& plan) {
  std::string message = fmt::format("the migrations and the history disagree ({} problem{}):",
                                    plan.problems.size(), plan.problems.size() == 1 ? "" : "s");
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

  void report(const std::optional<LeaseState>& lease) {
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
      output_.info(fmt::format("waiting: {} is applying migrations{}", holder,
                               script.empty() ? ""
                                              : fmt::format(" ({}, {} statements done)",
                                                            script, done)));
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

// The work of the lease holder: applies everything pending, then gives the lease back.
class Leader {
 public:
  Leader(const MigrateOptions& options, db::Connection& connection, HistoryTable& history,
         MigrationLease& lease, const std::vector<MigrationScript>& scripts, Output& output)
      : options_(options),
        connection_(connection),
        history_(history),
        lease_(lease),
        scripts_(scripts),
        output_(output) {}

  int lead(const LeaseToken& token) {
    try {
      int applied = apply_pending(token);
      lease_.release(token);
      return applied;
    } catch (...) {
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
  int apply_pending(const LeaseToken& token) {
    Heartbeat heartbeat(options_.url, options_.history_table, token, options_.lease,
                        options_.connect);
    ScriptApplier applier(connection_, history_, lease_, token, heartbeat, options_.apply,
                          output_);
    // Read again under the lease: another leader may have finished since this one looked.
    ReadyPlan ready = ready_plan(scripts_, history_.read(), connection_.server().flavor,
                                 options_, nullptr);
    int applied = 0;
    for (const PreparedScript& script : ready.pending) {
      int resume_from = resume_point(lease_.current(), script);
      if (resume_from > 0) {
        output_.info(fmt::format("{}: resuming at statement {}: statements 1-{} were applied "
                                 "by an instance that stopped",
                                 script.script.file_name, resume_from + 1, resume_from));
      }
      std::int32_t ms = applier.apply(script, resume_from);
      ++applied;
      announce_applied(output_, script, ms);
    }
    return applied;
  }

  const MigrateOptions& options_;
  db::Connection& connection_;
  HistoryTable& history_;
  MigrationLease& lease_;
  const std::vector<MigrationScript>& scripts_;
  Output& output_;
};

}  // namespace

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
                     const std::vector<HistoryRow>& history, db::Flavor flavor,
                     const MigrateOptions& options, Output* warnings) {
  ReadyPlan ready{plan_migrations(scripts, history, options.plan), {}};
  MigrationPlan& plan = ready.plan;
  for (const auto& script : scripts) {
    for (const auto& warning : script.options.warnings) {
      if (warnings) warnings->warn(warning);
    }
  }
  std::erase_if(plan.problems, [&](const Problem& problem) {
    if (problem.kind != ProblemKind::kFutureVersion) return false;
    if (warnings) warnings->warn(problem.message);
    return true;
  });
  if (!plan.problems.empty()) throw_problems(plan);
  for (const auto& script : plan.pending) {
    ready.pending.push_back(prepare_script(script, flavor, options.placeholders));
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

MigrateOutcome run_migrate(const MigrateOptions& options, Output& output) {
  std::vector<MigrationScript> scripts = load_migrations(options.dir);
  apply_execute_in_transaction(options, scripts);
  std::unique_ptr<db::Connection> connection = db::connect(options.url, options.connect);
  db::Flavor flavor = connection->server().flavor;
  if (connection->server().galera) {
    // Reads wait until this node has applied everything the cluster committed before them,
    // so a waiter on another node than the leader never plans from a stale history.
    connection->execute("SET SESSION wsrep_sync_wait = 1");
  }
  HistoryTable history(*connection, options.history_table);
  MigrationLease lease(*connection, options.history_table, options.lease);
  // Every instance checks the files before touching anything, so bad input fails them all
  // alike with nothing applied.
  ReadyPlan ready = ready_plan(
      scripts, history.exists() ? history.read() : std::vector<HistoryRow>{}, flavor, options,
      &output);
  history.check_can_record(pending_file_names(ready));
  history.ensure_exists();
  lease.ensure_table();

  const std::string me = describe_this_process();
  Leader leader(options, *connection, history, lease, scripts, output);
  WaitReporter waiting(output);
  MigrateOutcome outcome;
  const auto deadline = Clock::now() + options.wait_timeout;
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<std::int64_t> poll(kPollMin.count(), kPollMax.count());
  for (;;) {
    // Cheap enough to poll: the scripts were checked above, and are again by the leader.
    MigrationPlan plan = plan_migrations(scripts, history.read(), options.plan);
    if (plan.pending.empty()) {
      if (plan.current) outcome.current = plan.current->to_string();
      return outcome;
    }
    if (auto token = lease.try_acquire(me)) {
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
                              format_duration_ms(options.wait_timeout),
                              waiting.describe_holder()),
                  "that instance renews its lease while it works; if it died, another takes "
                  "over within --lease-ttl. If it is still migrating, wait longer with "
                  "--wait-timeout");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(poll(random)));
  }
}

}  // namespace cutover::migrate
