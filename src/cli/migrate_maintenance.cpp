// The migrate subcommands that inspect or mend the history: info, validate, baseline, repair.
#include "cli/migrate_maintenance.h"

#include <fmt/format.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>

#include "coord/lease.h"
#include "core/error.h"
#include "migrate/callbacks.h"
#include "migrate/history_table.h"
#include "migrate/migration_plan.h"
#include "migrate/migration_runner.h"
#include "migrate/resume_point.h"

namespace cutover::cli {
namespace {

using nlohmann::json;

json optional_json(const std::optional<std::string>& value) {
  return value ? json(*value) : json();
}

std::vector<migrate::HistoryRow> read_history(migrate::HistoryTable& history) {
  return history.exists() ? history.read() : std::vector<migrate::HistoryRow>{};
}

// The partial run the lease records, if the lease table exists and records one.
std::optional<coord::LeaseState> read_lease(db::Connection& connection,
                                            const std::string& history_table) {
  coord::Lease lease(connection, migrate::migration_lease_key(history_table));
  if (!lease.table_exists()) return std::nullopt;
  return lease.current();
}

// Holds the migration lease for a short piece of maintenance, so it never runs beside a
// migration. Throws Error(kConflict) naming the holder when one is running.
class MaintenanceLease {
 public:
  // The URL reaches a dead leader's Galera node, whose session a takeover ends.
  static coord::LeaseOptions lease_options(const migrate::MigrateOptions& options) {
    coord::LeaseOptions lease = options.lease;
    lease.url = options.url;
    lease.connect = options.connect;
    return lease;
  }

  MaintenanceLease(db::Connection& connection, const migrate::MigrateOptions& options)
      : lease_(connection, migrate::migration_lease_key(options.history_table),
               lease_options(options)) {
    lease_.ensure_table();
    auto token = lease_.try_acquire(coord::describe_this_process());
    if (!token) {
      auto state = lease_.current();
      throw Error(ErrorCode::kConflict,
                  fmt::format("a migration is running: {} holds the migration lease",
                              state && state->holder ? *state->holder : "another instance"),
                  "run this again once it has finished");
    }
    token_ = *token;
  }
  ~MaintenanceLease() {
    try {
      lease_.release(token_);
    } catch (const Error&) {
      // It expires on its own within the ttl.
    }
  }
  // Runs `body` in one transaction on `connection` together with the lease check, so that
  // nothing it writes commits unless this process still holds the lease.
  void commit_fenced(db::Connection& connection, std::string_view what,
                     const std::function<void()>& body) {
    connection.begin();
    try {
      body();
      // Clears any partial-run record too: maintenance leaves no half-applied file behind.
      if (!lease_.record_progress(token_, "", std::nullopt, 0)) {
        throw Error(ErrorCode::kConflict, fmt::format("lost the migration lease during {}", what),
                    fmt::format("run {} again", what));
      }
      connection.commit();
    } catch (...) {
      connection.rollback();
      throw;
    }
  }
  coord::Lease& lease() { return lease_; }

 private:
  coord::Lease lease_;
  coord::LeaseToken token_;
};

}  // namespace

int run_migrate_info(const MigrateCliOptions& cli, Output& output) {
  // With --json, stdout is the one document: warnings and callbacks' lines go to stderr.
  Output messages(output.out(), output.err(), /*json=*/false, output.terminal());
  MigrateSession session = open_migrate_session(cli, &messages);
  migrate::CallbackRunner callbacks(std::move(session.callbacks), *session.connection,
                                    session.options.placeholders, messages);
  callbacks.warn_unsupported();
  migrate::CallbackFrame frame(callbacks, "Info");
  migrate::HistoryTable history(*session.connection, session.options.history_table);
  migrate::MigrationPlan plan =
      migrate::plan_migrations(session.scripts, read_history(history), session.options.plan);
  auto partial = read_lease(*session.connection, session.options.history_table);
  std::optional<std::string> current;
  if (plan.current) current = plan.current->to_string();
  if (output.json()) {
    json rows = json::array();
    for (const auto& row : plan.info) {
      rows.push_back({{"version", optional_json(row.version)},
                      {"description", row.description},
                      {"type", row.type},
                      {"script", row.script},
                      {"installed_rank", row.installed_rank ? json(*row.installed_rank) : json()},
                      {"installed_on", optional_json(row.installed_on)},
                      {"state", migrate::state_name(row.state)}});
    }
    json document = {{"migrations", rows},
                     {"current", optional_json(current)},
                     {"after_migrate_owed", migrate::after_migrate_owed(partial)}};
    if (partial && partial->script && !migrate::after_migrate_owed(partial)) {
      document["in_progress"] = {{"script", *partial->script},
                                 {"statements_done", partial->statements_done},
                                 {"holder", optional_json(partial->holder)},
                                 {"held", partial->held()}};
    }
    json problems = json::array();
    for (const auto& problem : plan.problems) {
      problems.push_back(
          {{"kind", migrate::problem_kind_name(problem.kind)}, {"message", problem.message}});
    }
    document["problems"] = problems;
    output.out() << document.dump() << "\n";
    frame.done();
    return 0;
  }
  auto& out = output.out();
  out << fmt::format("{:<10} {:<32} {:<9} {:<20} {}\n", "Version", "Description", "Type",
                     "Installed On", "State");
  for (const auto& row : plan.info) {
    out << fmt::format("{:<10} {:<32} {:<9} {:<20} {}\n", row.version.value_or(""),
                       row.description.substr(0, 32), row.type,
                       row.installed_on.value_or("").substr(0, 19), migrate::state_name(row.state));
  }
  out << fmt::format("{}\n", current ? "schema at version " + *current : "no version applied");
  if (migrate::after_migrate_owed(partial)) {
    out << fmt::format(
        "owed: the afterMigrateApplied and afterMigrate callbacks of the last run, "
        "{}\n",
        partial->held() ? "being run by " + partial->holder.value_or("?")
                        : "which stopped before they had all run: the next "
                          "migrate runs them");
  } else if (partial && partial->script) {
    out << fmt::format("in progress: {}, {} statements applied, {}\n", *partial->script,
                       partial->statements_done,
                       partial->held() ? "being applied by " + partial->holder.value_or("?")
                                       : "stopped: the next migrate resumes it");
  }
  for (const auto& problem : plan.problems) out << "problem: " << problem.message << "\n";
  frame.done();
  return 0;
}

int run_migrate_validate(const MigrateCliOptions& cli, Output& output) {
  MigrateSession session = open_migrate_session(cli, &output);
  migrate::CallbackRunner callbacks(std::move(session.callbacks), *session.connection,
                                    session.options.placeholders, output);
  callbacks.warn_unsupported();
  migrate::warn_if_no_migrations(session.scripts, output);
  migrate::CallbackFrame frame(callbacks, "Validate");
  migrate::HistoryTable history(*session.connection, session.options.history_table);
  migrate::ReadyPlan ready =
      migrate::ready_plan(session.scripts, read_history(history), session.connection->server(),
                          session.options, &output, callbacks.missing_placeholders());
  // What migrate would refuse next: a partly applied file that changed or is not next, and a
  // file name the history cannot store.
  if (!ready.pending.empty()) {
    migrate::resume_point(read_lease(*session.connection, session.options.history_table),
                          ready.pending.front());
  }
  history.check_can_record(migrate::pending_file_names(ready));
  if (output.json()) {
    output.event({{"event", "validated"},
                  {"migrations", session.scripts.size()},
                  {"pending", ready.pending.size()}});
  } else {
    output.out() << fmt::format("validate: {} migration files and the history agree; {} pending\n",
                                session.scripts.size(), ready.pending.size());
  }
  frame.done();
  return 0;
}

int run_migrate_baseline(const MigrateCliOptions& cli, Output& output) {
  migrate::Version version = [&] {
    try {
      return migrate::Version::parse(cli.baseline_version);
    } catch (const Error& e) {
      throw_bad_input("--version: " + e.message(), "give a version such as 5 or 2.1");
    }
  }();
  MigrateSession session = open_migrate_session(cli, &output, /*files_optional=*/true);
  migrate::CallbackRunner callbacks(std::move(session.callbacks), *session.connection,
                                    session.options.placeholders, output);
  callbacks.warn_unsupported();
  migrate::CallbackFrame frame(callbacks, "Baseline");
  db::Connection& connection = *session.connection;
  migrate::HistoryTable history(connection, session.options.history_table);
  history.ensure_exists();
  MaintenanceLease guard(connection, session.options);
  if (auto rows = history.read(); !rows.empty()) {
    throw_bad_input(fmt::format("{} already has {} row{}: baseline only starts an empty history",
                                history.name(), rows.size(), rows.size() == 1 ? "" : "s"),
                    "run `cutover migrate info` to see where the database stands");
  }
  guard.commit_fenced(connection, "baseline",
                      [&] { history.append_baseline(version, cli.baseline_description); });
  if (output.json()) {
    output.event({{"event", "baseline"}, {"version", version.to_string()}});
  } else {
    output.out() << fmt::format(
        "baseline: history starts at version {}; migrate applies only what is above it\n",
        version.to_string());
  }
  frame.done();
  return 0;
}

int run_migrate_repair(const MigrateCliOptions& cli, Output& output) {
  MigrateSession session = open_migrate_session(cli, &output);
  migrate::CallbackRunner callbacks(std::move(session.callbacks), *session.connection,
                                    session.options.placeholders, output);
  callbacks.warn_unsupported();
  migrate::CallbackFrame frame(callbacks, "Repair");
  db::Connection& connection = *session.connection;
  migrate::HistoryTable history(connection, session.options.history_table);
  if (!history.exists()) {
    throw_bad_input(fmt::format("there is no history table {} to repair", history.name()),
                    "check --history-table and the database");
  }
  MaintenanceLease guard(connection, session.options);
  std::vector<std::string> done;
  auto partial = guard.lease().current();
  guard.commit_fenced(connection, "repair", [&] {
    if (std::int64_t removed = history.remove_failed(); removed > 0) {
      done.push_back(fmt::format("removed {} failed row{}", removed, removed == 1 ? "" : "s"));
    }
    for (const auto& row : history.read()) {
      if (!row.version || !row.success || row.type != migrate::kHistoryTypeSql) continue;
      auto version = migrate::Version::parse(*row.version);
      for (const auto& script : session.scripts) {
        if (!script.version || *script.version != version) continue;
        if (row.checksum != script.checksum) {
          history.update_checksum(row.installed_rank, script.checksum);
          done.push_back(fmt::format("realigned the checksum of {}", script.file_name));
        }
        if (row.description != script.description) {
          history.update_description(row.installed_rank, script.description);
          done.push_back(fmt::format("realigned the description of {}", script.file_name));
        }
      }
    }
    if (migrate::after_migrate_owed(partial)) {
      done.push_back("forgot the afterMigrate callbacks owed by the last run");
    } else if (partial && partial->script) {
      done.push_back(fmt::format("forgot the partial run of {} ({} statements applied)",
                                 *partial->script, partial->statements_done));
    }
  });
  if (output.json()) {
    output.event({{"event", "repaired"}, {"changes", done}});
  } else if (done.empty()) {
    output.out() << "repair: nothing to repair\n";
  } else {
    for (const auto& line : done) output.out() << "repair: " << line << "\n";
  }
  frame.done();
  return 0;
}

}  // namespace cutover::cli
