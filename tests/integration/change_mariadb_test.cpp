// `cutover change` on MariaDB and Galera through the real binary: seed 004's users/addresses
// split with both application versions writing and a probe of each; kill -9 and SIGTERM in the
// backfill, then status, resume and rollback; bad input refused with nothing changed.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "change/change_lease.h"
#include "change/operations/sql_parts.h"
#include "coord/lease.h"
#include "core/error.h"
#include "db/connection.h"
#include "db/mariadb/mariadb_params.h"
#include "db/registry.h"
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
using test::describe;
using test::error_event;
using test::events_named;
using test::json_events;
using test::poll_until;
using test::probe_runs;
using test::ProbeProcess;
using test::ProcessResult;
using test::require_running;
using test::ScratchDatabase;
using test::SpawnedProcess;

// Below the probes' own lock timeout (500 ms): a probe statement queued behind a waiting step
// is never refused, so every probe failure counts.
constexpr const char* kChangeLockTimeout = "200ms";
// Seed 004's story: rows of users before the change.
constexpr std::int64_t kStoryUsers = 100'000;
// The kill -9 and SIGTERM tests: rows of users, every tenth without an address.
constexpr std::int64_t kBackfillUsers = 300'000;
constexpr std::int64_t kBackfillUsersWithAddress = kBackfillUsers - kBackfillUsers / 10;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::int64_t scalar_int(db::Connection& c, const std::string& sql, const db::Params& params = {}) {
  return c.query(sql, params).scalar().as_int();
}

// A change name no other test run on the same server uses: on MariaDB it is the name of the
// new version's database, one namespace per server.
std::string unique_change_name(const std::string& stem) {
  static std::atomic<int> counter{0};
  return stem + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
}

// Connects; on Galera, reads wait until this node has applied what the cluster committed.
std::unique_ptr<db::Connection> connect_synced(const std::string& url, bool galera) {
  auto c = db::connect(url);
  if (galera) c->execute("SET SESSION wsrep_sync_wait = 1");
  return c;
}

// ---------------------------------------------------------------------------------------------
// The binary

std::vector<std::string> change_argv(const std::vector<std::string>& args, bool json_output) {
  std::vector<std::string> argv = {CUTOVER_BINARY};
  if (json_output) argv.push_back("--json");
  argv.push_back("change");
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

ProcessResult run_change(const std::vector<std::string>& args, bool json_output = false) {
  return test::run_process(change_argv(args, json_output), {}, std::chrono::seconds(600));
}

// `cutover --json change status URL`, parsed; fails the test unless it prints one JSON object.
json status_json(const std::string& url) {
  ProcessResult r = run_change({"status", url}, true);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  auto events = json_events(r.out);
  if (events.size() != 1 || !events[0].is_object()) {
    ADD_FAILURE() << "status --json prints one JSON object: " << describe(r);
    return json::object();
  }
  return events[0];
}

// ---------------------------------------------------------------------------------------------
// The database

// The parts of a mariadb:// URL that mariadb-dump takes as options (the password comes from
// MYSQL_PWD, never the command line).
struct Server {
  std::string user, host, port, database;
};

Server parse_url(const std::string& url) {
  std::smatch m;
  static const std::regex kUrl(R"(^(?:mariadb|mysql)://([^@/]+)@([^:/]+):(\d+)/([^?]*))");
  if (!std::regex_search(url, m, kUrl)) throw std::runtime_error("not a mariadb URL: " + url);
  return {m[1].str(), m[2].str(), m[3].str(), m[4].str()};
}

// `mariadb-dump --no-data` of the database of `url` (tables, views, triggers), without its
// AUTO_INCREMENT values. Fails the test when mariadb-dump fails.
std::string schema_dump(const std::string& url) {
  Server s = parse_url(url);
  ProcessResult r = test::run_process({test::find_program("mariadb-dump"), "--no-data",
                                       "--skip-comments", "--skip-dump-date", "--protocol=TCP",
                                       "-h", s.host, "-P", s.port, "-u", s.user, s.database});
  EXPECT_EQ(r.exit_code, 0) << "mariadb-dump: " << describe(r);
  EXPECT_TRUE(contains(r.out, "CREATE TABLE `users`")) << "the dump shows no users:\n" << r.out;
  return std::regex_replace(r.out, std::regex(R"( AUTO_INCREMENT=\d+)"), "");
}

// The dump without the CREATE TABLE statements of cutover's own tables (_cutover_*): the
// application's schema alone.
std::string application_schema(const std::string& dump) {
  // From its DROP TABLE IF EXISTS to the SET that ends its CREATE TABLE.
  static const std::regex kCutoverTable(
      R"(DROP TABLE IF EXISTS `_cutover_[a-z_]+`;\n(?:[^\n]*\n)*?/\*!40101 SET character_set_client = @saved_cs_client \*/;\n)");
  return std::regex_replace(dump, kCutoverTable, "");
}

// The tables of cutover's own (state, lease) in the database of `c`.
std::vector<std::string> cutover_tables(db::Connection& c) {
  std::vector<std::string> names;
  for (const auto& row :
       c.query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
               "AND TABLE_NAME LIKE '\\_cutover%' ORDER BY TABLE_NAME")
           .rows) {
    names.push_back(row[0].text());
  }
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

bool database_exists(db::Connection& c, const std::string& name) {
  return scalar_int(c, "SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = $1",
                    {name}) > 0;
}

// The active change as the state table holds it: {name, phase, backfill: [...]}, or nullopt.
std::optional<json> active_change(db::Connection& c) {
  if (scalar_int(c,
                 "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                 "AND TABLE_NAME = '_cutover_changes'") == 0) {
    return std::nullopt;
  }
  auto result = c.query("SELECT name, phase, backfill FROM _cutover_changes WHERE active = 1");
  if (result.empty()) return std::nullopt;
  const db::Row& row = result.rows[0];
  return json{
      {"name", row[0].text()}, {"phase", row[1].text()}, {"backfill", json::parse(row[2].text())}};
}

// The backfill progress of table users in a state or status object; a null json when none.
json users_progress(const json& change) {
  if (!change.contains("backfill") || !change["backfill"].is_array()) return json();
  for (const auto& p : change["backfill"]) {
    if (p.value("table", "") == "users") return p;
  }
  return json();
}

std::int64_t last_key_of(const json& progress) {
  if (!progress.is_object() || !progress["last_key"].is_string()) return -1;
  return std::stoll(progress["last_key"].get<std::string>());
}

bool change_lease_held(db::Connection& c) {
  coord::Lease lease(c, change::change_lease_key(c.server().flavor));
  if (!lease.table_exists()) return false;
  std::optional<coord::LeaseState> state = lease.current();
  return state && state->held();
}

// Seed 004's version-1 table, with `rows` users; every tenth has no address, every third no
// second line.
void create_users(db::Connection& c, std::int64_t rows) {
  c.execute(
      "CREATE TABLE users (id int(11) NOT NULL AUTO_INCREMENT, username VARCHAR(20) NOT NULL, "
      "address_line_1 VARCHAR(100), address_line_2 VARCHAR(100), PRIMARY KEY (id))");
  c.execute(
      "INSERT INTO users (id, username, address_line_1, address_line_2) SELECT seq, "
      "concat('user', seq), IF(seq % 10 = 0, NULL, concat('street ', seq)), "
      "IF(seq % 10 = 0 OR seq % 3 = 0, NULL, concat('flat ', seq)) FROM seq_1_to_" +
      std::to_string(rows));
}

// SQL: users with an address whose child row is missing or says otherwise, and child rows
// whose parent says otherwise. 0 when the two shapes agree.
constexpr const char* kShapesDisagree =
    "SELECT (SELECT count(*) FROM users u LEFT JOIN addresses a ON a.user_id = u.id "
    "WHERE (u.address_line_1 IS NOT NULL OR u.address_line_2 IS NOT NULL) AND (a.user_id IS NULL "
    "OR NOT (a.address_line_1 <=> u.address_line_1 AND a.address_line_2 <=> u.address_line_2))) "
    "+ (SELECT count(*) FROM addresses a JOIN users u ON u.id = a.user_id WHERE NOT "
    "(a.address_line_1 <=> u.address_line_1 AND a.address_line_2 <=> u.address_line_2))";

// Writes the change file `name.yaml` into `dir`: seed 004's split under the change's name.
// An empty folder of this process for the running test, named after it: a parameterized
// test's name ("Case/MariaDb") has its slash replaced, or removing the folder would leave its
// parent behind.
fs::path fresh_work_folder(const std::string& prefix) {
  std::string test = testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(test.begin(), test.end(), '/', '-');
  fs::path folder =
      fs::temp_directory_path() / (prefix + "-" + std::to_string(getpid()) + "-" + test);
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

fs::path write_change_file(const fs::path& dir, const std::string& name, const std::string& ops) {
  fs::path file = dir / (name + ".yaml");
  std::ofstream(file) << "name: " << name << "\noperations:\n" << ops;
  return file;
}

constexpr const char* kSplitOperation =
    "  - split_to_table:\n"
    "      table: users\n"
    "      columns: [address_line_1, address_line_2]\n"
    "      into: addresses\n"
    "      key: user_id\n";

// Drops the new version's database when the test ends (complete keeps it; a failed test may
// leave it): it is a database of the server, not of the scratch database.
class VersionDatabaseGuard {
 public:
  VersionDatabaseGuard(std::string admin_url, std::string name)
      : admin_url_(std::move(admin_url)), name_(std::move(name)) {}
  ~VersionDatabaseGuard() {
    try {
      db::connect(admin_url_)->execute("DROP DATABASE IF EXISTS `" + name_ + "`");
    } catch (const std::exception&) {
      // The servers go away with the test run.
    }
  }

 private:
  std::string admin_url_;
  std::string name_;
};

// ---------------------------------------------------------------------------------------------
// An application version writing in a loop of its own, until stopped.

using Address = std::pair<std::optional<std::string>, std::optional<std::string>>;

std::string text(const Address& a) {
  return "(" + a.first.value_or("NULL") + ", " + a.second.value_or("NULL") + ")";
}

class AppWriter {
 public:
  // What one iteration does, in one transaction: writes, records in `out` the address each
  // user it wrote has now and in `inserted` the users it inserted. `own` holds the users the
  // writer inserted in the transactions that committed. Throws cutover::Error on failure.
  using Step = std::function<void(
      db::Connection&, std::int64_t n, const std::vector<std::int64_t>& own,
      std::map<std::int64_t, Address>& out, std::vector<std::int64_t>& inserted)>;

  // A transaction may be rolled back with error 1213: on Galera when it loses the
  // certification against another node's, on MariaDB when it meets complete's ALTER TABLE of
  // a table related by a foreign key in a metadata-lock deadlock (docs/change.md,
  // "Transactions and DDL"). The iteration is then retried, as applications do, and counted;
  // the probes' single-statement writes, checked apart, must not fail at all.
  AppWriter(std::string label, std::string url, std::int64_t first_n, Step step)
      : label_(std::move(label)), step_(std::move(step)) {
    connection_ = db::connect(url);
    n_ = first_n;
    thread_ = std::thread([this] { run(); });
  }
  ~AppWriter() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::int64_t done() const { return done_; }
  std::int64_t next_n() const { return n_; }

  // Stopped: the addresses the writer's users have, by user id.
  const std::map<std::int64_t, Address>& written() const { return written_; }

  void expect_no_failure() {
    std::lock_guard lock(mutex_);
    EXPECT_EQ(failures_, 0) << label_ << ": " << failures_
                            << " failed writes, the first: " << first_failure_;
    if (retries_ > 0) {
      std::cerr << label_ << ": " << retries_ << " transactions retried after error 1213 "
                << "(a Galera certification conflict or a deadlock with complete's DDL)\n";
    }
  }

 private:
  void run() {
    while (!stop_) {
      std::map<std::int64_t, Address> changed;
      std::vector<std::int64_t> inserted;
      try {
        connection_->begin();
        step_(*connection_, n_, own_, changed, inserted);
        connection_->commit();
      } catch (const std::exception& e) {
        try {
          connection_->rollback();
        } catch (const Error&) {
        }
        std::lock_guard lock(mutex_);
        const auto* error = dynamic_cast<const Error*>(&e);
        if (error != nullptr && error->vendor_code() == 1213) {
          ++retries_;
          continue;
        }
        if (failures_++ == 0) first_failure_ = std::to_string(n_) + ": " + e.what();
        ++n_;
        continue;
      }
      for (auto& [id, address] : changed) written_[id] = address;
      own_.insert(own_.end(), inserted.begin(), inserted.end());
      ++n_;
      ++done_;
      // Leaves room on 2 shared cores for the probes and the change; not a wait.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::string label_;
  Step step_;
  std::unique_ptr<db::Connection> connection_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> done_{0};
  std::atomic<std::int64_t> n_{0};
  std::map<std::int64_t, Address> written_;
  std::vector<std::int64_t> own_;
  std::mutex mutex_;
  std::int64_t failures_ = 0;
  std::int64_t retries_ = 0;
  std::string first_failure_;
  std::thread thread_;
};

std::int64_t last_insert_id(db::Connection& c) { return scalar_int(c, "SELECT LAST_INSERT_ID()"); }

std::optional<std::string> maybe(bool present, const std::string& value) {
  return present ? std::optional<std::string>(value) : std::nullopt;
}

// The applications' statements carry their values in their text (the text protocol), as with
// client-side prepares, the default of PDO, Connector/J and mysqlclient: MariaDB fails, now and
// then, a statement prepared on the server that writes a table while a trigger whose body uses
// another table is created or dropped on it (error 1146 "Table ... doesn't exist" or 1615;
// MDEV-26048), which cutover cannot prevent (docs/change.md, "Prepared statements").
std::string with_values(std::string_view sql, const db::Params& params) {
  // The driver's own reading of $n (outside strings and comments), as ? in order; these
  // statements have no ? of their own.
  const db::mariadb::PositionalSql positional = db::mariadb::rewrite_placeholders(sql);
  std::string out;
  std::size_t marker = 0;
  for (char c : positional.sql) {
    if (c != '?') {
      out += c;
      continue;
    }
    const db::Value& value = params.at(positional.bind_order.at(marker++));
    if (value.is_text() && value.text().find('\\') != std::string::npos) {
      throw std::invalid_argument("a backslash: sql_literal does not escape it");
    }
    out += value.is_null()   ? "NULL"
           : value.is_text() ? change::sql_literal(value.text())
                             : value.text();
  }
  return out;
}

std::int64_t app_execute(db::Connection& c, std::string_view sql, const db::Params& params) {
  return c.execute(with_values(sql, params));
}

db::Result app_query(db::Connection& c, std::string_view sql, const db::Params& params) {
  return c.query(with_values(sql, params));
}

// Version 1: seed 004's users with their address columns. Inserts users with an address,
// moves the address of users that existed before (keys 1..half: some to no address at all),
// and edits its own users' second line.
AppWriter::Step version1_step(std::int64_t half) {
  return [half](db::Connection& c, std::int64_t n, const std::vector<std::int64_t>& own,
                std::map<std::int64_t, Address>& out, std::vector<std::int64_t>& inserted) {
    const std::string tag = std::to_string(n);
    switch (n % 3) {
      case 0: {
        Address a{"v1 road " + tag, maybe(n % 2 == 0, "v1 flat " + tag)};
        app_execute(
            c, "INSERT INTO users (username, address_line_1, address_line_2) VALUES ($1, $2, $3)",
            {"v1_" + tag, a.first, a.second});
        std::int64_t id = last_insert_id(c);
        inserted.push_back(id);
        out[id] = a;
        break;
      }
      case 1: {
        std::int64_t id = 1 + (n * 7919) % half;
        Address a = n % 11 == 1 ? Address{} : Address{"v1 moved " + tag, maybe(n % 5 != 1, tag)};
        app_execute(c, "UPDATE users SET address_line_1 = $1, address_line_2 = $2 WHERE id = $3",
                    {a.first, a.second, id});
        out[id] = a;
        break;
      }
      default: {
        if (own.empty()) break;
        std::int64_t id = own[static_cast<size_t>(n) % own.size()];
        auto row = app_query(c, "SELECT address_line_1 FROM users WHERE id = $1", {id});
        Address a{row.rows.at(0)[0].as_optional_text(), "v1 flat2 " + tag};
        app_execute(c, "UPDATE users SET address_line_2 = $1 WHERE id = $2", {a.second, id});
        out[id] = a;
        break;
      }
    }
  };
}

// Version 2: users without address columns, and addresses. Inserts a user and then its
// address, moves or deletes the address of users that existed before (keys half+1..2*half),
// and edits its own users' addresses.
AppWriter::Step version2_step(std::int64_t half) {
  return [half](db::Connection& c, std::int64_t n, const std::vector<std::int64_t>& own,
                std::map<std::int64_t, Address>& out, std::vector<std::int64_t>& inserted) {
    const std::string tag = std::to_string(n);
    switch (n % 3) {
      case 0: {
        app_execute(c, "INSERT INTO users (username) VALUES ($1)", {"v2_" + tag});
        std::int64_t id = last_insert_id(c);
        Address a{"v2 road " + tag, maybe(n % 2 == 0, "v2 flat " + tag)};
        app_execute(
            c,
            "INSERT INTO addresses (user_id, address_line_1, address_line_2) VALUES ($1, $2, $3)",
            {id, a.first, a.second});
        inserted.push_back(id);
        out[id] = a;
        break;
      }
      case 1: {
        std::int64_t id = half + 1 + (n * 104729) % half;
        if (n % 13 == 1) {
          app_execute(c, "DELETE FROM addresses WHERE user_id = $1", {id});
          out[id] = Address{};
          break;
        }
        Address a{"v2 moved " + tag, maybe(n % 5 != 1, tag)};
        if (app_execute(c,
                        "UPDATE addresses SET address_line_1 = $1, address_line_2 = $2 WHERE "
                        "user_id = $3",
                        {a.first, a.second, id}) == 0) {
          app_execute(
              c,
              "INSERT INTO addresses (user_id, address_line_1, address_line_2) VALUES ($1, $2, "
              "$3)",
              {id, a.first, a.second});
        }
        out[id] = a;
        break;
      }
      default: {
        if (own.empty()) break;
        std::int64_t id = own[static_cast<size_t>(n) % own.size()];
        auto row = app_query(c, "SELECT address_line_1 FROM addresses WHERE user_id = $1", {id});
        Address a{row.rows.at(0)[0].as_optional_text(), "v2 flat2 " + tag};
        app_execute(c, "UPDATE addresses SET address_line_2 = $1 WHERE user_id = $2",
                    {a.second, id});
        out[id] = a;
        break;
      }
    }
  };
}

// Every user in `written` has that address as seen through `c`: the users table's columns
// (version 1's shape) or the addresses table (version 2's shape; no address: no row).
void expect_addresses(db::Connection& c, bool version1_shape,
                      const std::map<std::int64_t, Address>& written, const std::string& what) {
  ASSERT_FALSE(written.empty()) << what << ": the writer wrote nothing";
  int wrong = 0;
  std::string examples;
  for (const auto& [id, expected] : written) {
    Address got;
    if (version1_shape) {
      auto r = c.query("SELECT address_line_1, address_line_2 FROM users WHERE id = $1", {id});
      if (r.empty()) {
        got = {"<no user>", "<no user>"};
      } else {
        got = {r.rows[0][0].as_optional_text(), r.rows[0][1].as_optional_text()};
      }
    } else {
      auto r =
          c.query("SELECT address_line_1, address_line_2 FROM addresses WHERE user_id = $1", {id});
      if (!r.empty()) got = {r.rows[0][0].as_optional_text(), r.rows[0][1].as_optional_text()};
    }
    if (got != expected && ++wrong <= 5) {
      examples += "  user " + std::to_string(id) + ": expected " + text(expected) + ", got " +
                  text(got) + "\n";
    }
  }
  EXPECT_EQ(wrong, 0) << what << ": " << wrong << " of " << written.size()
                      << " users written show another address, e.g.\n"
                      << examples;
}

// ---------------------------------------------------------------------------------------------
// 1. Seed 004's story.

// Polls until `runs` probe runs have written to the probe table of `url`, or `probe` exited.
// Whether it runs.
bool probe_writes(ProbeProcess& probe, const std::string& url, std::int64_t runs) {
  poll_until("a probe writes", [&] { return !probe.running() || probe_runs(url) >= runs; });
  return probe.running();
}

std::string backend_param_name(const testing::TestParamInfo<Backend>& info) {
  return test::backend_name(info.param);
}

class Seed004Story : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    work_ = fresh_work_folder("cutover-change-mariadb");
  }
  void TearDown() override {
    // CUTOVER_KEEP_RECORDS=1 keeps them after a pass too, to read the probes' latencies.
    if (HasFailure() || std::getenv("CUTOVER_KEEP_RECORDS") != nullptr) {
      std::cerr << "probe records and change files kept in " << work_ << "\n";
    } else {
      fs::remove_all(work_);
    }
  }
  bool galera() const { return GetParam() == Backend::kGalera; }

  fs::path work_;
};

// SHOW CREATE TABLE of `table` in the database of `c`, without its AUTO_INCREMENT value.
std::string show_create_table(db::Connection& c, const std::string& table) {
  auto r = c.query("SHOW CREATE TABLE `" + table + "`");
  return std::regex_replace(r.rows.at(0)[1].text(), std::regex(R"( AUTO_INCREMENT=\d+)"), "");
}

TEST_P(Seed004Story, BothVersionsWriteThroughStartAndCompleteAndTheTablesEndAsVersion2Has) {
  // Galera: version 1 on node 1, version 2 on node 2, the change on node 3. The same 100,000
  // rows as on MariaDB: the backfill takes seconds there too.
  ScratchDatabase scratch(GetParam());
  const std::vector<std::string>& urls = scratch.urls();
  const std::string v1_url = urls.at(0);
  const std::string v2_node_url = galera() ? urls.at(1) : urls.at(0);
  const std::string change_url = galera() ? urls.at(2) : urls.at(0);
  const std::string change = unique_change_name("split_addresses");
  VersionDatabaseGuard drop_version_database(urls.at(0), change);
  const std::string v2_url = test::new_version_url(v2_node_url, GetParam(), change);
  create_users(*scratch.connect(), kStoryUsers);
  const fs::path file = write_change_file(work_, change, kSplitOperation);
  const std::int64_t half = kStoryUsers / 2;

  // Version 1 writes from before the change until it is retired.
  ProbeProcess v1_probe(CUTOVER_BINARY, "version-1 probe", v1_url, work_ / "rec_v1.json");
  ASSERT_TRUE(probe_writes(v1_probe, v1_url, 1)) << v1_probe.gone();
  AppWriter v1("version 1 (SQL)", v1_url, 0, version1_step(half));
  poll_until("version 1 writes", [&] { return v1.done() >= 30; });

  ProcessResult start =
      run_change({"start", change_url, file.string(), "--lock-timeout", kChangeLockTimeout}, true);
  ASSERT_EQ(start.exit_code, 0) << describe(start);
  auto started = events_named(json_events(start.out), "started");
  ASSERT_EQ(started.size(), 1u) << start.out;
  EXPECT_EQ(started[0].value("name", ""), change);
  EXPECT_EQ(started[0].value("phase", ""), "started");
  {
    ProcessResult human = run_change({"status", change_url});
    EXPECT_TRUE(contains(human.out, "connect to database " + change) &&
                contains(human.out, "SET @cutover_version = '" + change + "'"))
        << "status tells how the new version connects: " << describe(human);
  }
  // The triggers' bodies quote names with backticks, never with the ANSI quotes of cutover's
  // session: MariaDB parses a body again each time it loads the table, and on Galera it once
  // did so without ANSI_QUOTES, failing 1,935 writes of version 1 (docs/change.md).
  EXPECT_EQ(scalar_int(*connect_synced(change_url, galera()),
                       "SELECT count(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = "
                       "DATABASE() AND ACTION_STATEMENT LIKE '%\"%'"),
            0);

  // Version 2 writes beside version 1, through the change's database.
  ProbeProcess v2_probe(CUTOVER_BINARY, "version-2 probe", v2_url, work_ / "rec_v2.json");
  // Its table is the version-1 probe's, through the change's view of it.
  const bool v2_probe_writes = probe_writes(v2_probe, v1_url, 2);
  EXPECT_TRUE(v2_probe_writes) << "the version-2 probe writes through the change's database: "
                               << v2_probe.gone();
  std::optional<AppWriter> v2;
  v2.emplace("version 2 (SQL)", v2_url, 0, version2_step(half));
  {
    const std::int64_t v1_before = v1.done();
    poll_until("both versions write side by side",
               [&] { return v2->done() >= 60 && v1.done() >= v1_before + 60; });
  }
  v2->stop();
  v1.stop();
  v1.expect_no_failure();
  v2->expect_no_failure();

  // Each version sees the other's writes, in its own shape.
  {
    auto as_v1 = connect_synced(v1_url, galera());
    auto as_v2 = connect_synced(v2_url, galera());
    expect_addresses(*as_v2, false, v1.written(), "version 1's writes seen by version 2");
    expect_addresses(*as_v1, true, v2->written(), "version 2's writes seen by version 1");
    auto on_change_node = connect_synced(change_url, galera());
    EXPECT_EQ(scalar_int(*on_change_node, kShapesDisagree), 0)
        << "users' address columns and addresses agree on every row";
    // Version 2's users appear to version 1 and the other way round.
    EXPECT_EQ(scalar_int(*as_v1, "SELECT count(*) FROM users WHERE username LIKE 'v2\\_%'"),
              scalar_int(*as_v2, "SELECT count(*) FROM users WHERE username LIKE 'v2\\_%'"));
    EXPECT_EQ(scalar_int(*as_v2, "SELECT count(*) FROM users WHERE username LIKE 'v1\\_%'"),
              scalar_int(*as_v1, "SELECT count(*) FROM users WHERE username LIKE 'v1\\_%'"));
    EXPECT_GT(scalar_int(*as_v1, "SELECT count(*) FROM users WHERE username LIKE 'v2\\_%'"), 0);
  }

  // Version 1 is retired; version 2 writes on through complete.
  v1_probe.stop_and_check();
  const std::map<std::int64_t, Address> v2_before_complete = v2->written();
  const std::int64_t v2_next = v2->next_n();
  v2.emplace("version 2 (SQL) through complete", v2_url, v2_next, version2_step(half));
  poll_until("version 2 writes again", [&] { return v2->done() >= 10; });
  ProcessResult complete =
      run_change({"complete", change_url, "--lock-timeout", kChangeLockTimeout}, true);
  ASSERT_EQ(complete.exit_code, 0) << describe(complete);
  EXPECT_EQ(events_named(json_events(complete.out), "completed").size(), 1u) << complete.out;
  {
    const std::int64_t after_complete = v2->done();
    poll_until("version 2 writes after complete",
               [&] { return v2->done() >= after_complete + 30; });
  }
  v2->stop();
  v2->expect_no_failure();
  if (v2_probe_writes) {
    EXPECT_TRUE(v2_probe.running()) << v2_probe.gone();
    v2_probe.stop_and_check();
  }

  // The tables have version 2's shape; version 2 reads what it wrote, through its database and
  // in the base database.
  auto base = connect_synced(change_url, galera());
  {
    auto as_v2 = connect_synced(v2_url, galera());
    std::map<std::int64_t, Address> all = v2_before_complete;
    for (const auto& [id, a] : v2->written()) all[id] = a;
    expect_addresses(*as_v2, false, all, "version 2's writes, through its database");
    expect_addresses(*base, false, all, "version 2's writes, in the base database");
  }
  EXPECT_TRUE(database_exists(*base, change)) << "complete keeps the new version's database";
  EXPECT_FALSE(active_change(*base).has_value());

  // As a direct version-2 schema would have them.
  ScratchDatabase direct(GetParam());
  auto reference = connect_synced(galera() ? direct.urls().at(2) : direct.url(), galera());
  reference->execute(
      "CREATE TABLE users (id int(11) NOT NULL AUTO_INCREMENT, username VARCHAR(20) NOT NULL, "
      "PRIMARY KEY (id))");
  reference->execute(
      "CREATE TABLE addresses (user_id int(11) NOT NULL, address_line_1 VARCHAR(100), "
      "address_line_2 VARCHAR(100), PRIMARY KEY (user_id), FOREIGN KEY (user_id) REFERENCES "
      "users (id) ON DELETE CASCADE)");
  // On Galera, on every node: a node that ignored an error applying one of the change's DDL
  // statements would differ (docs/change.md, "Every node is checked after each trigger").
  for (const std::string& url : urls) {
    auto node = connect_synced(url, galera());
    for (const char* table : {"users", "addresses"}) {
      EXPECT_EQ(show_create_table(*node, table), show_create_table(*reference, table))
          << table << " on " << url;
    }
    EXPECT_EQ(scalar_int(*node,
                         "SELECT count(*) FROM information_schema.TRIGGERS WHERE "
                         "EVENT_OBJECT_SCHEMA = DATABASE()"),
              0)
        << "complete dropped the triggers on " << url;
  }
}

// Version 2's writes of addresses that read users in the same statement (INSERT ... SELECT, a
// subquery) are refused by MariaDB while the change is started: the child's trigger writes
// users, which the statement uses (error 1442; docs/change.md). The same writes as two
// statements work, and version 1 sees them.
TEST_P(Seed004Story, Version2WritesAddressesWithStatementsThatReadUsers) {
  ScratchDatabase scratch(GetParam());
  const std::string url = scratch.urls().back();
  const std::string change = unique_change_name("split_addresses");
  VersionDatabaseGuard drop_version_database(scratch.urls().front(), change);
  create_users(*scratch.connect(), 1'000);
  ProcessResult start =
      run_change({"start", url, write_change_file(work_, change, kSplitOperation).string()});
  ASSERT_EQ(start.exit_code, 0) << describe(start);

  auto as_v2 = connect_synced(test::new_version_url(url, GetParam(), change), galera());
  auto as_v1 = connect_synced(url, galera());
  constexpr int kCantUpdateUsedTable = 1442;
  const std::vector<std::pair<std::string, db::Params>> refused = {
      {"INSERT INTO addresses (user_id, address_line_1, address_line_2) SELECT id, $1, NULL "
       "FROM users WHERE username = $2",
       {"v2 road 10", "user10"}},
      {"UPDATE addresses SET address_line_2 = $1 WHERE user_id = (SELECT id FROM users WHERE "
       "username = $2)",
       {"v2 flat 11", "user11"}},
  };
  for (const auto& [sql, params] : refused) {
    try {
      as_v2->execute(sql, params);
      ADD_FAILURE() << "MariaDB took it (docs/change.md says it refuses it): " << sql;
    } catch (const Error& e) {
      EXPECT_EQ(e.vendor_code(), kCantUpdateUsedTable) << sql << "\n" << e.what();
    }
  }
  // The same, the id read first.
  auto id_of = [&](const std::string& username) {
    return as_v2->query("SELECT id FROM users WHERE username = $1", {username}).scalar().as_int();
  };
  as_v2->execute(
      "INSERT INTO addresses (user_id, address_line_1, address_line_2) VALUES ($1, $2, NULL)",
      {id_of("user10"), "v2 road 10"});
  as_v2->execute("UPDATE addresses SET address_line_2 = $1 WHERE user_id = $2",
                 {"v2 flat 11", id_of("user11")});
  auto address = [&](std::int64_t id) {
    auto r = as_v1->query("SELECT address_line_1, address_line_2 FROM users WHERE id = $1", {id});
    return text({r.rows.at(0)[0].as_optional_text(), r.rows.at(0)[1].as_optional_text()});
  };
  EXPECT_EQ(address(10), "(v2 road 10, NULL)") << "version 1 sees version 2's insert";
  EXPECT_EQ(address(11), "(street 11, v2 flat 11)") << "version 1 sees version 2's update";
}

INSTANTIATE_TEST_SUITE_P(MariaDb, Seed004Story, testing::Values(Backend::kMariaDb),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(Galera, Seed004Story, testing::Values(Backend::kGalera),
                         backend_param_name);

// Busy writers through ten starts and rollbacks of a split, whose triggers use another table:
// not one write fails. (The same writers with statements prepared on the server fail one now and
// then, in MariaDB, with error 1146: MDEV-26048, above.)
TEST(MariaDbBusyWriters,
     NoWriteFailsWhileStartAndRollbackCreateAndDropTriggersThatUseAnotherTable) {
  ScratchDatabase scratch(Backend::kMariaDb);
  const std::string url = scratch.url();
  const fs::path work =
      fs::temp_directory_path() / ("cutover-busy-writers-" + std::to_string(getpid()));
  fs::create_directories(work);
  const std::string change = unique_change_name("split_addresses");
  VersionDatabaseGuard drop_version_database(url, change);
  constexpr std::int64_t kUsers = 20'000;
  create_users(*scratch.connect(), kUsers);
  const fs::path file = write_change_file(work, change, kSplitOperation);

  std::vector<std::unique_ptr<AppWriter>> writers;
  for (std::int64_t i = 0; i < 6; ++i) {
    writers.push_back(std::make_unique<AppWriter>("writer " + std::to_string(i), url, i * 1'000'000,
                                                  version1_step(kUsers)));
  }
  poll_until("the writers write", [&] {
    return std::all_of(writers.begin(), writers.end(), [](auto& w) { return w->done() >= 10; });
  });
  for (int round = 1; round <= 10; ++round) {
    ProcessResult start =
        run_change({"start", url, file.string(), "--lock-timeout", kChangeLockTimeout});
    ASSERT_EQ(start.exit_code, 0) << "round " << round << ": " << describe(start);
    ProcessResult rollback = run_change({"rollback", url});
    ASSERT_EQ(rollback.exit_code, 0) << "round " << round << ": " << describe(rollback);
  }
  for (auto& writer : writers) {
    writer->stop();
    writer->expect_no_failure();
    EXPECT_GT(writer->done(), 10);
  }
  fs::remove_all(work);
}

// A start that gives up names the connection whose transaction held the lock all along.
TEST(MariaDbLockHolder, AStartThatGivesUpNamesTheConnectionHoldingTheLock) {
  ScratchDatabase scratch(Backend::kMariaDb);
  const std::string url = scratch.url();
  const fs::path work = fresh_work_folder("cutover-lock-holder");
  const std::string change = unique_change_name("split_addresses");
  VersionDatabaseGuard drop_version_database(url, change);
  create_users(*scratch.connect(), 100);
  const fs::path file = write_change_file(work, change, kSplitOperation);
  auto holder = scratch.connect();
  const std::int64_t holder_id = holder->query("SELECT CONNECTION_ID()").scalar().as_int();
  holder->begin();
  ASSERT_EQ(holder->execute("UPDATE users SET username = 'x' WHERE id = 1"), 1);

  ProcessResult start = run_change(
      {"start", url, file.string(), "--lock-timeout", "200ms", "--retry-for", "1s"}, true);
  holder->rollback();
  EXPECT_EQ(start.exit_code, 1) << describe(start);
  const std::string message = error_event(start).value("message", "");
  EXPECT_NE(message.find("sessions in a transaction for longer than the lock timeout: "
                         "connection " +
                         std::to_string(holder_id) + " ("),
            std::string::npos)
      << message;
  ProcessResult rollback = run_change({"rollback", url});
  EXPECT_EQ(rollback.exit_code, 0) << describe(rollback);
  fs::remove_all(work);
}

// The Galera tests below: a scratch database on the 3-node cluster, a directory for the change
// file, and the change's name, whose database is dropped at the end.
class GaleraChange : public testing::Test {
 protected:
  void SetUp() override {
    work_ = fresh_work_folder("cutover-galera");
  }
  void TearDown() override { fs::remove_all(work_); }

  std::string name_change(const std::string& stem) {
    const std::string change = unique_change_name(stem);
    guards_.emplace_back(std::make_unique<VersionDatabaseGuard>(scratch_.urls().at(0), change));
    return change;
  }

  // Runs `sql` on node `index` (0-based) alone, not replicated: as a node that failed to apply
  // a statement, or that applied one the others did not.
  void on_node_alone(std::size_t index, const std::string& sql) {
    auto node = connect_synced(scratch_.urls().at(index), true);
    node->execute("SET SESSION wsrep_on = OFF");
    node->execute(sql);
  }

  ScratchDatabase scratch_{Backend::kGalera};
  fs::path work_;
  std::vector<std::unique_ptr<VersionDatabaseGuard>> guards_;
};
using GaleraTotalOrder = GaleraChange;
using GaleraEveryNode = GaleraChange;

// Galera replicates a DDL statement before it runs, and each node applies it: cancelled by the
// lock timeout on the node that ran it once replicated, it would leave that node's schema behind
// the others' ("Ignoring error ... max_statement_time exceeded", then "Inconsistent by
// consensus": the node leaves the cluster; seen once under load with a DROP COLUMN). So a DDL
// step there runs without the bound: with a lock timeout of 1 ms, which every attempt of it
// exceeded before, it runs, and every node has the same schema.
TEST_F(GaleraTotalOrder, ADdlStepIsNeverCancelledByTheLockTimeout) {
  const std::vector<std::string>& urls = scratch_.urls();
  scratch_.connect()->execute("CREATE TABLE users (id INT PRIMARY KEY, username VARCHAR(20))");
  const std::string change = name_change("add_email");
  const fs::path file = write_change_file(
      work_, change,
      "  - add_column:\n      table: users\n      column: {name: email, type: \"varchar(200)\"}\n");

  ProcessResult start = run_change(
      {"start", urls.at(2), file.string(), "--lock-timeout", "1ms", "--retry-for", "10s"});
  EXPECT_EQ(start.exit_code, 0) << describe(start);
  for (const std::string& url : urls) {
    auto c = connect_synced(url, true);
    EXPECT_EQ(scalar_int(*c,
                         "SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                         "DATABASE() AND TABLE_NAME = 'users' AND COLUMN_NAME = 'email'"),
              1)
        << url;
    EXPECT_EQ(c->query("SHOW STATUS LIKE 'wsrep_local_state_comment'").rows.at(0)[1].text(),
              "Synced")
        << url;
  }
  EXPECT_EQ(run_change({"rollback", urls.at(2)}).exit_code, 0);
}

// SIGTERM while such a statement runs (an index build on 300,000 rows, on node 3) lets it finish
// on every node, then stops: exit 1 saying the step ran to its end, the cluster Synced with the
// index on every node, and start again resumes.
TEST_F(GaleraTotalOrder, SigtermDuringADdlStepLetsItFinishThenStops) {
  const std::vector<std::string>& urls = scratch_.urls();
  create_users(*scratch_.connect(), kBackfillUsers);
  const std::string change = name_change("index_username");
  const fs::path file = write_change_file(work_, change,
                                          "  - create_index:\n      name: users_username\n      "
                                          "table: users\n      columns: [username]\n");
  const std::string index_on_every_node =
      "SELECT count(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND "
      "TABLE_NAME = 'users' AND COLUMN_NAME = 'username'";

  SpawnedProcess start(change_argv({"start", urls.at(2), file.string()}, true));
  auto node3 = db::connect(urls.at(2));
  bool seen = false;
  while (!seen && start.running()) {
    seen = scalar_int(*node3,
                      "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                      "'ALTER TABLE%ADD INDEX%' AND DB = DATABASE()") > 0;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(seen) << "the index build ended before it was seen: " << describe(start.wait());
  start.kill(SIGTERM);
  ProcessResult r = start.wait();
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  json error = error_event(r);
  EXPECT_TRUE(contains(error.value("message", ""), "interrupted by SIGTERM after step")) << error;
  EXPECT_TRUE(contains(error.value("message", ""), "which ran to its end")) << error;
  for (const std::string& url : urls) {
    auto c = connect_synced(url, true);
    EXPECT_EQ(scalar_int(*c, index_on_every_node), 1) << url;
    EXPECT_EQ(c->query("SHOW STATUS LIKE 'wsrep_local_state_comment'").rows.at(0)[1].text(),
              "Synced")
        << url;
  }
  EXPECT_EQ(status_json(urls.at(2)).value("phase", ""), "starting");

  ProcessResult resumed = run_change({"start", urls.at(2), file.string()});
  EXPECT_EQ(resumed.exit_code, 0) << describe(resumed);
  EXPECT_EQ(status_json(urls.at(2)).value("phase", ""), "started");
  EXPECT_EQ(run_change({"rollback", urls.at(2)}).exit_code, 0);
  for (const std::string& url : urls) {
    auto c = connect_synced(url, true);
    EXPECT_EQ(scalar_int(*c, index_on_every_node), 0) << url;
  }
}

// Galera lets a node go on after it failed to apply a replicated DDL statement ("WSREP: Ignoring
// error"), and MariaDB 10.11 fails so now and then on a valid CREATE or DROP TRIGGER while the
// application writes on that node: the node's writes would skip a sync trigger, or run one the
// others dropped. cutover asks every node (wsrep_incoming_addresses, or --galera-nodes) after
// each trigger's DDL and runs it again on a node that differs. Here node 3, where the change
// runs, loses a trigger on its own (wsrep_on=OFF): rollback's DROP TRIGGER IF EXISTS does
// nothing there and so is not replicated, and nodes 1 and 2 would keep a trigger that writes a
// table rollback drops. (A trigger of users: rollback's DROP TABLE of addresses would take that
// table's triggers away on every node.)
TEST_F(GaleraEveryNode, ATriggerThatOtherNodesKeptIsDroppedThere) {
  const std::vector<std::string>& urls = scratch_.urls();
  create_users(*scratch_.connect(), 100);
  const std::string change = name_change("split_nodes");
  const fs::path file = write_change_file(work_, change, kSplitOperation);
  const auto cutover_triggers = [](db::Connection& c) {
    return scalar_int(c,
                      "SELECT count(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = "
                      "DATABASE() AND TRIGGER_NAME LIKE '\\_cutover\\_%'");
  };

  ProcessResult start = run_change({"start", urls.at(2), file.string()});
  ASSERT_EQ(start.exit_code, 0) << describe(start);
  EXPECT_EQ(start.err.find("warning"), std::string::npos) << describe(start);
  for (const std::string& url : urls) {
    auto c = connect_synced(url, true);
    EXPECT_GT(cutover_triggers(*c), 0) << url;
  }
  {
    auto node3 = db::connect(urls.at(2));
    const std::string lost =
        node3
            ->query(
                "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA "
                "= DATABASE() AND TRIGGER_NAME LIKE '\\_cutover\\_%' AND EVENT_OBJECT_TABLE "
                "= 'users' LIMIT 1")
            .rows.at(0)[0]
            .text();
    node3->execute("SET SESSION wsrep_on = OFF");
    node3->execute("DROP TRIGGER `" + lost + "`");
  }

  ProcessResult rollback = run_change({"rollback", urls.at(2)});
  EXPECT_EQ(rollback.exit_code, 0) << describe(rollback);
  const Server node1 = parse_url(urls.at(0));
  EXPECT_NE(rollback.err.find("Galera node " + node1.host + ":" + node1.port + " does not have"),
            std::string::npos)
      << describe(rollback);
  for (const std::string& url : urls) {
    auto c = connect_synced(url, true);
    EXPECT_EQ(cutover_triggers(*c), 0) << url;
    EXPECT_EQ(c->query("SHOW STATUS LIKE 'wsrep_local_state_comment'").rows.at(0)[1].text(),
              "Synced")
        << url;
  }
}

// A node whose trigger of that name is not the one this node has (here node 2 has one on
// another table, made there alone: its applier then skipped cutover's CREATE TRIGGER IF NOT
// EXISTS) is not taken for a node that applied it: start stops, exit 1, naming the node.
TEST_F(GaleraEveryNode, ATriggerOfTheSameNameOnAnotherTableIsNotTakenForTheChangesOne) {
  const std::vector<std::string>& urls = scratch_.urls();
  create_users(*scratch_.connect(), 100);
  scratch_.connect()->execute("CREATE TABLE other (id INT PRIMARY KEY)");
  const std::string change = name_change("nick");
  const fs::path file = write_change_file(
      work_, change,
      "  - add_column:\n      table: users\n      column: {name: nick, type: \"varchar(20)\"}\n"
      "      up: username\n");
  const std::string decoy = "`_cutover_" + change + "_0_users_insert`";
  on_node_alone(1, "CREATE TRIGGER " + decoy +
                 " BEFORE INSERT ON other FOR EACH ROW SET NEW.id = NEW.id");

  ProcessResult start = run_change({"start", urls.at(2), file.string()});
  EXPECT_EQ(start.exit_code, 1) << describe(start);
  const Server node2 = parse_url(urls.at(1));
  EXPECT_NE(start.err.find("Galera node " + node2.host + ":" + node2.port + " still does not have"),
            std::string::npos)
      << describe(start);
  on_node_alone(1, "DROP TRIGGER IF EXISTS " + decoy);
  ProcessResult rollback = run_change({"rollback", urls.at(2)});
  EXPECT_EQ(rollback.exit_code, 0) << describe(rollback);
}

// --galera-nodes names the nodes where they do not publish their address; a malformed one is
// refused before anything changes.
TEST_F(GaleraEveryNode, GaleraNodesNamesTheNodesAndAMalformedOneChangesNothing) {
  const std::vector<std::string>& urls = scratch_.urls();
  create_users(*scratch_.connect(), 100);
  const std::string change = name_change("split_named");
  const fs::path file = write_change_file(work_, change, kSplitOperation);
  const std::string before = schema_dump(urls.at(2));

  ProcessResult bad = run_change(
      {"start", urls.at(2), file.string(), "--galera-nodes", "127.0.0.1:3306,127.0.0.1:port"});
  EXPECT_EQ(bad.exit_code, 2) << describe(bad);
  EXPECT_NE(bad.err.find("\"127.0.0.1:port\" is not the address of a Galera node"),
            std::string::npos)
      << describe(bad);
  EXPECT_EQ(schema_dump(urls.at(2)), before);
  // An empty list (an unset variable in a script) is not taken as "ask the cluster".
  ProcessResult empty = run_change({"start", urls.at(2), file.string(), "--galera-nodes", ""});
  EXPECT_EQ(empty.exit_code, 2) << describe(empty);
  EXPECT_NE(empty.err.find("--galera-nodes: empty"), std::string::npos) << describe(empty);
  EXPECT_EQ(schema_dump(urls.at(2)), before);

  std::string nodes;
  for (const std::string& url : urls) {
    const Server node = parse_url(url);
    nodes += (nodes.empty() ? "" : ",") + node.host + ":" + node.port;
  }
  ProcessResult start = run_change({"start", urls.at(2), file.string(), "--galera-nodes", nodes});
  EXPECT_EQ(start.exit_code, 0) << describe(start);
  EXPECT_EQ(start.err.find("warning"), std::string::npos) << describe(start);
  // Node 1 named twice is still one node: node 2 is not checked, and that is said.
  const std::string node1 = nodes.substr(0, nodes.find(','));
  ProcessResult one = run_change({"rollback", urls.at(2), "--galera-nodes", node1 + "," + node1});
  EXPECT_EQ(one.exit_code, 0) << describe(one);
  EXPECT_NE(one.err.find("1 of the 2 other Galera nodes cannot be checked (--galera-nodes: "),
            std::string::npos)
      << describe(one);
  EXPECT_EQ(application_schema(schema_dump(urls.at(2))), before);
}

// A node whose schema differs from the others' (here node 2 alone has a column more, as after
// a DDL statement it failed to apply) stops start before the change is recorded, and complete
// before the change moves on: exit 1, naming the node and the difference; rollback stays open.
TEST_F(GaleraEveryNode, ANodeWhoseSchemaDiffersStopsTheChangeBeforeAnyStep) {
  const std::vector<std::string>& urls = scratch_.urls();
  create_users(*scratch_.connect(), 100);
  const std::string change = name_change("nick_agree");
  const fs::path file = write_change_file(
      work_, change,
      "  - add_column:\n      table: users\n      column: {name: nick, type: \"varchar(20)\"}\n"
      "      up: username\n");
  const Server node2 = parse_url(urls.at(1));
  const std::string named = "Galera node " + node2.host + ":" + node2.port +
                            " does not have this database's schema as this node has it";
  const std::string before = schema_dump(urls.at(2));

  on_node_alone(1, "ALTER TABLE users ADD COLUMN stray INT");
  ProcessResult refused = run_change({"start", urls.at(2), file.string()});
  EXPECT_EQ(refused.exit_code, 1) << describe(refused);
  EXPECT_NE(refused.err.find(named), std::string::npos) << describe(refused);
  EXPECT_NE(refused.err.find("has \"column users 5 stray int(11) YES NULL"),
            std::string::npos)
      << describe(refused);
  EXPECT_NE(refused.err.find("no step was run"), std::string::npos) << describe(refused);
  EXPECT_TRUE(status_json(urls.at(2))["phase"].is_null()) << "nothing may be recorded";
  EXPECT_EQ(application_schema(schema_dump(urls.at(2))), application_schema(before));

  on_node_alone(1, "ALTER TABLE users DROP COLUMN stray");
  ProcessResult start = run_change({"start", urls.at(2), file.string()});
  ASSERT_EQ(start.exit_code, 0) << describe(start);

  on_node_alone(1, "ALTER TABLE users DROP COLUMN nick");
  ProcessResult complete = run_change({"complete", urls.at(2)});
  EXPECT_EQ(complete.exit_code, 1) << describe(complete);
  EXPECT_NE(complete.err.find(named), std::string::npos) << describe(complete);
  EXPECT_EQ(status_json(urls.at(2)).value("phase", ""), "started")
      << "complete must stop before the change moves on";

  on_node_alone(1, "ALTER TABLE users ADD COLUMN nick VARCHAR(20) DEFAULT NULL");
  ProcessResult rollback = run_change({"rollback", urls.at(2)});
  EXPECT_EQ(rollback.exit_code, 0) << describe(rollback);
  for (const std::string& url : urls) {
    EXPECT_EQ(application_schema(schema_dump(url)), application_schema(before)) << url;
  }
}

// The change's version database is compared too: a node that lost one of its views (as if it
// had skipped that CREATE VIEW) stops complete before any step, naming the view; with the view
// back, the change goes on.
TEST_F(GaleraEveryNode, ANodeWithoutAViewOfTheNewVersionStopsTheChangeNamingIt) {
  const std::vector<std::string>& urls = scratch_.urls();
  create_users(*scratch_.connect(), 100);
  const std::string change = name_change("nick_view");
  const fs::path file = write_change_file(
      work_, change,
      "  - add_column:\n      table: users\n      column: {name: nick, type: \"varchar(20)\"}\n");
  ProcessResult start = run_change({"start", urls.at(2), file.string()});
  ASSERT_EQ(start.exit_code, 0) << describe(start);
  const std::string view = "`" + change + "`.users";
  const std::string create_view =
      connect_synced(urls.at(2), true)->query("SHOW CREATE VIEW " + view).rows.at(0)[1].text();

  on_node_alone(1, "DROP VIEW " + view);
  ProcessResult complete = run_change({"complete", urls.at(2)});
  EXPECT_EQ(complete.exit_code, 1) << describe(complete);
  const Server node2 = parse_url(urls.at(1));
  EXPECT_NE(complete.err.find("Galera node " + node2.host + ":" + node2.port +
                              " does not have this database's schema as this node has it"),
            std::string::npos)
      << describe(complete);
  EXPECT_NE(complete.err.find("this node has \"database " + change + ": column users 1 id "),
            std::string::npos)
      << describe(complete);
  EXPECT_EQ(status_json(urls.at(2)).value("phase", ""), "started")
      << "complete must stop before the change moves on";

  auto node = connect_synced(urls.at(1), true);
  node->execute("SET SESSION wsrep_on = OFF");
  node->execute("USE `" + change + "`");
  node->execute(create_view);
  ProcessResult completed = run_change({"complete", urls.at(2)});
  EXPECT_EQ(completed.exit_code, 0) << describe(completed);
}

// A node that fails to apply one of the change's DDL statements goes on without it (Galera's
// wsrep_ignore_apply_errors): here node 1 alone holds two users with the same email, so the
// change's unique index cannot be built there. start stops after that step, exit 1, naming
// node 1 and the index; once node 1 is mended by hand, start resumes.
TEST_F(GaleraEveryNode, ANodeThatSkippedAStepsDdlStopsTheChangeNamingTheNodeAndTheStep) {
  const std::vector<std::string>& urls = scratch_.urls();
  scratch_.connect()->execute(
      "CREATE TABLE accounts (id INT PRIMARY KEY, email VARCHAR(50) NOT NULL)");
  scratch_.connect()->execute(
      "INSERT INTO accounts VALUES (1, 'a@example.com'), (2, 'b@example.com')");
  const std::string change = name_change("email_key");
  const fs::path file = write_change_file(
      work_, change,
      "  - create_index: {name: accounts_email_key, table: accounts, columns: [email], "
      "unique: true}\n");
  on_node_alone(0, "INSERT INTO accounts VALUES (3, 'a@example.com')");

  ProcessResult start = run_change({"start", urls.at(2), file.string()});
  EXPECT_EQ(start.exit_code, 1) << describe(start);
  const Server node1 = parse_url(urls.at(0));
  EXPECT_NE(start.err.find("Galera node " + node1.host + ":" + node1.port +
                           " does not have this database's schema as this node has it after "
                           "step \"create unique index accounts_email_key on accounts\""),
            std::string::npos)
      << describe(start);
  EXPECT_NE(start.err.find("\"index accounts accounts_email_key 1 email unique BTREE"),
            std::string::npos)
      << describe(start);
  for (const std::string& url : urls) {
    auto c = connect_synced(url, true);
    EXPECT_EQ(c->query("SHOW STATUS LIKE 'wsrep_local_state_comment'").rows.at(0)[1].text(),
              "Synced")
        << url;
  }

  on_node_alone(0, "DELETE FROM accounts WHERE id = 3");
  on_node_alone(0, "ALTER TABLE accounts ADD UNIQUE INDEX accounts_email_key (email)");
  ProcessResult resumed = run_change({"start", urls.at(2), file.string()});
  EXPECT_EQ(resumed.exit_code, 0) << describe(resumed);
  ProcessResult rollback = run_change({"rollback", urls.at(2)});
  EXPECT_EQ(rollback.exit_code, 0) << describe(rollback);
}

// ---------------------------------------------------------------------------------------------
// 2. kill -9 in the middle of a 300,000-row backfill (Galera: the change on node 3), and
// 4. SIGTERM there.

// Rows per batch of the slow backfills: 300 batches, some seconds of backfill.
constexpr std::int64_t kBatch = 1000;
// Not a timing assertion: what is left of the work lasts minutes (the backfill's pauses), so a
// process that did not stop on the signal is still running at this deadline.
constexpr std::chrono::seconds kExitDeadline{10};

class ChangeBackfillStopped : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    work_ = fresh_work_folder("cutover-change-mariadb");
    create_users(*scratch_.connect(), kBackfillUsers);
    file_ = write_change_file(work_, change_, kSplitOperation);
  }
  void TearDown() override { fs::remove_all(work_); }

  bool galera() const { return GetParam() == Backend::kGalera; }
  // Where the change runs: node 3 of Galera.
  const std::string& url() const { return scratch_.urls().back(); }
  std::unique_ptr<db::Connection> observer() const { return connect_synced(url(), galera()); }

  std::vector<std::string> start_args(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"start", url(), file_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Waits until `start` reports its backfill in its --json events and the state has `batches`
  // batches of it saved; `start` must keep running.
  void wait_in_the_backfill(SpawnedProcess& start, db::Connection& observer, int batches) {
    poll_until(
        "start reports its backfill and has saved " + std::to_string(batches) + " batches", [&] {
          require_running(start, "change start");
          bool reported = false;
          for (const auto& e : json_events(start.output_so_far())) {
            if (e.value("event", "").starts_with("progress") && e.value("task", "") == "backfill") {
              reported = true;
            }
          }
          std::optional<json> change;
          try {
            change = active_change(observer);
          } catch (const Error& e) {
            // Galera: a read that a replicated DDL statement aborted (1213): poll again.
            if (e.vendor_code() != 1213) throw;
            return false;
          }
          return reported && change && change->value("phase", "") == "backfilling" &&
                 last_key_of(users_progress(*change)) >= batches * kBatch;
        });
  }

  // Starts a slow `cutover --json change start`, waits until it is in the backfill, and kills
  // it with SIGKILL. Returns the state as the kill left it.
  json start_and_kill_in_the_backfill() {
    SpawnedProcess start(change_argv(start_args({"--batch-size", std::to_string(kBatch),
                                                 "--batch-target", "0", "--batch-pause", "20ms"}),
                                     true));
    auto c = observer();
    wait_in_the_backfill(start, *c, 5);
    start.kill(SIGKILL);
    ProcessResult r = start.wait(std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 128 + SIGKILL) << describe(r);
    auto change = active_change(*c);
    if (!change) {
      ADD_FAILURE() << "no active change after the kill";
      return json::object();
    }
    return *change;
  }

  std::int64_t addresses() { return scalar_int(*observer(), "SELECT count(*) FROM addresses"); }

  ScratchDatabase scratch_{GetParam()};
  std::string change_ = unique_change_name("split_addresses");
  VersionDatabaseGuard drop_version_database_{scratch_.urls().front(), change_};
  fs::path work_;
  fs::path file_;
};

using ChangeKillNine = ChangeBackfillStopped;

TEST_P(ChangeKillNine, StatusExplainsTheBackfillAndStartResumesAfterTheLastBatch) {
  json killed = start_and_kill_in_the_backfill();
  ASSERT_EQ(killed.value("phase", ""), "backfilling") << killed;
  json progress = users_progress(killed);
  const std::int64_t last_key = last_key_of(progress);
  ASSERT_GE(last_key, 5 * kBatch) << progress;
  ASSERT_LT(last_key, kBackfillUsers) << progress;
  EXPECT_FALSE(progress.value("done", true)) << progress;
  const std::int64_t rows_done = progress.value("rows_done", std::int64_t{-1});
  EXPECT_EQ(rows_done, last_key)
      << "keys 1..N, each touched once: the rows done are the keys up to the last one: "
      << progress;
  {
    // What the state calls done is done; at most the batch that committed before its
    // checkpoint is filled beyond it.
    auto c = observer();
    EXPECT_EQ(scalar_int(*c,
                         "SELECT count(*) FROM users u LEFT JOIN addresses a ON a.user_id = u.id "
                         "WHERE u.id <= $1 AND u.address_line_1 IS NOT NULL AND a.user_id IS NULL",
                         {last_key}),
              0);
    EXPECT_EQ(
        scalar_int(*c, "SELECT count(*) FROM addresses WHERE user_id > $1", {last_key + kBatch}),
        0);
  }

  // status, for people: the phase, the rows done, what to do next.
  ProcessResult human = run_change({"status", url()});
  ASSERT_EQ(human.exit_code, 0) << describe(human);
  EXPECT_TRUE(contains(human.out, "change " + change_ + ": backfilling")) << human.out;
  EXPECT_TRUE(contains(human.out, "users: " + std::to_string(last_key) + " of ~"))
      << "status says how many rows are done (" << last_key << "):\n"
      << human.out;
  EXPECT_TRUE(contains(human.out, "in progress")) << human.out;
  EXPECT_TRUE(contains(human.out, "cutover change start (same file) resumes it")) << human.out;
  // status, for machines.
  json status = status_json(url());
  EXPECT_EQ(status.value("phase", ""), "backfilling") << status;
  EXPECT_EQ(last_key_of(users_progress(status)), last_key) << status;
  EXPECT_EQ(users_progress(status).value("rows_done", std::int64_t{-1}), rows_done) << status;

  // The same start again resumes after the last batch saved: a trigger of the test logs every
  // row the resumed backfill touches.
  {
    auto c = observer();
    c->execute("CREATE TABLE touch_log (n BIGINT AUTO_INCREMENT PRIMARY KEY, id BIGINT NOT NULL)");
    c->execute(
        "CREATE TRIGGER touch_log BEFORE UPDATE ON users FOR EACH ROW INSERT INTO touch_log (id) "
        "VALUES (NEW.id)");
  }
  ProcessResult resumed = run_change(start_args({"--batch-size", std::to_string(kBatch)}), true);
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  auto events = json_events(resumed.out);
  bool said_resumes = false;
  for (const auto& e : events_named(events, "log")) {
    if (contains(e.value("message", ""), "resumes after key " + std::to_string(last_key))) {
      said_resumes = true;
    }
  }
  EXPECT_TRUE(said_resumes) << "the resumed start says where it resumes: " << resumed.out;
  for (const auto& e : events) {
    if (e.value("event", "").starts_with("progress") && e.value("task", "") == "backfill") {
      EXPECT_GE(e.value("done", std::int64_t{-1}), last_key)
          << "progress counts on from the rows done before the kill: " << e;
      break;
    }
  }
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().value("event", ""), "started") << resumed.out;

  auto c = observer();
  EXPECT_GT(scalar_int(*c, "SELECT min(id) FROM touch_log"), last_key)
      << "the resumed backfill did not start over";
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM touch_log"), kBackfillUsers - last_key)
      << "the resumed backfill touched each row after the last key once";
  EXPECT_EQ(scalar_int(*c, "SELECT count(DISTINCT id) FROM touch_log"), kBackfillUsers - last_key);
  EXPECT_EQ(addresses(), kBackfillUsersWithAddress)
      << "one child row per user with an address, each backfilled once";
  EXPECT_EQ(scalar_int(*c, kShapesDisagree), 0);
  json after = status_json(url());
  EXPECT_EQ(after.value("phase", ""), "started") << after;
  EXPECT_TRUE(users_progress(after).value("done", false)) << after;
  EXPECT_EQ(users_progress(after).value("rows_done", std::int64_t{-1}), kBackfillUsers) << after;
}

TEST_P(ChangeKillNine, RollbackAfterTheKillRestoresTheSchema) {
  const std::string before = schema_dump(url());
  json killed = start_and_kill_in_the_backfill();
  ASSERT_EQ(killed.value("phase", ""), "backfilling") << killed;

  ProcessResult rollback = run_change({"rollback", url()});
  ASSERT_EQ(rollback.exit_code, 0) << describe(rollback);
  EXPECT_TRUE(contains(rollback.out, "rolled back")) << rollback.out;

  const std::string after = schema_dump(url());
  EXPECT_EQ(application_schema(after), application_schema(before))
      << "rollback leaves the application's tables as they were";
  auto c = observer();
  // cutover's own tables (state, lease) stay, as PostgreSQL's cutover schema does
  // (docs/change.md, "cutover's own tables"); nothing else differs.
  EXPECT_EQ(joined(cutover_tables(*c)), "_cutover_changes, _cutover_leases");
  EXPECT_FALSE(active_change(*c).has_value());
  EXPECT_FALSE(database_exists(*c, change_)) << "rollback drops the new version's database";
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM users"), kBackfillUsers);
  ProcessResult human = run_change({"status", url()});
  EXPECT_TRUE(contains(human.out, "no active change")) << describe(human);
}

INSTANTIATE_TEST_SUITE_P(MariaDb, ChangeKillNine, testing::Values(Backend::kMariaDb),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(Galera, ChangeKillNine, testing::Values(Backend::kGalera),
                         backend_param_name);

using ChangeSigterm = ChangeBackfillStopped;

TEST_P(ChangeSigterm, SigtermInTheBackfillExitsOneSayingWhatNextAndStartResumes) {
  // 300 batches with a 200 ms pause each: a minute of backfill left when the signal comes.
  SpawnedProcess start(change_argv(start_args({"--batch-size", std::to_string(kBatch),
                                               "--batch-target", "0", "--batch-pause", "200ms"}),
                                   true));
  auto c = observer();
  wait_in_the_backfill(start, *c, 4);
  start.kill(SIGTERM);
  ProcessResult r = start.wait(kExitDeadline);
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  auto interrupted = events_named(json_events(r.out), "interrupted");
  ASSERT_EQ(interrupted.size(), 1u) << describe(r);
  EXPECT_EQ(interrupted[0].value("signal", ""), "SIGTERM") << interrupted[0];
  EXPECT_TRUE(contains(interrupted[0].value("next", ""), "cutover change start")) << interrupted[0];
  json error = error_event(r);
  EXPECT_TRUE(
      contains(error.value("message", ""), "interrupted by SIGTERM during the backfill of users"))
      << error;
  EXPECT_TRUE(contains(error.value("hint", ""), "cutover change start again")) << error;

  EXPECT_FALSE(change_lease_held(*c)) << "the lease is released";
  auto change = active_change(*c);
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->value("phase", ""), "backfilling") << *change;
  const std::int64_t last_key = last_key_of(users_progress(*change));
  ASSERT_GE(last_key, 4 * kBatch) << *change;
  ASSERT_LT(last_key, kBackfillUsers) << *change;
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM addresses WHERE user_id > $1", {last_key}), 0)
      << "the cancelled batch rolled back: nothing is filled beyond the checkpoint";
  ProcessResult human = run_change({"status", url()});
  EXPECT_TRUE(contains(human.out, "cutover change start (same file) resumes it")) << human.out;

  ProcessResult resumed = run_change(start_args(), true);
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  EXPECT_EQ(status_json(url()).value("phase", ""), "started");
  EXPECT_EQ(addresses(), kBackfillUsersWithAddress);
  EXPECT_EQ(scalar_int(*c, kShapesDisagree), 0);
}

INSTANTIATE_TEST_SUITE_P(MariaDb, ChangeSigterm, testing::Values(Backend::kMariaDb),
                         backend_param_name);

// ---------------------------------------------------------------------------------------------
// 3. Bad input: exit 2 (3 for a conflict), a clear message, nothing changed: the dump as it
// was, no table of cutover's and no new version's database left.

const fs::path kBadCases = fs::path(CUTOVER_CASES_DIR) / "change_cli" / "bad";

class ChangeBadInput : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    work_ = fresh_work_folder("cutover-change-mariadb");
    create_users(*scratch_.connect(), 5'000);
    before_ = schema_dump(url());
  }
  void TearDown() override { fs::remove_all(work_); }

  const std::string& url() const { return scratch_.url(); }

  // Runs `change ARGS` for people and with --json: each must exit `exit_code` and say every one
  // of `parts`. Returns the --json error event.
  json expect_refused(const std::vector<std::string>& args, int exit_code,
                      const std::vector<std::string>& parts) {
    ProcessResult human = run_change(args);
    EXPECT_EQ(human.exit_code, exit_code) << describe(human);
    EXPECT_TRUE(contains(human.err, "error: ")) << describe(human);
    ProcessResult machine = run_change(args, true);
    EXPECT_EQ(machine.exit_code, exit_code) << describe(machine);
    json error = error_event(machine);
    EXPECT_EQ(error.value("exit_code", -1), exit_code) << error;
    for (const auto& part : parts) {
      EXPECT_TRUE(contains(human.err, part)) << "stderr names '" << part << "':\n" << human.err;
      EXPECT_TRUE(contains(error.value("message", ""), part))
          << "the error names '" << part << "': " << error;
    }
    return error;
  }

  // Nothing changed: the dump as before, no database named `change`, no active change, and,
  // for a change refused before it began, no table of cutover's. (A start that began and was
  // rolled back leaves cutover's own tables, without an active change: docs/change.md.)
  void expect_nothing_changed(const std::string& change, bool began = false) {
    const std::string after = schema_dump(url());
    EXPECT_EQ(application_schema(after), application_schema(before_))
        << "the application's tables are as they were";
    auto c = scratch_.connect();
    if (!began) {
      // With the check above, mariadb-dump --no-data is identical.
      EXPECT_TRUE(cutover_tables(*c).empty())
          << "a refused start created cutover's own tables: " << joined(cutover_tables(*c));
    }
    EXPECT_FALSE(database_exists(*c, change)) << "database " << change << " was created";
    json status = status_json(url());
    EXPECT_TRUE(status.contains("phase") && status["phase"].is_null()) << status;
  }

  std::vector<std::string> start(const fs::path& file) const {
    return {"start", url(), file.string()};
  }

  ScratchDatabase scratch_{GetParam()};
  fs::path work_;
  std::string before_;
};

TEST_P(ChangeBadInput, UnknownOperation) {
  json error = expect_refused(start(kBadCases / "unknown_kind.yaml"), 2,
                              {"operation 2 (frobnicate_table, line 7)", "frobnicate_table"});
  EXPECT_TRUE(contains(error.value("hint", ""), "split_to_table")) << "lists the kinds: " << error;
  expect_nothing_changed("unknown_kind");
}

TEST_P(ChangeBadInput, MissingColumn) {
  expect_refused(start(kBadCases / "missing_column.yaml"), 2,
                 {"operation 2 (split_to_table, line 7)", "no_such_column"});
  expect_nothing_changed("missing_column");
}

TEST_P(ChangeBadInput, MalformedYaml) {
  expect_refused(start(kBadCases / "malformed.yaml"), 2, {"malformed.yaml:7:", "not valid YAML"});
  expect_nothing_changed("malformed");
}

// `up` divides by zero on the rows whose key ends in 007: in MariaDB's strict mode with
// ERROR_FOR_DIVISION_BY_ZERO (the default) an UPDATE that does so fails.
TEST_P(ChangeBadInput, UpFailingOnSomeRows) {
  const std::string change = unique_change_name("up_fails");
  VersionDatabaseGuard guard(url(), change);
  fs::path file = write_change_file(work_, change,
                                    "  - add_column:\n"
                                    "      table: users\n"
                                    "      column: {name: ratio, type: int}\n"
                                    "      up: \"100 / (id % 1000 - 7)\"\n");
  for (bool json_output : {false, true}) {
    SCOPED_TRACE(json_output ? "--json" : "for people");
    ProcessResult r = run_change(start(file), json_output);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    std::string message = json_output ? error_event(r).value("message", "") : r.err;
    EXPECT_TRUE(contains(message, "Division by 0")) << "the database's error: " << message;
    std::smatch key;
    ASSERT_TRUE(std::regex_search(message, key, std::regex(R"(\bid = (\d+))")))
        << "a sample row, by its key: " << message;
    EXPECT_EQ(std::stoll(key[1].str()) % 1000, 7) << "a row where the division fails: " << message;
    EXPECT_TRUE(contains(message, "rolled back")) << message;
    expect_nothing_changed(change, /*began=*/true);
  }
}

// alter_column is refused on MariaDB (docs/change.md: it ends in a rename that the new
// version's views do not follow). When it is ported, name another operation refused there.
TEST_P(ChangeBadInput, OperationNotSupportedOnMariaDb) {
  const std::string change = unique_change_name("widen_username");
  VersionDatabaseGuard guard(url(), change);
  fs::path file = write_change_file(work_, change,
                                    "  - alter_column:\n"
                                    "      table: users\n"
                                    "      column: username\n"
                                    "      type: \"varchar(40)\"\n");
  json error =
      expect_refused(start(file), 2, {"operation 1 (alter_column, line 3)", "not supported on"});
  EXPECT_TRUE(contains(error.value("hint", ""), "cutover migrate")) << "says what to do: " << error;
  expect_nothing_changed(change);
}

// A check constraint: MariaDB adds one only by copying the table under a lock.
TEST_P(ChangeBadInput, CheckConstraintIsRefusedOnMariaDb) {
  const std::string change = unique_change_name("check_username");
  VersionDatabaseGuard guard(url(), change);
  fs::path file = write_change_file(work_, change,
                                    "  - add_constraint: {table: users, name: "
                                    "users_username_check, check: \"username <> ''\"}\n");
  expect_refused(start(file), 2, {"operation 1 (add_constraint, line 3)", "copying the table"});
  expect_nothing_changed(change);
}

// MariaDB adds or drops a column of a table with a FULLTEXT index only by rebuilding it with
// its writes blocked: the operations that would are refused before anything changes (before,
// start failed half-way with 1845 and left the change in `starting`).
TEST_P(ChangeBadInput, ColumnsOfATableWithAFulltextIndexAreRefused) {
  scratch_.connect()->execute("ALTER TABLE users ADD FULLTEXT INDEX users_username_ft (username)");
  before_ = schema_dump(url());
  const std::vector<std::pair<std::string, std::string>> operations = {
      {"add_column",
       "  - add_column:\n      table: users\n      column: {name: nick, type: \"varchar(20)\"}\n"},
      {"drop_column", "  - drop_column: {table: users, column: address_line_2}\n"},
      {"split_to_table",
       "  - split_to_table:\n      table: users\n      columns: [address_line_1]\n"
       "      into: addresses\n      key: user_id\n"},
  };
  for (const auto& [kind, operation] : operations) {
    SCOPED_TRACE(kind);
    const std::string change = unique_change_name("ft_" + kind);
    VersionDatabaseGuard guard(url(), change);
    fs::path file = write_change_file(work_, change, operation);
    expect_refused(start(file), 2,
                   {"operation 1 (" + kind + ", line 3)",
                    "table users has a FULLTEXT index (users_username_ft)"});
    expect_nothing_changed(change);
  }
}

TEST_P(ChangeBadInput, SecondChangeWhileOneIsActive) {
  const std::string first = unique_change_name("add_email");
  const std::string second = unique_change_name("add_nickname");
  VersionDatabaseGuard first_guard(url(), first);
  VersionDatabaseGuard second_guard(url(), second);
  fs::path first_file =
      write_change_file(work_, first,
                        "  - add_column:\n"
                        "      table: users\n"
                        "      column: {name: email, type: \"varchar(200)\"}\n"
                        "      up: \"concat(lower(username), '@example.com')\"\n");
  fs::path second_file =
      write_change_file(work_, second,
                        "  - add_column:\n"
                        "      table: users\n"
                        "      column: {name: nickname, type: \"varchar(20)\"}\n");
  ProcessResult started = run_change(start(first_file));
  ASSERT_EQ(started.exit_code, 0) << describe(started);
  const std::string before = schema_dump(url());

  expect_refused(start(second_file), 3, {first});
  EXPECT_EQ(schema_dump(url()), before) << "the second change added nothing";
  auto c = scratch_.connect();
  EXPECT_FALSE(database_exists(*c, second));
  json status = status_json(url());
  EXPECT_EQ(status.value("name", ""), first) << status;
  EXPECT_EQ(status.value("phase", ""), "started") << status;

  ProcessResult rollback = run_change({"rollback", url()});
  EXPECT_EQ(rollback.exit_code, 0) << describe(rollback);
}

INSTANTIATE_TEST_SUITE_P(MariaDb, ChangeBadInput, testing::Values(Backend::kMariaDb),
                         backend_param_name);

}  // namespace
}  // namespace cutover
