// `cutover migrate` as a user runs it: the real binary, sixteen instances started at once on every
// topology (a SQLite file, PostgreSQL directly and through PgBouncer, MariaDB, Galera), bad input
// refused before anything runs, and info, validate, --dry-run, --target, baseline and repair.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "db/registry.h"
#include "migrate/history_table.h"
#include "support/cli_output.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::Backend;
using test::ProcessResult;
using test::describe;
using test::ScratchDatabase;
using test::SpawnedProcess;
using test::StartBarrier;

constexpr int kInstances = 16;
// tests/cases/migrate/shop: four versioned files and one repeatable; the highest version is 3.
constexpr int kShopFiles = 5;
const std::vector<std::string> kShopScripts = {
    "V1__create_tables.sql", "V2__index_colour_names.sql", "V2.1__seed_colours_and_shapes.sql",
    "V3__create_sizes.sql", "R__colour_names_view.sql"};

// ---------------------------------------------------------------------------------------------
// Migration folders

fs::path fixture(const std::string& name) { return fs::path(CUTOVER_CASES_DIR) / "migrate" / name; }

// A private copy of a fixture folder, for tests that edit or add files; removed with the object.
class FolderCopy {
 public:
  explicit FolderCopy(const std::string& fixture_name) {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("cutover-migrate-cli-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::copy(fixture(fixture_name), path_, fs::copy_options::recursive);
  }
  ~FolderCopy() { fs::remove_all(path_); }
  FolderCopy(const FolderCopy&) = delete;
  FolderCopy& operator=(const FolderCopy&) = delete;

  const fs::path& path() const { return path_; }
  void append(const std::string& file, const std::string& text) const {
    std::ofstream(path_ / file, std::ios::app) << text;
  }
  void write(const std::string& file, const std::string& text) const {
    std::ofstream(path_ / file, std::ios::trunc) << text;
  }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------------------------------------
// Output of the binary

// The last non-empty line of `out`, parsed: every --json command ends with its result object.
// Null when there is no such line or it is not JSON.
json last_json_line(const std::string& out) {
  std::istringstream lines(out);
  std::string line, last;
  while (std::getline(lines, line)) {
    if (!line.empty()) last = line;
  }
  return json::parse(last, nullptr, /*allow_exceptions=*/false);
}

// Expects `cutover` to have refused bad input: exit code 2 and each of `needles` on stderr.
void expect_bad_input(const ProcessResult& r, const std::vector<std::string>& needles) {
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  for (const auto& needle : needles) {
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr does not name '" << needle << "'\n"
                                                     << describe(r);
  }
}

// Expects `message` to name line `line` of `file`, either as "file:line" or as the file and
// "line N" apart.
void expect_names_file_and_line(const std::string& message, const std::string& file, int line) {
  bool joined = message.find(file + ":" + std::to_string(line)) != std::string::npos;
  bool apart = message.find(file) != std::string::npos &&
               message.find("line " + std::to_string(line)) != std::string::npos;
  EXPECT_TRUE(joined || apart) << "does not name " << file << " line " << line << ":\n" << message;
}

// ---------------------------------------------------------------------------------------------
// Reading the database

// The history's rows with the columns that differ between two identical runs cleared:
// installed_on and execution_time. Empty when there is no history table.
std::vector<migrate::HistoryRow> comparable_history(db::Connection& connection) {
  migrate::HistoryTable table(connection);
  if (!table.exists()) return {};
  auto rows = table.read();
  for (auto& row : rows) {
    row.installed_on.clear();
    row.execution_time_ms = 0;
  }
  return rows;
}

std::string to_string(const std::vector<migrate::HistoryRow>& rows) {
  std::string out;
  for (const auto& r : rows) {
    out += "\n  " + std::to_string(r.installed_rank) + " | " + r.version.value_or("<null>") +
           " | " + r.description + " | " + r.type + " | " + r.script + " | " +
           (r.checksum ? std::to_string(*r.checksum) : "<null>") + " | " + r.installed_by + " | " +
           (r.success ? "success" : "failed");
  }
  return out;
}

// Every table and view in the database, cutover's own included.
std::set<std::string> all_objects(db::Connection& connection) {
  auto catalog = connection.introspect();
  std::set<std::string> names;
  for (const auto& table : catalog.tables) names.insert(table.name);
  for (const auto& view : catalog.views) names.insert(view.name);
  return names;
}

// The tables and views the migrations made: all but the history table and its lease.
std::set<std::string> migrated_objects(db::Connection& connection) {
  const std::string history{migrate::kDefaultHistoryTable};
  std::set<std::string> names;
  for (const auto& name : all_objects(connection)) {
    if (name != history && name != history + "_lease") names.insert(name);
  }
  return names;
}

std::int64_t count(db::Connection& connection, const std::string& sql) {
  return connection.query(sql).scalar().as_int();
}

// ---------------------------------------------------------------------------------------------
// Topologies

enum class Topology { kSqlite, kPostgres, kPgBouncer, kMariaDb, kGalera };

Backend backend_of(Topology topology) {
  switch (topology) {
    case Topology::kSqlite:
      return Backend::kSqlite;
    case Topology::kPostgres:
    case Topology::kPgBouncer:
      return Backend::kPostgres;
    case Topology::kMariaDb:
      return Backend::kMariaDb;
    case Topology::kGalera:
      return Backend::kGalera;
  }
  return Backend::kSqlite;
}

std::string topology_name(const testing::TestParamInfo<Topology>& info) {
  return info.param == Topology::kPgBouncer ? "PgBouncer"
                                            : test::backend_name(backend_of(info.param));
}

// Which of `cutover migrate`'s commands to run.
enum class Command { kMigrate, kInfo, kValidate, kBaseline, kRepair };

const char* command_word(Command command) {
  switch (command) {
    case Command::kMigrate:
      return nullptr;
    case Command::kInfo:
      return "info";
    case Command::kValidate:
      return "validate";
    case Command::kBaseline:
      return "baseline";
    case Command::kRepair:
      return "repair";
  }
  return nullptr;
}

enum class Output { kHuman, kJson };

class MigrateCli : public testing::TestWithParam<Topology> {
 protected:
  // The URL instance `i` uses to reach `database`: on Galera the instances are spread over the
  // three nodes; with PgBouncer they go through the pooler.
  std::string url_of(const ScratchDatabase& database, size_t i) const {
    if (GetParam() == Topology::kPgBouncer) {
      return test::with_database(test::required_env("CUTOVER_TEST_PGBOUNCER_URL"), database.name());
    }
    return database.urls()[i % database.urls().size()];
  }
  std::string url(size_t i = 0) const { return url_of(scratch_, i); }

  // `cutover [--json] migrate [command] URL --dir DIR extra...`, as instance `i` on `database`.
  std::vector<std::string> command_line(Output output, Command command, const fs::path& dir,
                                        const std::vector<std::string>& extra,
                                        const ScratchDatabase& database, size_t i = 0) const {
    std::vector<std::string> argv = {CUTOVER_BINARY};
    if (output == Output::kJson) argv.push_back("--json");
    argv.push_back("migrate");
    if (const char* word = command_word(command)) argv.push_back(word);
    argv.push_back(url_of(database, i));
    argv.push_back("--dir");
    argv.push_back(dir.string());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  ProcessResult run(Output output, Command command, const fs::path& dir,
                    const std::vector<std::string>& extra = {}) const {
    return test::run_process(command_line(output, command, dir, extra, scratch_));
  }

  // Runs `cutover --json migrate URL --dir DIR extra...`, expects exit code 0 and returns its
  // final {"event":"done"} object.
  json migrate_ok(const fs::path& dir, const std::vector<std::string>& extra = {}) const {
    auto r = run(Output::kJson, Command::kMigrate, dir, extra);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    json done = last_json_line(r.out);
    EXPECT_EQ(done.value("event", ""), "done") << describe(r);
    return done;
  }

  // `n` instances of `cutover --json migrate`, instance i on url(i), held at a barrier and
  // released together; their results in order.
  std::vector<ProcessResult> migrate_at_once(int n, const fs::path& dir) const {
    StartBarrier barrier;
    std::vector<std::unique_ptr<SpawnedProcess>> instances;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      instances.push_back(std::make_unique<SpawnedProcess>(
          command_line(Output::kJson, Command::kMigrate, dir, {}, scratch_, i),
          std::map<std::string, std::optional<std::string>>{}, &barrier));
    }
    barrier.release();
    std::vector<ProcessResult> results;
    for (auto& instance : instances) results.push_back(instance->wait());
    return results;
  }

  // A session on `database` for checking results, directly (not through PgBouncer), on node 1
  // of Galera, where it first waits for every write the cluster has committed.
  static std::unique_ptr<db::Connection> inspect(const ScratchDatabase& database) {
    auto connection = database.connect(0);
    if (database.urls().size() > 1) connection->execute("SET SESSION wsrep_sync_wait = 15");
    return connection;
  }
  std::unique_ptr<db::Connection> inspect() const { return inspect(scratch_); }

  std::vector<migrate::HistoryRow> history() const { return comparable_history(*inspect()); }
  std::set<std::string> objects() const { return migrated_objects(*inspect()); }

  // Nothing of the migrations exists: no table or view they create, no history row.
  void expect_nothing_applied() const {
    auto connection = inspect();
    EXPECT_EQ(migrated_objects(*connection), std::set<std::string>{});
    EXPECT_EQ(comparable_history(*connection), std::vector<migrate::HistoryRow>{})
        << to_string(comparable_history(*connection));
  }

  ScratchDatabase scratch_{backend_of(GetParam())};
};

// PostgreSQL only: its parser checks every statement before anything runs.
class MigrateCliOnPostgres : public MigrateCli {};

// ---------------------------------------------------------------------------------------------
// Many instances at once

TEST_P(MigrateCli, SixteenInstancesStartedAtOnceApplyEachFileExactlyOnce) {
  auto results = migrate_at_once(kInstances, fixture("shop"));
  int applied = 0;
  for (const auto& r : results) {
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    json done = last_json_line(r.out);
    ASSERT_EQ(done.value("event", ""), "done") << describe(r);
    std::string role = done.value("role", "");
    EXPECT_TRUE(role == "leader" || role == "waiter" || role == "none") << describe(r);
    EXPECT_EQ(done.value("current", ""), "3") << describe(r);
    applied += done.value("applied", -1000);
  }
  EXPECT_EQ(applied, kShopFiles);

  // The history is the one a single instance writes alone on another database.
  ScratchDatabase alone(backend_of(GetParam()));
  auto single =
      test::run_process(command_line(Output::kJson, Command::kMigrate, fixture("shop"), {}, alone));
  ASSERT_EQ(single.exit_code, 0) << describe(single);
  auto expected = comparable_history(*inspect(alone));
  ASSERT_EQ(expected.size(), static_cast<size_t>(kShopFiles)) << to_string(expected);
  auto together = history();
  EXPECT_EQ(together, expected) << "sixteen at once:" << to_string(together)
                                << "\none alone:" << to_string(expected);

  // The data the migrations insert is there exactly once.
  auto connection = inspect();
  EXPECT_EQ(count(*connection, "SELECT count(*) FROM colours"), 3);
  EXPECT_EQ(count(*connection, "SELECT count(*) FROM shapes"), 2);
  EXPECT_EQ(count(*connection, "SELECT count(DISTINCT name) FROM shapes"), 2);
  EXPECT_EQ(count(*connection, "SELECT count(*) FROM sizes"), 1);
  EXPECT_EQ(count(*connection, "SELECT count(*) FROM colour_names"), 3);
}

TEST_P(MigrateCli, ASecondRunFindsNothingToDoAndChangesNothing) {
  migrate_ok(fixture("shop"));
  auto before = migrate::HistoryTable(*inspect()).read();

  json done = migrate_ok(fixture("shop"));
  EXPECT_EQ(done.value("role", ""), "none") << done.dump();
  EXPECT_EQ(done.value("applied", -1), 0) << done.dump();
  EXPECT_EQ(done.value("current", ""), "3") << done.dump();
  auto after = migrate::HistoryTable(*inspect()).read();
  EXPECT_EQ(after, before) << "before:" << to_string(before) << "\nafter:" << to_string(after);
}

// ---------------------------------------------------------------------------------------------
// Bad input: exit code 2, the message names the problem, nothing applied

TEST_P(MigrateCli, DuplicateVersionsAreBadInputNamingBothFiles) {
  auto r = run(Output::kHuman, Command::kMigrate, fixture("duplicate_versions"));
  expect_bad_input(r, {"V1__a.sql", "V1.0__b.sql"});
  expect_nothing_applied();
}

TEST_P(MigrateCli, MalformedFileNameIsBadInputNamingTheFile) {
  auto r = run(Output::kHuman, Command::kMigrate, fixture("malformed_name"));
  expect_bad_input(r, {"V1_missing_double_underscore.sql"});
  expect_nothing_applied();
}

TEST_P(MigrateCli, MissingPlaceholderIsBadInputNamingFileAndLine) {
  auto r = run(Output::kHuman, Command::kMigrate, fixture("placeholder"));
  expect_bad_input(r, {"schema_owner"});
  expect_names_file_and_line(r.err, "V2__create_owned.sql", 3);
  expect_nothing_applied();
}

TEST_P(MigrateCli, GivenPlaceholderIsFilledIn) {
  migrate_ok(fixture("placeholder"), {"--placeholder", "schema_owner=app"});
  EXPECT_EQ(objects(), (std::set<std::string>{"owned_by_app", "plain"}));
}

TEST_P(MigrateCli, EditedAppliedFileIsRefusedByMigrateAndByValidate) {
  FolderCopy folder("shop");
  migrate_ok(folder.path());
  auto before = history();
  folder.append("V2__index_colour_names.sql", "-- edited after it was applied\n");
  folder.write("V4__create_late.sql", "CREATE TABLE late (id INT NOT NULL PRIMARY KEY);\n");

  auto r = run(Output::kHuman, Command::kMigrate, folder.path());
  expect_bad_input(r, {"V2__index_colour_names.sql"});
  EXPECT_EQ(objects().count("late"), 0u) << "V4 was applied despite the checksum mismatch";
  EXPECT_EQ(history(), before) << to_string(history());

  auto validate = run(Output::kHuman, Command::kValidate, folder.path());
  expect_bad_input(validate, {"V2__index_colour_names.sql"});
}

TEST_P(MigrateCli, BadOptionValueIsBadInputNamingTheOption) {
  auto r = run(Output::kHuman, Command::kMigrate, fixture("shop"), {"--lock-timeout", "banana"});
  expect_bad_input(r, {"--lock-timeout", "banana"});
  expect_nothing_applied();
}

TEST_P(MigrateCliOnPostgres, SyntaxErrorInStatementThreeIsFoundBeforeAnythingRuns) {
  auto r = run(Output::kHuman, Command::kMigrate, fixture("postgres_syntax_error"));
  expect_bad_input(r, {"statement 3"});
  expect_names_file_and_line(r.err, "V2__three_statements.sql", 6);
  expect_nothing_applied();
}

// ---------------------------------------------------------------------------------------------
// info, validate, --dry-run, --target, baseline, repair

TEST_P(MigrateCli, InfoListsEveryAppliedFileAsSuccess) {
  migrate_ok(fixture("shop"));
  auto r = run(Output::kJson, Command::kInfo, fixture("shop"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  json info = last_json_line(r.out);
  ASSERT_TRUE(info.contains("migrations")) << describe(r);
  EXPECT_EQ(info.value("current", ""), "3") << info.dump();
  std::vector<std::string> scripts;
  for (const auto& row : info["migrations"]) {
    scripts.push_back(row.value("script", ""));
    EXPECT_EQ(row.value("state", ""), "Success") << row.dump();
    EXPECT_EQ(row.value("type", ""), "SQL") << row.dump();
    EXPECT_TRUE(row["installed_rank"].is_number_integer()) << row.dump();
    EXPECT_FALSE(row["installed_on"].is_null()) << row.dump();
  }
  EXPECT_EQ(scripts, kShopScripts) << info.dump();
}

TEST_P(MigrateCli, ValidatePassesAfterAMigrate) {
  migrate_ok(fixture("shop"));
  auto r = run(Output::kHuman, Command::kValidate, fixture("shop"));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST_P(MigrateCli, DryRunPrintsThePlanAndCreatesNothing) {
  auto r = run(Output::kHuman, Command::kMigrate, fixture("shop"), {"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const auto& script : kShopScripts) {
    EXPECT_NE((r.out + r.err).find(script), std::string::npos)
        << "the plan does not name " << script << "\n"
        << describe(r);
  }
  EXPECT_EQ(all_objects(*inspect()), std::set<std::string>{}) << "--dry-run created something";
}

TEST_P(MigrateCli, TargetStopsAtTheGivenVersion) {
  json done = migrate_ok(fixture("independent"), {"--target", "2"});
  EXPECT_EQ(done.value("applied", -1), 2) << done.dump();
  EXPECT_EQ(done.value("current", ""), "2") << done.dump();
  EXPECT_EQ(objects(), (std::set<std::string>{"alpha", "beta"}));

  done = migrate_ok(fixture("independent"));
  EXPECT_EQ(done.value("applied", -1), 1) << done.dump();
  EXPECT_EQ(done.value("current", ""), "3") << done.dump();
  EXPECT_EQ(objects(), (std::set<std::string>{"alpha", "beta", "gamma"}));
}

TEST_P(MigrateCli, BaselineMakesMigrateSkipFilesAtOrBelowIt) {
  auto baseline = run(Output::kHuman, Command::kBaseline, fixture("independent"),
                      {"--version", "2", "--description", "existing schema"});
  ASSERT_EQ(baseline.exit_code, 0) << describe(baseline);

  json done = migrate_ok(fixture("independent"));
  EXPECT_EQ(done.value("applied", -1), 1) << done.dump();
  EXPECT_EQ(done.value("current", ""), "3") << done.dump();
  EXPECT_EQ(objects(), std::set<std::string>{"gamma"});
  auto rows = history();
  ASSERT_EQ(rows.size(), 2u) << to_string(rows);
  EXPECT_EQ(rows[0].type, "BASELINE");
  EXPECT_EQ(rows[0].version, "2");
  EXPECT_EQ(rows[0].description, "existing schema");
  EXPECT_EQ(rows[1].script, "V3__create_gamma.sql");
}

TEST_P(MigrateCli, RepairRealignsAnEditedFileSoValidatePasses) {
  FolderCopy folder("shop");
  migrate_ok(folder.path());
  auto before = history();
  folder.append("V2__index_colour_names.sql", "-- edited after it was applied\n");
  ASSERT_EQ(run(Output::kHuman, Command::kValidate, folder.path()).exit_code, 2);

  auto repair = run(Output::kHuman, Command::kRepair, folder.path());
  ASSERT_EQ(repair.exit_code, 0) << describe(repair);
  auto validate = run(Output::kHuman, Command::kValidate, folder.path());
  EXPECT_EQ(validate.exit_code, 0) << describe(validate);

  // Only the edited file's checksum changed.
  auto after = history();
  ASSERT_EQ(after.size(), before.size()) << to_string(after);
  for (size_t i = 0; i < after.size(); ++i) {
    if (after[i].script == "V2__index_colour_names.sql") {
      EXPECT_NE(after[i].checksum, before[i].checksum);
      after[i].checksum = before[i].checksum;
    }
    EXPECT_EQ(after[i], before[i]) << "row " << i + 1 << " changed";
  }
  json done = migrate_ok(folder.path());
  EXPECT_EQ(done.value("applied", -1), 0) << done.dump();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MigrateCli, testing::Values(Topology::kSqlite), topology_name);
INSTANTIATE_TEST_SUITE_P(Postgres, MigrateCli,
                         testing::Values(Topology::kPostgres, Topology::kPgBouncer), topology_name);
INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateCli, testing::Values(Topology::kMariaDb), topology_name);
INSTANTIATE_TEST_SUITE_P(Galera, MigrateCli, testing::Values(Topology::kGalera), topology_name);
INSTANTIATE_TEST_SUITE_P(Postgres, MigrateCliOnPostgres,
                         testing::Values(Topology::kPostgres, Topology::kPgBouncer), topology_name);

// ---------------------------------------------------------------------------------------------
// The support this file relies on: background processes and the start barrier (no server)

TEST(SpawnedProcessCheck, CapturesOutputAndExitCode) {
  SpawnedProcess p({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  auto r = p.wait();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(p.wait().out, "out\n") << "a second wait() returns the same result";
}

TEST(SpawnedProcessCheck, BarrierHoldsChildrenUntilReleased) {
  StartBarrier barrier;
  std::vector<std::unique_ptr<SpawnedProcess>> children;
  for (int i = 0; i < 4; ++i) {
    children.push_back(std::make_unique<SpawnedProcess>(
        std::vector<std::string>{"/bin/sh", "-c", "echo started"},
        std::map<std::string, std::optional<std::string>>{}, &barrier));
  }
  // Held children cannot have run `echo` yet: they are still waiting, before exec.
  for (auto& c : children) EXPECT_TRUE(c->running());
  for (auto& c : children) EXPECT_EQ(c->output_so_far(), "");
  barrier.release();
  barrier.release();
  for (auto& c : children) {
    auto r = c->wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "started\n");
  }
}

TEST(SpawnedProcessCheck, ChattyChildNeverBlocksAndGetsItsEnvironment) {
  SpawnedProcess p({"/bin/sh", "-c", "yes $WORD | head -c 1000000; echo; echo ${GONE:-unset} >&2"},
                   {{"WORD", "hello"}, {"GONE", std::nullopt}});
  auto r = p.wait();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.size(), 1000001u);
  EXPECT_EQ(r.out.substr(0, 6), "hello\n");
  EXPECT_EQ(r.err, "unset\n");
}

TEST(SpawnedProcessCheck, KillAndTimeoutEndTheChild) {
  SpawnedProcess killed({"/bin/sleep", "60"});
  EXPECT_TRUE(killed.running());
  killed.kill(SIGTERM);
  EXPECT_EQ(killed.wait().exit_code, 128 + SIGTERM);
  EXPECT_FALSE(killed.running());

  SpawnedProcess hung({"/bin/sh", "-c", "echo begun; exec sleep 60"});
  auto r = hung.wait(std::chrono::seconds(1));
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  EXPECT_EQ(r.out, "begun\n");
  EXPECT_NE(r.err.find("killed after 1 s"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cutover
