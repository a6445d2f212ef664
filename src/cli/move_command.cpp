// `cutover move create / status / list / abort`: relocate whole databases as a staged plan
// with an id, kept in the move state store.
#include "cli/move_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/connection_url.h"
#include "core/duration.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "move/database_address.h"
#include "move/move_progress.h"
#include "move/move_step.h"
#include "move/move_store.h"
#include "move/preflight.h"
#include "proxy/admin_client.h"

namespace cutover::cli {
namespace {

using move::MoveRecord;
using move::MoveStep;
using move::MoveStore;

struct MoveCliOptions {
  std::string state;
  std::string to;
  std::vector<std::string> databases;
  std::string owner;
  std::string id;
  std::string password_file;
  int connect_timeout_s = 10;
  std::string freeze;  // empty: the engine's own (privileges, read_only)
  std::vector<std::string> freeze_commands;
  std::vector<std::string> unfreeze_commands;
  std::vector<std::string> allow_unfrozen;
  std::vector<std::string> switch_commands;
  std::vector<std::string> switch_back_commands;
  std::vector<std::string> proxies;  // --proxy: the admin address of each cutover proxy in front
  std::string proxy_backend;  // --proxy-backend: its backend that is the target
  std::string pause_timeout = "2s";  // finalize with a proxy: how long sessions get to idle
  int jobs = 0;  // 0: the number of cores
  std::int64_t split_bytes = 0;  // hidden --split-bytes: 0, the engine's default
  std::string drain_timeout = "5s";
  bool discard_target_writes = false;
  bool drop_source = false;
};

std::string state_path(const MoveCliOptions& o) {
  return o.state.empty() ? MoveStore::default_path() : o.state;
}

nlohmann::json describe(const MoveRecord& record,
                        const std::optional<move::MoveProgress>& progress = std::nullopt) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : record.events) {
    events.push_back({{"at", e.at}, {"step", e.step}, {"what", e.what}});
  }
  std::string next = move::next_command(record);
  return {{"id", record.id},
          {"step", move::step_name(record.step)},
          {"plan", record.plan.to_json()},
          {"next", next.empty() ? nlohmann::json(nullptr) : nlohmann::json(next)},
          {"created_at", record.created_at},
          {"updated_at", record.updated_at},
          {"events", events},
          {"progress", progress ? progress->to_json() : nlohmann::json(nullptr)}};
}

void print_plan(std::ostream& out, const MoveRecord& record) {
  out << fmt::format("  target      {}\n", move::url_without_password(record.plan.target));
  for (const auto& d : record.plan.databases) {
    out << fmt::format("  database    {} -> {}\n", move::url_without_password(d.source),
                       d.target_name);
  }
  if (record.plan.owner) out << fmt::format("  owner       {}\n", *record.plan.owner);
}

void print_status(Output& output, const MoveRecord& record, const move::MoveProgress& progress) {
  auto& out = output.out();
  out << fmt::format("move {}: {}{}\n", record.id, move::step_name(record.step),
                     progress.step_running ? " (a step is running now)" : "");
  print_plan(out, record);
  if (auto line = progress.describe(record.plan.databases.size()); !line.empty()) {
    out << fmt::format("  data        {}\n", line);
  }
  out << fmt::format("  created at  {}, last step {}\n", record.created_at, record.updated_at);
  std::string next = move::next_command(record);
  if (!next.empty()) {
    out << fmt::format("  next        {}, or cutover move abort {}\n", next, record.id);
  }
  out << "  events\n";
  for (const auto& e : record.events) {
    out << fmt::format("    {}  {:<9} {}\n", e.at, e.step, e.what);
  }
}

void warn_about_passwords(Output& output, const std::vector<ConnectionUrl>& urls) {
  for (const auto& url : urls) {
    if (!url.password) continue;
    output.warn("the connection string " + url.redacted() +
                " contains a password, which other users of this machine can read in the "
                "process list; cutover does not store it, so later steps need it from "
                "PGPASSWORD, ~/.pgpass, PGSERVICE or --password-file");
  }
}

// --proxy and --proxy-backend: PostgreSQL only, both or neither, and no renamed database (the
// proxy keeps each session's startup parameters, its database name among them, across a switch).
void apply_proxy_options(const MoveCliOptions& o, move::MovePlan& plan) {
  if (o.proxies.empty() && o.proxy_backend.empty()) return;
  if (o.proxies.empty() || o.proxy_backend.empty()) {
    throw_bad_input("--proxy and --proxy-backend go together",
                    "--proxy ADMIN_ADDRESS names the cutover proxy in front of the sources, "
                    "--proxy-backend NAME its backend that is the target server");
  }
  if (plan.engine() != Scheme::kPostgres) {
    throw_bad_input("--proxy is for PostgreSQL moves: cutover proxy speaks PostgreSQL's protocol",
                    "leave --proxy out, and switch the application with --switch-command");
  }
  for (const auto& address : o.proxies) {
    auto admin = proxy::parse_admin_address(address, "--proxy").to_string();
    if (std::find(plan.proxy_admins.begin(), plan.proxy_admins.end(), admin) ==
        plan.proxy_admins.end()) {
      plan.proxy_admins.push_back(admin);
    }
  }
  for (const auto& d : plan.databases) {
    if (d.target_name != d.source_name()) {
      throw_bad_input(
          fmt::format("--database {} renames {} to {}, which a move through the proxy cannot "
                      "do: the proxy's sessions keep the database name they logged in with",
                      d.source.redacted(), d.source_name(), d.target_name),
          "keep the names (drop =NEW_NAME), or switch the application yourself with "
          "--switch-command instead of --proxy");
    }
  }
  plan.proxy_backend = o.proxy_backend;
}

move::MovePlan plan_from(const MoveCliOptions& o) {
  move::MovePlan plan;
  plan.target = parse_connection_url(o.to);
  if (plan.target.scheme == Scheme::kSqlite) {
    // A directory: the moved files keep their names in it unless renamed.
    if (plan.target.database.empty() || plan.target.database == ":memory:") {
      throw_bad_input(fmt::format("--to {} names no directory", o.to),
                      "--to sqlite:/path/to/new/directory/");
    }
    plan.target.database = std::filesystem::absolute(plan.target.database).string();
    plan.target.text = "sqlite:" + plan.target.database;
  }
  for (const auto& argument : o.databases) {
    plan.databases.push_back(move::parse_mapping(argument));
    if (plan.databases.back().source.scheme != plan.engine()) {
      throw_bad_input(
          fmt::format("--database {} is {} and --to {} is {}", redact(argument),
                      scheme_name(plan.databases.back().source.scheme), plan.target.redacted(),
                      scheme_name(plan.engine())),
          "a move goes between servers of one kind: dump and convert across kinds yourself");
    }
  }
  if (!o.owner.empty()) plan.owner = o.owner;
  // Each engine's own freeze, its default, and hook are the choices.
  const auto [engine, own_freeze] =
      plan.engine() == Scheme::kMariaDb  ? std::pair{"MariaDB", move::FreezeMode::kReadOnly}
      : plan.engine() == Scheme::kSqlite ? std::pair{"SQLite", move::FreezeMode::kTriggers}
                                         : std::pair{"PostgreSQL", move::FreezeMode::kPrivileges};
  if (plan.owner && plan.engine() != Scheme::kPostgres) {
    throw_bad_input("--owner is for PostgreSQL moves",
                    fmt::format("{} databases have no owner: leave --owner out", engine));
  }
  apply_proxy_options(o, plan);
  plan.freeze = o.freeze.empty() ? (plan.proxy_admins.empty() ? own_freeze : move::FreezeMode::kProxy)
                                 : move::parse_freeze_mode(o.freeze);
  if (plan.freeze == move::FreezeMode::kProxy && plan.proxy_admins.empty()) {
    throw_bad_input("--freeze proxy needs --proxy ADMIN_ADDRESS",
                    "name the admin address of the cutover proxy in front of the sources: "
                    "--proxy 127.0.0.1:6433 --proxy-backend NEW");
  }
  if (plan.freeze != own_freeze && plan.freeze != move::FreezeMode::kHook &&
      plan.freeze != move::FreezeMode::kProxy) {
    throw_bad_input(
        fmt::format("--freeze {} is not available on {}", o.freeze, engine),
        fmt::format("--freeze {} (the default) or hook", move::freeze_mode_name(own_freeze)));
  }
  if (plan.freeze == move::FreezeMode::kHook) {
    if (o.freeze_commands.empty()) {
      throw_bad_input("--freeze hook needs at least one --freeze-command",
                      "--freeze-command 'CMD' stops the application's writes (a feature toggle); "
                      "--unfreeze-command 'CMD' undoes it when the move is aborted");
    }
  } else if (!o.freeze_commands.empty()) {
    throw_bad_input("--freeze-command is given without --freeze hook",
                    "add --freeze hook, or leave the command out to freeze by privileges");
  }
  plan.freeze_commands = o.freeze_commands;
  plan.unfreeze_commands = o.unfreeze_commands;
  plan.allow_unfrozen = o.allow_unfrozen;
  plan.switch_commands = o.switch_commands;
  plan.switch_back_commands = o.switch_back_commands;
  return plan;
}

void print_check(Output& output, const move::CheckResult& check) {
  if (output.json()) {
    nlohmann::json event = {{"event", "check"},
                            {"check", check.name},
                            {"status", move::check_status_name(check.status)},
                            {"detail", redact(check.detail)}};
    if (!check.fix.empty()) event["fix"] = redact(check.fix);
    output.event(event);
    return;
  }
  auto& out = output.out();
  out << fmt::format("  {:<8} {}: {}\n", move::check_status_name(check.status), check.name,
                     redact(check.detail));
  if (!check.fix.empty() && check.status != move::CheckStatus::kPassed) {
    out << fmt::format("  {:<8} fix: {}\n", "", redact(check.fix));
  }
  out.flush();
}

int run_create(const MoveCliOptions& o, Output& output) {
  move::MovePlan plan = plan_from(o);
  std::vector<ConnectionUrl> urls = {plan.target};
  for (const auto& d : plan.databases) urls.push_back(d.source);
  warn_about_passwords(output, urls);

  // A database another move holds is refused before any server is asked (and again when the
  // plan is saved, in the same transaction, so that two creates at once cannot both win).
  std::string path = state_path(o);
  if (auto existing = MoveStore::open_existing(path)) {
    if (auto conflict = existing->find_conflict(plan)) throw move::conflict_error(*conflict);
  }

  db::ConnectOptions connect;
  connect.connect_timeout = std::chrono::seconds(o.connect_timeout_s);
  connect.application_name = "cutover move";
  if (!o.password_file.empty()) connect.password_file = o.password_file;

  if (!output.json()) {
    output.out() << fmt::format("preflight of a move of {} database{} to {}\n",
                                plan.databases.size(), plan.databases.size() == 1 ? "" : "s",
                                move::url_without_password(plan.target));
  }
  auto report =
      move::run_preflight(plan, connect, [&](const auto& check) { print_check(output, check); });
  if (!report.unreachable.empty()) {
    std::string names;
    for (const auto& u : report.unreachable) names += (names.empty() ? "" : ", ") + u;
    throw Error(ErrorCode::kBadInput,
                fmt::format("preflight failed: cannot reach {}; nothing was saved", names),
                plan.engine() == Scheme::kSqlite
                    ? "check the paths, then run the same command again"
                    : fmt::format("check the host, port, user and password ({}, "
                                  "--password-file), then run the same command again",
                                  plan.engine() == Scheme::kMariaDb
                                      ? "MYSQL_PWD, ~/.my.cnf"
                                      : "PGPASSWORD, ~/.pgpass"));
  }
  if (!report.passed()) {
    std::string names;
    for (const auto& n : report.failed_names()) names += (names.empty() ? "" : ", ") + n;
    throw Error(ErrorCode::kBadInput,
                fmt::format("preflight failed ({}); nothing was saved", names),
                "each failed check above says how to fix it; then run the same command again");
  }

  MoveStore store = MoveStore::open(path);
  auto record =
      store.create(plan, fmt::format("created: preflight passed, {} database{}, {} in total",
                                     plan.databases.size(), plan.databases.size() == 1 ? "" : "s",
                                     move::human_size(report.total_bytes)));
  std::string next = move::next_command(record);
  if (output.json()) {
    nlohmann::json event = describe(record);
    event["event"] = "created";
    event["total_bytes"] = report.total_bytes;
    event["state"] = store.path();
    output.event(event);
  } else {
    auto& out = output.out();
    out << fmt::format("move {} created: the preflight passed and the plan is saved in {}\n",
                       record.id, store.path());
    print_plan(out, record);
    out << fmt::format("next: {}\n", next);
  }
  return 0;
}

MoveRecord find_move(MoveStore& store, const std::string& id) {
  auto record = store.find(id);
  if (!record) {
    throw_bad_input(fmt::format("no move {} in {}", id, store.path()),
                    "cutover move list shows the moves it holds; --state FILE names another "
                    "state store");
  }
  return *record;
}

int run_status(const MoveCliOptions& o, Output& output) {
  std::string path = state_path(o);
  auto store = MoveStore::open_existing(path);
  std::optional<MoveRecord> record;
  if (!o.id.empty()) {
    if (!store) {
      throw_bad_input(fmt::format("no move {}: the state store {} does not exist", o.id, path),
                      "--state FILE names the state store that cutover move create used");
    }
    record = find_move(*store, o.id);
  } else if (store) {
    record = store->latest();
  }
  if (!record) {
    if (output.json()) {
      output.event({{"event", "status"}, {"move", nullptr}, {"state", path}});
    } else {
      output.out() << fmt::format("no moves in {}\n", path);
    }
    return 0;
  }
  auto progress = move::read_progress(*store, *record);
  if (output.json()) {
    nlohmann::json event = describe(*record, progress);
    event["event"] = "status";
    output.event(event);
  } else {
    print_status(output, *record, progress);
  }
  return 0;
}

int run_list(const MoveCliOptions& o, Output& output) {
  std::string path = state_path(o);
  auto store = MoveStore::open_existing(path);
  std::vector<MoveRecord> records;
  if (store) records = store->list();
  if (output.json()) {
    for (const auto& record : records) {
      nlohmann::json event = describe(record);
      event["event"] = "move";
      output.event(event);
    }
    return 0;
  }
  auto& out = output.out();
  if (records.empty()) {
    out << fmt::format("no moves in {}\n", path);
    return 0;
  }
  for (const auto& record : records) {
    std::string databases;
    for (const auto& d : record.plan.databases) {
      databases += (databases.empty() ? "" : ", ") + d.source_name() + " -> " + d.target_name;
    }
    out << fmt::format("{}  {:<9}  {}  to {}: {}\n", record.id, move::step_name(record.step),
                       record.created_at, move::url_without_password(record.plan.target),
                       databases);
  }
  return 0;
}

using StepFunction = MoveRecord (*)(move::MoveStepRun&);

// Runs one step of a move: loads it, holds its step lock, runs, and prints where it stands.
int run_step(const MoveCliOptions& o, Output& output, const char* command, StepFunction step,
             const char* done) {
  InterruptWatch interrupt_watch;  // before any thread: copies and checks run in threads
  std::string path = state_path(o);
  auto store = MoveStore::open_existing(path);
  if (!store) {
    throw_bad_input(fmt::format("no move {}: the state store {} does not exist", o.id, path),
                    "--state FILE names the state store that cutover move create used");
  }
  MoveRecord record = find_move(*store, o.id);
  move::StepLock lock(store->work_folder(record.id), record.id);
  record = find_move(*store, o.id);  // as it is now that no other step runs
  db::ConnectOptions connect;
  connect.connect_timeout = std::chrono::seconds(o.connect_timeout_s);
  connect.application_name = "cutover move";
  if (!o.password_file.empty()) connect.password_file = o.password_file;
  move::StepOptions options;
  options.jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.split_bytes = o.split_bytes;
  options.drain_timeout = parse_duration(o.drain_timeout, "--drain-timeout");
  options.pause_timeout = parse_duration(o.pause_timeout, "--pause-timeout");
  options.discard_target_writes = o.discard_target_writes;
  options.drop_source = o.drop_source;
  move::MoveStepRun run(*store, record, connect, output, options);
  MoveStep before = record.step;
  try {
    record = step(run);
  } catch (const Error& e) {
    // The event log keeps the failed attempt too: move status tells what the last one met.
    try {
      store->log(record.id, fmt::format("{} failed (exit {}): {}", command,
                                        static_cast<int>(e.code()), e.message()));
    } catch (const std::exception&) {  // the step's own error is the one to report
    }
    throw;
  }
  if (record.step == MoveStep::kAborted || record.step == MoveStep::kCleaned) {
    store->remove_work_folder(record.id);
  }
  std::string next = move::next_command(record);
  if (output.json()) {
    nlohmann::json event = describe(record);
    event["event"] = done;
    event["from"] = move::step_name(before);
    output.event(event);
  } else if (before == record.step) {
    output.out() << fmt::format("move {} is {} already; nothing to do\n", record.id,
                                move::step_name(record.step));
  } else {
    output.out() << fmt::format("move {}: {}\n", record.id, record.events.back().what);
    if (!next.empty()) {
      output.out() << fmt::format("next: {} (or cutover move abort {})\n", next, record.id);
    }
  }
  return 0;
}

void add_state_option(CLI::App& command, MoveCliOptions& o) {
  command.add_option("--state", o.state,
                     "The move state store (SQLite, created 0600); default "
                     "$XDG_STATE_HOME/cutover/moves.db, else ~/.local/state/cutover/moves.db");
}

}  // namespace

void add_move_command(CLI::App& app, CommandRun& run) {
  auto o = std::make_shared<MoveCliOptions>();
  auto* cmd = app.add_subcommand(
      "move",
      "Relocate whole databases (PostgreSQL, MariaDB, SQLite files) to another server as a "
      "staged, verified, abortable plan with an id");
  cmd->require_subcommand(1);
  cmd->footer(
      "\nA move is a plan with an id, taken one step at a time; each step's output names the\n"
      "next, any step can be run again after a failure or a kill, and abort takes the move back\n"
      "from any step:\n"
      "  create    preflight checks, then the plan is saved (nothing changes anywhere)\n"
      "  prepare   target databases created with the schema before data, closed to applications\n"
      "  data      sources frozen (reads go on), tables copied in parallel, indexes built, "
      "verified\n"
      "  finalize  targets opened, switch commands run; the sources stay frozen as the way back\n"
      "  cleanup   the end; --drop-source drops the sources\n"
      "The plan, its step, what each step did and an event log live in a SQLite state store\n"
      "(--state FILE, 0600), which never holds a password.\n"
      "\nExamples:\n"
      "  cutover move create --to postgres://admin@new-db/postgres \\\n"
      "      --database postgres://admin@old-db-1/shop=shop_eu \\\n"
      "      --database postgres://admin@old-db-2/crm\n"
      "  cutover move prepare mv-1a2b3c4d\n"
      "  cutover move data mv-1a2b3c4d --jobs 4\n"
      "  cutover move finalize mv-1a2b3c4d\n"
      "  cutover move status\n"
      "  cutover move list --json\n"
      "  cutover move abort mv-1a2b3c4d\n"
      "  cutover move create --to mariadb://root@galera-1/ --database "
      "mariadb://root@old-db/shop \\\n"
      "      --allow-unfrozen root\n"
      "  cutover move create --to sqlite:/mnt/new-volume/ --database sqlite:/var/lib/app/shop.db\n"
      "\nExit codes: 0 done, 1 a step failed or was interrupted (run it again, or abort), 2 bad\n"
      "input (a failed check, an unknown id, a step out of order): nothing changed, 3 held by\n"
      "another move or step, or target writes an abort would lose, 4 verification failed.");

  auto* create = cmd->add_subcommand(
      "create", "Check that a move can work, then save its plan and print its id");
  create->footer(
      "\nChecks, each printed as passed, warning or failed with the reason and the fix:\n"
      "every server reachable; the sources readable; the target's user may create databases;\n"
      "the target's version not older than each source's; every extension, collation, locale\n"
      "and role the sources use present on the target (a missing role is a warning with\n"
      "--owner); each target database absent or empty; no two databases to the same name; the\n"
      "total size; tables without a primary or unique key (a warning). Every check runs before\n"
      "the verdict. Nothing changes on any server; only a passed preflight saves the move.\n"
      "MariaDB: the accounts that read_only cannot stop (refused unless --allow-unfrozen), the\n"
      "databases it would freeze beside the moved ones, the accounts that grants and definers\n"
      "name, storage engines, Galera's cached sequences, routines that name a renamed database.\n"
      "SQLite: the files, the target directory's permissions and free space.\n"
      "\nExample:\n"
      "  cutover move create --to postgres://admin@new-db:5432/postgres \\\n"
      "      --database postgres://admin@old-db:5432/shop=shop_eu --database "
      "postgres://admin@old-db:5432/crm\n"
      "\nExit codes: 0 saved, 2 a check failed or a server is unreachable (nothing saved),\n"
      "3 another move holds one of the databases.");
  create
      ->add_option("--to", o->to,
                   "The target server, e.g. postgres://admin@new-db:5432/postgres; cutover "
                   "connects to the database it names and creates the moved ones beside it")
      ->required();
  create
      ->add_option("--database", o->databases,
                   "A source database, SRC_URL or SRC_URL=NEW_NAME (renamed on the target); "
                   "repeat for several, from one or several servers")
      ->required();
  create->add_option("--owner", o->owner,
                     "The target role that will own everything moved; roles missing on the "
                     "target are then a warning, not a failure");
  create
      ->add_option("--freeze", o->freeze,
                   "How data stops writes on the sources: privileges (PostgreSQL's default: "
                   "revoke every write privilege, recorded and restored exactly by abort), "
                   "read_only (MariaDB's default: SET GLOBAL read_only on each source server, "
                   "set back by abort), triggers (SQLite's default: a trigger on every table "
                   "refuses writes, dropped by abort), proxy (the default with --proxy: the "
                   "proxy's read-only mode) or hook (run --freeze-command)")
      ->check(CLI::IsMember({"privileges", "read_only", "triggers", "hook", "proxy"}));
  create->add_option("--freeze-command", o->freeze_commands,
                     "With --freeze hook: a shell command that stops the application's writes "
                     "(e.g. a feature toggle); repeatable");
  create->add_option("--unfreeze-command", o->unfreeze_commands,
                     "With --freeze hook: a shell command that abort runs to undo the freeze");
  create->add_option("--allow-unfrozen", o->allow_unfrozen,
                     "A superuser of a source server that a privilege freeze cannot stop and "
                     "that no application writes as; repeatable");
  create->add_option(
      "--switch-command", o->switch_commands,
      "A shell command finalize runs to point the application at the target "
      "(cf bind-service, kubectl, a config push); repeatable, must be safe to rerun");
  create->add_option("--switch-back-command", o->switch_back_commands,
                     "A shell command abort runs after finalize to point the application back");
  create->add_option("--proxy", o->proxies,
                     "The admin address (HOST:PORT) of the cutover proxy the application reaches "
                     "the sources through: data freezes through its read-only mode, finalize "
                     "switches its sessions to --proxy-backend, abort switches them back; "
                     "repeat for each replica (one per instance with sidecars)");
  create->add_option("--proxy-backend", o->proxy_backend,
                     "With --proxy: the backend of the proxies' config that is the target server");
  add_state_option(*create, *o);
  add_password_file_option(*create, o->password_file);
  create->add_option("--connect-timeout", o->connect_timeout_s, "Seconds to wait for each server")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  create->callback([&run, o] { run = [o](Output& out) { return run_create(*o, out); }; });

  auto* status = cmd->add_subcommand(
      "status", "A move's step, plan, next command and events (the latest move without ID)");
  status->add_option("id", o->id, "The move's id, e.g. mv-1a2b3c4d");
  add_state_option(*status, *o);
  status->footer(
      "\nExamples:\n  cutover move status\n  cutover move status mv-1a2b3c4d --json\n"
      "\nExit codes: 0 shown (also when there are no moves), 2 unknown id.");
  status->callback([&run, o] { run = [o](Output& out) { return run_status(*o, out); }; });

  auto* list = cmd->add_subcommand("list", "Every move in the state store, oldest first");
  add_state_option(*list, *o);
  list->footer("\nExamples:\n  cutover move list\n  cutover --json move list | jq -r .id\n");
  list->callback([&run, o] { run = [o](Output& out) { return run_list(*o, out); }; });

  auto add_step = [&](const char* name, const char* help, const char* footer, StepFunction step,
                      const char* done) {
    auto* command = cmd->add_subcommand(name, help);
    command->add_option("id", o->id, "The move's id, e.g. mv-1a2b3c4d")->required();
    add_state_option(*command, *o);
    add_password_file_option(*command, o->password_file);
    command
        ->add_option("--connect-timeout", o->connect_timeout_s, "Seconds to wait for each server")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    command->footer(footer);
    command->callback([&run, o, name, step, done] {
      run = [o, name, step, done](Output& out) { return run_step(*o, out, name, step, done); };
    });
    return command;
  };

  add_step(
      "prepare",
      "Create the target databases with the sources' schema before data (no indexes, "
      "constraints or triggers yet), closed to applications",
      "\nFor each database: CREATE DATABASE on the target with the source's encoding, locale,\n"
      "settings and owner (or --owner at create), CONNECT revoked from PUBLIC until finalize;\n"
      "then pg_dump --schema-only of the source, whose pre-data section pg_restore loads in one\n"
      "transaction. The sources are only read. Run again after a failure: it resumes.\n"
      "\nExample:\n  cutover move prepare mv-1a2b3c4d\n"
      "\nExit codes: 0 prepared, 1 a server or pg_restore failed (run again, or abort),\n"
      "2 not at step created, unknown id, or a target database that is no longer empty,\n"
      "3 another step of this move is running.",
      &move::prepare_move, "prepared");

  auto* data = add_step(
      "data",
      "Freeze writes on the sources, copy every table in parallel, build indexes and "
      "constraints, verify",
      "\nFreeze (the --freeze of create): privileges revokes every write privilege on the "
      "sources'\n"
      "tables, views and sequences (owners included), records them for abort, waits up to\n"
      "--drain-timeout for write transactions under way, then cancels them, and proves the freeze\n"
      "with a write that must fail. Reads go on. Superusers cannot be frozen: they are refused\n"
      "unless create named them with --allow-unfrozen.\n"
      "Copy: every table by COPY (binary where the types allow), source to target with nothing\n"
      "on disk, --jobs at a time, tables above 1 GiB in ctid ranges; then pg_restore's\n"
      "post-data section (indexes, constraints, triggers) with --jobs, sequences set to the\n"
      "source's values, materialized views refreshed.\n"
      "Verify: every table's row count and checksum on both servers, the sequences, and the\n"
      "schema (pg_dump of both, owners and grants aside). A difference exits 4 naming it.\n"
      "MariaDB: read_only ON on each source server (set back by abort), tables streamed into\n"
      "batched INSERTs, those above 1 GiB with an integer key in key ranges, triggers and\n"
      "events after the rows, counters and sequences set.\n"
      "SQLite: freeze triggers on every table, the online backup API, the copy's triggers\n"
      "dropped. Both verified by counts, checksums and schema (docs/move.md).\n"
      "Run again after a failure or a kill: the freeze stands, copied tables are kept.\n"
      "\nExample:\n  cutover move data mv-1a2b3c4d --jobs 4\n"
      "\nExit codes: 0 copied and verified, 1 failed or interrupted (run again, or abort),\n"
      "2 not at step prepared or a freeze that cannot hold (nothing changed), 3 another step\n"
      "of this move is running, 4 verification failed.",
      &move::copy_move_data, "copied");
  data->add_option("--jobs", o->jobs,
                   "Tables copied, verified and indexed at once (default: cores)")
      ->check(CLI::Range(1, 64));
  // For tests, which split small tables; not in --help: PostgreSQL's copy does not take it
  // yet, and 1 GiB suits operators.
  data->add_option("--split-bytes", o->split_bytes, "Tables above this size copy in parts")
      ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()))
      ->group("");
  data->add_option("--pause-timeout", o->pause_timeout,
                   "With --proxy: how long the proxy's pause waits for sessions to finish their "
                   "transactions before read-only is set (those left are drained)")
      ->capture_default_str();
  data->add_option("--drain-timeout", o->drain_timeout,
                   "How long write transactions under way may take to finish after the freeze "
                   "before they are cancelled")
      ->capture_default_str();

  auto* finalize = add_step(
      "finalize",
      "Open the targets to the roles that could use the sources and switch the application",
      "\nGrants on each target database the access its source gives, records the targets'\n"
      "write counters (abort compares with them). With --proxy (of create): pauses the proxy\n"
      "until every session is between transactions (at most --pause-timeout; new queries wait),\n"
      "switches each session to the target's backend, sets it read-write and resumes. Then runs\n"
      "each --switch-command of create. The sources stay frozen: the way back is abort.\n"
      "\nExample:\n  cutover move finalize mv-1a2b3c4d --pause-timeout 3s\n"
      "\nExit codes: 0 finalized, 1 a switch command failed or sessions stayed busy past the\n"
      "pause timeout (run again), 2 not at step copied, 3 another step of this move is running.",
      &move::finalize_move, "finalized");
  auto pause_help = "With --proxy: how long the proxy's pause waits for sessions to finish their "
                    "transactions before it gives up and resumes (new queries wait meanwhile)";
  finalize->add_option("--pause-timeout", o->pause_timeout, pause_help)->capture_default_str();

  auto* abort = add_step(
      "abort", "Give a move up at any step and put everything back as it was",
      "\nAfter finalize: with --proxy (of create), sets the proxy read-only first; refuses\n"
      "(exit 3, naming the tables) when the targets have received writes since, unless\n"
      "--discard-target-writes; switches the proxy's sessions back to the source's backend\n"
      "(a pause of at most --pause-timeout); runs each --switch-back-command. Then, at\n"
      "any step: restores the sources' write privileges exactly as recorded (or runs the\n"
      "--unfreeze-command), drops the databases the move created on the target (empties one\n"
      "that existed, empty, before), and marks the move aborted. Works after a crash or kill -9;\n"
      "run it again if it fails midway.\n"
      "\nExample:\n  cutover move abort mv-1a2b3c4d\n"
      "\nExit codes: 0 aborted (or aborted already), 1 failed midway (run again), 2 unknown id\n"
      "or a cleaned move, 3 target writes since finalize, or another step is running.",
      &move::abort_move, "aborted");
  abort->add_option("--pause-timeout", o->pause_timeout, pause_help)->capture_default_str();
  abort->add_flag("--discard-target-writes", o->discard_target_writes,
                  "After finalize: abort even though the targets have received writes, which "
                  "are lost");

  auto* cleanup = add_step(
      "cleanup", "End a finalized move; --drop-source drops the frozen source databases",
      "\nWithout --drop-source the sources are kept, frozen, and the move ends. With it they are\n"
      "dropped (their sessions ended first). There is no way back afterwards.\n"
      "\nExample:\n  cutover move cleanup mv-1a2b3c4d --drop-source\n"
      "\nExit codes: 0 cleaned, 1 failed (run again), 2 not at step finalized.",
      &move::cleanup_move, "cleaned");
  cleanup->add_flag("--drop-source", o->drop_source, "Drop the source databases");
}

}  // namespace cutover::cli
