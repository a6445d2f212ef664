// The schema history table on every database: Flyway's layout, creation by many processes at
// once, and every read and write `migrate` and `repair` make.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "migrate/history_table.h"
#include "migrate/migration_plan.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

using db::Connection;
using db::Flavor;
using migrate::HistoryRow;
using migrate::HistoryTable;
using migrate::Version;
using test::Backend;
using test::ScratchDatabase;

const std::vector<std::string> kFlywayColumns = {
    "installed_rank", "version",      "description",  "type",           "script",
    "checksum",       "installed_by", "installed_on", "execution_time", "success"};

HistoryRow versioned_row(const std::string& version, const std::string& description,
                         std::optional<std::int32_t> checksum, bool success = true) {
  HistoryRow row;
  row.version = version;
  row.description = description;
  row.type = "SQL";
  row.script = "V" + version + "__" + description + ".sql";
  row.checksum = checksum;
  row.installed_by = "deployer";
  row.execution_time_ms = 42;
  row.success = success;
  return row;
}

// What the database fills in; the rest must come back exactly as written.
HistoryRow as_written(HistoryRow row, std::int32_t rank, const HistoryRow& read_back) {
  row.installed_rank = rank;
  row.installed_on = read_back.installed_on;
  return row;
}

class MigrateHistory : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    scratch_ = std::make_unique<ScratchDatabase>(GetParam());
    conn_ = scratch_->connect();
    // As migrate's sessions read on Galera: after everything the cluster ordered before them.
    // Without it, a write can meet another node's CREATE still being applied here, and Galera
    // aborts the write (deadlock, 1213).
    if (conn_->server().galera) conn_->execute("SET SESSION wsrep_sync_wait = 1");
  }

  Flavor flavor() const { return conn_->server().flavor; }

  std::unique_ptr<ScratchDatabase> scratch_;
  std::unique_ptr<Connection> conn_;
};

TEST_P(MigrateHistory, CreatesTheTableOnceAndAgainIsANoOp) {
  HistoryTable history(*conn_);
  EXPECT_EQ(history.name(), "cutover_schema_history");
  EXPECT_FALSE(history.exists());
  history.ensure_exists();
  EXPECT_TRUE(history.exists());
  history.ensure_exists();
  EXPECT_TRUE(history.read().empty());
  // A second connection sees the same table.
  auto second = scratch_->connect();
  HistoryTable other(*second);
  EXPECT_TRUE(other.exists());
}

TEST_P(MigrateHistory, ColumnsKeyAndIndexAreFlyways) {
  HistoryTable history(*conn_, "flyway_schema_history");
  history.ensure_exists();
  db::Catalog catalog = conn_->introspect();
  const db::TableInfo* table = catalog.find_table("flyway_schema_history");
  ASSERT_NE(table, nullptr);

  std::vector<std::string> names;
  std::string shape;
  for (const auto& column : table->columns) {
    names.push_back(column.name);
    shape += column.name + " " + column.type + (column.nullable ? "" : " NOT NULL") + "; ";
  }
  EXPECT_EQ(names, kFlywayColumns) << shape;
  for (const auto& column : table->columns) {
    bool nullable = column.name == "version" || column.name == "checksum";
    EXPECT_EQ(column.nullable, nullable) << column.name;
  }
  const db::ColumnInfo* installed_on = table->find_column("installed_on");
  ASSERT_NE(installed_on, nullptr);
  EXPECT_TRUE(installed_on->default_expr) << "installed_on takes the database's clock";

  // Types as Flyway's DDL gives them on each database.
  auto type_of = [&](const std::string& name) {
    std::string type = table->find_column(name)->type;
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return type;
  };
  EXPECT_NE(type_of("installed_rank").find("int"), std::string::npos) << shape;
  EXPECT_NE(type_of("version").find("50"), std::string::npos) << shape;
  EXPECT_NE(type_of("description").find("200"), std::string::npos) << shape;
  EXPECT_NE(type_of("type").find("20"), std::string::npos) << shape;
  EXPECT_NE(type_of("script").find("1000"), std::string::npos) << shape;
  EXPECT_NE(type_of("installed_by").find("100"), std::string::npos) << shape;
  switch (flavor()) {
    case Flavor::kPostgres:
      EXPECT_EQ(type_of("installed_on"), "timestamp without time zone") << shape;
      EXPECT_EQ(type_of("success"), "boolean") << shape;
      break;
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      EXPECT_EQ(type_of("installed_on"), "timestamp") << shape;
      EXPECT_EQ(type_of("success"), "tinyint(1)") << shape;
      break;
    case Flavor::kSqlite:
      EXPECT_EQ(type_of("installed_on"), "text") << shape;
      EXPECT_EQ(type_of("success"), "boolean") << shape;
      break;
  }

  ASSERT_TRUE(table->primary_key);
  EXPECT_EQ(table->primary_key->columns, std::vector<std::string>{"installed_rank"});
  const db::IndexInfo* success_index = nullptr;
  for (const auto& index : table->indexes) {
    if (index.name == "flyway_schema_history_s_idx") success_index = &index;
  }
  ASSERT_NE(success_index, nullptr) << "Flyway's index on success";
  EXPECT_EQ(success_index->columns, std::vector<std::string>{"success"});
  EXPECT_FALSE(success_index->unique);
}

TEST_P(MigrateHistory, EightProcessesCreatingAtOnceAllSucceed) {
  constexpr int kCreators = 8;
  // Own connections, opened before the start line so that the CREATEs really race; on Galera
  // they are spread over the nodes.
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < kCreators; ++i) {
    connections.push_back(scratch_->connect(static_cast<size_t>(i) % scratch_->urls().size()));
  }
  std::latch start(kCreators);
  std::atomic<int> created{0};
  std::vector<std::string> failures(kCreators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCreators; ++i) {
    threads.emplace_back([&, i] {
      try {
        HistoryTable history(*connections[static_cast<size_t>(i)]);
        start.arrive_and_wait();
        history.ensure_exists();
        if (history.exists()) ++created;
      } catch (const Error& error) {
        failures[static_cast<size_t>(i)] = error.message() + " [" + error.sqlstate() + "/" +
                                           std::to_string(error.vendor_code()) + "]";
      } catch (const std::exception& error) {
        failures[static_cast<size_t>(i)] = error.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kCreators; ++i) EXPECT_EQ(failures[static_cast<size_t>(i)], "") << i;
  EXPECT_EQ(created.load(), kCreators);

  HistoryTable history(*conn_);
  history.append(versioned_row("1", "after the race", 1));
  EXPECT_EQ(history.read().size(), 1u);
  // The catalog must outlive the pointer that find_table() returns into it.
  const db::Catalog catalog = conn_->introspect();
  const db::TableInfo* table = catalog.find_table("cutover_schema_history");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->columns.size(), kFlywayColumns.size());
}

TEST_P(MigrateHistory, AppendAndReadRoundTripEveryField) {
  HistoryTable history(*conn_);
  history.ensure_exists();

  HistoryRow first = versioned_row("1.0", "create users", std::int32_t{-2147483647 - 1});
  HistoryRow repeatable = versioned_row("0", "views", 2147483647);
  repeatable.version.reset();
  repeatable.script = "R__views.sql";
  repeatable.execution_time_ms = 0;
  HistoryRow failed = versioned_row("2", "add index", -5, false);
  failed.installed_by = "ünïcode user";
  failed.description = "add index to Zürich 東京";
  HistoryRow no_checksum = versioned_row("3", "java", std::nullopt);
  no_checksum.type = "JDBC";

  conn_->begin();
  EXPECT_EQ(history.append(first), 1);
  EXPECT_EQ(history.append(repeatable), 2);
  EXPECT_EQ(history.append(failed), 3);
  EXPECT_EQ(history.append(no_checksum), 4);
  conn_->commit();

  std::vector<HistoryRow> rows = history.read();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], as_written(first, 1, rows[0]));
  EXPECT_EQ(rows[1], as_written(repeatable, 2, rows[1]));
  EXPECT_EQ(rows[2], as_written(failed, 3, rows[2]));
  EXPECT_EQ(rows[3], as_written(no_checksum, 4, rows[3]));
  EXPECT_FALSE(rows[1].version);
  EXPECT_FALSE(rows[3].checksum);
  EXPECT_FALSE(rows[2].success);
  EXPECT_TRUE(rows[0].success);
  // The database's clock, printed as a timestamp.
  const std::regex timestamp(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d.*)");
  for (const auto& row : rows) {
    EXPECT_TRUE(std::regex_match(row.installed_on, timestamp)) << row.installed_on;
  }
}

TEST_P(MigrateHistory, AppendBelongsToTheCallersTransaction) {
  HistoryTable history(*conn_);
  history.ensure_exists();
  conn_->begin();
  history.append(versioned_row("1", "a", 1));
  conn_->rollback();
  EXPECT_TRUE(history.read().empty());
  conn_->begin();
  EXPECT_EQ(history.append(versioned_row("1", "a", 1)), 1);  // the rank was not used up
  conn_->commit();
}

TEST_P(MigrateHistory, AppendShortensLongTextsAsFlywayDoes) {
  HistoryTable history(*conn_);
  history.ensure_exists();
  HistoryRow row = versioned_row("1", std::string(150, 'd') + std::string(100, 'e'), 1);
  row.script = std::string(995, 's') + "é" + std::string(100, 't') + ".sql";
  history.append(row);
  HistoryRow read_back = history.read().at(0);
  EXPECT_EQ(read_back.description, std::string(150, 'd') + std::string(47, 'e') + "...");
  EXPECT_EQ(read_back.script, std::string(995, 's') + "é" + std::string(1, 't') + "...");
}

TEST_P(MigrateHistory, RemoveFailedDeletesOnlyFailedRows) {
  HistoryTable history(*conn_);
  history.ensure_exists();
  history.append(versioned_row("1", "a", 1));
  history.append(versioned_row("2", "b", 2, false));
  history.append(versioned_row("3", "c", 3));
  history.append(versioned_row("4", "d", 4, false));
  EXPECT_EQ(history.remove_failed(), 2);
  std::vector<HistoryRow> rows = history.read();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].installed_rank, 1);
  EXPECT_EQ(rows[1].installed_rank, 3);
  EXPECT_EQ(history.remove_failed(), 0);
  // The next rank continues after the highest left.
  EXPECT_EQ(history.append(versioned_row("5", "e", 5)), 4);
}

TEST_P(MigrateHistory, RepairUpdatesChecksumAndDescription) {
  HistoryTable history(*conn_);
  history.ensure_exists();
  history.append(versioned_row("1", "a", 1));
  history.append(versioned_row("2", "b", 2));

  history.update_checksum(2, -99);
  history.update_description(2, "renamed b");
  history.update_checksum(2, -99);  // the same value again is no error
  std::vector<HistoryRow> rows = history.read();
  EXPECT_EQ(rows[1].checksum, -99);
  EXPECT_EQ(rows[1].description, "renamed b");
  EXPECT_EQ(rows[0].checksum, 1);
  EXPECT_EQ(rows[0].description, "a");

  history.update_checksum(1, std::nullopt);
  EXPECT_FALSE(history.read()[0].checksum);

  try {
    history.update_checksum(9, 1);
    FAIL() << "expected an error for a missing rank";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kOperationFailed);
    EXPECT_NE(error.message().find("installed_rank 9"), std::string::npos) << error.message();
  }
}

TEST_P(MigrateHistory, BaselineIsFlywaysMarkerAndThePlanHonoursIt) {
  HistoryTable history(*conn_);
  history.ensure_exists();
  EXPECT_EQ(history.append_baseline(Version::parse("1.0"), "<< Flyway Baseline >>"), 1);
  history.append(versioned_row("2", "b", 2));

  std::vector<HistoryRow> rows = history.read();
  ASSERT_EQ(rows.size(), 2u);
  const HistoryRow& marker = rows[0];
  EXPECT_EQ(marker.version, "1.0");
  EXPECT_EQ(marker.type, "BASELINE");
  EXPECT_EQ(marker.description, "<< Flyway Baseline >>");
  EXPECT_EQ(marker.script, "<< Flyway Baseline >>");
  EXPECT_FALSE(marker.checksum);
  EXPECT_EQ(marker.execution_time_ms, 0);
  EXPECT_TRUE(marker.success);
  EXPECT_EQ(marker.installed_by, history.default_installed_by());
  if (flavor() != Flavor::kSqlite) {
    EXPECT_FALSE(marker.installed_by.empty());
  }
  // As Flyway records it on MariaDB: the user, not user@host (it was root@127.0.0.1).
  if (flavor() == Flavor::kMariaDb) {
    EXPECT_EQ(marker.installed_by.find('@'), std::string::npos) << marker.installed_by;
  }

  migrate::MigrationScript v1;
  v1.version = Version::parse("1");
  v1.description = "a";
  v1.file_name = "V1__a.sql";
  migrate::MigrationScript v2 = v1;
  v2.version = Version::parse("2");
  v2.description = "b";
  v2.file_name = "V2__b.sql";
  v2.checksum = 2;
  migrate::MigrationScript v3 = v2;
  v3.version = Version::parse("3");
  v3.description = "c";
  v3.file_name = "V3__c.sql";
  auto plan = migrate::plan_migrations({v1, v2, v3}, rows);
  EXPECT_TRUE(plan.problems.empty());
  ASSERT_EQ(plan.pending.size(), 1u);
  EXPECT_EQ(plan.pending[0].file_name, "V3__c.sql");
}

TEST_P(MigrateHistory, ATableWithOtherColumnsIsRefusedByName) {
  conn_->execute("CREATE TABLE schema_log (id INT PRIMARY KEY, note VARCHAR(20))");
  HistoryTable history(*conn_, "schema_log");
  try {
    history.ensure_exists();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kBadInput);
    EXPECT_NE(error.message().find("schema_log"), std::string::npos) << error.message();
    EXPECT_NE(error.hint().find("--history-table"), std::string::npos) << error.hint();
  }
}

TEST_P(MigrateHistory, CreatingInsideATransactionIsRefused) {
  HistoryTable history(*conn_);
  conn_->begin();
  EXPECT_THROW(history.ensure_exists(), Error);
  conn_->rollback();
  EXPECT_FALSE(history.exists());
}

TEST_P(MigrateHistory, NamesThatAreNotPlainIdentifiersAreBadInput) {
  const std::vector<std::string> bad_names = {
      "", "1history", "my-history", "a.b", "x\"; DROP TABLE y; --", std::string(58, 'h')};
  for (const std::string& name : bad_names) {
    try {
      HistoryTable history(*conn_, name);
      ADD_FAILURE() << "accepted '" << name << "'";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::kBadInput) << name;
    }
  }
  EXPECT_NO_THROW(HistoryTable(*conn_, std::string(57, 'h')));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MigrateHistory, testing::Values(Backend::kSqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, MigrateHistory, testing::Values(Backend::kPostgres));
INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateHistory, testing::Values(Backend::kMariaDb));
INSTANTIATE_TEST_SUITE_P(Galera, MigrateHistory, testing::Values(Backend::kGalera));

}  // namespace
}  // namespace cutover
