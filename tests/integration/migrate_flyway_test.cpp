// `cutover migrate` on what Flyway users bring (issue 9): files that control transactions
// themselves, byte-order marks, Flyway's script and project configuration, a database that
// already holds Flyway's history, validate agreeing with migrate, and file names the history
// table's character set cannot hold.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "coord/lease.h"
#include "db/registry.h"
#include "migrate/checksum.h"
#include "migrate/history_table.h"
#include "migrate/migration_runner.h"
#include "support/cli_output.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::Backend;
using test::describe;
using test::ProcessResult;
using test::ScratchDatabase;

fs::path fixture(const std::string& name) {
  return fs::path(CUTOVER_CASES_DIR) / "migrate_flyway" / name;
}

// A fresh folder for a test's files; removed with the object.
class Folder {
 public:
  Folder() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("cutover-flyway-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~Folder() { fs::remove_all(path_); }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  const fs::path& path() const { return path_; }
  void write(const std::string& file, const std::string& text) const {
    fs::create_directories((path_ / file).parent_path());
    std::ofstream(path_ / file, std::ios::binary | std::ios::trunc) << text;
  }

 private:
  fs::path path_;
};

void expect_in(const std::string& haystack, const std::string& needle, const ProcessResult& r) {
  EXPECT_NE(haystack.find(needle), std::string::npos) << "missing '" << needle << "'\n"
                                                      << describe(r);
}

class MigrateFlyway : public testing::TestWithParam<Backend> {
 protected:
  // `cutover [--json] migrate [sub] URL --dir DIR extra...`, run in `cwd` when given.
  ProcessResult run(const std::vector<std::string>& words, const fs::path& dir,
                    const std::vector<std::string>& extra = {}, bool json = false,
                    const fs::path& cwd = {}, bool with_url = true) const {
    std::vector<std::string> argv;
    if (!cwd.empty()) argv = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd.string()};
    argv.push_back(CUTOVER_BINARY);
    if (json) argv.push_back("--json");
    argv.push_back("migrate");
    argv.insert(argv.end(), words.begin(), words.end());
    if (with_url) argv.push_back(scratch_.url());
    if (!dir.empty()) {
      argv.push_back("--dir");
      argv.push_back(dir.string());
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run_process(argv);
  }

  std::unique_ptr<db::Connection> connect() const { return scratch_.connect(0); }

  // Every table of the database, cutover's own included.
  std::set<std::string> tables() const {
    auto connection = connect();
    auto catalog = connection->introspect();
    std::set<std::string> names;
    for (const auto& table : catalog.tables) names.insert(table.name);
    return names;
  }

  ScratchDatabase scratch_{GetParam()};
};

class MigrateFlywayOnPostgres : public MigrateFlyway {};
class MigrateFlywayOnMariaDb : public MigrateFlyway {};

// ---------------------------------------------------------------------------------------------
// Item 2: transaction control inside a file

TEST_P(MigrateFlywayOnPostgres, FilesThatControlTheirTransactionAreRefusedBeforeAnythingRuns) {
  struct Case {
    const char* folder;
    const char* file;
    const char* where;
    const char* kind;
  };
  const Case cases[] = {
      {"begin_commit", "V1__begin_commit.sql", "statement 1 (line 2)", "BEGIN"},
      {"rollback", "V1__rollback.sql", "statement 2 (line 2)", "ROLLBACK"},
      {"commit_then_fail", "V1__commit_then_fail.sql", "statement 1 (line 1)", "BEGIN"},
  };
  for (const Case& c : cases) {
    for (const std::vector<std::string>& sub :
         {std::vector<std::string>{}, std::vector<std::string>{"validate"}}) {
      ProcessResult r = run(sub, fixture(c.folder));
      EXPECT_EQ(r.exit_code, 2) << c.folder << "\n" << describe(r);
      expect_in(r.err, std::string(c.file) + ": " + c.where + " is " + c.kind, r);
      expect_in(r.err, "no-transaction", r);
      expect_in(r.err, "nothing has been applied", r);
    }
    EXPECT_EQ(tables(), std::set<std::string>{}) << c.folder;  // not even the history table
  }
}

TEST_P(MigrateFlyway, StartTransactionAndCommitInAFileAreRefused) {
  ProcessResult r = run({}, fixture("start_transaction_commit"));
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  expect_in(r.err, "V1__start_transaction_commit.sql: statement 2 (line 2) is START TRANSACTION",
            r);
  EXPECT_EQ(tables(), std::set<std::string>{});
}

// ---------------------------------------------------------------------------------------------
// Item 7: byte-order mark, script configuration, flyway.conf / flyway.toml

TEST_P(MigrateFlyway, AFileWithAByteOrderMarkAppliesWithFlywaysChecksum) {
  Folder folder;
  const std::string body = "CREATE TABLE bom_t (id int);\n";
  folder.write("V1__bom.sql", "\xEF\xBB\xBF" + body);
  ProcessResult r = run({}, folder.path());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(tables().contains("bom_t"));
  auto connection = connect();
  auto rows = migrate::HistoryTable(*connection).read();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].checksum, migrate::flyway_checksum(body));
}

// Whether the dry run plans `file` as one transaction.
bool planned_atomic(const ProcessResult& r, const std::string& file) {
  for (const json& event : test::json_events(r.out)) {
    if (event.value("event", "") != "plan") continue;
    for (const json& script : event["pending"]) {
      if (script.value("script", "") == file) return script.value("atomic", true);
    }
  }
  ADD_FAILURE() << file << " not planned\n" << describe(r);
  return true;
}

TEST_P(MigrateFlywayOnPostgres, FlywayScriptConfigRunsTheFileOutsideATransaction) {
  Folder folder;
  const std::string two = "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n";
  folder.write("V1__plain.sql", two);
  folder.write("V2__header.sql", "-- flyway:executeInTransaction=false\n" + two + "\n");
  folder.write("V3__conf.sql", "CREATE TABLE c (id int);\nCREATE TABLE d (id int);\n");
  folder.write("V3__conf.sql.conf", "executeInTransaction=false\nshouldExecute=true\n");
  ProcessResult r = run({}, folder.path(), {"--dry-run"}, /*json=*/true);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(planned_atomic(r, "V1__plain.sql"));
  EXPECT_FALSE(planned_atomic(r, "V2__header.sql"));
  EXPECT_FALSE(planned_atomic(r, "V3__conf.sql"));
  expect_in(r.out + r.err, "V3__conf.sql.conf: Flyway script setting 'shouldExecute' is ignored",
            r);
}

TEST_P(MigrateFlywayOnPostgres, FlywayConfExecuteInTransactionFalseRunsEveryFileStepByStep) {
  Folder project;
  project.write("sql/V1__two.sql", "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n");
  project.write("flyway.conf",
                "flyway.locations=filesystem:sql\nflyway.executeInTransaction=false\n");
  ProcessResult r = run({}, {}, {"--dry-run"}, /*json=*/true, project.path());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(planned_atomic(r, "V1__two.sql"));
}

TEST_P(MigrateFlyway, FlywayConfInTheWorkingDirectoryIsHonoured) {
  Folder project;
  project.write("sql/V1__create.sql", "CREATE TABLE ${table_name} (id int);\n");
  project.write("flyway.conf",
                "# a Flyway project\nflyway.locations=filesystem:sql\nflyway.table=app_history\n"
                "flyway.placeholders.table_name=from_conf\nflyway.cleanDisabled=true\n"
                "flyway.validateMigrationNaming=true\n");
  ProcessResult r = run({}, {}, {}, false, project.path());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  expect_in(r.err,
            "flyway.conf: settings without a counterpart in cutover, ignored: "
            "flyway.cleanDisabled, flyway.validateMigrationNaming",
            r);
  std::set<std::string> names = tables();
  EXPECT_TRUE(names.contains("from_conf")) << describe(r);
  EXPECT_TRUE(names.contains("app_history")) << describe(r);
  EXPECT_FALSE(names.contains("cutover_schema_history")) << describe(r);
}

// A Flyway project of three files, V1 to V3 each creating a table, with baselineOnMigrate at
// version 2.
void write_baseline_on_migrate_project(const Folder& project) {
  project.write("sql/V1__orders.sql", "CREATE TABLE orders (id int);\n");
  project.write("sql/V2__items.sql", "CREATE TABLE items (id int);\n");
  project.write("sql/V3__notes.sql", "CREATE TABLE notes (id int);\n");
  project.write("flyway.conf",
                "flyway.locations=filesystem:sql\nflyway.baselineOnMigrate=true\n"
                "flyway.baselineVersion=2\n");
}

// flyway.baselineOnMigrate: a database with tables and no history is baselined at
// flyway.baselineVersion, and only the files above it run; an empty one is migrated from V1.
// (It was refused, and so was `migrate baseline` from the same folder.) Four instances at
// once write one baseline row. The project names no table: Flyway's default name is used
// (it was cutover_schema_history).
TEST_P(MigrateFlyway, BaselineOnMigrateAdoptsADatabaseWithTablesAsFlywayDoes) {
  Folder project;
  write_baseline_on_migrate_project(project);
  // `cutover migrate [command] URL`, run in the project's folder.
  auto in_project = [&](const std::string& url, const std::string& command = "") {
    std::vector<std::string> argv = {
        "/bin/sh",      "-c",     "cd \"$0\" && exec \"$@\"", project.path().string(),
        CUTOVER_BINARY, "migrate"};
    if (!command.empty()) argv.push_back(command);
    argv.push_back(url);
    return argv;
  };
  connect()->execute("CREATE TABLE orders (id int)");
  connect()->execute("CREATE TABLE items (id int)");
  std::vector<std::unique_ptr<test::SpawnedProcess>> instances;
  for (int i = 0; i < 4; ++i) {
    instances.push_back(std::make_unique<test::SpawnedProcess>(in_project(scratch_.url())));
  }
  std::string outputs;
  for (auto& instance : instances) {
    ProcessResult r = instance->wait(std::chrono::seconds(120));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    outputs += r.err;
  }
  EXPECT_NE(outputs.find("baselined at version 2"), std::string::npos) << outputs;
  EXPECT_TRUE(tables().contains("notes"));
  auto rows =
      connect()->query("SELECT type, version FROM flyway_schema_history ORDER BY installed_rank");
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][0].text(), "BASELINE");
  EXPECT_EQ(rows.rows[0][1].text(), "2");
  EXPECT_EQ(rows.rows[1][1].text(), "3");

  // An empty database: migrated from the first file, no baseline.
  ScratchDatabase empty(GetParam());
  ProcessResult fresh = test::run_process(in_project(empty.url()));
  ASSERT_EQ(fresh.exit_code, 0) << describe(fresh);
  EXPECT_EQ(empty.connect()
                ->query("SELECT count(*) FROM flyway_schema_history WHERE type = 'BASELINE'")
                .scalar()
                .as_int(),
            0);
  EXPECT_EQ(empty.connect()->query("SELECT count(*) FROM flyway_schema_history").scalar().as_int(),
            3);

  // info, validate and baseline itself work with the setting in place.
  ScratchDatabase other(GetParam());
  other.connect()->execute("CREATE TABLE orders (id int)");
  for (const char* command : {"info", "validate"}) {
    ProcessResult r = test::run_process(in_project(other.url(), command));
    EXPECT_EQ(r.exit_code, 0) << command << ": " << describe(r);
  }
  std::vector<std::string> baseline = in_project(other.url(), "baseline");
  baseline.insert(baseline.end(), {"--version", "1"});
  ProcessResult r = test::run_process(baseline);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

// A search_path naming no existing schema (flyway.schemas=shop before shop is created): exit 2
// before anything, naming it, from migrate and info alike. migrate used to run the callbacks and
// stop with exit 1 at the history's CREATE ("no schema has been selected to create in").
TEST_P(MigrateFlywayOnPostgres, ASearchPathWithNoExistingSchemaIsRefusedBeforeAnything) {
  Folder project;
  project.write("sql/V1__orders.sql", "CREATE TABLE orders (id int);\n");
  project.write("sql/beforeMigrate.sql", "CREATE TABLE public.before_ran (id int);\n");
  const std::string url = scratch_.url() +
                          (scratch_.url().find('?') == std::string::npos ? "?" : "&") +
                          "options=-csearch_path%3Dshop";
  for (const char* command : {"", "info"}) {
    std::vector<std::string> argv = {CUTOVER_BINARY, "migrate"};
    if (*command) argv.push_back(command);
    argv.insert(argv.end(), {url, "--dir", (project.path() / "sql").string()});
    ProcessResult r = test::run_process(argv);
    EXPECT_EQ(r.exit_code, 2) << command << ": " << describe(r);
    expect_in(r.err, "no schema of the search_path (shop) exists in database", r);
    expect_in(r.err, "CREATE SCHEMA", r);
  }
  EXPECT_TRUE(tables().empty()) << "nothing was created";
}

// baseline applies no file: run where there is no ./migrations folder (as the docs' example is),
// it baselines; it stopped with "cannot read migrations folder 'migrations'". A --dir given that
// does not exist is still refused.
TEST_P(MigrateFlyway, BaselineNeedsNoMigrationsFolder) {
  Folder empty;
  ProcessResult r = run({"baseline"}, {}, {"--version", "3"}, false, empty.path());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(connect()->query("SELECT version FROM cutover_schema_history").scalar().text(), "3");
  ProcessResult missing = run({"baseline"}, empty.path() / "nope", {"--version", "3"});
  EXPECT_EQ(missing.exit_code, 2) << describe(missing);
}

// A leader that died in V1 (on MariaDB, after its CREATE TABLE committed, before its history
// row) leaves tables and an empty history: the next instance resumes V1 rather than taking the
// tables for a database to baseline (which would have skipped V2 for good).
TEST_P(MigrateFlyway, BaselineOnMigrateDoesNotBaselineOverAPartlyAppliedFile) {
  Folder project;
  write_baseline_on_migrate_project(project);
  {
    auto connection = connect();
    connection->execute("CREATE TABLE orders (id int)");  // what the dead leader's V1 did
    migrate::HistoryTable(*connection, "flyway_schema_history").ensure_exists();
    coord::Lease lease(*connection, migrate::migration_lease_key("flyway_schema_history"));
    lease.ensure_table();
    auto token = lease.try_acquire("dead-leader:1:0");
    ASSERT_TRUE(token);
    ASSERT_TRUE(lease.record_progress(*token, "V1__orders.sql", std::nullopt, 0));
    lease.release(*token);
  }
  ProcessResult r = run({}, {}, {}, false, project.path());
  EXPECT_EQ(r.exit_code, 1) << "V1 runs again and meets its table: " << describe(r);
  EXPECT_EQ(connect()
                ->query("SELECT count(*) FROM flyway_schema_history WHERE type = 'BASELINE'")
                .scalar()
                .as_int(),
            0)
      << describe(r);
  EXPECT_FALSE(tables().contains("notes")) << describe(r);
}

// A cutover project that gets a flyway.conf (whose default table is Flyway's) would start a
// new history and apply every file again (a stranger's INSERT ran twice): refused, naming
// cutover's table, before anything.
TEST_P(MigrateFlyway, AFlywayConfAddedToACutoverProjectKeepsItsHistory) {
  Folder project;
  project.write("sql/V1__orders.sql", "CREATE TABLE orders (id int);\n");
  project.write("sql/V2__seed.sql", "INSERT INTO orders (id) VALUES (1);\n");
  ProcessResult first = run({}, project.path() / "sql");
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  project.write("flyway.conf", "flyway.locations=filesystem:sql\n");
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{}, std::vector<std::string>{"info"}}) {
    ProcessResult r = run(command, {}, {}, false, project.path());
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    expect_in(r.err, "this database's history is cutover's cutover_schema_history", r);
    expect_in(r.err, "flyway.table=cutover_schema_history", r);
  }
  EXPECT_FALSE(tables().contains("flyway_schema_history"));
  EXPECT_EQ(connect()->query("SELECT count(*) FROM orders").scalar().as_int(), 1);
  project.write("flyway.conf",
                "flyway.locations=filesystem:sql\nflyway.table=cutover_schema_history\n");
  ProcessResult kept = run({}, {}, {}, false, project.path());
  EXPECT_EQ(kept.exit_code, 0) << describe(kept);
  EXPECT_EQ(connect()->query("SELECT count(*) FROM orders").scalar().as_int(), 1);
}

// A release that only adds a repeatable: the older release's instances still start (exit 0,
// a warning); they exited 2 at every start ("no longer on disk").
TEST_P(MigrateFlyway, AnOlderReleaseStartsAfterANewerOneAddedARepeatable) {
  Folder older, newer;
  for (const Folder* release : {&older, &newer}) {
    release->write("V1__orders.sql", "CREATE TABLE orders (id int);\n");
    release->write("R__orders_view.sql",
                   "DROP VIEW IF EXISTS orders_view;\nCREATE VIEW orders_view AS SELECT id FROM "
                   "orders;\n");
  }
  newer.write("R__extra.sql",
              "DROP VIEW IF EXISTS extra_view;\nCREATE VIEW extra_view AS SELECT 1 AS one;\n");
  ASSERT_EQ(run({}, older.path()).exit_code, 0);
  ASSERT_EQ(run({}, newer.path()).exit_code, 0);
  ProcessResult r = run({}, older.path());
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  expect_in(r.err, "R__extra.sql", r);
  ProcessResult validated = run({"validate"}, older.path());
  EXPECT_EQ(validated.exit_code, 0) << describe(validated);
}

// flyway.schemas=shop puts shop in front of the default search_path, as Flyway does: what public
// holds (an extension's types and functions) stays visible; the search_path was shop alone, and
// a file using citext failed. A shop that does not exist is refused, not fallen through.
TEST_P(MigrateFlywayOnPostgres, FlywaySchemasPutsTheSchemaFirstAndPublicStaysVisible) {
  const std::string url = scratch_.url();  // postgres://user@host:port/db
  const auto at = url.find('@');
  const std::string user = url.substr(std::string("postgres://").size(), at - 11);
  std::string host_db = url.substr(at + 1);
  host_db = host_db.substr(0, host_db.find('?'));
  Folder project;
  project.write("sql/V1__customers.sql",
                "CREATE TABLE customers (id int DEFAULT app_default());\n");
  project.write("flyway.conf", "flyway.url=jdbc:postgresql://" + host_db + "\nflyway.user=" + user +
                                   "\nflyway.locations=filesystem:sql\nflyway.schemas=shop\n");
  ProcessResult missing = run({}, {}, {}, false, project.path(), /*with_url=*/false);
  EXPECT_EQ(missing.exit_code, 2) << describe(missing);
  expect_in(missing.err, "schema shop (flyway.schemas / flyway.defaultSchema) does not exist",
            missing);
  connect()->execute("CREATE FUNCTION public.app_default() RETURNS int LANGUAGE sql AS 'SELECT 7'");
  connect()->execute("CREATE SCHEMA shop");
  ProcessResult r = run({}, {}, {}, false, project.path(), /*with_url=*/false);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(connect()
                ->query("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                        "'shop' AND table_name IN ('customers', 'flyway_schema_history')")
                .scalar()
                .as_int(),
            2);
}

// Two projects in one database, one in public and one in shop, whose search_path goes on to
// public (as flyway.schemas=shop sets it): each has its own lease beside its history. The shop
// project found public's lease table, ran its own afterMigrate to pay what public's run owed,
// and was refused because of public's partly applied file.
TEST_P(MigrateFlywayOnPostgres, ProjectsInTwoSchemasKeepTheirLeasesApart) {
  Folder pub, shop;
  pub.write("V1__pt.sql", "CREATE TABLE pt (id int);\n");
  pub.write("afterMigrate.sql", "INSERT INTO pt SELECT id FROM gate;\n");  // fails: no gate
  shop.write("V1__st.sql", "CREATE TABLE st (id int);\n");
  shop.write("afterMigrate.sql", "INSERT INTO st VALUES (1);\n");
  connect()->execute("CREATE SCHEMA shop");
  ProcessResult owed = run({}, pub.path());
  ASSERT_EQ(owed.exit_code, 1) << describe(owed);
  const std::string shop_url = scratch_.url() +
                               (scratch_.url().find('?') == std::string::npos ? "?" : "&") +
                               "options=-csearch_path%3Dshop,public";
  ProcessResult r =
      test::run_process({CUTOVER_BINARY, "migrate", shop_url, "--dir", shop.path().string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err.find("running them now"), std::string::npos) << describe(r);
  EXPECT_EQ(connect()->query("SELECT count(*) FROM shop.st").scalar().as_int(), 1)
      << "shop's afterMigrate ran once, for its own run";
  EXPECT_EQ(connect()
                ->query("SELECT count(*) FROM information_schema.tables WHERE table_name = "
                        "'cutover_schema_history_lease' AND table_schema IN ('public', 'shop')")
                .scalar()
                .as_int(),
            2);
  ProcessResult info = run({"info"}, pub.path());
  EXPECT_NE(info.out.find("owed:"), std::string::npos) << "public's debt is still public's\n"
                                                       << describe(info);
}

// `--json migrate info` is one JSON document on stdout, warnings on stderr: a warning (an
// ignored flyway.conf key) came first as a {"event":"log"} line, and the document did not parse.
TEST_P(MigrateFlyway, JsonInfoIsOneDocumentWhateverIsWarned) {
  Folder project;
  project.write("sql/V1__orders.sql", "CREATE TABLE orders (id int);\n");
  project.write("flyway.conf", "flyway.locations=filesystem:sql\nflyway.cleanDisabled=true\n");
  ProcessResult r = run({"info"}, {}, {}, /*json=*/true, project.path());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  json document;
  ASSERT_NO_THROW(document = json::parse(r.out)) << describe(r);
  EXPECT_EQ(document["migrations"].size(), 1u) << document;
  EXPECT_EQ(document["after_migrate_owed"], false) << document;
  expect_in(r.err,
            "warning: flyway.conf: settings without a counterpart in cutover, ignored: "
            "flyway.cleanDisabled",
            r);
}

TEST_P(MigrateFlyway, CommandLineOptionsWinOverFlywayToml) {
  Folder project;
  project.write("sql/V1__create.sql", "CREATE TABLE ${table_name} (id int);\n");
  project.write("other/V1__create.sql", "CREATE TABLE other_${table_name} (id int);\n");
  project.write("flyway.toml",
                "[flyway]\nlocations = [\"filesystem:sql\"]\ntable = \"toml_history\"\n"
                "[flyway.placeholders]\ntable_name = \"from_toml\"\n");
  ProcessResult r = run({}, project.path() / "other",
                        {"--history-table", "cli_history", "--placeholder", "table_name=cli"},
                        false, project.path());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::set<std::string> names = tables();
  EXPECT_TRUE(names.contains("other_cli")) << describe(r);
  EXPECT_TRUE(names.contains("cli_history")) << describe(r);
  EXPECT_FALSE(names.contains("toml_history")) << describe(r);
}

TEST_P(MigrateFlyway, APasswordInFlywayConfIsRefusedWithoutShowingIt) {
  Folder project;
  project.write("sql/V1__create.sql", "CREATE TABLE t (id int);\n");
  project.write("flyway.conf", "flyway.locations=filesystem:sql\nflyway.password=hunter2\n");
  ProcessResult r = run({}, {}, {}, false, project.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  expect_in(r.err, "flyway.conf:2: flyway.password", r);
  expect_in(r.err, "--password-file", r);
  EXPECT_EQ((r.out + r.err).find("hunter2"), std::string::npos) << describe(r);
  EXPECT_EQ(tables(), std::set<std::string>{});
}

// ---------------------------------------------------------------------------------------------
// Item 8: a database that holds Flyway's history

TEST_P(MigrateFlyway, AnUnadoptedFlywayHistoryIsRefusedBeforeAnythingIsCreated) {
  {
    auto connection = connect();
    migrate::HistoryTable(*connection, "flyway_schema_history").ensure_exists();
  }
  Folder folder;
  folder.write("V1__create.sql", "CREATE TABLE t (id int);\n");
  for (const std::vector<std::string>& sub :
       {std::vector<std::string>{}, std::vector<std::string>{"info"},
        std::vector<std::string>{"baseline"}}) {
    std::vector<std::string> extra;
    if (!sub.empty() && sub[0] == "baseline") extra = {"--version", "1"};
    ProcessResult r = run(sub, folder.path(), extra);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    expect_in(r.err, "Flyway's history table flyway_schema_history", r);
    expect_in(r.err, "--history-table flyway_schema_history", r);
  }
  EXPECT_EQ(tables(), std::set<std::string>{"flyway_schema_history"});
  // With the flag, the history is adopted.
  ProcessResult r = run({}, folder.path(), {"--history-table", "flyway_schema_history"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

// Flyway 4's schema_version (version_rank, NOT NULL): cutover writes no version_rank, so its
// first history row would fail after the migration ran. Refused before anything, by every
// command, as is a table that is no history table at all.
TEST_P(MigrateFlyway, AFlyway4HistoryTableIsRefusedBeforeAnythingRuns) {
  connect()->execute(
      "CREATE TABLE schema_version (version_rank INT NOT NULL, installed_rank INT NOT NULL, "
      "version VARCHAR(50) NOT NULL, description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT "
      "NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, "
      "installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL, "
      "success BOOLEAN NOT NULL, PRIMARY KEY (version))");
  connect()->execute("CREATE TABLE plain (id INT)");
  Folder folder;
  folder.write("V1__create.sql", "CREATE TABLE t (id int);\n");
  for (const std::vector<std::string>& sub :
       {std::vector<std::string>{}, std::vector<std::string>{"info"}}) {
    ProcessResult r = run(sub, folder.path(), {"--history-table", "schema_version"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    expect_in(r.err, "has column version_rank that every row must give", r);
    expect_in(r.err, "Flyway 5 or later", r);
    ProcessResult plain = run(sub, folder.path(), {"--history-table", "plain"});
    EXPECT_EQ(plain.exit_code, 2) << describe(plain);
    expect_in(plain.err, "table plain exists but is not a Flyway schema history table", plain);
  }
  EXPECT_EQ(tables(), (std::set<std::string>{"plain", "schema_version"}));
}

TEST_P(MigrateFlywayOnPostgres, AFlywayHistoryInAnotherSchemaIsRefusedNamingTheSchema) {
  {
    auto connection = connect();
    connection->execute("CREATE SCHEMA app");
    connection->execute("SET search_path = app");
    migrate::HistoryTable(*connection, "flyway_schema_history").ensure_exists();
  }
  Folder folder;
  folder.write("V1__create.sql", "CREATE TABLE t (id int);\n");
  ProcessResult r = run({}, folder.path());
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  expect_in(r.err, "app.flyway_schema_history", r);
  expect_in(r.err, "search_path", r);
  EXPECT_EQ(tables(), std::set<std::string>{});  // public: nothing
  // The flag alone, as the hint's first half says: the history is not in the connection's
  // schema, so it would start a new one in public and apply every migration again.
  for (const std::vector<std::string>& sub :
       {std::vector<std::string>{}, std::vector<std::string>{"info"}}) {
    ProcessResult flagged = run(sub, folder.path(), {"--history-table", "flyway_schema_history"});
    EXPECT_EQ(flagged.exit_code, 2) << describe(flagged);
    expect_in(flagged.err, "Flyway's history table is app.flyway_schema_history", flagged);
    expect_in(flagged.err, "search_path%3Dapp", flagged);
  }
  EXPECT_EQ(tables(), std::set<std::string>{});
}

// ---------------------------------------------------------------------------------------------
// Item 9: validate where migrate refuses; a name the history's character set cannot hold

TEST_P(MigrateFlywayOnMariaDb, ValidateRefusesAnEditedStatementOfAPartlyAppliedFile) {
  Folder folder;
  folder.write("V1__two.sql",
               "CREATE TABLE first_t (id int);\nINSERT INTO missing_t VALUES (1);\n");
  ProcessResult failed = run({}, folder.path());
  ASSERT_EQ(failed.exit_code, 1) << describe(failed);  // statement 1 applied, 2 failed
  folder.write("V1__two.sql",
               "CREATE TABLE first_t (id bigint);\nCREATE TABLE missing_t (id int);\n");
  ProcessResult validate = run({"validate"}, folder.path());
  EXPECT_EQ(validate.exit_code, 2) << describe(validate);
  expect_in(validate.err, "statements 1-1 were applied by an interrupted run", validate);
  ProcessResult migrate = run({}, folder.path());
  EXPECT_EQ(migrate.exit_code, 2) << describe(migrate);
  // Restored, both agree again: validate passes and migrate resumes at statement 2.
  folder.write("V1__two.sql", "CREATE TABLE first_t (id int);\nCREATE TABLE missing_t (id int);\n");
  validate = run({"validate"}, folder.path());
  EXPECT_EQ(validate.exit_code, 0) << describe(validate);
  migrate = run({}, folder.path());
  EXPECT_EQ(migrate.exit_code, 0) << describe(migrate);
}

TEST_P(MigrateFlywayOnMariaDb, AFileNameALatin1HistoryCannotHoldIsRefusedBeforeItRuns) {
  {
    auto connection = connect();
    connection->execute("ALTER DATABASE `" + scratch_.name() +
                        "` CHARACTER SET latin1 COLLATE latin1_swedish_ci");
  }
  Folder folder;
  folder.write("V1__caf\xC3\xA9.sql", "CREATE TABLE cafe_t (id int);\n");  // é: latin1 has it
  folder.write("V2__\xE6\x95\xB0\xE6\x8D\xAE.sql", "CREATE TABLE data_t (id int);\n");
  for (const std::vector<std::string>& sub :
       {std::vector<std::string>{"validate"}, std::vector<std::string>{}}) {
    ProcessResult r = run(sub, folder.path());
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    expect_in(r.err, "V2__\xE6\x95\xB0\xE6\x8D\xAE.sql", r);
    expect_in(r.err, "latin1", r);
    EXPECT_EQ(r.err.find("Incorrect string value"), std::string::npos) << describe(r);
  }
  EXPECT_FALSE(tables().contains("cafe_t"));
  EXPECT_FALSE(tables().contains("data_t"));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MigrateFlyway, testing::Values(Backend::kSqlite),
                         [](const auto&) { return std::string("Sqlite"); });
INSTANTIATE_TEST_SUITE_P(Postgres, MigrateFlyway, testing::Values(Backend::kPostgres),
                         [](const auto&) { return std::string("Postgres"); });
INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateFlyway, testing::Values(Backend::kMariaDb),
                         [](const auto&) { return std::string("MariaDb"); });
INSTANTIATE_TEST_SUITE_P(Postgres, MigrateFlywayOnPostgres, testing::Values(Backend::kPostgres),
                         [](const auto&) { return std::string("Postgres"); });
INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateFlywayOnMariaDb, testing::Values(Backend::kMariaDb),
                         [](const auto&) { return std::string("MariaDb"); });

}  // namespace
}  // namespace cutover
