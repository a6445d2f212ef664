// Runs every data-driven `cutover change` case of tests/cases/change/ (format: its README.md).
// Each runs start, its `started` steps, rollback (schema as before), start again, complete and
// its `completed` steps through the real binary, with old- and new-version probes writing.
#include "support/change_cases.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/connection_url.h"
#include "core/error.h"
#include "db/registry.h"
#include "db/statement.h"
#include "support/cli_output.h"
#include "support/new_version_url.h"
#include "support/probe_process.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::Backend;
using test::change_case_file;
using test::change_case_setup;
using test::change_case_test_name;
using test::ChangeCaseParam;
using test::describe;
using test::find_change_cases;
using test::ProbeProcess;
using test::ProcessResult;
using test::new_version_url;
using test::probe_runs;
using test::read_text_file;
using test::run_sql_file;
using test::ScratchDatabase;
using test::SpawnedProcess;

// A step that waits for a lock gives up after this long and is retried by the runner. It stays
// below the probes' own lock timeout (500 ms), so a statement of theirs queued behind a waiting
// step is never refused: every probe failure then counts.
constexpr const char* kChangeLockTimeout = "200ms";

fs::path cases_dir() { return fs::path(CUTOVER_CASES_DIR) / "change"; }

bool mariadb(Backend backend) {
  return backend == Backend::kMariaDb || backend == Backend::kGalera;
}

// The name a script's `only:` gives the backend's database: Galera is MariaDB.
const char* dialect_name(Backend backend) {
  switch (backend) {
    case Backend::kSqlite:
      return "sqlite";
    case Backend::kPostgres:
      return "postgres";
    case Backend::kMariaDb:
    case Backend::kGalera:
      break;
  }
  return "mariadb";
}

// ---------------------------------------------------------------------------------------------
// The cases: one folder each, found when the test program starts

// ---------------------------------------------------------------------------------------------
// script.yaml

using Cell = std::optional<std::string>;  // nullopt: NULL
using Rows = std::vector<std::vector<Cell>>;

struct ScriptStep {
  int line = 0;  // in script.yaml, 1-based
  bool as_new = false;
  std::string sql;
  std::optional<Rows> expect;  // the rows, in order, as text
  std::string error;           // the SQLSTATE it must fail with; empty: it must succeed
};

struct Script {
  std::vector<ScriptStep> started;
  std::vector<ScriptStep> completed;
};

[[noreturn]] void bad_script(const fs::path& file, const YAML::Node& node,
                             const std::string& problem) {
  throw std::runtime_error(file.string() + " line " + std::to_string(node.Mark().line + 1) + ": " +
                           problem);
}

std::string scalar(const fs::path& file, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) bad_script(file, node, what + " must be a string");
  return node.Scalar();
}

Rows parse_rows(const fs::path& file, const YAML::Node& node) {
  if (!node.IsSequence()) bad_script(file, node, "expect must be a list of rows");
  Rows rows;
  for (const auto& row : node) {
    if (!row.IsSequence()) bad_script(file, row, "each row of expect must be a list of values");
    std::vector<Cell> cells;
    for (const auto& cell : row) {
      if (cell.IsNull()) {
        cells.emplace_back(std::nullopt);
      } else if (cell.IsScalar()) {
        cells.emplace_back(cell.Scalar());
      } else {
        bad_script(file, cell, "a value of expect must be a scalar or null");
      }
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

// The steps of one phase that apply to `backend`. Throws std::runtime_error naming the line of
// anything it does not understand, so that a typo fails the case instead of skipping a check.
std::vector<ScriptStep> parse_phase(const fs::path& file, const YAML::Node& node, Backend backend) {
  std::vector<ScriptStep> steps;
  if (!node) return steps;
  if (!node.IsSequence()) bad_script(file, node, "a phase must be a list of steps");
  for (const auto& item : node) {
    if (!item.IsMap()) bad_script(file, item, "a step must be a map {as, sql, ...}");
    ScriptStep step;
    step.line = item.Mark().line + 1;
    bool applies = true;
    bool has_as = false;
    for (const auto& field : item) {
      std::string key = field.first.Scalar();
      const YAML::Node& value = field.second;
      if (key == "as") {
        std::string as = scalar(file, value, "as");
        if (as != "old" && as != "new") bad_script(file, value, "as must be old or new");
        step.as_new = as == "new";
        has_as = true;
      } else if (key == "sql") {
        step.sql = scalar(file, value, "sql");
      } else if (key == "expect") {
        step.expect = parse_rows(file, value);
      } else if (key == "error") {
        step.error = scalar(file, value, "error");
        if (step.error.size() != 5) bad_script(file, value, "error must be a 5-character SQLSTATE");
      } else if (key == "only") {
        // One database or a list of them; MariaDB's steps run on Galera too.
        std::vector<YAML::Node> names;
        if (value.IsSequence() && value.size() > 0) {
          for (const auto& name : value) names.push_back(name);
        } else if (!value.IsSequence()) {
          names.push_back(value);
        } else {
          bad_script(file, value, "only must name postgres, sqlite or mariadb");
        }
        applies = false;
        for (const auto& name : names) {
          std::string only = scalar(file, name, "only");
          if (only != "postgres" && only != "sqlite" && only != "mariadb") {
            bad_script(file, name, "only must be postgres, sqlite or mariadb, or a list of them");
          }
          if (only == dialect_name(backend)) applies = true;
        }
      } else {
        bad_script(file, field.first, "unknown field '" + key + "' (as, sql, expect, error, only)");
      }
    }
    if (!has_as) bad_script(file, item, "a step needs as: old or as: new");
    if (step.sql.empty()) bad_script(file, item, "a step needs sql");
    if (step.expect && !step.error.empty()) {
      bad_script(file, item, "a step has expect or error, not both");
    }
    if (applies) steps.push_back(std::move(step));
  }
  return steps;
}

Script load_script(const fs::path& file, Backend backend) {
  YAML::Node root = YAML::LoadFile(file.string());
  if (!root.IsMap()) bad_script(file, root, "the script must be a map {started, completed}");
  for (const auto& field : root) {
    std::string key = field.first.Scalar();
    if (key != "started" && key != "completed") {
      bad_script(file, field.first, "unknown phase '" + key + "' (started, completed)");
    }
  }
  return {parse_phase(file, root["started"], backend),
          parse_phase(file, root["completed"], backend)};
}

// ---------------------------------------------------------------------------------------------
// The database

// mariadb-dump --no-data of the URL's database, with its triggers and without cutover's own
// tables; what differs from one run to the next (AUTO_INCREMENT=N, dates, comments) left out.
// The password comes from MYSQL_PWD, never the command line.
std::string mariadb_schema_dump(const std::string& url) {
  const ConnectionUrl parsed = parse_connection_url(url);
  std::vector<std::string> args = {
      "/usr/bin/mariadb-dump", "--no-defaults",    "--no-data",          "--triggers",
      "--skip-comments",       "--skip-dump-date", "--skip-lock-tables", "--protocol=TCP"};
  if (!parsed.host.empty()) args.push_back("--host=" + parsed.host);
  if (parsed.port) args.push_back("--port=" + std::to_string(*parsed.port));
  if (!parsed.user.empty()) args.push_back("--user=" + parsed.user);
  for (const char* table : {"_cutover_changes", "_cutover_leases"}) {
    args.push_back("--ignore-table=" + parsed.database + "." + table);
  }
  args.push_back(parsed.database);
  ProcessResult r = test::run_process(args);
  if (r.exit_code != 0) throw std::runtime_error("mariadb-dump failed: " + r.err);
  static const std::regex kAutoIncrement(" AUTO_INCREMENT=[0-9]+");
  std::istringstream lines(r.out);
  std::string dump;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("-- ")) continue;
    dump += std::regex_replace(line, kAutoIncrement, "") + "\n";
  }
  return dump;
}

// The base schema as a text to compare: pg_dump --schema-only of `public` (PostgreSQL),
// sqlite_master without cutover's own tables and their indexes (SQLite), or
// mariadb_schema_dump (MariaDB, Galera).
std::string schema_dump(const std::string& url, Backend backend) {
  if (mariadb(backend)) return mariadb_schema_dump(url);
  if (backend == Backend::kSqlite) {
    auto connection = db::connect(url);
    auto result = connection->query(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name NOT LIKE '\\_cutover%' ESCAPE "
        "'\\' "
        "ORDER BY name");
    std::string dump;
    for (const auto& row : result.rows) {
      dump += row[0].text() + " " + row[1].text() + ": " + row[2].text() + "\n";
    }
    return dump;
  }
  ProcessResult r =
      test::run_process({"/usr/bin/pg_dump", "--schema-only", "-n", "public", "-d", url});
  if (r.exit_code != 0) throw std::runtime_error("pg_dump failed: " + r.err);
  // Newer pg_dump releases fence the dump with \restrict KEY ... \unrestrict KEY, a random key.
  std::istringstream lines(r.out);
  std::string dump;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("\\restrict") || line.starts_with("\\unrestrict")) continue;
    dump += line + "\n";
  }
  return dump;
}

// The SQLSTATE a script names for `e`. MariaDB reports 23000 for every integrity error (and
// 42S22, 42S02 for a missing column or table): its error numbers are mapped to the codes the
// scripts use, PostgreSQL's. Other errors keep their SQLSTATE.
std::string script_sqlstate(const Error& e) {
  switch (e.vendor_code()) {
    case 1062:  // ER_DUP_ENTRY
      return "23505";
    case 1048:  // ER_BAD_NULL_ERROR
    case 1364:  // ER_NO_DEFAULT_FOR_FIELD
    case 1423:  // ER_NO_DEFAULT_FOR_VIEW_FIELD: the same, written through a view
      return "23502";
    case 1451:  // ER_ROW_IS_REFERENCED_2
    case 1452:  // ER_NO_REFERENCED_ROW_2
      return "23503";
    case 4025:  // ER_CONSTRAINT_FAILED
      return "23514";
    case 1054:  // ER_BAD_FIELD_ERROR
      return "42703";
    case 1146:  // ER_NO_SUCH_TABLE
      return "42P01";
    default:
      return e.sqlstate();
  }
}

std::string rows_text(const Rows& rows) {
  json j = json::array();
  for (const auto& row : rows) {
    json r = json::array();
    for (const auto& cell : row) r.push_back(cell ? json(*cell) : json(nullptr));
    j.push_back(r);
  }
  return j.dump();
}

// Polls `done` every 20 ms for up to 60 s; false if it never became true.
bool poll_until(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Whether the MariaDB server of `url` has a database named `name`.
bool database_exists(const std::string& url, const std::string& name) {
  return db::connect(url)
             ->query("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = $1",
                     {name})
             .scalar()
             .as_int() > 0;
}

// Galera: returns once the node of `url` has applied what the cluster committed so far (a
// causal read), so that a client starting there sees what a command on another node made.
void wait_for_node(const std::string& url) {
  auto connection = db::connect(url);
  connection->execute("SET SESSION wsrep_sync_wait = 1");
  connection->query("SELECT 1");
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The text that `change start`'s refusal must hold when the case's folder says the database
// cannot run the change (refused.mariadb.txt on MariaDB and Galera: its lines but comments and
// blank ones, joined by spaces; compared without case); nullopt when the change must run.
std::optional<std::string> expected_refusal(const fs::path& case_dir, Backend backend) {
  if (!mariadb(backend)) return std::nullopt;
  const fs::path file = case_dir / "refused.mariadb.txt";
  if (!fs::exists(file)) return std::nullopt;
  std::istringstream lines(read_text_file(file));
  std::string text;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("#")) continue;
    text += (text.empty() ? "" : " ") + line;
  }
  if (text.empty()) throw std::runtime_error(file.string() + " says no refusal text");
  return text;
}

// MariaDB: the database of views named after a change, dropped when it is made and when it goes.
class VersionDatabase {
 public:
  VersionDatabase(std::string url, std::string name)
      : url_(std::move(url)), name_(std::move(name)) {
    drop();
  }
  ~VersionDatabase() {
    try {
      drop();
    } catch (const std::exception&) {
      // The server goes away with the test run; a leftover is dropped by the next run.
    }
  }
  VersionDatabase(const VersionDatabase&) = delete;
  VersionDatabase& operator=(const VersionDatabase&) = delete;

 private:
  void drop() {
    auto connection = db::connect(url_);
    connection->execute("DROP DATABASE IF EXISTS " + connection->quote_identifier(name_));
  }
  std::string url_;
  std::string name_;
};

// The change's name (its `name:`), which names its version database on MariaDB.
std::string change_name(const fs::path& change_file) {
  YAML::Node root = YAML::LoadFile(change_file.string());
  if (!root.IsMap() || !root["name"] || !root["name"].IsScalar()) {
    throw std::runtime_error(change_file.string() + " has no name: (the version database's)");
  }
  return root["name"].Scalar();
}

// ---------------------------------------------------------------------------------------------
// The binary

ProcessResult cutover_cli(std::vector<std::string> args) {
  args.insert(args.begin(), CUTOVER_BINARY);
  return test::run_process(args);
}

// The change's name, from the "started" event of `cutover --json change start`.
std::string started_change_name(const ProcessResult& r) {
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("{")) continue;
    auto event = json::parse(line, nullptr, false);
    if (!event.is_discarded() && event.value("event", "") == "started") {
      return event.value("name", "");
    }
  }
  return "";
}


// ---------------------------------------------------------------------------------------------
// The case runner

class ChangeCase : public testing::TestWithParam<ChangeCaseParam> {
 protected:
  void SetUp() override {
    const ChangeCaseParam& param = GetParam();
    dir_ = cases_dir() / param.name;
    work_ = fs::temp_directory_path() / ("cutover-change-cases-" + std::to_string(getpid()) + "-" +
                                         test::backend_name(param.backend) + "-" + param.name);
    fs::remove_all(work_);
    fs::create_directories(work_);
  }
  void TearDown() override {
    // The probes' records stay for a look when the case failed.
    if (HasFailure()) {
      std::cerr << "probe records kept in " << work_ << "\n";
    } else {
      fs::remove_all(work_);
    }
  }

  bool sqlite() const { return GetParam().backend == Backend::kSqlite; }

  // Runs the steps of `phase`: "as: old" on `old_url`, "as: new" on `new_url`. Reports each
  // step that does not do what it says, and carries on with the next.
  void run_steps(const char* phase, const std::vector<ScriptStep>& steps,
                 const std::string& old_url, const std::string& new_url) {
    for (size_t i = 0; i < steps.size(); ++i) {
      const ScriptStep& step = steps[i];
      std::string where = GetParam().name + " (" + test::backend_name(GetParam().backend) + "), " +
                          phase + " step " + std::to_string(i + 1) + " (script.yaml line " +
                          std::to_string(step.line) + ", as " + (step.as_new ? "new" : "old") +
                          "):\n  " + step.sql + "\n";
      auto connection = db::connect(step.as_new ? new_url : old_url);
      // Galera: old and new steps run on different nodes; each step sees what the steps
      // before it wrote on the other node (causal reads and writes).
      if (GetParam().backend == Backend::kGalera) {
        connection->execute("SET SESSION wsrep_sync_wait = 15");
      }
      db::Result result;
      try {
        result = connection->query(step.sql);
      } catch (const Error& e) {
        const std::string sqlstate = script_sqlstate(e);
        if (step.error.empty()) {
          ADD_FAILURE() << where << "expected success, got SQLSTATE " << sqlstate << ": "
                        << e.what();
        } else if (sqlstate != step.error) {
          ADD_FAILURE() << where << "expected SQLSTATE " << step.error << ", got SQLSTATE "
                        << sqlstate << ": " << e.what();
        }
        continue;
      }
      if (!step.error.empty()) {
        ADD_FAILURE() << where << "expected SQLSTATE " << step.error << ", but it succeeded";
        continue;
      }
      if (!step.expect) continue;
      Rows got;
      for (const auto& row : result.rows) {
        std::vector<Cell> cells;
        for (const auto& value : row) cells.push_back(value.as_optional_text());
        got.push_back(std::move(cells));
      }
      if (got != *step.expect) {
        ADD_FAILURE() << where << "expected " << rows_text(*step.expect) << "\n     got "
                      << rows_text(got);
      }
    }
  }

  fs::path dir_;
  fs::path work_;
};

TEST_P(ChangeCase, StartRollbackStartComplete) {
  const Backend backend = GetParam().backend;
  const fs::path change_file = change_case_file(dir_, backend);
  Script script = load_script(dir_ / "script.yaml", backend);
  ScratchDatabase scratch(backend);
  // Where each side works. On Galera the old version (its probe and steps) writes on node 1,
  // the new version on node 2, and the change's commands run on node 3.
  const bool galera = backend == Backend::kGalera;
  const std::string old_url = scratch.url();
  const std::string new_base_url = galera ? scratch.urls().at(1) : scratch.url();
  const std::string url = galera ? scratch.urls().at(2) : scratch.url();
  run_sql_file(old_url, backend, change_case_setup(dir_, backend));
  // MariaDB: the new version's database is named after the change, on the whole server, and
  // complete keeps it; the scratch database goes with the test, and so does this one (also
  // when the case fails half-way). One that a killed run left would refuse the start.
  std::optional<VersionDatabase> version_database;
  if (mariadb(backend)) version_database.emplace(url, change_name(change_file));

  // The old version writes from before the change to the end. Its table is part of the base
  // schema, so the version schema gets a view of it for the new version's probe.
  ProbeProcess old_probe(CUTOVER_BINARY, "old-version probe", old_url, work_ / "rec_old.json");
  ASSERT_TRUE(poll_until([&] { return probe_runs(url) >= 1 || !old_probe.running(); }));
  ASSERT_TRUE(old_probe.running()) << old_probe.gone();
  const std::string dump_before = schema_dump(url, backend);

  const std::vector<std::string> lock = {"--lock-timeout", kChangeLockTimeout};
  auto with_lock = [&](std::vector<std::string> args) {
    args.insert(args.end(), lock.begin(), lock.end());
    return args;
  };
  ProcessResult start =
      cutover_cli(with_lock({"--json", "change", "start", url, change_file.string()}));
  if (const auto refusal = expected_refusal(dir_, backend)) {
    // The database cannot run the change: start refuses it before anything changes.
    EXPECT_EQ(start.exit_code, 2) << "change start should refuse the change\n" << describe(start);
    EXPECT_NE(lowercase(start.out).find(lowercase(*refusal)), std::string::npos)
        << "the refusal should say: " << *refusal << "\n"
        << describe(start);
    EXPECT_EQ(schema_dump(url, backend), dump_before) << "a refused start must change nothing";
    if (mariadb(backend)) {
      EXPECT_FALSE(database_exists(url, change_name(change_file)))
          << "a refused start must make no version database";
    }
    old_probe.stop_and_check();
    return;
  }
  ASSERT_EQ(start.exit_code, 0) << "first change start\n" << describe(start);
  const std::string change = started_change_name(start);
  ASSERT_FALSE(change.empty()) << "no started event with the change's name\n" << describe(start);
  const std::string new_url = sqlite() ? url : new_version_url(new_base_url, backend, change);
  if (galera) wait_for_node(new_base_url);

  {
    // The new version writes beside the old one, through the version schema's views.
    ProbeProcess new_probe(CUTOVER_BINARY, "new-version probe", new_url, work_ / "rec_new.json");
    ASSERT_TRUE(poll_until([&] { return probe_runs(url) >= 2 || !new_probe.running(); }));
    ASSERT_TRUE(new_probe.running()) << new_probe.gone();
    run_steps("started", script.started, old_url, new_url);
    // Stopped before rollback: rollback removes the views it writes through.
    new_probe.stop_and_check();
  }

  ProcessResult rollback = cutover_cli(with_lock({"change", "rollback", url}));
  ASSERT_EQ(rollback.exit_code, 0) << "change rollback\n" << describe(rollback);
  EXPECT_EQ(schema_dump(url, backend), dump_before)
      << "rollback must leave the base schema exactly as it was";
  if (mariadb(backend)) {
    EXPECT_FALSE(database_exists(url, change)) << "rollback must drop the version database";
  }
  if (galera) {
    // Every node: the rollback's DDL reaches the others in the cluster's order.
    for (const std::string& node : {old_url, new_base_url}) {
      wait_for_node(node);
      EXPECT_EQ(schema_dump(node, backend), dump_before)
          << "after the rollback, on " << redact(node);
    }
  }

  start = cutover_cli(with_lock({"change", "start", url, change_file.string()}));
  ASSERT_EQ(start.exit_code, 0) << "second change start, after the rollback\n" << describe(start);
  if (galera) wait_for_node(new_base_url);
  // New-version clients keep working through complete, on the same connection settings.
  ProbeProcess new_probe(CUTOVER_BINARY, "new-version probe through complete", new_url,
                         work_ / "rec_new_complete.json");
  ASSERT_TRUE(poll_until([&] { return probe_runs(url) >= 3 || !new_probe.running(); }));
  ASSERT_TRUE(new_probe.running()) << new_probe.gone();
  ProcessResult complete = cutover_cli(with_lock({"change", "complete", url}));
  ASSERT_EQ(complete.exit_code, 0) << "change complete\n" << describe(complete);
  // After complete the base schema has the new shape: the new version uses it directly.
  run_steps("completed", script.completed, old_url, new_base_url);
  if (mariadb(backend)) {
    EXPECT_TRUE(database_exists(url, change))
        << "complete keeps the version database for the new version's clients";
  }

  ASSERT_TRUE(new_probe.running()) << new_probe.gone();
  new_probe.stop_and_check();
  ASSERT_TRUE(old_probe.running()) << old_probe.gone();
  old_probe.stop_and_check();
}

INSTANTIATE_TEST_SUITE_P(Postgres, ChangeCase,
                         testing::ValuesIn(find_change_cases(cases_dir(), Backend::kPostgres)),
                         change_case_test_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, ChangeCase,
                         testing::ValuesIn(find_change_cases(cases_dir(), Backend::kSqlite)),
                         change_case_test_name);
INSTANTIATE_TEST_SUITE_P(MariaDb, ChangeCase,
                         testing::ValuesIn(find_change_cases(cases_dir(), Backend::kMariaDb)),
                         change_case_test_name);
INSTANTIATE_TEST_SUITE_P(Galera, ChangeCase,
                         testing::ValuesIn(find_change_cases(cases_dir(), Backend::kGalera)),
                         change_case_test_name);

// A missing or empty folder would instantiate nothing and pass in silence.
TEST(ChangeCasesFolder, HoldsCases) {
  EXPECT_FALSE(find_change_cases(cases_dir(), Backend::kPostgres).empty())
      << "no case folder in " << cases_dir();
}

// The format's checks: a typo in a script fails its case instead of skipping a check.
TEST(ChangeCasesScript, RejectsWhatItDoesNotUnderstand) {
  fs::path file = fs::temp_directory_path() /
                  ("cutover-change-cases-script-" + std::to_string(getpid()) + ".yaml");
  auto rejects = [&](const std::string& text, const std::string& needle) {
    std::ofstream(file, std::ios::trunc) << text;
    try {
      load_script(file, Backend::kPostgres);
      ADD_FAILURE() << "accepted:\n" << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  rejects("started:\n  - {as: new, sql: 'SELECT 1', expct: [['1']]}\n", "line 2: unknown field");
  rejects("started:\n  - {as: neww, sql: 'SELECT 1'}\n", "as must be old or new");
  rejects("started:\n  - {sql: 'SELECT 1'}\n", "needs as");
  rejects("started:\n  - {as: old, sql: 'SELECT 1', error: '235'}\n", "SQLSTATE");
  rejects("start:\n  - {as: old, sql: 'SELECT 1'}\n", "unknown phase");
  rejects("completed:\n  - {as: old, sql: 'SELECT 1', expect: [['1']], error: '23505'}\n",
          "not both");
  rejects("started:\n  - {as: old, only: mysql, sql: 'SELECT 1'}\n", "only must be");
  rejects("started:\n  - {as: old, only: [postgres, mysql], sql: 'SELECT 1'}\n", "only must be");
  rejects("started:\n  - {as: old, only: [], sql: 'SELECT 1'}\n", "only must");

  std::ofstream(file, std::ios::trunc)
      << "started:\n  - {as: new, sql: 'SELECT 1', expect: [['1', null, ~]]}\n"
         "  - {as: old, only: sqlite, sql: 'SELECT 2'}\n"
         "completed:\n  - {as: old, sql: 'SELECT 3', error: '42703'}\n";
  Script script = load_script(file, Backend::kPostgres);
  fs::remove(file);
  ASSERT_EQ(script.started.size(), 1u);  // the sqlite-only step is left out
  EXPECT_TRUE(script.started[0].as_new);
  EXPECT_EQ(script.started[0].line, 2);
  ASSERT_TRUE(script.started[0].expect.has_value());
  EXPECT_EQ(rows_text(*script.started[0].expect), R"([["1",null,null]])");
  ASSERT_EQ(script.completed.size(), 1u);
  EXPECT_EQ(script.completed[0].error, "42703");

  // only: one database or a list; MariaDB's steps run on Galera too.
  std::ofstream(file, std::ios::trunc)
      << "started:\n  - {as: old, only: mariadb, sql: 'SELECT 1'}\n"
         "  - {as: old, only: [postgres, mariadb], sql: 'SELECT 2'}\n"
         "  - {as: old, only: [sqlite], sql: 'SELECT 3'}\n";
  auto sqls = [&](Backend backend) {
    std::string all;
    for (const auto& step : load_script(file, backend).started) all += step.sql + ";";
    return all;
  };
  EXPECT_EQ(sqls(Backend::kPostgres), "SELECT 2;");
  EXPECT_EQ(sqls(Backend::kSqlite), "SELECT 3;");
  EXPECT_EQ(sqls(Backend::kMariaDb), "SELECT 1;SELECT 2;");
  EXPECT_EQ(sqls(Backend::kGalera), "SELECT 1;SELECT 2;");
  fs::remove(file);
}

}  // namespace
}  // namespace cutover
