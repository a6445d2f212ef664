// The phases of an expand/contract change: start, complete, rollback, status.
#include "change/change_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "change/change_lease.h"
#include "change/galera_nodes.h"
#include "change/mariadb_sync_trigger.h"
#include "change/operation.h"
#include "change/step_runner.h"
#include "change/version_database.h"
#include "change/version_schema.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "db/lock_retry.h"
#include "db/reopenable_connection.h"

namespace cutover::change {
namespace {

using Operations = std::vector<std::unique_ptr<Operation>>;

// The database's name as its makers write it, for messages.
const char* display_name(db::Flavor flavor) {
  switch (flavor) {
    case db::Flavor::kPostgres:
      return "PostgreSQL";
    case db::Flavor::kMariaDb:
      return "MariaDB";
    case db::Flavor::kMySql:
      return "MySQL";
    case db::Flavor::kSqlite:
      return "SQLite";
  }
  return "?";
}

// cutover's MariaDB session. Identifiers in double quotes, as on the other databases (the
// triggers and views keep the mode they were made in). A backfill batch holds its rows' locks:
// should cutover stop inside one (SIGSTOP, a stalled machine), the server ends the session
// after the lock timeout (whole seconds there), so the application's writes of those rows wait
// no longer. On Galera, reads, updates and deletes wait until this node has applied every write
// the cluster committed before them (the state; each backfill batch, whose triggers then copy
// the rows as the other nodes last wrote them). Read committed: the sync triggers' lookups run
// as locking reads inside the backfill's writes, which under REPEATABLE READ lock the gaps
// where a row is missing, and an application write adding a row to the same gap through the
// same triggers deadlocked with them.
void prepare_mariadb_session(db::Connection& connection, const db::LockRetryPolicy& retry) {
  if (connection.server().database.empty()) {
    throw_bad_input("cutover change on MariaDB needs the database in the URL",
                    "name it: mariadb://user@host:port/database");
  }
  const auto idle_seconds =
      std::max<std::int64_t>(1, (retry.lock_timeout.count() + 999) / 1000);
  connection.execute(fmt::format(
      "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'), {} = '', SESSION "
      "idle_transaction_timeout = {}{}",
      kMariaDbVersionVariable, idle_seconds,
      connection.server().galera ? ", SESSION wsrep_sync_wait = 3" : ""));
  connection.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
}

Operations make_operations(const ChangeSpec& spec, db::Flavor flavor) {
  Operations operations;
  for (const auto& op : spec.operations) {
    operations.push_back(make_operation(op));
    if (!operations.back()->supports(flavor)) {
      throw_bad_input(
          fmt::format("{}: {} is not supported on {}", op.where(), op.kind, display_name(flavor)),
          flavor == db::Flavor::kSqlite
              ? "SQLite runs create_table, add_column, split_to_table, drop_column and "
                "create_index; do the rest with a migration (cutover migrate)"
              : "on MariaDB, rename_table and alter_column would rename, at complete, what the "
                "new version's views name, and MariaDB's views do not follow a rename: they "
                "would fail for a moment; do it with a migration (cutover migrate) in a quiet "
                "moment");
    }
  }
  return operations;
}

// The backfill targets of all operations, one per table, merged: the columns touched, and what
// is filled set-based when every operation on the table fills it so (else the triggers do it
// all, fired by the touch).
std::vector<BackfillTarget> backfill_targets(const Operations& operations,
                                             const ChangeContext& context) {
  std::vector<BackfillTarget> targets;
  for (const auto& op : operations) {
    for (auto& target : op->backfill(context)) {
      auto same = std::find_if(targets.begin(), targets.end(),
                               [&](const auto& t) { return t.table == target.table; });
      if (same == targets.end()) {
        targets.push_back(std::move(target));
        continue;
      }
      for (auto& column : target.touch) {
        if (std::find(same->touch.begin(), same->touch.end(), column) == same->touch.end()) {
          same->touch.push_back(std::move(column));
        }
      }
      const bool set_based = same->set_based() && target.set_based();
      std::move(target.fill.begin(), target.fill.end(), std::back_inserter(same->fill));
      std::move(target.copies.begin(), target.copies.end(), std::back_inserter(same->copies));
      if (!set_based) {
        same->fill.clear();
        same->copies.clear();
      }
    }
  }
  return targets;
}

// Tables start creates, then the tables the backfill fills: what start analyzes.
std::vector<std::string> tables_to_analyze(const Operations& operations,
                                           const std::vector<BackfillTarget>& targets) {
  std::vector<std::string> tables;
  for (const auto& op : operations) {
    for (auto& table : op->created_tables()) tables.push_back(std::move(table));
  }
  for (const auto& target : targets) {
    if (std::find(tables.begin(), tables.end(), target.table) == tables.end()) {
      tables.push_back(target.table);
    }
  }
  return tables;
}

// ANALYZE of `tables`, one step each (it waits for locks like any step; it blocks no read or
// write). New tables have no statistics until autovacuum gets to them, maybe minutes after
// they filled: the sync triggers' lookups in them are then planned for an empty table.
// PostgreSQL only: SQLite's ANALYZE creates sqlite_stat1 for good, which rollback would leave.
std::vector<Step> analyze_steps(const ChangeContext& context,
                                const std::vector<std::string>& tables) {
  std::vector<Step> steps;
  if (context.flavor != db::Flavor::kPostgres) return steps;
  for (const auto& table : tables) {
    steps.push_back({.what = fmt::format("analyze {}", table),
                     .sql = "ANALYZE " + context.table(table),
                     .long_running = true});
  }
  return steps;
}

// Whether a backfill that has done `before` rows and now `after` passed a power of ten from
// 1,000 up: the moments start analyzes the tables again while they fill.
bool passed_power_of_ten(std::int64_t before, std::int64_t after) {
  for (std::int64_t mark = 1000; mark > 0 && mark <= after; mark *= 10) {
    if (before < mark) return true;
  }
  return false;
}

bool same_operations(const ChangeSpec& a, const ChangeSpec& b) {
  if (a.operations.size() != b.operations.size()) return false;
  for (std::size_t i = 0; i < a.operations.size(); ++i) {
    if (a.operations[i].kind != b.operations[i].kind ||
        a.operations[i].args != b.operations[i].args) {
      return false;
    }
  }
  return true;
}

// `e` ended `command` because SIGINT or SIGTERM came (the statement under way was cancelled,
// the checkpoint saved; the lease is released as the command unwinds): says so with an
// "interrupted" event under --json, and restates `e` with what to run next.
Error interrupted_error(Output& output, const Error& e, const std::string& change,
                        const std::string& command, const std::string& next) {
  if (output.json()) {
    output.event({{"event", "interrupted"},
                  {"signal", interrupt_signal_name()},
                  {"command", command},
                  {"change", change},
                  {"message", e.message()},
                  {"next", next}});
  }
  return e.restated(e.code(), fmt::format("change {}: {}", change, e.message()), next);
}

}  // namespace

struct ChangeRunner::Session {
  std::unique_ptr<db::ReopenableConnection> connection;
  std::unique_ptr<ChangeState> state;
  db::Catalog catalog;
  std::string base_schema;
  bool allow_copy_alter = false;
  std::unique_ptr<GaleraNodes> galera_nodes;  // on Galera, made on first use

  // A context for `change` over the database as it is now.
  ChangeContext context(const std::string& change) {
    catalog = connection->introspect(base_schema);
    ChangeContext context;
    context.flavor = connection->server().flavor;
    context.galera = connection->server().galera;
    context.server_version = connection->server().version_number;
    context.change = change;
    context.base_schema = base_schema;
    context.catalog = &catalog;
    context.allow_copy_alter = allow_copy_alter;
    return context;
  }
};

ChangeRunner::ChangeRunner(ChangeOptions options, Output& output)
    : options_(std::move(options)), output_(output), session_(std::make_unique<Session>()) {
  // Each session, the first and any opened again after one was lost (change/backfill.h).
  session_->connection = std::make_unique<db::ReopenableConnection>([this] {
    std::unique_ptr<db::Connection> connection = db::connect(options_.url, options_.connect);
    const db::Flavor flavor = connection->server().flavor;
    if (flavor == db::Flavor::kMySql) {
      throw_bad_input("cutover change works on PostgreSQL, MariaDB and SQLite, not MySQL",
                      "on MySQL, use cutover migrate with online DDL (ALGORITHM=INPLACE)");
    }
    // cutover's own writes (the backfill above all) are the old version's, whatever the role
    // or the URL set: the triggers then compute the new shape from the old.
    if (flavor == db::Flavor::kPostgres) {
      connection->query("SELECT set_config('cutover.version', '', false)");
      // A statement of a cutover killed (-9) goes on, holding its locks (a backfill batch's
      // rows), until it ends: from PostgreSQL 14 the server checks every second that its
      // client is still there, and ends it if not.
      if (connection->server().version_number >= 140000) {
        try {
          connection->query("SELECT set_config('client_connection_check_interval', '1000', false)");
        } catch (const Error&) {  // a server that cannot check its sockets refuses it: go on
        }
      }
    }
    if (flavor == db::Flavor::kMariaDb) prepare_mariadb_session(*connection, options_.retry);
    return connection;
  });
  const db::ServerInfo& server = session_->connection->server();
  session_->base_schema = server.flavor == db::Flavor::kSqlite    ? "main"
                          : server.flavor == db::Flavor::kMariaDb ? server.database
                                                                  : options_.schema;
  session_->state = std::make_unique<ChangeState>(*session_->connection);
  session_->allow_copy_alter = options_.allow_copy_alter;
  for (const std::string& address : split_node_addresses(options_.galera_nodes)) {
    node_url(options_.url, address);  // a malformed address is refused before any change
  }
}

ChangeRunner::~ChangeRunner() = default;

StepRunner ChangeRunner::step_runner(const std::string& change) {
  StepRunner steps(*session_->connection, session_->base_schema, options_.retry, output_,
                   options_.before_step);
  if (session_->connection->server().galera) {
    if (!session_->galera_nodes) {
      session_->galera_nodes = std::make_unique<GaleraNodes>(
          *session_->connection, options_.galera_nodes,
          [this](const std::string& address) {
            std::unique_ptr<db::Connection> node =
                db::connect(node_url(options_.url, address), options_.connect);
            prepare_mariadb_session(*node, options_.retry);
            return node;
          },
          output_);
    }
    session_->galera_nodes->compare_also(change);
    steps.check_every_node(*session_->galera_nodes);
  }
  return steps;
}

std::optional<ChangeRecord> ChangeRunner::status() {
  // On Galera a DDL statement that another node replicates meanwhile can abort this read of
  // information_schema with a deadlock (1213): it changed nothing, so it is read again.
  std::optional<ChangeRecord> record;
  db::retry_lock_conflicts(session_->connection->server().flavor, options_.retry,
                           [&] { record = session_->state->active(); });
  return record;
}

std::optional<std::string> ChangeRunner::running() {
  std::optional<std::string> holder;
  db::retry_lock_conflicts(session_->connection->server().flavor, options_.retry,
                           [&] { holder = change_lease_holder(*session_->connection); });
  return holder;
}

ChangeRecord ChangeRunner::require_active(const char* command) {
  auto record = status();
  if (!record) {
    throw_bad_input(fmt::format("there is no active change to {}", command),
                    "cutover change status shows the active change; start one with cutover "
                    "change start URL FILE");
  }
  session_->base_schema = record->base_schema;
  return *record;
}

namespace {

// Two operations on one column (drop and rename it, rename and alter it, add it twice) cannot
// both take effect: one's steps undo or miss the other's, and complete fails or loses a change.
void refuse_two_changes_of_one_column(const Operations& operations, db::Flavor flavor) {
  // MariaDB's and SQLite's column names are the same whatever their case.
  const auto folded = [&](std::pair<std::string, std::string> column) {
    if (flavor == db::Flavor::kPostgres) return column;
    for (std::string* name : {&column.first, &column.second}) {
      std::transform(name->begin(), name->end(), name->begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    return column;
  };
  std::map<std::pair<std::string, std::string>, std::string> changed_by;
  for (const auto& op : operations) {
    for (const auto& column : op->changed_columns()) {
      auto [at, first] = changed_by.emplace(folded(column), op->where());
      if (first) continue;
      throw_bad_input(fmt::format("{} and {} both change column {}.{}", at->second, op->where(),
                                  column.first, column.second),
                      "make it one operation, or the second a change of its own after the first "
                      "completes");
    }
  }
}

}  // namespace

void ChangeRunner::check_new_change(const ChangeSpec& spec, const Operations& operations) {
  ChangeContext context = session_->context(spec.name);
  if (context.flavor == db::Flavor::kPostgres &&
      !session_->connection->query("SELECT 1 FROM pg_namespace WHERE nspname = $1", {spec.name})
           .empty()) {
    throw_bad_input(
        fmt::format("a schema named {} exists already: the change's views would replace it",
                    spec.name),
        "give the change another name (name: in the file)");
  }
  if (context.flavor == db::Flavor::kMariaDb &&
      !session_->connection
           ->query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = $1", {spec.name})
           .empty()) {
    throw_bad_input(
        fmt::format("a database named {} exists already: the change's views would go into it",
                    spec.name),
        "give the change another name (name: in the file), or drop that database if an "
        "earlier change left it and no application uses it");
  }
  for (const auto& op : operations) op->validate(context);
  refuse_two_changes_of_one_column(operations, context.flavor);
  std::vector<std::pair<std::string, Preflight>> preflight;
  for (const auto& op : operations) preflight.emplace_back(op->where(), op->preflight(context));
  std::vector<std::string> unchecked =
      run_preflight(*session_->connection, context, preflight, options_.retry);
  if (!unchecked.empty()) {
    std::string names;
    for (const std::string& where : unchecked) names += (names.empty() ? "" : ", ") + where;
    const db::ServerInfo& server = session_->connection->server();
    output_.warn(fmt::format(
        "{} may not create temporary tables in database {}, so {} {} not tried on a "
        "temporary copy of its table first (which finds a default that would rewrite the "
        "table, or a check or index the server refuses, before anything changes): such a "
        "problem shows only when its step runs, and `cutover change rollback` gets out of it. "
        "To have the check: GRANT TEMPORARY ON DATABASE {} TO {}",
        server.user, server.database, names, unchecked.size() == 1 ? "was" : "were",
        server.database, server.user));
  }
  for (const auto& target : backfill_targets(operations, context)) {
    if (const db::TableInfo* table = session_->catalog.find_table(target.table)) {
      require_backfill_key(*table);
    }
  }
}

ChangeRecord ChangeRunner::start(const ChangeSpec& spec) {
  db::Flavor flavor = session_->connection->server().flavor;
  if (flavor != db::Flavor::kSqlite && spec.name == session_->base_schema) {
    const char* kind = flavor == db::Flavor::kPostgres ? "schema" : "database";
    throw_bad_input(fmt::format("the change is named {}, like the {} it changes", spec.name, kind),
                    fmt::format("the change's name is the {} of the new version's views: give "
                                "the change another name (name: in the file)",
                                kind));
  }
  Operations operations = make_operations(spec, flavor);
  ChangeState& state = *session_->state;
  // A new change is checked before anything is created, the lease's table included.
  if (!state.active()) check_new_change(spec, operations);
  ChangeLease lease(*session_->connection, options_.url, options_.connect, output_);
  auto existing = state.active();  // again: another process may have begun it meanwhile
  if (existing) {
    if (existing->name != spec.name) {
      throw Error(ErrorCode::kConflict,
                  fmt::format("change {} is active ({}): one change at a time", existing->name,
                              phase_name(existing->phase)),
                  fmt::format("complete it (cutover change complete) or roll it back (cutover "
                              "change rollback) before starting {}",
                              spec.name));
    }
    if (!same_operations(existing->spec, spec)) {
      throw_bad_input(fmt::format("change {} was started with other operations than {} now has",
                                  spec.name, spec.file),
                      "start it with the file it was started with, or roll it back first");
    }
    if (existing->phase == ChangePhase::kStarted) {
      output_.info(fmt::format("change {} is started already", spec.name));
      return *existing;
    }
    if (existing->phase != ChangePhase::kStarting && existing->phase != ChangePhase::kBackfilling) {
      throw Error(ErrorCode::kConflict,
                  fmt::format("change {} is {}", spec.name, phase_name(existing->phase)),
                  fmt::format("run cutover change {} again to finish that first",
                              existing->phase == ChangePhase::kCompleting ? "complete"
                                                                          : "rollback"));
    }
    output_.info(fmt::format("resuming change {} ({})", spec.name, phase_name(existing->phase)));
  }

  ChangeContext context = session_->context(spec.name);
  // The change's state (its record, phase and backfill checkpoint) waits for its lock like
  // every step: on SQLite the application's write transactions hold the one write lock, for
  // longer than the lock timeout on a busy machine. A failure names what was being saved.
  const auto save_state = [&](const std::string& what, const std::function<void()>& write) {
    db::LockRetryHooks hooks;
    hooks.on_retry = [&](const db::LockConflict& conflict) {
      report_retry(output_, what, conflict);
    };
    try {
      db::retry_lock_conflicts(context.flavor, options_.retry, write, hooks);
    } catch (const Error& e) {
      if (e.db_failure() == DbFailure::kNone) throw;
      throw e.with_context(what);
    }
  };
  StepRunner steps = step_runner(context.change);
  // On Galera, nodes that disagree already are refused before the change is recorded.
  steps.check_nodes_agree();
  const auto save_phase = [&](ChangePhase phase) {
    save_state("saving the change's phase", [&] { state.set_phase(spec.name, phase); });
  };
  if (!existing) {
    ChangeRecord record;
    record.name = spec.name;
    record.base_schema = session_->base_schema;
    record.spec = spec;
    save_state("recording the change", [&] { state.begin(record); });
  } else {
    save_phase(existing->phase);  // resumed: status no longer shows what stopped the last run
  }
  std::vector<BackfillProgress> progress = existing ? existing->backfill
                                                    : std::vector<BackfillProgress>{};
  const auto save_checkpoint = [&] {
    save_state("saving the backfill's checkpoint",
               [&] { state.save_backfill(spec.name, progress); });
  };
  try {
    if (!existing || existing->phase == ChangePhase::kStarting) {
      for (const auto& op : operations) steps.run(op->expand(context));
      save_phase(ChangePhase::kBackfilling);
    }
    const std::vector<BackfillTarget> targets = backfill_targets(operations, context);
    const std::vector<std::string> created = tables_to_analyze(operations, {});
    steps.run(analyze_steps(context, created));  // before the backfill makes the triggers hot
    for (const auto& target : targets) {
      auto it = std::find_if(progress.begin(), progress.end(),
                             [&](const auto& p) { return p.table == target.table; });
      if (it == progress.end()) {
        progress.push_back(BackfillProgress{});
        progress.back().table = target.table;
        it = progress.end() - 1;
      }
      if (it->done) continue;
      std::int64_t analyzed_at = it->rows_done;
      try {
        run_backfill(*session_->connection, context, target, *it, options_.backfill, output_,
                     [&](const BackfillProgress& now) {
                       lease.check();
                       save_checkpoint();
                       if (passed_power_of_ten(analyzed_at, now.rows_done)) {
                         steps.run(analyze_steps(context, created));
                         analyzed_at = now.rows_done;
                       }
                     },
                     [&] {
                       session_->connection->reopen();
                       lease.session_reopened();
                     });
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kBadInput) throw;
        // Say which operations' expressions ran on that table's rows.
        std::vector<std::string> suspects;
        for (const auto& op : operations) {
          for (const auto& t : op->backfill(context)) {
            if (t.table == target.table) suspects.push_back(op->where());
          }
        }
        throw e.with_context(fmt::format("{}", fmt::join(suspects, ", ")));
      }
      save_checkpoint();
    }
    steps.run(analyze_steps(context, tables_to_analyze(operations, targets)));
    for (const auto& op : operations) steps.run(op->after_backfill(context));
    if (flavor != db::Flavor::kSqlite) {
      ChangeContext now = session_->context(spec.name);
      VersionShape shape = VersionShape::from_catalog(session_->catalog);
      for (const auto& op : operations) op->shape(shape, now);
      if (flavor == db::Flavor::kPostgres) {
        shape.follow_partitioned_tables(
            read_partition_parents(*session_->connection, now.base_schema));
      }
      steps.run(flavor == db::Flavor::kPostgres
                    ? create_version_schema(now, shape)
                    : create_version_database(now, shape,
                                              read_database_grants(*session_->connection,
                                                                   session_->base_schema)));
    }
    save_phase(ChangePhase::kStarted);
  } catch (const Error& e) {
    lease.check_after_failure();  // taken over: the successor's change, nothing more to write
    if (e.code() == ErrorCode::kBadInput) {
      // The data does not fit the change (an `up` expression failing on a row): undo it all,
      // so that nothing is left of it, and say why.
      output_.warn(fmt::format("change {} cannot be started: rolling it back", spec.name));
      roll_back_active(lease);  // under this start's lease
      throw e.restated(ErrorCode::kBadInput,
                       e.message() + fmt::format(
                                         " (change {} was rolled back: nothing of it is left)",
                                         spec.name),
                       e.hint());
    }
    try {
      state.set_error(spec.name, e.message());
    } catch (const Error&) {
      // The connection is gone; the phase says where to resume.
    }
    if (interrupted()) {
      throw interrupted_error(output_, e, spec.name, "start",
                              "run cutover change start again to resume it, or cutover change "
                              "rollback to undo it");
    }
    throw e.restated(
        e.code(), e.message(),
        e.hint().empty()
            ? "run cutover change start again to resume, or cutover change rollback"
            : e.hint() + "; then run cutover change start again to resume, or cutover "
                         "change rollback");
  }
  return *state.active();
}

ChangeRecord ChangeRunner::complete() {
  require_active("complete");  // refused before anything is created when nothing is active
  ChangeLease lease(*session_->connection, options_.url, options_.connect, output_);
  ChangeRecord record = require_active("complete");
  if (record.phase != ChangePhase::kStarted && record.phase != ChangePhase::kCompleting) {
    throw Error(ErrorCode::kConflict,
                fmt::format("change {} is {}, not started", record.name, phase_name(record.phase)),
                "finish the start first (cutover change start again resumes it) or roll it "
                "back");
  }
  Operations operations =
      make_operations(record.spec, session_->connection->server().flavor);
  ChangeContext context = session_->context(record.name);
  StepRunner steps = step_runner(context.change);
  steps.check_nodes_agree();  // on Galera, before the change moves on: rollback stays open
  std::vector<Step> contract;
  // Operations name tables as they were before the change: a table is renamed after the other
  // operations' contracts (renamed first, their steps found no table of that name), but before
  // an `sql` operation's, whose statements the file's order decides.
  std::vector<Step> renames;
  for (const auto& op : operations) {
    const std::string& kind = op->spec().kind;
    if (kind == "sql") {
      std::move(renames.begin(), renames.end(), std::back_inserter(contract));
      renames.clear();
    }
    for (auto& step : op->contract(context)) {
      (kind == "rename_table" ? renames : contract).push_back(std::move(step));
    }
  }
  std::move(renames.begin(), renames.end(), std::back_inserter(contract));
  // The tables have the new shape now: new-version clients whose search_path names the version
  // schema before the base schema fall through to the tables themselves, and no view is left
  // to hold a later change's columns.
  if (context.flavor == db::Flavor::kPostgres) {
    for (auto& step : drop_version_schema(context)) contract.push_back(std::move(step));
  }
  ChangeState& state = *session_->state;
  // Run again after a failure: status no longer shows what stopped the last run.
  if (!record.last_error.empty()) {
    db::retry_lock_conflicts(context.flavor, options_.retry,
                             [&] { state.set_error(record.name, ""); });
  }
  try {
    // Units in order: consecutive steps that can run in a transaction form one (all or
    // nothing); an `sql` operation's statement that must run alone is a unit of its own. The
    // first unit commits the move to `completing`: until then the change is `started`.
    bool first = record.phase == ChangePhase::kStarted;
    const auto set_completing = [&] { state.set_phase(record.name, ChangePhase::kCompleting); };
    if (context.flavor == db::Flavor::kMariaDb) {
      // MariaDB commits each DDL statement on its own: no unit of several can be all or
      // nothing, so each step is its own, safe to run again, and the change is `completing`
      // from the first that changes something. The checks come before it.
      std::vector<Step> checks;
      std::copy_if(contract.begin(), contract.end(), std::back_inserter(checks),
                   [](const Step& step) { return step.reads_only; });
      std::erase_if(contract, [](const Step& step) { return step.reads_only; });
      steps.run(checks);
      if (first) set_completing();
      steps.run(contract);
      contract.clear();
    }
    for (auto begin = contract.begin(); begin != contract.end();) {
      auto end = begin->outside_transaction
                     ? begin + 1
                     : std::find_if(begin, contract.end(),
                                    [](const Step& s) { return s.outside_transaction; });
      std::vector<Step> unit(begin, end);
      if (begin->outside_transaction) {
        if (first) set_completing();
        steps.run(unit);
      } else {
        steps.run_in_one_transaction(unit, first ? std::function<void()>(set_completing)
                                                 : std::function<void()>());
      }
      first = false;
      begin = end;
    }
  } catch (const Error& e) {
    lease.check_after_failure();
    state.set_error(record.name, e.message());
    auto now = state.active();
    const bool still_started = now && now->phase == ChangePhase::kStarted;
    const std::string next =
        still_started ? "nothing of the contract was applied, the change is still started: run "
                        "cutover change complete again, or roll it back with cutover change "
                        "rollback"
                      : "the contract is committed: run cutover change complete again to finish "
                        "it";
    if (interrupted()) throw interrupted_error(output_, e, record.name, "complete", next);
    throw e.restated(e.code(), e.message(),
                     e.hint().empty() ? "fix the cause; " + next : e.hint() + "; then " + next);
  }
  session_->state->mark_completed(record.name);
  record.phase = ChangePhase::kCompleted;
  return record;
}

ChangeRecord ChangeRunner::rollback() {
  require_active("roll back");  // refused before anything is created when nothing is active
  ChangeLease lease(*session_->connection, options_.url, options_.connect, output_);
  return roll_back_active(lease);
}

ChangeRecord ChangeRunner::roll_back_active(ChangeLease& lease) {
  ChangeRecord record = require_active("roll back");
  if (record.phase == ChangePhase::kCompleting) {
    throw Error(ErrorCode::kConflict,
                fmt::format("change {} is being completed: it can no longer be rolled back",
                            record.name),
                "run cutover change complete again to finish it");
  }
  Operations operations =
      make_operations(record.spec, session_->connection->server().flavor);
  ChangeContext context = session_->context(record.name);
  StepRunner steps = step_runner(context.change);
  steps.check_nodes_agree();  // on Galera, before the change moves on
  session_->state->set_phase(record.name, ChangePhase::kRollingBack);
  try {
    if (context.flavor == db::Flavor::kPostgres) steps.run(drop_version_schema(context));
    if (context.flavor == db::Flavor::kMariaDb) steps.run(drop_version_database(context));
    for (auto op = operations.rbegin(); op != operations.rend(); ++op) {
      steps.run((*op)->rollback(context));
    }
  } catch (const Error& e) {
    lease.check_after_failure();
    session_->state->set_error(record.name, e.message());
    if (interrupted()) {
      throw interrupted_error(output_, e, record.name, "rollback",
                              "run cutover change rollback again to finish it");
    }
    const std::string next = "run cutover change rollback again to finish it";
    throw e.restated(e.code(), e.message(),
                     e.hint().empty() ? "fix the cause; " + next : e.hint() + "; then " + next);
  }
  session_->state->forget(record.name);
  record.phase = ChangePhase::kRollingBack;
  return record;
}

}  // namespace cutover::change
