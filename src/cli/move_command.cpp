// `cutover move create / status / list / abort`: relocate whole databases as a staged plan
// with an id, kept in the move state store.
#include "cli/move_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/connection_url.h"
#include "core/error.h"
#include "move/database_address.h"
#include "move/move_store.h"
#include "move/preflight.h"

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
};

std::string state_path(const MoveCliOptions& o) {
  return o.state.empty() ? MoveStore::default_path() : o.state;
}

// What to run next for a move at its step.
std::string next_command(const MoveRecord& record) {
  switch (record.step) {
    case MoveStep::kCreated:
      return fmt::format("cutover move prepare {}", record.id);
    case MoveStep::kPrepared:
      return fmt::format("cutover move data {}", record.id);
    case MoveStep::kCopied:
      return fmt::format("cutover move finalize {}", record.id);
    case MoveStep::kFinalized:
      return fmt::format("cutover move cleanup {}", record.id);
    case MoveStep::kAborted:
    case MoveStep::kCleaned:
      break;
  }
  return {};
}

nlohmann::json describe(const MoveRecord& record) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : record.events) {
    events.push_back({{"at", e.at}, {"step", e.step}, {"what", e.what}});
  }
  std::string next = next_command(record);
  return {{"id", record.id},
          {"step", move::step_name(record.step)},
          {"plan", record.plan.to_json()},
          {"next", next.empty() ? nlohmann::json(nullptr) : nlohmann::json(next)},
          {"created_at", record.created_at},
          {"updated_at", record.updated_at},
          {"events", events}};
}

void print_plan(std::ostream& out, const MoveRecord& record) {
  out << fmt::format("  target      {}\n", move::url_without_password(record.plan.target));
  for (const auto& d : record.plan.databases) {
    out << fmt::format("  database    {} -> {}\n", move::url_without_password(d.source),
                       d.target_name);
  }
  if (record.plan.owner) out << fmt::format("  owner       {}\n", *record.plan.owner);
}

void print_status(Output& output, const MoveRecord& record) {
  auto& out = output.out();
  out << fmt::format("move {}: {}\n", record.id, move::step_name(record.step));
  print_plan(out, record);
  out << fmt::format("  created at  {}, last step {}\n", record.created_at, record.updated_at);
  std::string next = next_command(record);
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

move::MovePlan plan_from(const MoveCliOptions& o) {
  move::MovePlan plan;
  plan.target = parse_connection_url(o.to);
  if (plan.target.scheme != Scheme::kPostgres) {
    throw_bad_input(
        fmt::format("--to {} is not a PostgreSQL server", plan.target.redacted()),
        "cutover move handles PostgreSQL for now: --to postgres://user@host:port/postgres");
  }
  for (const auto& argument : o.databases) plan.databases.push_back(move::parse_mapping(argument));
  if (!o.owner.empty()) plan.owner = o.owner;
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
                "check the host, port, user and password (PGPASSWORD, ~/.pgpass, "
                "--password-file), then run the same command again");
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
  std::string next = next_command(record);
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
  if (output.json()) {
    nlohmann::json event = describe(*record);
    event["event"] = "status";
    output.event(event);
  } else {
    print_status(output, *record);
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

int run_abort(const MoveCliOptions& o, Output& output) {
  std::string path = state_path(o);
  auto store = MoveStore::open_existing(path);
  if (!store) {
    throw_bad_input(fmt::format("no move {}: the state store {} does not exist", o.id, path),
                    "--state FILE names the state store that cutover move create used");
  }
  MoveRecord record = find_move(*store, o.id);
  std::string line;
  switch (record.step) {
    case MoveStep::kAborted:
      line = fmt::format("move {} is aborted already; nothing to do", record.id);
      break;
    case MoveStep::kCreated:
      record = store->advance(record.id, MoveStep::kCreated, MoveStep::kAborted,
                              "aborted at step created: nothing existed on the target yet, and "
                              "the sources were never changed");
      line = fmt::format(
          "move {} aborted: it had only been created, so nothing existed on the "
          "target and the sources were never changed; its databases are free for "
          "another move",
          record.id);
      break;
    case MoveStep::kCleaned:
      throw_bad_input(
          fmt::format("move {} is finished and cleaned up; there is nothing to abort", record.id),
          "start a new move the other way round if the databases must go back");
    case MoveStep::kPrepared:
    case MoveStep::kCopied:
    case MoveStep::kFinalized:
      throw Error(ErrorCode::kBadInput,
                  fmt::format("move {} is at step {}, and this cutover can abort a move only at "
                              "step created",
                              record.id, move::step_name(record.step)),
                  "use the cutover that ran that step; nothing was changed");
  }
  if (output.json()) {
    nlohmann::json event = describe(record);
    event["event"] = "aborted";
    output.event(event);
  } else {
    output.out() << line << "\n";
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
      "move", "Relocate whole PostgreSQL databases to another server as a staged plan with an id");
  cmd->require_subcommand(1);
  cmd->footer(
      "\nA move is a plan with an id: create checks that it can work and saves it; later steps\n"
      "take it forward, and abort takes it back. Each step's output names the next command.\n"
      "The plan, its step and an event log live in a SQLite state store (--state FILE), which\n"
      "never holds a password.\n"
      "\nExamples:\n"
      "  cutover move create --to postgres://admin@new-db/postgres \\\n"
      "      --database postgres://admin@old-db-1/shop=shop_eu \\\n"
      "      --database postgres://admin@old-db-2/crm\n"
      "  cutover move status\n"
      "  cutover move list --json\n"
      "  cutover move abort mv-1a2b3c4d\n"
      "\nExit codes: 0 done, 2 bad input (a failed check, an unreachable server, an unknown id):\n"
      "nothing saved, 3 a database already belongs to another move.");

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

  auto* abort = cmd->add_subcommand(
      "abort", "Give a move up; a move that was only created is marked aborted");
  abort->add_option("id", o->id, "The move's id, e.g. mv-1a2b3c4d")->required();
  add_state_option(*abort, *o);
  abort->footer(
      "\nA move at step created has changed nothing on any server, so abort only marks it\n"
      "aborted and frees its databases for another move. Aborting it again says so and exits 0.\n"
      "\nExample:\n  cutover move abort mv-1a2b3c4d\n"
      "\nExit codes: 0 aborted (or aborted already), 2 unknown id or a step this version cannot\n"
      "abort.");
  abort->callback([&run, o] { run = [o](Output& out) { return run_abort(*o, out); }; });
}

}  // namespace cutover::cli
