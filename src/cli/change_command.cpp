// `cutover change start / complete / rollback / status`: online expand/contract changes.
#include "cli/change_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "change/change_runner.h"
#include "core/duration.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "db/lock_retry.h"

namespace cutover::cli {
namespace {

struct ChangeCliOptions {
  std::string url;
  std::string file;
  std::string schema = "public";
  std::string password_file;
  int connect_timeout_s = 10;
  std::int64_t batch_size = 1000;
  std::string batch_pause = "0";
  std::string batch_target = "auto";
  bool allow_copy_alter = false;
  std::string galera_nodes;
  std::string lock_timeout{db::kDefaultLockTimeoutText};
  std::string retry_for{db::kDefaultRetryForText};
};

change::ChangeOptions to_options(const ChangeCliOptions& o) {
  change::ChangeOptions options;
  options.url = o.url;
  options.connect.connect_timeout = std::chrono::seconds(o.connect_timeout_s);
  options.connect.application_name = "cutover change";
  if (!o.password_file.empty()) options.connect.password_file = o.password_file;
  options.schema = o.schema;
  options.retry.lock_timeout = parse_duration(o.lock_timeout, "--lock-timeout");
  options.retry.retry_for = parse_duration(o.retry_for, "--retry-for");
  if (options.retry.lock_timeout.count() <= 0) {
    throw_bad_input("--lock-timeout must be above zero",
                    "a statement that waits for a lock without limit queues every query of the "
                    "application behind it; keep it short, e.g. 200ms (the default)");
  }
  options.backfill.batch_size = o.batch_size;
  options.backfill.pause = parse_duration(o.batch_pause, "--batch-pause");
  options.allow_copy_alter = o.allow_copy_alter;
  options.galera_nodes = o.galera_nodes;
  if (o.batch_target != "auto") {
    options.backfill.target_batch = parse_duration(o.batch_target, "--batch-target");
  }
  options.backfill.retry = options.retry;
  return options;
}

nlohmann::json describe(const change::ChangeRecord& record) {
  nlohmann::json backfill = nlohmann::json::array();
  for (const auto& progress : record.backfill) backfill.push_back(progress.to_json());
  return {{"name", record.name},
          {"phase", change::phase_name(record.phase)},
          {"schema", record.base_schema},
          {"file", record.spec.file},
          {"operations", record.spec.operations.size()},
          {"backfill", backfill},
          {"started_at", record.started_at},
          {"updated_at", record.updated_at},
          {"last_error", record.last_error}};
}

bool is_mariadb(const std::string& url) {
  return url.starts_with("mariadb:") || url.starts_with("mysql:");
}

// What new-version clients set to see the change's shape.
std::string new_version_setup(const change::ChangeRecord& record, const std::string& url) {
  if (is_mariadb(url)) {
    return fmt::format("new-version clients connect to database {0} and run SET "
                       "@cutover_version = '{0}' on each connection (a pool's init SQL)",
                       record.name);
  }
  return fmt::format("new-version clients use search_path={0},{1} and cutover.version={0}",
                     record.name, record.base_schema);
}

void print_status(Output& output, const change::ChangeRecord& record, const std::string& url,
                  const std::optional<std::string>& running) {
  auto& out = output.out();
  out << fmt::format("change {}: {}\n", record.name, change::phase_name(record.phase));
  std::size_t count = record.spec.operations.size();
  out << fmt::format("  file        {} ({} operation{})\n", record.spec.file, count,
                     count == 1 ? "" : "s");
  out << fmt::format("  started at  {}, last step {}\n", record.started_at, record.updated_at);
  for (const auto& progress : record.backfill) {
    std::string state = progress.done ? "done" : "in progress";
    out << fmt::format("  backfill    {}: {} of ~{} rows, {}\n", progress.table,
                       progress.rows_done, progress.rows_estimate, state);
  }
  if (!record.last_error.empty()) out << "  stopped by  " << record.last_error << "\n";
  if (running) {
    out << fmt::format("  running     process {} (host:pid:id) is working on it now\n", *running);
    out << "  next        wait for it; SIGTERM (Ctrl-C) stops it where it stands, and a start, "
           "complete or rollback meanwhile is refused naming it\n";
    return;
  }
  switch (record.phase) {
    case change::ChangePhase::kStarting:
    case change::ChangePhase::kBackfilling:
      out << "  next        cutover change start (same file) resumes it; cutover change "
             "rollback removes it\n";
      break;
    case change::ChangePhase::kStarted:
      if (record.base_schema == "main") {  // SQLite: one shape serves both versions
        out << "  next        both versions work. Then: cutover change complete, or cutover "
               "change rollback\n";
        break;
      }
      out << fmt::format("  next        both versions work; {}. Then: cutover change complete, "
                         "or cutover change rollback\n",
                         new_version_setup(record, url));
      break;
    case change::ChangePhase::kCompleting:
      out << "  next        cutover change complete resumes it\n";
      break;
    case change::ChangePhase::kRollingBack:
      out << "  next        cutover change rollback resumes it\n";
      break;
    case change::ChangePhase::kCompleted:
      break;
  }
}

int report(Output& output, const char* event, const change::ChangeRecord& record,
           const std::string& line) {
  if (output.json()) {
    nlohmann::json j = describe(record);
    j["event"] = event;
    if (std::string_view(event) == "rolled_back") j["phase"] = "rolled_back";
    output.event(j);
  } else {
    output.out() << line << "\n";
  }
  return 0;
}

int run_start(const ChangeCliOptions& o, Output& output) {
  change::ChangeOptions options = to_options(o);
  change::ChangeSpec spec = change::parse_change_file(o.file);
  // SIGINT and SIGTERM cancel the statement under way, keep the backfill's checkpoint, release
  // the lease and end in one error saying what to run next; a second signal exits at once.
  // Created before the lease heartbeat's thread starts, so that only the watch takes them.
  InterruptWatch interrupt_watch;
  change::ChangeRunner runner(options, output);
  auto record = runner.start(spec);
  std::string line = fmt::format(
      "change {} started: the old version keeps using {} {}; {}. Next: cutover change "
      "complete, or cutover change rollback",
      record.name, is_mariadb(options.url) ? "database" : "schema", record.base_schema,
      new_version_setup(record, options.url));
  if (options.url.starts_with("sqlite")) {
    line = fmt::format("change {} started: old and new application versions can both write the "
                       "database now. Next: cutover change complete, or cutover change rollback",
                       record.name);
  }
  return report(output, "started", record, line);
}

int run_complete(const ChangeCliOptions& o, Output& output) {
  InterruptWatch interrupt_watch;  // as in run_start
  change::ChangeRunner runner(to_options(o), output);
  auto record = runner.complete();
  if (is_mariadb(o.url)) {
    return report(
        output, "completed", record,
        fmt::format("change {0} completed: the tables have the new shape; old-version clients "
                    "must be gone now. Database {0} is kept: its views show the tables as they "
                    "are, so new-version clients connected to it keep working. Point them at "
                    "database {1}, then drop it (DROP DATABASE {0})",
                    record.name, record.base_schema));
  }
  return report(output, "completed", record,
                fmt::format("change {} completed: the tables have the new shape and the "
                            "version schema is gone (clients whose search_path names it use "
                            "the tables themselves); old-version clients must be gone now",
                            record.name));
}

int run_rollback(const ChangeCliOptions& o, Output& output) {
  InterruptWatch interrupt_watch;  // as in run_start
  change::ChangeRunner runner(to_options(o), output);
  auto record = runner.rollback();
  return report(output, "rolled_back", record,
                fmt::format("change {} rolled back: everything it added is gone", record.name));
}

int run_status(const ChangeCliOptions& o, Output& output) {
  change::ChangeRunner runner(to_options(o), output);
  auto record = runner.status();
  std::optional<std::string> running = record ? runner.running() : std::nullopt;
  if (output.json()) {
    nlohmann::json status = record ? describe(*record) : nlohmann::json{{"phase", nullptr}};
    if (record) status["running"] = running ? nlohmann::json(*running) : nlohmann::json();
    output.out() << status.dump() << "\n";
  } else if (record) {
    print_status(output, *record, o.url, running);
  } else {
    output.out() << "no active change\n";
  }
  return 0;
}

void add_common(CLI::App& command, ChangeCliOptions& o) {
  command.add_option("url", o.url, "Database: postgres://user@host/db or sqlite:///path")
      ->required();
  command.add_option("--schema", o.schema, "PostgreSQL schema of the tables (the old version's)")
      ->capture_default_str();
  add_password_file_option(command, o.password_file);
  command.add_option("--connect-timeout", o.connect_timeout_s, "Seconds to wait for a connection")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  command.add_option("--lock-timeout", o.lock_timeout,
                     "Longest wait for a lock per attempt of a step; the application's queries "
                     "queue behind a waiting ALTER at most this long")
      ->capture_default_str();
  command.add_option("--retry-for", o.retry_for,
                     "Keep retrying a step that hit the lock timeout, with jittered pauses, for "
                     "this long")
      ->capture_default_str();
  command
      .add_option("--galera-nodes", o.galera_nodes,
                  "Galera: the nodes (HOST:PORT,...) that cutover checks after each trigger "
                  "it creates or drops, and mends if one did not apply it; default: the "
                  "cluster's wsrep_incoming_addresses")
      ->check(
          [](const std::string& nodes) {
            return nodes.empty() ? std::string(
                                       "empty: list the nodes as HOST:PORT,... or leave "
                                       "the option out to check the cluster's own list")
                                 : std::string();
          },
          "");
}

}  // namespace

void add_change_command(CLI::App& app, CommandRun& run) {
  auto o = std::make_shared<ChangeCliOptions>();
  auto* cmd = app.add_subcommand(
      "change",
      "Online expand/contract schema changes: old and new application versions work at the "
      "same time");
  cmd->require_subcommand(1);
  cmd->footer(
      "\nA change file (YAML or JSON) lists operations: add_column, drop_column, rename_column,\n"
      "alter_column, create_table, drop_table, rename_table, create_index, drop_index,\n"
      "add_constraint, drop_constraint, split_to_table, sql. `start` makes only additive\n"
      "changes, keeps both shapes in sync with triggers and backfills existing rows; the new\n"
      "version reads and writes through a schema of views named after the change (MariaDB:\n"
      "a database of views, used with SET @cutover_version = '<change>'). `complete` removes\n"
      "the old shape; `rollback` removes everything start added. PostgreSQL, MariaDB and\n"
      "Galera, and a subset on SQLite (docs/change.md).\n"
      "\nExamples:\n"
      "  cutover change start postgres://app@db/shop changes/split_addresses.yaml\n"
      "  cutover change status postgres://app@db/shop\n"
      "  cutover change complete postgres://app@db/shop\n"
      "  cutover change start mariadb://app@db/shop changes/split_addresses.yaml\n"
      "\nExit codes: 0 done, 1 a step failed (run the same command again to resume), 2 bad\n"
      "input: nothing changed, 3 another change is active.");

  auto* start = cmd->add_subcommand("start", "Expand: add the new shape beside the old one");
  add_common(*start, *o);
  start->add_option("file", o->file, "The change file (YAML or JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  start
      ->add_option(
          "--batch-size", o->batch_size,
          "Rows per backfill batch, reached from a first batch of at most 1000 while batches stay "
          "within half of --lock-timeout")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}))
      ->capture_default_str();
  start->add_option("--batch-pause", o->batch_pause, "Pause between backfill batches")
      ->capture_default_str();
  start->add_option("--batch-target", o->batch_target,
                    "Adapt the batch size so that a batch takes about this long; 0 = fixed; auto: "
                    "fixed, but about 60ms on SQLite, whose writers wait while a batch runs")
      ->capture_default_str();
  start->add_flag("--allow-copy-alter", o->allow_copy_alter,
                  "MariaDB: run what MariaDB does only by copying the table (a check "
                  "constraint) instead of refusing it; reads go on, writes to that table wait "
                  "for the copy");
  start->callback([&run, o] { run = [o](Output& out) { return run_start(*o, out); }; });

  auto* complete = cmd->add_subcommand("complete", "Contract: remove the old shape");
  add_common(*complete, *o);
  complete->callback([&run, o] { run = [o](Output& out) { return run_complete(*o, out); }; });

  auto* rollback = cmd->add_subcommand("rollback", "Remove everything start added");
  add_common(*rollback, *o);
  rollback->callback([&run, o] { run = [o](Output& out) { return run_rollback(*o, out); }; });

  auto* status = cmd->add_subcommand("status", "The active change, its phase and backfill");
  add_common(*status, *o);
  status->callback([&run, o] { run = [o](Output& out) { return run_status(*o, out); }; });
}

}  // namespace cutover::cli
