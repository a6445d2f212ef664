// `cutover move` between MariaDB servers as a user runs it: two databases of the MariaDB server
// (a realistic schema: foreign keys, a trigger, a view, routines, a sequence, generated and
// invisible columns, enum, set, JSON, bit, blob, latin1 and large values, a table without key)
// consolidated onto the Galera cluster, one renamed, frozen with read_only while an
// application account writes; abort after each step; kill -9 in the middle of data; bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/connection_url.h"
#include "db/registry.h"
#include "support/cli_output.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"
#include "support/throwaway_server.h"

namespace cutover::test {
static void PrintTo(Backend backend, std::ostream* os) { *os << backend_name(backend); }
}  // namespace cutover::test

namespace cutover {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::Backend;
using test::describe;
using test::events_named;
using test::json_events;
using test::ProcessResult;
using test::SpawnedProcess;

const std::string kAppSecret = "Mvm-App-S3cret";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> cutover_argv(std::vector<std::string> args) {
  args.insert(args.begin(), CUTOVER_BINARY);
  return args;
}

std::string scalar(db::Connection& c, const std::string& sql) {
  auto r = c.query(sql);
  return r.rows.at(0).at(0).is_null() ? "NULL" : r.rows.at(0).at(0).text();
}

std::string target_url() { return test::galera_urls().at(0); }

// host:port of a mariadb:// URL, for the app's URLs and mariadb-dump.
std::pair<std::string, int> host_port(const std::string& url) {
  ConnectionUrl u = parse_connection_url(url);
  return {u.host, u.port.value_or(3306)};
}

class MoveMariadb : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    suffix_ = std::to_string(getpid()) + "_" + std::to_string(counter_++);
    shop_ = "cmv_shop_" + suffix_;
    crm_ = "cmv_crm_" + suffix_;
    shop_new_ = "cmv_store_" + suffix_;
    // An account of the test's own: dropping it at the end drops every grant it was given.
    app_ = "cmv_app_" + suffix_;
    for (const auto& url : {test::mariadb_url(), target_url()}) {
      auto admin = db::connect(url);
      admin->execute("DROP USER IF EXISTS '" + app_ + "'@'%'");
      admin->execute("CREATE USER '" + app_ + "'@'%' IDENTIFIED BY '" + kAppSecret + "'");
    }
    auto admin = db::connect(test::mariadb_url());
    admin->execute("SET GLOBAL read_only = OFF");
    for (const auto& db : {shop_, crm_}) admin->execute("DROP DATABASE IF EXISTS " + db);
    fill_sources(*admin);
    dir_ = fs::temp_directory_path() / ("cutover-move-mariadb-" + suffix_);
    fs::remove_all(dir_);
    state_ = (dir_ / "moves.db").string();
  }

  void TearDown() override {
    auto admin = db::connect(test::mariadb_url());
    admin->execute("SET GLOBAL read_only = OFF");  // a failed test must not freeze the others
    for (const auto& db : {shop_, crm_}) admin->execute("DROP DATABASE IF EXISTS " + db);
    auto target = db::connect(target_url());
    for (const auto& db : {shop_new_, crm_}) target->execute("DROP DATABASE IF EXISTS " + db);
    for (auto* server : {admin.get(), target.get()}) {
      server->execute("DROP USER IF EXISTS '" + app_ + "'@'%'");
    }
    fs::remove_all(dir_);
  }

  void fill_sources(db::Connection& admin) {
    admin.execute("CREATE DATABASE " + shop_ + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    admin.execute("CREATE DATABASE " + crm_ + " CHARACTER SET latin1");
    auto shop = db::connect(test::with_database(test::mariadb_url(), shop_));
    for (const char* sql : {
             "CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT "
             "NULL, email VARCHAR(200) UNIQUE, tier ENUM('free', 'pro', 'team') DEFAULT 'free', "
             "tags SET('a', 'b', 'c'), balance DECIMAL(14, 4), joined DATETIME(6), seen "
             "TIMESTAMP NULL, photo BLOB, prefs JSON, secret VARCHAR(20) INVISIBLE)",
             "CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT "
             "NULL, total DOUBLE, weight FLOAT, qty INT, doubled INT AS (qty * 2) VIRTUAL, label "
             "VARCHAR(40) "
             "AS (CONCAT('#', qty)) STORED, flags BIT(8), note MEDIUMTEXT, placed DATE, "
             "FOREIGN KEY (customer_id) REFERENCES customers (id), KEY (placed))",
             "CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(50), at "
             "DATETIME)",
             "CREATE TABLE loose (a INT, b VARCHAR(10))",
             "CREATE SEQUENCE tickets START WITH 100 NOCACHE",
             "CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO "
             "audit (what, at) VALUES (CONCAT('order ', NEW.id), NOW())",
             "CREATE VIEW big_orders AS SELECT o.id, c.name, o.total FROM orders o JOIN "
             "customers c ON c.id = o.customer_id WHERE o.total > 100",
             "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2",
             // As its caller: a definer's procedure would write past read_only.
             "CREATE PROCEDURE touch(IN n INT) MODIFIES SQL DATA SQL SECURITY INVOKER INSERT "
             "INTO audit (what) VALUES (CONCAT('touch ', n))",
             "INSERT INTO customers (name, email, tier, tags, balance, joined, seen, photo, "
             "prefs, secret) SELECT CONCAT('c', seq), CONCAT('c', seq, '@example.org'), "
             "ELT(1 + seq % 3, 'free', 'pro', 'team'), IF(seq % 2, 'a,c', NULL), seq / 7, "
             "'2024-02-29 12:34:56.123456' + INTERVAL seq MINUTE, IF(seq % 5, NULL, "
             "'2025-01-01 00:00:00'), UNHEX(MD5(seq)), JSON_OBJECT('n', seq, 'é', 'ü'), "
             "CONCAT('s', seq) FROM seq_1_to_3000",
             // FLOATs of 7 digits and more: the text protocol writes 6.
             "INSERT INTO orders (customer_id, total, weight, qty, flags, note, placed) SELECT "
             "1 + seq % 3000, seq * 1.37, seq * 16777.216, seq % 9, b'10100101', REPEAT('x', "
             "seq % 500), '2024-01-01' + INTERVAL seq % 400 DAY FROM seq_1_to_8000",
             "INSERT INTO orders (customer_id, total, note) VALUES (1, 0.1, REPEAT('large ', "
             "200000))",
             "INSERT INTO loose VALUES (1, 'a'), (1, 'a'), (NULL, NULL)",
             "INSERT INTO orders (customer_id, total) VALUES (1, 0.2)",
             "DELETE FROM orders WHERE id > 8001",  // a gap that the counter keeps
             "SELECT NEXTVAL(tickets)",
         }) {
      shop->execute(sql);
    }
    auto crm = db::connect(test::with_database(test::mariadb_url(), crm_));
    crm->execute(
        "CREATE TABLE contacts (id INT PRIMARY KEY, name VARCHAR(60), city VARCHAR(40) "
        "CHARACTER SET utf8mb4)");
    crm->execute(
        "INSERT INTO contacts SELECT seq, CONCAT('Zoë ', seq), 'Zürich' FROM seq_1_to_500");
    admin.execute("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, INDEX ON " + shop_ + ".* TO '" +
                  app_ + "'@'%'");
    admin.execute("GRANT SELECT ON " + crm_ + ".contacts TO '" + app_ + "'@'%'");
    // Grants on a column and on a routine, which finalize gives too.
    admin.execute("GRANT UPDATE (city) ON " + crm_ + ".contacts TO '" + app_ + "'@'%'");
    admin.execute("GRANT EXECUTE ON FUNCTION " + shop_ + ".twice TO '" + app_ + "'@'%'");
  }

  ProcessResult move(std::vector<std::string> args, bool json_output = true,
                     const std::map<std::string, std::optional<std::string>>& env = {}) {
    args.insert(args.begin(), "move");
    if (json_output) args.insert(args.begin(), "--json");
    args.insert(args.end(), {"--state", state_});
    auto r = test::run_process(cutover_argv(args), env, std::chrono::seconds(300));
    EXPECT_FALSE(contains(r.out + r.err, kAppSecret)) << describe(r);
    return r;
  }

  std::vector<std::string> create_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "create",
        "--to",
        target_url(),
        "--database",
        test::with_database(test::mariadb_url(), shop_) + "=" + shop_new_,
        "--database",
        test::with_database(test::mariadb_url(), crm_),
        "--allow-unfrozen",
        "root"};
    for (const auto& a : extra) args.push_back(a);
    return args;
  }

  std::string create(std::vector<std::string> extra = {}) {
    auto r = move(create_args(extra));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    auto created = events_named(json_events(r.out), "created");
    return created.empty() ? std::string() : created.front()["id"].get<std::string>();
  }

  ProcessResult step(const std::string& name, const std::string& id,
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {name, id};
    for (const auto& a : extra) args.push_back(a);
    return move(args);
  }

  std::string app_url(const std::string& server, const std::string& database) {
    auto [host, port] = host_port(server);
    return "mariadb://" + app_ + "@" + host + ":" + std::to_string(port) + "/" + database;
  }

  // What abort must leave exactly as it was: each table's definition and CHECKSUM, the app's
  // grants, and read_only.
  std::string source_fingerprint() {
    auto admin = db::connect(test::mariadb_url());
    std::string out = "read_only=" + scalar(*admin, "SELECT @@global.read_only") + "\n";
    for (const auto& db : {shop_, crm_}) {
      for (const auto& row : admin
                                 ->query("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_schema = $1 AND table_type = 'BASE TABLE' "
                                         "ORDER BY 1",
                                         {db})
                                 .rows) {
        std::string table = db + "." + row[0].text();
        out += admin->query("SHOW CREATE TABLE " + table).rows.at(0).at(1).text() + "\n";
        out += admin->query("CHECKSUM TABLE " + table).rows.at(0).at(1).text() + "\n";
      }
    }
    for (const auto& row : admin->query("SHOW GRANTS FOR '" + app_ + "'@'%'").rows) {
      out += row[0].text() + "\n";
    }
    return out;
  }

  // The databases' schema as mariadb-dump writes it, on either server.
  std::string dump_schema(const std::string& server, const std::string& database) {
    auto [host, port] = host_port(server);
    auto r = test::run_process({"/usr/bin/mariadb-dump", "--host=" + host,
                                "--port=" + std::to_string(port), "--protocol=tcp", "--user=root",
                                "--no-data", "--skip-comments", "--single-transaction",
                                "--routines", "--triggers", "--events", database});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return r.out;
  }

  std::string target_grants() {
    std::string out;
    for (const auto& row :
         db::connect(target_url())->query("SHOW GRANTS FOR '" + app_ + "'@'%'").rows) {
      out += row[0].text() + "\n";
    }
    return out;
  }

  // The target's grants to the application on everything, or on one database.
  std::string target_grants_on(const std::string& database) {
    std::string escaped;
    for (char c : database) escaped += c == '_' ? std::string("\\_") : std::string(1, c);
    std::string out;
    for (const auto& row :
         db::connect(target_url())->query("SHOW GRANTS FOR '" + app_ + "'@'%'").rows) {
      if (contains(row[0].text(), "`" + escaped + "`.*")) out += row[0].text() + "\n";
    }
    return out;
  }

  bool target_has(const std::string& database) {
    return scalar(*db::connect(target_url()),
                  "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '" +
                      database + "'") != "0";
  }

  // Tables that copy in key ranges: skewed keys (most rows under one value of a two-column
  // key's first column; ids far apart up to the largest BIGINT UNSIGNED), a table clustered
  // by a NOT NULL unique key, and one whose key cannot split (a string). ANALYZE: the split
  // goes by data_length, which InnoDB otherwise updates in the background.
  void add_big_tables(int rows) {
    auto shop = db::connect(test::with_database(test::mariadb_url(), shop_));
    std::string n = std::to_string(rows);
    for (const std::string& sql : std::vector<std::string>{
             "CREATE TABLE skewed (tenant INT NOT NULL, id BIGINT NOT NULL, v CHAR(64), PRIMARY "
             "KEY (tenant, id))",
             "INSERT INTO skewed SELECT IF(seq % 10 = 0, CAST(seq % 97 AS SIGNED) - 40, 7), seq, "
             "MD5(seq) FROM "
             "seq_1_to_" +
                 n,
             "INSERT INTO skewed VALUES (-2147483648, 1, 'min'), (2147483647, 1, 'max')",
             "CREATE TABLE sparse (id BIGINT UNSIGNED PRIMARY KEY, v CHAR(64))",
             "INSERT INTO sparse SELECT seq * 1000000007, MD5(seq) FROM seq_1_to_" + n,
             "INSERT INTO sparse VALUES (0, 'zero'), (18446744073709551615, 'max')",
             "CREATE TABLE by_unique (code INT NOT NULL, v CHAR(64), UNIQUE KEY (code))",
             "INSERT INTO by_unique SELECT CAST(seq AS SIGNED) - 1000, MD5(seq) FROM seq_1_to_" + n,
             "CREATE TABLE by_name (name VARCHAR(40) PRIMARY KEY, v CHAR(64))",
             "INSERT INTO by_name SELECT CONCAT('n', seq), MD5(seq) FROM seq_1_to_" + n,
             "ANALYZE TABLE skewed, sparse, by_unique, by_name, orders",
         }) {
      shop->query(sql);
    }
  }

  // The source's and the target's count and CHECKSUM TABLE of `table` in the shop.
  void expect_same_rows(const std::string& table) {
    auto shop = db::connect(test::with_database(test::mariadb_url(), shop_));
    auto store = db::connect(test::with_database(target_url(), shop_new_));
    for (const std::string& sql : std::vector<std::string>{
             "SELECT count(*) FROM " + table, "CHECKSUM TABLE " + table + " EXTENDED"}) {
      auto value = [&](db::Connection& c) {
        auto row = c.query(sql).rows.at(0);
        return row.at(row.size() - 1).text();
      };
      EXPECT_EQ(value(*shop), value(*store)) << sql;
    }
  }

  std::string suffix_, shop_, crm_, shop_new_, app_;
  fs::path dir_;
  std::string state_;
  static inline int counter_ = 0;
};

// Seed 001's consolidation on MariaDB: two databases onto the Galera cluster, one renamed,
// while the application writes as its own account: reads never fail, writes succeed until the
// freeze and are refused with error 1290 from it on, none acknowledged is lost, and the target
// has the same schema, rows and counters; after finalize the application reads and writes
// the target.
TEST_P(MoveMariadb, TwoDatabasesAreConsolidatedOntoGaleraWhileTheApplicationWrites) {
  const std::map<std::string, std::optional<std::string>> env = {{"MYSQL_PWD", kAppSecret}};
  const fs::path record_path = dir_ / "probe.json";
  fs::create_directories(dir_);
  SpawnedProcess probe(
      cutover_argv({"probe", app_url(test::mariadb_url(), shop_), "--duration", "1h", "--readers",
                    "1", "--writers", "2", "--rate", "50", "--json", record_path.string()}),
      env);
  auto shop = db::connect(test::with_database(test::mariadb_url(), shop_));
  test::poll_until(
      "the probe writes on the source",
      [&] {
        test::require_running(probe, "the probe");
        return scalar(*shop,
                      "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                      "database() AND table_name = 'cutover_probe'") == "1" &&
               scalar(*shop, "SELECT count(*) FROM cutover_probe") != "0";
      },
      std::chrono::seconds(30));

  std::string id = create();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  // Counters that move after the schema was copied: data must bring their values along.
  shop->execute("INSERT INTO orders (customer_id, total) VALUES (1, 0.3)");
  shop->execute("DELETE FROM orders WHERE total = 0.3");
  shop->query("SELECT NEXTVAL(tickets)");
  auto data = step("data", id);
  ASSERT_EQ(data.exit_code, 0) << describe(data);
  EXPECT_EQ(events_named(json_events(data.out), "verified").size(), 2u) << data.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // writes refused meanwhile
  auto status = move({"status", id});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  const std::string frozen_since = json::parse(status.out)["progress"]["frozen_since"];
  ASSERT_EQ(step("finalize", id).exit_code, 0);

  probe.kill(SIGINT);
  ProcessResult stopped = probe.wait(std::chrono::seconds(60));
  ASSERT_TRUE(fs::exists(record_path)) << describe(stopped);
  json record = json::parse(std::ifstream(record_path));
  json summary = record["summary"];
  EXPECT_EQ(summary["reads"]["failed"], 0) << summary.dump();
  int refused = 0;
  std::int64_t last_ok_start = 0, first_refused_start = -1;
  for (const auto& op : record["operations"]) {
    if (op[0] != "w") continue;
    std::int64_t start = op[2];
    if (op[4] == "ok") {
      last_ok_start = std::max(last_ok_start, start);
      continue;
    }
    ++refused;
    if (first_refused_start < 0 || start < first_refused_start) first_refused_start = start;
    EXPECT_EQ(op[7], 1290) << "refused by read_only: " << op.dump();
  }
  EXPECT_GT(refused, 0) << "the probe wrote while the source was frozen";
  EXPECT_LT(last_ok_start, first_refused_start) << "a write succeeded after the freeze began";
  std::cout << "frozen since " << frozen_since << ", " << refused << " writes refused\n";
  json verification = summary["verification"];
  ASSERT_TRUE(verification.is_object()) << summary.dump();
  EXPECT_TRUE(verification["lost"].empty()) << verification.dump();
  auto store = db::connect(test::with_database(target_url(), shop_new_));
  EXPECT_EQ(scalar(*store, "SELECT count(*) FROM cutover_probe WHERE run_id = '" +
                               record["run_id"].get<std::string>() + "'"),
            std::to_string(verification["acknowledged"].get<std::int64_t>()))
      << "every acknowledged write is on the target";

  // The same schema (the dump names no database), rows and counters.
  EXPECT_EQ(dump_schema(test::mariadb_url(), shop_), dump_schema(target_url(), shop_new_));
  EXPECT_EQ(dump_schema(test::mariadb_url(), crm_), dump_schema(target_url(), crm_));
  for (const auto& table : {"customers", "orders", "audit", "loose", "cutover_probe"}) {
    auto checksum = [&](db::Connection& c) {
      return c.query(std::string("CHECKSUM TABLE ") + table + " EXTENDED").rows.at(0).at(1).text();
    };
    EXPECT_EQ(checksum(*shop), checksum(*store)) << table;
  }
  EXPECT_EQ(scalar(*store, "SELECT secret FROM customers WHERE id = 7"), "s7");
  EXPECT_EQ(scalar(*store, "SELECT NEXTVAL(tickets)"), "102");
  // The source's counter is past its largest id (8002 was deleted, and bulk inserts reserve
  // ahead): a new row on the target gets an id at or above it (Galera may step further).
  const std::int64_t counter =
      std::stoll(scalar(*shop,
                        "SELECT auto_increment FROM information_schema.tables WHERE table_schema = "
                        "database() AND table_name = 'orders'"));
  ASSERT_GT(counter, 8002);
  store->execute("INSERT INTO orders (customer_id, total) VALUES (2, 1)");
  EXPECT_GE(std::stoll(scalar(*store, "SELECT max(id) FROM orders")), counter)
      << "the AUTO_INCREMENT counter came along";
  EXPECT_EQ(scalar(*store,
                   "SELECT count(*) FROM audit WHERE what = CONCAT('order ', (SELECT "
                   "max(id) FROM orders))"),
            "1")
      << "the trigger was created after the data and fires on the target";
  // Escaped: in a database-level grant an unescaped _ is a wildcard.
  std::string escaped;
  for (char c : shop_new_) escaped += c == '_' ? std::string("\\_") : std::string(1, c);
  EXPECT_TRUE(contains(target_grants(), "`" + escaped + "`.*")) << target_grants();
  {
    auto [host, port] = host_port(target_url());
    std::string as_app =
        "mariadb://" + app_ + ":" + kAppSecret + "@" + host + ":" + std::to_string(port) + "/";
    EXPECT_EQ(scalar(*db::connect(as_app + shop_new_), "SELECT twice(21)"), "42");
    EXPECT_EQ(db::connect(as_app + crm_)->execute("UPDATE contacts SET city = 'Bern' WHERE id = 1"),
              1);
  }

  const fs::path after_path = dir_ / "after.json";
  SpawnedProcess after(
      cutover_argv({"probe", app_url(target_url(), shop_new_), "--duration", "2s", "--readers", "1",
                    "--writers", "1", "--rate", "50", "--json", after_path.string()}),
      env);
  ProcessResult on_target = after.wait(std::chrono::seconds(60));
  ASSERT_EQ(on_target.exit_code, 0) << describe(on_target);
  json after_summary = json::parse(std::ifstream(after_path))["summary"];
  EXPECT_EQ(after_summary["reads"]["failed"], 0) << after_summary.dump();
  EXPECT_EQ(after_summary["writes"]["failed"], 0) << after_summary.dump();
}

// Abort after each step leaves the sources exactly as they were (tables, checksums, grants,
// read_only OFF), the target without the databases and without the grants finalize gave.
TEST_P(MoveMariadb, AbortAfterEachStepLeavesTheSourcesAsTheyWere) {
  const std::string before = source_fingerprint();
  const std::string grants_before = target_grants();
  const std::vector<std::string> steps = {"prepare", "data", "finalize"};
  for (std::size_t reached = 0; reached <= steps.size(); ++reached) {
    SCOPED_TRACE("abort after " + (reached == 0 ? std::string("create") : steps[reached - 1]));
    std::string id = create();
    ASSERT_FALSE(id.empty());
    for (std::size_t i = 0; i < reached; ++i) {
      auto r = step(steps[i], id);
      ASSERT_EQ(r.exit_code, 0) << describe(r);
    }
    auto aborted = step("abort", id);
    ASSERT_EQ(aborted.exit_code, 0) << describe(aborted);
    EXPECT_EQ(source_fingerprint(), before);
    EXPECT_FALSE(target_has(shop_new_));
    EXPECT_FALSE(target_has(crm_));
    EXPECT_EQ(target_grants(), grants_before);
  }
}

// After finalize the target is live: abort refuses to throw away a write made there (exit 3,
// naming the table), and does so only when told.
TEST_P(MoveMariadb, AbortAfterFinalizeRefusesToLoseATargetWrite) {
  std::string id = create();
  for (const char* s : {"prepare", "data", "finalize"}) ASSERT_EQ(step(s, id).exit_code, 0) << s;
  db::connect(test::with_database(target_url(), crm_))
      ->execute("UPDATE contacts SET city = 'Basel' WHERE id = 3");
  auto refused = step("abort", id);
  EXPECT_EQ(refused.exit_code, 3) << describe(refused);
  EXPECT_TRUE(contains(test::error_event(refused).value("message", ""), crm_ + ": contacts"))
      << describe(refused);
  EXPECT_TRUE(target_has(crm_)) << "nothing was changed";
  // A table that did not exist when data verified counts too.
  auto store = db::connect(test::with_database(target_url(), shop_new_));
  store->execute("CREATE TABLE made_later (id INT PRIMARY KEY)");
  store->execute("INSERT INTO made_later VALUES (1)");
  db::connect(test::with_database(target_url(), crm_))
      ->execute("UPDATE contacts SET city = 'Zürich' WHERE id = 3");
  refused = step("abort", id);
  EXPECT_EQ(refused.exit_code, 3) << describe(refused);
  EXPECT_TRUE(contains(test::error_event(refused).value("message", ""),
                       shop_new_ + ": made_later (a table made since data)"))
      << describe(refused);
  // A grant finalize gave and someone revoked since: abort goes on without it.
  db::connect(target_url())
      ->execute("REVOKE EXECUTE ON FUNCTION " + shop_new_ + ".twice FROM '" + app_ + "'@'%'");
  auto discarded = step("abort", id, {"--discard-target-writes"});
  ASSERT_EQ(discarded.exit_code, 0) << describe(discarded);
  EXPECT_FALSE(target_has(crm_));
  EXPECT_EQ(scalar(*db::connect(test::mariadb_url()), "SELECT @@global.read_only"), "0");
}

// A second read_only move of the same server is refused (the first abort would unfreeze
// both), and finalize refuses when read_only was lifted since data: writes may have landed.
TEST_P(MoveMariadb, TheFreezeOfAServerIsOneMovesAndFinalizeChecksItStillHolds) {
  std::string id = create();
  ASSERT_FALSE(id.empty());
  auto admin = db::connect(test::mariadb_url());
  admin->execute("CREATE DATABASE IF NOT EXISTS " + crm_ + "_other");
  auto second =
      move({"create", "--to", target_url(), "--database",
            test::with_database(test::mariadb_url(), crm_ + "_other"), "--allow-unfrozen", "root"});
  admin->execute("DROP DATABASE " + crm_ + "_other");
  EXPECT_EQ(second.exit_code, 3) << describe(second);
  EXPECT_TRUE(contains(test::error_event(second).value("message", ""), "read_only-frozen"))
      << describe(second);
  for (const char* s : {"prepare", "data"}) ASSERT_EQ(step(s, id).exit_code, 0) << s;
  admin->execute("SET GLOBAL read_only = OFF");
  auto finalize = step("finalize", id);
  EXPECT_EQ(finalize.exit_code, 1) << describe(finalize);
  EXPECT_TRUE(contains(test::error_event(finalize).value("message", ""), "read_only is OFF"))
      << describe(finalize);
  ASSERT_EQ(step("abort", id).exit_code, 0);
}

// kill -9 in the middle of the copy: the freeze stands, status says so, data resumes keeping
// the tables copied and verifies; a second data would copy nothing again.
TEST_P(MoveMariadb, AKilledDataResumesKeepingTheCopiedTables) {
  {
    auto shop = db::connect(test::with_database(test::mariadb_url(), shop_));
    for (int i = 0; i < 30; ++i) {
      shop->execute("CREATE TABLE filler_" + std::to_string(i) +
                    " (id INT PRIMARY KEY, v CHAR(32)) SELECT seq AS id, MD5(seq) AS v FROM "
                    "seq_1_to_20000");
    }
  }
  std::string id = create();
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  SpawnedProcess data(
      cutover_argv({"--json", "move", "data", id, "--jobs", "1", "--state", state_}));
  test::poll_until("a few tables are copied", [&] {
    test::require_running(data, "move data");
    return events_named(json_events(data.output_so_far()), "table").size() >= 3;
  });
  data.kill(SIGKILL);
  auto stopped = data.wait(std::chrono::seconds(30));
  ASSERT_EQ(stopped.exit_code, 128 + SIGKILL) << describe(stopped);
  std::size_t copied = events_named(json_events(stopped.out), "table").size();
  ASSERT_LT(copied, 35u) << "the kill came after the copy";

  auto status = move({"status", id});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  auto progress = json::parse(status.out)["progress"];
  EXPECT_TRUE(progress["frozen_since"].is_string()) << status.out;
  EXPECT_EQ(progress["tables_copied"].get<std::size_t>(), copied) << status.out;
  EXPECT_EQ(scalar(*db::connect(test::mariadb_url()), "SELECT @@global.read_only"), "1");

  auto resumed = step("data", id);
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  auto events = json_events(resumed.out);
  // 30 fillers and 4 tables of the shop, 1 of the crm.
  EXPECT_EQ(events_named(events, "table").size() + copied, 35u) << "each table copied once";
  EXPECT_TRUE(events_named(events, "frozen").empty()) << "the freeze stood; it is not redone";
  EXPECT_EQ(events_named(events, "verified").size(), 2u) << resumed.out;
  EXPECT_EQ(scalar(*db::connect(test::with_database(target_url(), shop_new_)),
                   "SELECT count(*) FROM filler_29"),
            "20000");
  ASSERT_EQ(step("abort", id).exit_code, 0);
  EXPECT_EQ(scalar(*db::connect(test::mariadb_url()), "SELECT @@global.read_only"), "0");
}

// Tables above the split size copy in key ranges, several at once, and every row arrives
// exactly once: skewed keys, a key of two columns, a NOT NULL unique key; a table whose key is
// a string copies whole.
TEST_P(MoveMariadb, BigTablesCopyInKeyRangesEachRowOnce) {
  add_big_tables(20000);
  std::string id = create();
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  auto refused = step("data", id, {"--split-bytes", "0"});
  EXPECT_EQ(refused.exit_code, 2) << describe(refused);
  auto data = step("data", id, {"--jobs", "3", "--split-bytes", "262144"});
  ASSERT_EQ(data.exit_code, 0) << describe(data);
  auto events = json_events(data.out);
  std::map<std::string, int> parts;
  for (const auto& e : events_named(events, "split")) parts[e["table"]] = e["parts"];
  EXPECT_GE(parts["skewed"], 2) << data.out;
  EXPECT_GE(parts["sparse"], 4) << data.out;
  EXPECT_GE(parts["by_unique"], 4) << data.out;
  EXPECT_GE(parts["orders"], 2) << data.out;
  EXPECT_EQ(parts.count("by_name"), 0u) << "a string key does not split: " << data.out;
  EXPECT_EQ(parts.count("loose"), 0u) << "nor a table without a key: " << data.out;
  std::map<std::string, int> copied;
  for (const auto& e : events_named(events, "table")) ++copied[e["table"]];
  for (const auto& [table, count] : copied) EXPECT_EQ(count, 1) << table;
  EXPECT_EQ(copied.size(), 9u) << "8 tables of the shop, 1 of the crm: " << data.out;
  EXPECT_EQ(events_named(events, "verified").size(), 2u) << data.out;
  for (const auto& table : {"skewed", "sparse", "by_unique", "by_name", "orders", "customers"}) {
    expect_same_rows(table);
  }
  ASSERT_EQ(step("abort", id).exit_code, 0);
}

// kill -9 while a table's parts are copying: the table is not counted as copied, and data
// again empties it and copies it whole, each row once, and verifies.
TEST_P(MoveMariadb, AKilledSplitCopyResumesCopyingTheTableAgain) {
  add_big_tables(150000);
  std::string id = create();
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  SpawnedProcess data(cutover_argv({"--json", "move", "data", id, "--jobs", "1", "--split-bytes",
                                    "1048576", "--state", state_}));
  // One worker copies the parts in order, the largest table first: half its rows on the target
  // means some of its parts are done and some are not.
  auto store = db::connect(test::with_database(target_url(), shop_new_));
  std::string first;
  test::poll_until("half of the first split table is copied", [&] {
    test::require_running(data, "move data");
    auto splits = events_named(json_events(data.output_so_far()), "split");
    if (splits.empty()) return false;
    first = splits.front()["table"];
    return std::stoll(scalar(*store, "SELECT count(*) FROM " + first)) >= 75000;
  });
  data.kill(SIGKILL);
  auto stopped = data.wait(std::chrono::seconds(30));
  ASSERT_EQ(stopped.exit_code, 128 + SIGKILL) << describe(stopped);
  for (const auto& e : events_named(json_events(stopped.out), "table")) {
    ASSERT_NE(e["table"], first) << "the kill came after " << first << " was copied";
  }
  auto status = move({"status", id});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_EQ(json::parse(status.out)["progress"]["tables_copied"].get<std::size_t>(),
            events_named(json_events(stopped.out), "table").size())
      << status.out;

  auto resumed = step("data", id, {"--jobs", "2", "--split-bytes", "1048576"});
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  auto events = json_events(resumed.out);
  int copied_again = 0;
  for (const auto& e : events_named(events, "table")) copied_again += e["table"] == first;
  EXPECT_EQ(copied_again, 1) << resumed.out;
  EXPECT_EQ(events_named(events, "verified").size(), 2u) << resumed.out;
  expect_same_rows(first);
  ASSERT_EQ(step("abort", id).exit_code, 0);
}

// What cannot work is refused by create with exit 2, naming the problem, before anything is
// saved or changed.
TEST_P(MoveMariadb, WhatCannotWorkIsRefusedBeforeAnythingChanges) {
  auto refused = [&](std::vector<std::string> args, const std::string& says) {
    SCOPED_TRACE(says);
    auto r = move(args);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(contains(r.out + r.err, says)) << describe(r);
    EXPECT_FALSE(fs::exists(state_)) << "nothing was saved";
  };
  // root bypasses read_only: the operator must say that no application writes as root.
  auto args = create_args();
  args.resize(args.size() - 2);
  refused(args, "can write while read_only is on");
  refused(create_args({"--freeze", "privileges"}), "--freeze privileges is not available");
  args = create_args();
  args[4] = test::with_database(test::postgres_url(), "postgres");
  refused(args, "a move goes between servers of one kind");
  db::connect(test::with_database(test::mariadb_url(), shop_))
      ->execute("CREATE PROCEDURE count_orders() SELECT count(*) FROM " + shop_ + ".orders");
  refused(create_args(), "PROCEDURE count_orders");
  auto shop = db::connect(test::with_database(test::mariadb_url(), shop_));
  shop->execute("DROP PROCEDURE count_orders");
  // Each of these, alone, is refused; each is undone after its check.
  shop->execute("CREATE TABLE prices (id INT PRIMARY KEY, p INT) WITH SYSTEM VERSIONING");
  refused(create_args(), "prices (WITH SYSTEM VERSIONING");
  shop->execute("DROP TABLE prices");
  shop->execute(
      "CREATE DEFINER = root@localhost PROCEDURE add_audit() SQL SECURITY DEFINER INSERT INTO "
      "audit (what) VALUES ('x')");
  refused(create_args(), "PROCEDURE add_audit (definer root@localhost)");
  shop->execute("DROP PROCEDURE add_audit");
  db::connect(test::with_database(test::mariadb_url(), crm_))
      ->execute("CREATE TABLE buyers (id INT PRIMARY KEY)");
  db::connect(test::with_database(test::mariadb_url(), crm_))
      ->execute("ALTER TABLE buyers ADD FOREIGN KEY (id) REFERENCES " + shop_ + ".customers (id)");
  refused(create_args(), crm_ + ".buyers -> " + shop_ + ".customers");
  db::connect(test::with_database(test::mariadb_url(), crm_))->execute("DROP TABLE buyers");
  // A Galera node as the source: read_only there does not stop the other nodes' writes.
  auto node = db::connect(target_url());
  node->execute("CREATE DATABASE IF NOT EXISTS " + crm_ + "_node");
  refused({"create", "--to", test::mariadb_url(), "--database",
           test::with_database(target_url(), crm_ + "_node"), "--allow-unfrozen", "root"},
          "is a node of a Galera cluster");
  node->execute("DROP DATABASE " + crm_ + "_node");
  auto target = db::connect(target_url());
  target->execute("CREATE DATABASE " + crm_);
  target->execute("CREATE TABLE " + crm_ + ".leftover (id INT)");
  refused(create_args(), crm_ + ": exists and is not empty");
  EXPECT_EQ(scalar(*db::connect(test::mariadb_url()), "SELECT @@global.read_only"), "0");
}

// Grants on wildcard names (`cmv\_crm%`.*) that match a moved database are given on the target
// as a grant on its name, so the account reads and writes it there after finalize; a grant on
// the database's own name beats them, as on the server. A grant the target had before the move
// is kept, and abort after finalize takes back exactly what finalize gave.
TEST_P(MoveMariadb, WildcardGrantsAreGivenOnTheTargetAndAbortTakesBackOnlyThose) {
  auto admin = db::connect(test::mariadb_url());
  const std::string app = "'" + app_ + "'@'%'";
  // crm has no grant of its own name, only table and column grants and this wildcard one.
  admin->execute("GRANT SELECT, INSERT, UPDATE, DELETE ON `cmv\\_crm\\_" + suffix_ + "%`.* TO " +
                 app);
  // shop has its own (fill_sources): this one, with DROP, does not apply to it.
  admin->execute("GRANT SELECT, DROP ON `cmv_shop%`.* TO " + app);
  // The target's own grants before the move, the same as some the source gives.
  auto target = db::connect(target_url());
  std::string shop_escaped, crm_escaped;
  for (char c : shop_new_) shop_escaped += c == '_' ? std::string("\\_") : std::string(1, c);
  for (char c : crm_) crm_escaped += c == '_' ? std::string("\\_") : std::string(1, c);
  target->execute("GRANT SELECT ON `" + shop_escaped + "`.* TO " + app);
  target->execute("GRANT SELECT ON `" + crm_escaped + "`.* TO " + app);
  const std::string grants_before = target_grants();

  std::string id = create();
  ASSERT_FALSE(id.empty());
  for (const char* s : {"prepare", "data", "finalize"}) {
    auto r = step(s, id);
    ASSERT_EQ(r.exit_code, 0) << s << ": " << describe(r);
  }
  EXPECT_TRUE(contains(target_grants_on(crm_), "GRANT SELECT, INSERT, UPDATE, DELETE ON"))
      << target_grants();
  EXPECT_FALSE(contains(target_grants_on(shop_new_), "DROP")) << target_grants();
  {
    auto [host, port] = host_port(target_url());
    auto crm = db::connect("mariadb://" + app_ + ":" + kAppSecret + "@" + host + ":" +
                           std::to_string(port) + "/" + crm_);
    EXPECT_EQ(scalar(*crm, "SELECT count(*) FROM contacts"), "500");
    EXPECT_EQ(crm->execute("INSERT INTO contacts (id, name) VALUES (501, 'new')"), 1);
    EXPECT_EQ(crm->execute("DELETE FROM contacts WHERE id = 501"), 1);
  }

  auto aborted = step("abort", id);
  ASSERT_EQ(aborted.exit_code, 0) << describe(aborted);
  EXPECT_EQ(target_grants(), grants_before) << "the target's own grants are kept";
}

// A move from two MariaDB servers with different root passwords, every password in one
// pgpass-style --password-file and nowhere else (no MYSQL_PWD): each connection and each
// mariadb-dump finds its own server's line. A missing line, a wrong password or a file others
// may read is refused at create with exit 2, naming the server or the file, and nothing saved.
TEST_P(MoveMariadb, EachServerGetsItsPasswordFromThePassfile) {
  test::ThrowawayServer other("mariadb");
  const std::string other_password = [&] {
    std::ifstream in(other.password_file());
    std::string line;
    std::getline(in, line);
    return line;
  }();
  const std::string root_password = test::required_env("MYSQL_PWD");
  ASSERT_NE(other_password, root_password);
  const std::string billing = "cmv_billing_" + suffix_;
  {
    const db::ConnectOptions as_root{.password_file = other.password_file().string()};
    db::connect(other.url(), as_root)->execute("CREATE DATABASE " + billing);
    auto source = db::connect(test::with_database(other.url(), billing), as_root);
    source->execute("CREATE TABLE invoices (id INT PRIMARY KEY, total INT)");
    source->execute("INSERT INTO invoices SELECT seq, seq * 3 FROM seq_1_to_700");
  }
  const auto other_port = std::to_string(host_port(other.url()).second);
  const auto own_port = std::to_string(host_port(test::mariadb_url()).second);
  const auto target_port = std::to_string(host_port(target_url()).second);
  fs::create_directories(dir_);
  const std::string passfile = (dir_ / "passwords").string();
  auto write_passfile = [&](const std::string& text, fs::perms perms) {
    std::ofstream(passfile) << text;
    fs::permissions(passfile, perms);
  };
  const std::string own_lines = "# the first source and the target\n127.0.0.1:" + own_port +
                                ":*:root:" + root_password + "\n127.0.0.1:" + target_port +
                                ":*:root:" + root_password + "\n";
  const std::map<std::string, std::optional<std::string>> no_env_password = {
      {"MYSQL_PWD", std::nullopt}};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--password-file", passfile});
    auto r = move(args, true, no_env_password);
    EXPECT_FALSE(contains(r.out + r.err, root_password)) << describe(r);
    EXPECT_FALSE(contains(r.out + r.err, other_password)) << describe(r);
    return r;
  };
  const std::vector<std::string> create_two = {"create",
                                               "--to",
                                               target_url(),
                                               "--database",
                                               test::with_database(test::mariadb_url(), crm_),
                                               "--database",
                                               test::with_database(other.url(), billing),
                                               "--allow-unfrozen",
                                               "root"};
  auto refused = [&](const std::string& says) {
    SCOPED_TRACE(says);
    auto r = run(create_two);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(contains(r.out + r.err, says)) << describe(r);
    EXPECT_FALSE(fs::exists(state_)) << "nothing was saved";
  };
  const auto owner_only = fs::perms::owner_read | fs::perms::owner_write;
  write_passfile(own_lines, owner_only);
  refused("no line of the password file " + passfile +
          " matches mariadb://root@127.0.0.1:" + other_port + "/" + billing);
  write_passfile(own_lines + "127.0.0.1:" + other_port + ":*:root:wrong\n", owner_only);
  refused("cannot connect to mariadb://root@127.0.0.1:" + other_port + "/" + billing +
          ": authentication failed");
  write_passfile(own_lines + "127.0.0.1:" + other_port + ":*:root:" + other_password + "\n",
                 owner_only | fs::perms::group_read);
  refused("chmod 600 " + passfile);

  fs::permissions(passfile, owner_only);
  auto created = run(create_two);
  ASSERT_EQ(created.exit_code, 0) << describe(created);
  auto events = events_named(json_events(created.out), "created");
  ASSERT_EQ(events.size(), 1u) << created.out;
  const std::string id = events.front()["id"];
  for (const char* s : {"prepare", "data", "finalize"}) {
    auto r = run({s, id});
    ASSERT_EQ(r.exit_code, 0) << s << ": " << describe(r);
  }
  auto moved = db::connect(test::with_database(target_url(), billing));
  EXPECT_EQ(scalar(*moved, "SELECT count(*) FROM invoices"), "700");
  EXPECT_EQ(scalar(*moved, "SELECT sum(total) FROM invoices"), "736050");
  EXPECT_EQ(scalar(*db::connect(test::with_database(target_url(), crm_)),
                   "SELECT count(*) FROM contacts"),
            "500");
  {
    std::ifstream in(state_, std::ios::binary);
    std::string stored((std::istreambuf_iterator<char>(in)), {});
    EXPECT_FALSE(contains(stored, root_password)) << "no password in the state store";
    EXPECT_FALSE(contains(stored, other_password)) << "no password in the state store";
  }
  auto aborted = run({"abort", id});
  ASSERT_EQ(aborted.exit_code, 0) << describe(aborted);
  EXPECT_FALSE(target_has(billing));
}

INSTANTIATE_TEST_SUITE_P(MariaDb, MoveMariadb, testing::Values(Backend::kMariaDb));

}  // namespace
}  // namespace cutover
