// Flyway's SQL callbacks and placeholders through the real binary: a small Flyway-like project
// (tests/cases/migrate_callbacks/project: callbacks in sql/ and sql/callbacks/, one using
// ${flyway:defaultSchema}, an R__ using ${owner}) on SQLite, PostgreSQL and MariaDB; a history
// made as Flyway makes it; every missing placeholder in one message; an empty folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "db/registry.h"
#include "migrate/checksum.h"
#include "migrate/history_table.h"
#include "migrate/placeholders.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using test::Backend;
using test::ProcessResult;
using test::ScratchDatabase;

const fs::path kProject = fs::path(CUTOVER_CASES_DIR) / "migrate_callbacks" / "project";
constexpr const char* kNoMigrations = "No migrations found. Are your locations set up correctly?";

std::string describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A private copy of a folder, for tests that edit or add files; removed with the object.
class FolderCopy {
 public:
  explicit FolderCopy(const fs::path& from) {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("cutover-callbacks-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    if (from.empty()) {
      fs::create_directories(path_);
    } else {
      fs::copy(from, path_, fs::copy_options::recursive);
    }
  }
  ~FolderCopy() { fs::remove_all(path_); }
  FolderCopy(const FolderCopy&) = delete;
  FolderCopy& operator=(const FolderCopy&) = delete;
  const fs::path& path() const { return path_; }
  void write(const std::string& file, const std::string& text) const {
    std::ofstream(path_ / file, std::ios::trunc | std::ios::binary) << text;
  }

 private:
  fs::path path_;
};

class MigrateCallbacks : public testing::TestWithParam<Backend> {
 protected:
  std::vector<std::string> command_line(const fs::path& dir, const std::vector<std::string>& extra,
                                        const char* command = nullptr) const {
    std::vector<std::string> argv = {CUTOVER_BINARY, "migrate"};
    if (command) argv.push_back(command);
    argv.push_back(scratch_.url());
    argv.push_back("--dir");
    argv.push_back(dir.string());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  ProcessResult migrate(const fs::path& dir, const std::vector<std::string>& extra = {},
                        const char* command = nullptr) const {
    return test::run_process(command_line(dir, extra, command));
  }
  std::int64_t count(const std::string& sql) { return connection_->query(sql).scalar().as_int(); }
  std::set<std::string> tables() {
    std::set<std::string> names;
    for (const auto& table : connection_->introspect().tables) names.insert(table.name);
    return names;
  }
  // Runs each `;`-terminated statement of a file (simple files only), as Flyway would have.
  void run_file(const std::string& text) {
    std::string statement;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("--")) continue;
      statement += line + "\n";
      if (line.ends_with(";")) {
        connection_->execute(statement);
        statement.clear();
      }
    }
  }

  ScratchDatabase scratch_{GetParam()};
  std::unique_ptr<db::Connection> connection_ = scratch_.connect();
};

TEST_P(MigrateCallbacks, RunsCallbacksAtTheirEventsWithFlywaysBuiltInPlaceholders) {
  auto r = migrate(kProject, {"--placeholder", "owner=app"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // beforeClean.sql: cutover has no clean; named in a warning, never run.
  EXPECT_NE(r.err.find("beforeClean.sql"), std::string::npos) << describe(r);
  // beforeMigrate once, with ${flyway:filename}; afterEachMigrate after V1, V2 and the R__,
  // with ${flyway:table}; the two afterMigrate callbacks in Flyway's order (no description
  // first, then by description: last_updated, z_second) with ${flyway:defaultSchema}.
  EXPECT_EQ(count("SELECT count(*) FROM callback_log WHERE event = 'beforeMigrate' AND detail = "
                  "'beforeMigrate.sql'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM callback_log WHERE event = 'afterEachMigrate' AND "
                  "detail = 'cutover_schema_history'"),
            3);
  EXPECT_EQ(count("SELECT n FROM meta"), 12);
  EXPECT_EQ(count("SELECT count(*) FROM grants_log WHERE owner = 'app'"), 1);
  EXPECT_EQ(tables().count("migrate_errors"), 0u) << "afterMigrateError ran after a success";

  // Nothing pending: nothing runs, callbacks included (they run in the instance that applies).
  r = migrate(kProject, {"--placeholder", "owner=app"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(count("SELECT count(*) FROM callback_log"), 4);
  EXPECT_EQ(count("SELECT n FROM meta"), 12);

  // info runs beforeInfo.
  r = migrate(kProject, {"--placeholder", "owner=app"}, "info");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(count("SELECT count(*) FROM info_runs"), 1);
}

TEST_P(MigrateCallbacks, SixteenInstancesAtOnceRunBeforeMigrateOnce) {
  test::StartBarrier barrier;
  std::vector<std::unique_ptr<test::SpawnedProcess>> instances;
  for (int i = 0; i < 16; ++i) {
    instances.push_back(std::make_unique<test::SpawnedProcess>(
        command_line(kProject, {"--placeholder", "owner=app"}),
        std::map<std::string, std::optional<std::string>>{}, &barrier));
  }
  barrier.release();
  for (auto& instance : instances) {
    auto r = instance->wait();
    EXPECT_EQ(r.exit_code, 0) << describe(r);
  }
  EXPECT_EQ(count("SELECT count(*) FROM callback_log WHERE event = 'beforeMigrate'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM callback_log WHERE event = 'afterEachMigrate'"), 3);
  EXPECT_EQ(count("SELECT n FROM meta"), 12);
  EXPECT_EQ(count("SELECT count(*) FROM grants_log"), 1);
}

// A database Flyway migrated with owner=app: its history holds the R__'s checksum taken after
// replacement. cutover must see it up to date, and apply it again when the value changes.
TEST_P(MigrateCallbacks, AFlywayMigratedRepeatableIsUpToDateUntilItsPlaceholderChanges) {
  const std::string v1 = read_text(kProject / "V1__create_tables.sql");
  const std::string v2 = read_text(kProject / "V2__add_item.sql");
  const std::string r_raw = read_text(kProject / "R__owner_grants.sql");
  const std::string r_app =
      migrate::replace_placeholders(r_raw, {{"owner", "app"}}, "R__owner_grants.sql");
  // Independently of flyway_checksum: CRC-32 over the lines of the replaced text without their
  // line breaks (Flyway's ChecksumCalculator), computed with Python's zlib.crc32. The raw
  // text's is -1584011509.
  ASSERT_EQ(migrate::flyway_checksum(r_app), -1207117004);
  run_file(v1);
  run_file(v2);
  run_file(r_app);
  migrate::HistoryTable history(*connection_, "flyway_schema_history");
  history.ensure_exists();
  const auto row = [](std::int32_t rank, std::optional<std::string> version,
                      std::string description, std::string script, std::int32_t checksum) {
    migrate::HistoryRow r;
    r.installed_rank = rank;
    r.version = std::move(version);
    r.description = std::move(description);
    r.script = std::move(script);
    r.checksum = checksum;
    r.installed_by = "flyway";
    return r;
  };
  history.append(
      row(1, "1", "create tables", "V1__create_tables.sql", migrate::flyway_checksum(v1)));
  history.append(row(2, "2", "add item", "V2__add_item.sql", migrate::flyway_checksum(v2)));
  history.append(row(3, std::nullopt, "owner grants", "R__owner_grants.sql", -1207117004));

  const std::vector<std::string> flyway_history = {"--history-table", "flyway_schema_history"};
  auto with = [&](const std::string& owner) {
    auto extra = flyway_history;
    extra.insert(extra.end(), {"--placeholder", "owner=" + owner});
    return extra;
  };
  auto r = migrate(kProject, with("app"), "validate");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  r = migrate(kProject, with("app"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(count("SELECT count(*) FROM grants_log"), 1) << "the R__ was applied again";
  EXPECT_EQ(history.read().size(), 3u);

  r = migrate(kProject, with("ops"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(count("SELECT count(*) FROM grants_log WHERE owner = 'ops'"), 1);
  auto rows = history.read();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.back().checksum, migrate::flyway_checksum(migrate::replace_placeholders(
                                      r_raw, {{"owner", "ops"}}, "R")));
}

// Flyway's "always re-run" idiom: a repeatable with ${flyway:timestamp} changes checksum with
// every run (Flyway's timestamp has whole seconds).
TEST_P(MigrateCallbacks, FlywayTimestampAppliesARepeatableOnEveryRun) {
  FolderCopy folder(kProject);
  folder.write("R__stamp.sql",
               "-- ${flyway:timestamp}\nCREATE TABLE IF NOT EXISTS stamps (n int);\n"
               "INSERT INTO stamps (n) VALUES (1);\n");
  auto r = migrate(folder.path(), {"--placeholder", "owner=app"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(count("SELECT count(*) FROM stamps"), 1);
  // Wait for the next second of the wall clock, so that the timestamp differs.
  const auto first = migrate::flyway_timestamp(std::chrono::system_clock::now());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (migrate::flyway_timestamp(std::chrono::system_clock::now()) == first &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r = migrate(folder.path(), {"--placeholder", "owner=app"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(count("SELECT count(*) FROM stamps"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM grants_log"), 1) << "only the timestamped R__ re-runs";
}

TEST_P(MigrateCallbacks, NamesEveryMissingPlaceholderOfEveryFileInOneMessage) {
  FolderCopy folder(kProject);
  folder.write("V3__tenant.sql", "INSERT INTO items (id, name) VALUES (3, '${tenant}');\n");
  folder.write("sql/callbacks/afterMigrate__audit.sql", "SELECT '${auditor}';\n");
  auto r = migrate(folder.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  for (const char* part :
       {"R__owner_grants.sql:2", "${owner}", "V3__tenant.sql:1", "${tenant}",
        "sql/callbacks/afterMigrate__audit.sql:1", "${auditor}",
        "--placeholder owner=", "--placeholder tenant=", "--placeholder auditor="}) {
    EXPECT_NE(r.err.find(part), std::string::npos) << part << "\n" << describe(r);
  }
  EXPECT_EQ(tables().count("items"), 0u) << "something ran";
}

TEST_P(MigrateCallbacks, AFailingBeforeMigrateStopsTheRunAndAfterMigrateErrorRuns) {
  FolderCopy folder(kProject);
  folder.write("sql/callbacks/beforeMigrate.sql", "SELECT * FROM no_such_table;\n");
  auto r = migrate(folder.path(), {"--placeholder", "owner=app"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("beforeMigrate.sql"), std::string::npos) << describe(r);
  // MariaDB commits each statement of a callback: nothing was rolled back there.
  EXPECT_EQ(r.err.find("rolled back") == std::string::npos, GetParam() == Backend::kMariaDb)
      << describe(r);
  EXPECT_EQ(tables().count("items"), 0u) << "V1 ran after a failed beforeMigrate";
  EXPECT_EQ(count("SELECT count(*) FROM migrate_errors"), 1);
}

// An afterMigrate callback that fails until the table `gate` exists, and records its run.
constexpr const char* kGateCallback =
    "CREATE TABLE IF NOT EXISTS after_runs (n int);\n"
    "INSERT INTO after_runs (n) SELECT n FROM gate;\n";

// An afterMigrate that fails after the last migration committed runs again on the next
// migrate, though nothing is pending then (it used to run nothing: the callback never ran).
TEST_P(MigrateCallbacks, AFailedAfterMigrateRunsAgainOnTheNextMigrate) {
  FolderCopy folder(kProject);
  folder.write("sql/callbacks/afterMigrate__zz_gate.sql", kGateCallback);
  auto failed = migrate(folder.path(), {"--placeholder", "owner=app"});
  ASSERT_EQ(failed.exit_code, 1) << describe(failed);
  EXPECT_NE(failed.err.find("afterMigrate__zz_gate.sql"), std::string::npos) << describe(failed);
  EXPECT_EQ(tables().count("items"), 1u) << "the migrations were applied";

  auto info = migrate(folder.path(), {"--placeholder", "owner=app"}, "info");
  ASSERT_EQ(info.exit_code, 0) << describe(info);
  EXPECT_NE(info.out.find("owed: the afterMigrateApplied and afterMigrate callbacks"),
            std::string::npos)
      << info.out;

  connection_->execute("CREATE TABLE gate (n int)");
  connection_->execute("INSERT INTO gate (n) VALUES (7)");
  auto owed = migrate(folder.path(), {"--placeholder", "owner=app"});
  ASSERT_EQ(owed.exit_code, 0) << describe(owed);
  EXPECT_NE(owed.err.find("running them now"), std::string::npos) << describe(owed);
  EXPECT_EQ(count("SELECT count(*) FROM after_runs"), 1);

  auto again = migrate(folder.path(), {"--placeholder", "owner=app"});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(count("SELECT count(*) FROM after_runs"), 1) << "paid once: " << describe(again);
  info = migrate(folder.path(), {"--placeholder", "owner=app"}, "info");
  EXPECT_EQ(info.out.find("owed:"), std::string::npos) << info.out;
}

// The owed callbacks are the newest release's: an instance of an older release (its files end
// below the database's version) leaves them owed rather than running its own old ones.
TEST_P(MigrateCallbacks, AnOlderReleaseLeavesTheOwedAfterMigrateToTheNewest) {
  FolderCopy folder(kProject);
  folder.write("sql/callbacks/afterMigrate__zz_gate.sql", kGateCallback);
  auto failed = migrate(folder.path(), {"--placeholder", "owner=app"});
  ASSERT_EQ(failed.exit_code, 1) << describe(failed);

  FolderCopy older(kProject);
  fs::remove(older.path() / "V2__add_item.sql");
  older.write("sql/callbacks/afterMigrate__zz_gate.sql",
              "CREATE TABLE IF NOT EXISTS after_runs (n int);\n"
              "INSERT INTO after_runs (n) VALUES (-1);\n");
  auto old_run = migrate(older.path(), {"--placeholder", "owner=app"});
  ASSERT_EQ(old_run.exit_code, 0) << describe(old_run);
  if (tables().count("after_runs")) {
    EXPECT_EQ(count("SELECT count(*) FROM after_runs WHERE n = -1"), 0) << describe(old_run);
  }
  auto info = migrate(folder.path(), {"--placeholder", "owner=app"}, "info");
  EXPECT_NE(info.out.find("owed:"), std::string::npos) << info.out;

  connection_->execute("CREATE TABLE gate (n int)");
  connection_->execute("INSERT INTO gate (n) VALUES (7)");
  auto newest = migrate(folder.path(), {"--placeholder", "owner=app"});
  ASSERT_EQ(newest.exit_code, 0) << describe(newest);
  EXPECT_EQ(count("SELECT count(*) FROM after_runs WHERE n = 7"), 1);
}

// A partly applied file whose applied statements changed is refused (exit 2) before any
// callback runs: beforeMigrate and afterMigrateError ran first, so the refusal wrote rows.
TEST_P(MigrateCallbacks, AChangedPartlyAppliedFileIsRefusedBeforeAnyCallback) {
  FolderCopy folder(kProject);
  folder.write("V3__partial.sql",
               "-- cutover: no-transaction\nCREATE TABLE partial_one (id int);\n"
               "INSERT INTO no_such_table VALUES (1);\n");
  auto failed = migrate(folder.path(), {"--placeholder", "owner=app"});
  ASSERT_EQ(failed.exit_code, 1) << describe(failed);
  const std::int64_t callbacks = count("SELECT count(*) FROM callback_log");
  const std::int64_t errors = count("SELECT count(*) FROM migrate_errors");
  folder.write("V3__partial.sql",
               "-- cutover: no-transaction\nCREATE TABLE partial_one (id bigint);\n"
               "CREATE TABLE partial_two (id int);\n");
  auto refused = migrate(folder.path(), {"--placeholder", "owner=app"});
  EXPECT_EQ(refused.exit_code, 2) << describe(refused);
  EXPECT_EQ(count("SELECT count(*) FROM callback_log"), callbacks) << describe(refused);
  EXPECT_EQ(count("SELECT count(*) FROM migrate_errors"), errors) << describe(refused);
}

TEST_P(MigrateCallbacks, AnEmptyFolderWarnsAsFlywayDoesAndSucceeds) {
  FolderCopy empty({});
  auto r = migrate(empty.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find(kNoMigrations), std::string::npos) << describe(r);
  r = migrate(empty.path(), {}, "validate");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find(kNoMigrations), std::string::npos) << describe(r);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MigrateCallbacks, testing::Values(Backend::kSqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, MigrateCallbacks, testing::Values(Backend::kPostgres));
INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateCallbacks, testing::Values(Backend::kMariaDb));

}  // namespace
}  // namespace cutover
