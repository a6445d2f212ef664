// `cutover move` of SQLite files as a user runs it: an application's database (WAL mode, a
// WITHOUT ROWID table, an AUTOINCREMENT table, a view, a trigger, an FTS5 table, blobs, a
// user_version) moved to another directory under a new name while `cutover probe` writes to
// it; abort after each step; bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "db/registry.h"
#include "support/cli_output.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"

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

class MoveSqlite : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cutover-move-sqlite-" + std::to_string(getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "app");
    source_ = (dir_ / "app" / "shop.db").string();
    target_dir_ = (dir_ / "new-volume").string();
    target_ = target_dir_ + "/store.db";
    state_ = (dir_ / "moves.db").string();
    auto db = db::connect("sqlite:" + source_);
    for (const char* sql : {
             "PRAGMA journal_mode = WAL",
             "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, "
             "photo BLOB, score REAL)",
             "CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INT REFERENCES "
             "users (id), total NUMERIC, note TEXT)",
             "CREATE TABLE settings (k TEXT PRIMARY KEY, v) WITHOUT ROWID",
             "CREATE INDEX orders_user ON orders (user_id)",
             "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100",
             "CREATE TRIGGER orders_score AFTER INSERT ON orders BEGIN UPDATE users SET score = "
             "coalesce(score, 0) + 1 WHERE id = NEW.user_id; END",
             "CREATE VIRTUAL TABLE docs USING fts5(body)",
             "PRAGMA user_version = 7",
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
             "INSERT INTO users (name, email, photo, score) SELECT 'u' || i, 'u' || i || "
             "'@example.org', randomblob(64), i / 3.0 FROM n",
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
             "INSERT INTO orders (user_id, total, note) SELECT 1 + i % 5000, i * 1.5, "
             "printf('%.*c', i % 200, 'x') FROM n",
             "DELETE FROM orders WHERE id > 19990",  // AUTOINCREMENT remembers 20000
             "INSERT INTO settings VALUES ('theme', 'dark'), ('limit', 10), ('none', NULL)",
             "INSERT INTO docs VALUES ('hello world'), ('zürich ünïcode')",
         }) {
      db->execute(sql);
    }
  }

  void TearDown() override { fs::remove_all(dir_); }

  ProcessResult move(std::vector<std::string> args) {
    args.insert(args.begin(), {"--json", "move"});
    args.insert(args.end(), {"--state", state_});
    return test::run_process(cutover_argv(args), {}, std::chrono::seconds(120));
  }

  std::vector<std::string> create_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"create", "--to", "sqlite:" + target_dir_, "--database",
                                     "sqlite:" + source_ + "=store.db"};
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

  // The whole file as SQL sees it: its schema and every row of every table, in order.
  static std::string fingerprint(const std::string& path) {
    auto db = db::connect("sqlite:" + path);
    std::string out = "user_version " + scalar(*db, "PRAGMA user_version") + "\n";
    std::vector<std::string> tables;
    for (const auto& row :
         db->query("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name").rows) {
      out += row[0].text() + " " + row[1].text() + ": " + row[2].text() + "\n";
      if (row[0].text() == "table" && !contains(row[2].text(), "VIRTUAL")) {
        tables.push_back(row[1].text());
      }
    }
    for (const auto& t : tables) {
      db->query_stream("SELECT * FROM \"" + t + "\" ORDER BY 1", {}, [&](const db::Row& row) {
        out += t + ":";
        for (const auto& v : row) out += " " + (v.is_null() ? std::string("NULL") : v.text());
        out += "\n";
        return true;
      });
    }
    return out;
  }

  fs::path dir_;
  std::string source_, target_dir_, target_, state_;
  static inline int counter_ = 0;
};

// The application writes through the move: reads never fail; writes succeed until the freeze
// and are refused by its triggers from then on; every acknowledged write is in the copy, which
// holds the same schema and rows and no freeze trigger, and takes writes after finalize.
TEST_P(MoveSqlite, AnApplicationsFileMovesToAnotherDirectoryWhileItWrites) {
  const fs::path record_path = dir_ / "probe.json";
  SpawnedProcess probe(
      cutover_argv({"probe", "sqlite:" + source_, "--duration", "1h", "--readers", "1", "--writers",
                    "2", "--rate", "50", "--json", record_path.string()}));
  auto db = db::connect("sqlite:" + source_);
  test::poll_until("the probe writes", [&] {
    test::require_running(probe, "the probe");
    return scalar(*db, "SELECT count(*) FROM sqlite_schema WHERE name = 'cutover_probe'") == "1" &&
           scalar(*db, "SELECT count(*) FROM cutover_probe") != "0";
  });
  std::string id = create();
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  auto data = step("data", id);
  ASSERT_EQ(data.exit_code, 0) << describe(data);
  EXPECT_EQ(events_named(json_events(data.out), "verified").size(), 1u) << data.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // writes refused meanwhile
  ASSERT_EQ(step("finalize", id).exit_code, 0);

  probe.kill(SIGINT);
  ProcessResult stopped = probe.wait(std::chrono::seconds(60));
  ASSERT_TRUE(fs::exists(record_path)) << describe(stopped);
  json record = json::parse(std::ifstream(record_path));
  EXPECT_EQ(record["summary"]["reads"]["failed"], 0) << record["summary"].dump();
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
    EXPECT_TRUE(contains(op[8].get<std::string>(), "frozen while it moves")) << op.dump();
  }
  EXPECT_GT(refused, 0) << "the probe wrote while the source was frozen";
  EXPECT_LT(last_ok_start, first_refused_start) << "a write succeeded after the freeze began";
  json verification = record["summary"]["verification"];
  EXPECT_TRUE(verification["lost"].empty()) << verification.dump();

  auto copy = db::connect("sqlite:" + target_);
  EXPECT_EQ(scalar(*copy, "SELECT count(*) FROM cutover_probe WHERE run_id = '" +
                              record["run_id"].get<std::string>() + "'"),
            std::to_string(verification["acknowledged"].get<std::int64_t>()));
  EXPECT_EQ(scalar(*copy, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'cutover_freeze%'"),
            "0");
  // The source without its freeze triggers is the copy.
  std::string source_print = fingerprint(source_), target_print = fingerprint(target_);
  std::string without_triggers;
  for (std::size_t at = 0, end; at < source_print.size(); at = end + 1) {
    end = source_print.find('\n', at);
    std::string line = source_print.substr(at, end - at);
    if (!line.starts_with("trigger cutover_freeze_")) without_triggers += line + "\n";
  }
  EXPECT_EQ(without_triggers, target_print);
  copy->execute("INSERT INTO orders (user_id, total) VALUES (1, 5)");
  EXPECT_EQ(scalar(*copy, "SELECT max(id) FROM orders"), "20001") << "AUTOINCREMENT came along";
  EXPECT_EQ(scalar(*copy, "SELECT count(*) FROM docs WHERE docs MATCH 'zürich'"), "1");

  ASSERT_EQ(step("cleanup", id, {"--drop-source"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(source_));
  EXPECT_FALSE(fs::exists(state_ + ".d/" + id)) << "the move's folder and its lock are gone";
}

// Abort after each step: the source file exactly as before (schema, rows, no trigger left),
// the copy gone, and the application writes the source again.
TEST_P(MoveSqlite, AbortAfterEachStepLeavesTheSourceAsItWas) {
  const std::string before = fingerprint(source_);
  const std::vector<std::string> steps = {"prepare", "data", "finalize"};
  for (std::size_t reached = 0; reached <= steps.size(); ++reached) {
    SCOPED_TRACE("abort after " + (reached == 0 ? std::string("create") : steps[reached - 1]));
    std::string id = create();
    ASSERT_FALSE(id.empty());
    for (std::size_t i = 0; i < reached; ++i) ASSERT_EQ(step(steps[i], id).exit_code, 0);
    auto aborted = step("abort", id);
    ASSERT_EQ(aborted.exit_code, 0) << describe(aborted);
    EXPECT_EQ(fingerprint(source_), before);
    EXPECT_FALSE(fs::exists(target_));
    ASSERT_EQ(step("status", id).exit_code, 0);
    EXPECT_FALSE(fs::exists(state_ + ".d/" + id)) << "the move's folder and its lock are gone";
    db::connect("sqlite:" + source_)->execute("UPDATE settings SET v = v WHERE k = 'theme'");
  }
}

// After finalize the copy is live: abort refuses to lose a write made there (exit 3).
TEST_P(MoveSqlite, AbortAfterFinalizeRefusesToLoseAWriteToTheCopy) {
  std::string id = create();
  for (const char* s : {"prepare", "data", "finalize"}) ASSERT_EQ(step(s, id).exit_code, 0) << s;
  db::connect("sqlite:" + target_)->execute("UPDATE settings SET v = 'light' WHERE k = 'theme'");
  auto refused = step("abort", id);
  EXPECT_EQ(refused.exit_code, 3) << describe(refused);
  EXPECT_TRUE(contains(test::error_event(refused).value("message", ""), "store.db: settings"))
      << describe(refused);
  EXPECT_TRUE(fs::exists(target_));
  // status keeps the refused attempt in the move's events.
  auto status = json_events(step("status", id).out);
  ASSERT_FALSE(status.empty());
  const nlohmann::json& last = status.back()["events"].back();
  EXPECT_TRUE(contains(last.value("what", ""), "abort failed (exit 3): ")) << last.dump();
  EXPECT_TRUE(contains(last.value("what", ""), "store.db: settings")) << last.dump();
  ASSERT_EQ(step("abort", id, {"--discard-target-writes"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(target_));
}

// A file put at the target's path during the move is neither overwritten by data nor deleted
// by abort.
TEST_P(MoveSqlite, AFileThatAppearsAtTheTargetIsLeftAlone) {
  std::string id = create();
  ASSERT_EQ(step("prepare", id).exit_code, 0);
  std::ofstream(target_) << "someone else's";
  auto data = step("data", id);
  EXPECT_EQ(data.exit_code, 1) << describe(data);
  EXPECT_TRUE(contains(test::error_event(data).value("message", ""), "appeared during the move"))
      << describe(data);
  ASSERT_EQ(step("abort", id).exit_code, 0);
  std::ifstream in(target_);
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, "someone else's");
  EXPECT_FALSE(fs::exists(target_ + ".cutover-partial"));
}

// What cannot work is refused by create (exit 2) before anything is saved.
TEST_P(MoveSqlite, WhatCannotWorkIsRefusedBeforeAnythingChanges) {
  auto refused = [&](std::vector<std::string> args, const std::string& says) {
    SCOPED_TRACE(says);
    auto r = move(args);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(contains(r.out + r.err, says)) << describe(r);
    EXPECT_FALSE(fs::exists(state_)) << "nothing was saved";
  };
  auto args = create_args();
  args[4] = "sqlite:" + (dir_ / "app" / "missing.db").string();
  refused(args, "no such file");
  refused(create_args({"--freeze", "read_only"}), "--freeze read_only is not available on SQLite");
  fs::create_directories(target_dir_);
  std::ofstream(target_) << "in the way";
  refused(create_args(), "store.db: exists");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MoveSqlite, testing::Values(Backend::kSqlite));

}  // namespace
}  // namespace cutover
