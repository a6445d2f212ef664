// `cutover migrate`: applies pending migrations, safely from any number of instances at once.
#include "cli/migrate_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/migrate_maintenance.h"
#include "cli/migrate_options.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "db/registry.h"

namespace cutover::cli {
namespace {

std::string schema_at(const std::optional<std::string>& version) {
  return version ? "schema at version " + *version : "no version applied";
}

int run_dry_run(const MigrateCliOptions& cli, Output& output) {
  MigrateSession session = open_migrate_session(cli, &output);
  migrate::warn_if_no_migrations(session.scripts, output);
  migrate::CallbackRunner callbacks(std::move(session.callbacks), *session.connection,
                                    session.options.placeholders, output);
  callbacks.warn_unsupported();
  migrate::HistoryTable history(*session.connection, session.options.history_table);
  std::vector<migrate::HistoryRow> rows;
  if (history.exists()) rows = history.read();
  migrate::ReadyPlan ready =
      migrate::ready_plan(session.scripts, rows, session.connection->server(), session.options,
                          &output, callbacks.missing_placeholders());
  std::optional<std::string> current;
  if (ready.plan.current) current = ready.plan.current->to_string();
  if (output.json()) {
    nlohmann::json pending = nlohmann::json::array();
    for (const auto& script : ready.pending) {
      nlohmann::json outside = nlohmann::json::array();
      for (const auto& statement : script.statements) {
        if (statement.traits.outside_transaction) outside.push_back(statement.line);
      }
      pending.push_back(
          {{"script", script.script.file_name},
           {"version", script.script.version ? nlohmann::json(script.script.version->to_string())
                                             : nlohmann::json()},
           {"statements", script.statements.size()},
           {"atomic", script.atomic()},
           {"outside_transaction_lines", outside}});
    }
    output.event({{"event", "plan"},
                  {"dry_run", true},
                  {"current", current ? nlohmann::json(*current) : nlohmann::json()},
                  {"pending", pending}});
    return 0;
  }
  auto& out = output.out();
  out << fmt::format("migrate --dry-run: {}, {} to apply{}\n", schema_at(current),
                     ready.pending.size(), ready.pending.empty() ? "" : ":");
  for (const auto& script : ready.pending) {
    std::string how = script.atomic() ? "in one transaction"
                                      : fmt::format("in {} steps, progress recorded after each",
                                                    script.steps.size());
    out << fmt::format("  {:<40} {} statement{}, {}\n", script.script.file_name,
                       script.statements.size(), script.statements.size() == 1 ? "" : "s", how);
    for (const auto& statement : script.statements) {
      if (!statement.traits.outside_transaction) continue;
      out << fmt::format("      line {}: {} runs outside a transaction\n", statement.line,
                         statement.traits.kind);
    }
  }
  return 0;
}

int run_migrate(const MigrateCliOptions& cli, Output& output) {
  if (cli.dry_run) return run_dry_run(cli, output);
  // SIGINT and SIGTERM cancel the running statement, roll back what is not committed, release
  // the lease and end in one error saying where it stopped; a second signal exits at once.
  // Created before the lease heartbeat's thread starts, so that only the watch takes them.
  InterruptWatch interrupt_watch;
  migrate::MigrateOutcome outcome = migrate::run_migrate(to_migrate_options(cli, &output), output);
  if (output.json()) {
    output.event(
        {{"event", "done"},
         {"role", migrate::role_name(outcome.role)},
         {"applied", outcome.applied},
         {"current", outcome.current ? nlohmann::json(*outcome.current) : nlohmann::json()}});
    return 0;
  }
  std::string line;
  if (outcome.applied > 0) {
    line = fmt::format("migrate: applied {} migration{}, {}", outcome.applied,
                       outcome.applied == 1 ? "" : "s", schema_at(outcome.current));
  } else {
    line = fmt::format("migrate: up to date, {}{}", schema_at(outcome.current),
                       outcome.role == migrate::MigrateRole::kWaiter
                           ? " (applied by another instance while this one waited)"
                           : "");
  }
  output.out() << line << "\n";
  return 0;
}

}  // namespace

void add_migrate_command(CLI::App& app, CommandRun& run) {
  auto o = std::make_shared<MigrateCliOptions>();
  auto* cmd = app.add_subcommand(
      "migrate",
      "Apply versioned SQL migrations (Flyway file names); any number of instances may run it "
      "at once: one applies, the others wait");
  cmd->require_subcommand(0, 1);
  cmd->footer(
      "\nFiles: V<version>__<description>.sql run once in version order (1 < 1.1 < 2_3), then\n"
      "R__<description>.sql run again whenever they change. A file runs in one transaction where\n"
      "the database allows (PostgreSQL, SQLite); statements that cannot (CREATE INDEX\n"
      "CONCURRENTLY, ALTER TYPE ... ADD VALUE) run on their own, and progress is recorded per\n"
      "step, so a run that stops resumes at the right statement. A header line\n"
      "'-- cutover: no-transaction' runs the whole file statement by statement.\n"
      "\nStart it with every instance of the application: exactly one takes the lease (a row in\n"
      "<history-table>_lease) and applies; the others wait until nothing is pending and exit 0.\n"
      "A leader that dies is replaced within --lease-ttl. Works directly, through PgBouncer in\n"
      "transaction mode, on any node of a Galera cluster, and on a shared SQLite file.\n"
      "\nExamples:\n"
      "  cutover migrate postgres://app@db/shop --dir db/migrations\n"
      "  cutover migrate postgres://app@db/shop --dry-run\n"
      "  cutover migrate mariadb://app@galera-2/shop --placeholder owner=app --target 12\n"
      "  cutover migrate info postgres://app@db/shop --history-table flyway_schema_history\n"
      "\nSIGINT or SIGTERM cancels the running statement, rolls back what is not committed,\n"
      "releases the lease and says where it stopped (exit 1); the next run resumes there.\n"
      "\nExit codes: 0 up to date (applied here or by another instance), 1 a statement failed\n"
      "(the message names file, statement and line) or the run was interrupted, 2 bad input:\n"
      "nothing applied, 3 gave up waiting for another instance (--wait-timeout) or lost the\n"
      "lease.");
  add_migrate_common_options(*cmd, *o);
  cmd->add_option(
      "--target", o->target,
      "Apply versioned migrations up to this version only; latest (the default) applies all");
  cmd->add_flag("--dry-run", o->dry_run, "Print what would be applied; change nothing");
  cmd->add_flag("--out-of-order", o->out_of_order,
                "Apply a new version below the highest applied one instead of refusing it");
  cmd->add_option("--lock-timeout", o->lock_timeout,
                  "Longest wait for a lock per attempt of a statement; the application's "
                  "queries queue behind a waiting ALTER at most this long")
      ->capture_default_str();
  cmd->add_option("--retry-for", o->retry_for,
                  "Keep retrying a statement that hit the lock timeout, with jittered pauses, "
                  "for this long")
      ->capture_default_str();
  cmd->add_option("--statement-timeout", o->statement_timeout,
                  "Cancel a statement running longer than this; 0 = no limit")
      ->capture_default_str();
  cmd->add_option("--wait-timeout", o->wait_timeout,
                  "How long an instance waits for the one applying before it fails")
      ->capture_default_str();
  cmd->add_option("--lease-ttl", o->lease_ttl,
                  "A leader that stops renewing its lease is replaced after this long")
      ->capture_default_str();
  cmd->callback([&run, o, cmd] {
    if (cmd->get_subcommands().empty()) {
      run = [o](Output& output) { return run_migrate(*o, output); };
    }
  });

  struct Sub {
    const char* name;
    const char* help;
    int (*entry)(const MigrateCliOptions&, Output&);
  };
  const Sub subs[] = {
      {"info", "Show every migration and its state (Pending, Success, Failed, ...)",
       run_migrate_info},
      {"validate",
       "Check that the files and the history agree (edited, missing, unknown or out-of-order "
       "migrations): exit 0 or 2",
       run_migrate_validate},
      {"baseline",
       "Start the history of an existing database at --version, without running "
       "the migrations up to it",
       run_migrate_baseline},
      {"repair",
       "Delete failed rows, realign checksums and descriptions with the files after a reviewed "
       "edit, and forget a partial run",
       run_migrate_repair},
  };
  for (const Sub& sub : subs) {
    auto* command = cmd->add_subcommand(sub.name, sub.help);
    add_migrate_common_options(*command, *o);
    if (std::string_view(sub.name) == "baseline") {
      command->add_option("--version", o->baseline_version, "The version the database is at")
          ->required();
      command
          ->add_option("--description", o->baseline_description, "Description of the baseline row")
          ->capture_default_str();
    }
    auto entry = sub.entry;
    command->callback(
        [&run, o, entry] { run = [o, entry](Output& output) { return entry(*o, output); }; });
  }
}

}  // namespace cutover::cli
