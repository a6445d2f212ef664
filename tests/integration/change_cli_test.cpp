// `cutover change` as a user runs it (the real binary): kill -9 in the middle of the backfill,
// then status, resume and rollback; a backfill under heavy inserts; bad input refused with
// nothing changed; DDL steps that wait out a lock holder.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "change/change_lease.h"
#include "coord/lease.h"
#include "core/error.h"
#include "db/connection.h"
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
using test::error_event;
using test::events_named;
using test::json_events;
using test::poll_until;
using test::ProcessResult;
using test::require_running;
using test::ScratchDatabase;
using test::SpawnedProcess;

const fs::path kCases = fs::path(CUTOVER_CASES_DIR) / "change_cli";
// Rows of tests/cases/change_cli/users (keys 1..kUsers) and small (keys 1..kSmallUsers).
constexpr std::int64_t kUsers = 300'000;
constexpr std::int64_t kSmallUsers = 5'000;
// The batch size of the slow backfills; a batch may commit before its progress is saved.
constexpr std::int64_t kBatch = 500;

bool is_postgres(Backend backend) { return backend == Backend::kPostgres; }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `cutover [--json] change ARGS...`
std::vector<std::string> change_argv(const std::vector<std::string>& args, bool json_output) {
  std::vector<std::string> argv = {CUTOVER_BINARY};
  if (json_output) argv.push_back("--json");
  argv.push_back("change");
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

ProcessResult run_change(const std::vector<std::string>& args, bool json_output = false,
                         std::chrono::seconds timeout = std::chrono::seconds(600)) {
  return test::run_process(change_argv(args, json_output), {}, timeout);
}

std::int64_t scalar_int(db::Connection& c, const std::string& sql, const db::Params& params = {}) {
  return c.query(sql, params).scalar().as_int();
}

// Runs the statements of an SQL file of tests/cases/change_cli: each ends with `;` at the end of
// a line; lines starting with `--` are skipped.
void run_sql_file(db::Connection& c, const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::string statement, line;
  while (std::getline(in, line)) {
    if (line.starts_with("--")) continue;
    statement += line + "\n";
    auto end = line.find_last_not_of(" \t\r");
    if (end != std::string::npos && line[end] == ';') {
      c.execute(statement);
      statement.clear();
    }
  }
  if (statement.find_first_not_of(" \t\r\n") != std::string::npos) {
    throw std::runtime_error(file.string() + " ends with a statement without `;`");
  }
}

// `name.sql` on PostgreSQL, `name.sqlite.sql` on SQLite, in case folder `folder`.
fs::path sql_file(const std::string& folder, const std::string& name, Backend backend) {
  return kCases / folder / (name + (is_postgres(backend) ? ".sql" : ".sqlite.sql"));
}

// The base schema as a text to compare: `pg_dump --schema-only -n public` without its
// \restrict lines (a random key per run) on PostgreSQL; sqlite_master without cutover's state
// table on SQLite. Fails the test when pg_dump fails.
std::string schema_dump(const ScratchDatabase& scratch, Backend backend) {
  if (is_postgres(backend)) {
    ProcessResult r = test::run_process({test::find_program("pg_dump"), "--schema-only", "--no-owner",
                                         "-n", "public", "-d", scratch.url()});
    EXPECT_EQ(r.exit_code, 0) << "pg_dump: " << describe(r);
    std::istringstream lines(r.out);
    std::string dump, line;
    while (std::getline(lines, line)) {
      if (line.starts_with("\\restrict") || line.starts_with("\\unrestrict")) continue;
      dump += line + "\n";
    }
    EXPECT_TRUE(contains(dump, "CREATE TABLE public.users")) << "pg_dump shows no users:\n" << dump;
    return dump;
  }
  auto c = scratch.connect();
  std::string dump;
  for (const auto& row :
       c->query("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name NOT IN "
                "('_cutover_changes', '_cutover_leases') ORDER BY type, name")
           .rows) {
    for (const auto& value : row) dump += (value.is_null() ? "NULL" : value.text()) + " | ";
    dump += "\n";
  }
  EXPECT_TRUE(contains(dump, "CREATE TABLE users")) << "sqlite_master shows no users:\n" << dump;
  return dump;
}

// The active change as the state table holds it: {name, phase, backfill: [...]}, or nullopt.
std::optional<json> active_change(db::Connection& c, Backend backend) {
  std::string table = is_postgres(backend) ? "cutover.changes" : "_cutover_changes";
  std::string exists = is_postgres(backend)
                           ? "SELECT count(*) FROM pg_tables WHERE schemaname = 'cutover' AND "
                             "tablename = 'changes'"
                           : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
                             "'_cutover_changes'";
  if (scalar_int(c, exists) == 0) return std::nullopt;
  auto result = c.query("SELECT name, phase, backfill FROM " + table + " WHERE active = 1");
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

// The changes the tests run, and how to tell that a row of users has its new shape.
struct Variant {
  const char* test_name;
  const char* file;    // under tests/cases/change_cli/changes
  const char* change;  // its name
  const char* table;   // the table the new shape lives in: users or the split's child
};

const Variant kSplit{"SplitToTable", "split_addresses.yaml", "split_addresses", "addresses"};
const Variant kAddColumn{"AddColumn", "add_email.yaml", "add_email", "users"};

struct Param {
  Backend backend;
  Variant variant;
};

// For gtest's messages and ctest's test list.
void PrintTo(const Param& p, std::ostream* os) {
  *os << test::backend_name(p.backend) << " " << p.variant.change;
}

std::string param_name(const testing::TestParamInfo<Param>& info) {
  return info.param.variant.test_name;
}

// Both changes on one database: what each suite is instantiated with.
const auto kPostgresVariants =
    testing::Values(Param{Backend::kPostgres, kSplit}, Param{Backend::kPostgres, kAddColumn});
const auto kSqliteVariants =
    testing::Values(Param{Backend::kSqlite, kSplit}, Param{Backend::kSqlite, kAddColumn});

// SQL: the number of rows of users with key <= $1 whose new shape does not say what their old
// columns say (add_email: the column before complete, its shadow on PostgreSQL; split: a child
// row with the same address).
std::string unfilled_sql(const Param& p) {
  bool pg = is_postgres(p.backend);
  std::string distinct = pg ? " IS DISTINCT FROM " : " IS NOT ";
  if (std::string(p.variant.change) == "add_email") {
    return std::string("SELECT count(*) FROM users WHERE id <= $1 AND ") +
           (pg ? "_cutover_email" : "email") + distinct + "lower(username) || '@example.com'";
  }
  return "SELECT count(*) FROM users u LEFT JOIN addresses a ON a.user_id = u.id WHERE u.id <= "
         "$1 AND (a.user_id IS NULL OR a.address_line_1" +
         distinct + "u.address_line_1 OR a.address_line_2" + distinct + "u.address_line_2)";
}

// SQL: the number of rows of users that have their new shape at all.
std::string filled_sql(const Param& p) {
  if (std::string(p.variant.change) == "add_email") {
    return std::string("SELECT count(*) FROM users WHERE ") +
           (is_postgres(p.backend) ? "_cutover_email" : "email") + " IS NOT NULL";
  }
  return "SELECT count(*) FROM addresses";
}

class ChangeCliTest : public testing::TestWithParam<Param> {
 protected:
  Backend backend() const { return GetParam().backend; }
  const Variant& variant() const { return GetParam().variant; }
  fs::path change_file() const { return kCases / "changes" / variant().file; }
  const std::string& url() const { return scratch_.url(); }

  void setup(const std::string& folder, bool touch_log = false) {
    auto c = scratch_.connect();
    run_sql_file(*c, sql_file(folder, "setup", backend()));
    if (touch_log) run_sql_file(*c, sql_file(folder, "touch_log", backend()));
  }

  // `change start URL FILE extra...`
  std::vector<std::string> start_args(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"start", url(), change_file().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::int64_t unfilled_up_to(std::int64_t key) {
    auto c = scratch_.connect();
    return scalar_int(*c, unfilled_sql(GetParam()), {key});
  }

  std::int64_t filled() {
    auto c = scratch_.connect();
    return scalar_int(*c, filled_sql(GetParam()));
  }

  // For the split on PostgreSQL, where the backfill inserts the child rows itself, set-based,
  // and leaves users untouched: logs in touch_log the key of every child row it inserts.
  void log_child_inserts() {
    if (!is_postgres(backend()) || variant().table != std::string("addresses")) return;
    auto c = scratch_.connect();
    c->execute(
        "CREATE FUNCTION log_child() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO "
        "touch_log (id) VALUES (NEW.user_id); RETURN NULL; END $$");
    c->execute(
        "CREATE TRIGGER log_child AFTER INSERT ON addresses FOR EACH ROW EXECUTE FUNCTION "
        "log_child()");
  }

  // Polls until the state that `observer` reads shows `rows` rows of users backfilled by
  // `start`, which must keep running.
  void wait_for_backfill(SpawnedProcess& start, db::Connection& observer, std::int64_t rows) {
    poll_until("the backfill has done " + std::to_string(rows) + " rows", [&] {
      require_running(start, "change start");
      auto change = active_change(observer, backend());
      if (!change || change->value("phase", "") != "backfilling") return false;
      json progress = users_progress(*change);
      return progress.is_object() && progress.value("rows_done", 0) >= rows;
    });
  }

  // Starts a slow `cutover --json change start`, waits until the state shows a few batches of
  // the backfill done, runs `while_running`, and kills the start with SIGKILL. Returns the
  // state as the kill left it.
  json start_and_kill_in_the_backfill(const std::function<void()>& while_running = {}) {
    SpawnedProcess start(change_argv(
        start_args({"--batch-size", std::to_string(kBatch), "--batch-pause", "20ms"}), true));
    auto observer = scratch_.connect();
    wait_for_backfill(start, *observer, 4 * kBatch);
    if (while_running) while_running();
    require_running(start, "change start");
    start.kill(SIGKILL);
    ProcessResult r = start.wait(std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 128 + SIGKILL) << describe(r);

    auto change = active_change(*observer, backend());
    if (!change) {
      ADD_FAILURE() << "no active change after the kill";
      return json::object();
    }
    return *change;
  }

  ScratchDatabase scratch_{GetParam().backend};
};

// ---------------------------------------------------------------------------------------------
// 1. kill -9 in the middle of the backfill.

using ChangeKillNine = ChangeCliTest;

TEST_P(ChangeKillNine, StatusExplainsTheKilledBackfillAndASecondStartResumesIt) {
  setup("users", /*touch_log=*/true);
  // While the start runs, status says so, and that the next thing is to wait.
  json killed = start_and_kill_in_the_backfill([&] {
    ProcessResult running = run_change({"status", url()});
    ASSERT_EQ(running.exit_code, 0) << describe(running);
    EXPECT_TRUE(contains(running.out, "running     process ")) << running.out;
    EXPECT_TRUE(contains(running.out, "next        wait for it")) << running.out;
    EXPECT_FALSE(contains(running.out, "resumes it")) << running.out;
    EXPECT_TRUE(status_json(url())["running"].is_string()) << status_json(url());
  });
  ASSERT_EQ(killed.value("phase", ""), "backfilling") << killed;
  json progress = users_progress(killed);
  ASSERT_TRUE(progress.is_object()) << killed;
  const std::int64_t rows_done = progress.value("rows_done", std::int64_t{-1});
  ASSERT_TRUE(progress["last_key"].is_string()) << progress;
  const std::int64_t last_key = std::stoll(progress["last_key"].get<std::string>());
  EXPECT_EQ(progress.value("upper_bound", json()), std::to_string(kUsers)) << progress;
  EXPECT_FALSE(progress.value("done", true)) << progress;
  ASSERT_GE(rows_done, 4 * kBatch) << progress;
  ASSERT_LT(rows_done, kUsers) << progress;

  // What the state calls done is done: every row up to the last key has its new shape, and at
  // most the one batch that committed before its progress was saved is filled beyond it.
  EXPECT_EQ(last_key, rows_done) << "keys 1..N, each touched once: " << progress;
  EXPECT_EQ(unfilled_up_to(last_key), 0) << progress;
  std::int64_t filled_rows = filled();
  EXPECT_GE(filled_rows, rows_done);
  EXPECT_LE(filled_rows, rows_done + kBatch);

  // status, for people: the phase, the rows done, what to do next.
  ProcessResult human = run_change({"status", url()});
  ASSERT_EQ(human.exit_code, 0) << describe(human);
  EXPECT_TRUE(contains(human.out, std::string("change ") + variant().change + ": backfilling"))
      << human.out;
  EXPECT_TRUE(contains(human.out, "users: " + std::to_string(rows_done) + " of ~" +
                                      std::to_string(kUsers) + " rows, in progress"))
      << human.out;
  EXPECT_TRUE(contains(human.out, "cutover change start (same file) resumes it")) << human.out;
  EXPECT_TRUE(contains(human.out, "cutover change rollback")) << human.out;
  // Its lease is still held (for the ttl), but its process has ended: nothing is running.
  EXPECT_FALSE(contains(human.out, "running")) << human.out;

  // status, for machines.
  json status = status_json(url());
  EXPECT_EQ(status.value("name", ""), variant().change) << status;
  EXPECT_EQ(status.value("phase", ""), "backfilling") << status;
  EXPECT_TRUE(status.contains("running") && status["running"].is_null()) << status;
  json status_progress = users_progress(status);
  ASSERT_TRUE(status_progress.is_object()) << status;
  EXPECT_EQ(status_progress.value("rows_done", std::int64_t{-1}), rows_done) << status;
  EXPECT_EQ(status_progress.value("rows_estimate", std::int64_t{-1}), kUsers) << status;
  EXPECT_FALSE(status_progress.value("done", true)) << status;

  // The same start again resumes: its backfill continues after the last key saved.
  scratch_.connect()->execute("DELETE FROM touch_log");
  log_child_inserts();
  ProcessResult resumed = run_change(start_args({"--batch-size", std::to_string(kBatch)}), true);
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  auto events = json_events(resumed.out);
  bool said_resumes = false;
  for (const auto& e : events_named(events, "log")) {
    std::string message = e.value("message", "");
    if (contains(message, "resumes after key " + std::to_string(last_key)) &&
        contains(message, std::to_string(rows_done) + " rows done")) {
      said_resumes = true;
    }
  }
  EXPECT_TRUE(said_resumes) << "the resumed start says where it resumes: " << resumed.out;
  for (const auto& e : events) {
    if (e.value("event", "").starts_with("progress") && e.value("task", "") == "backfill") {
      EXPECT_GE(e.value("done", std::int64_t{-1}), rows_done)
          << "progress counts on from the rows done before the kill: " << e;
    }
  }
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().value("event", ""), "started") << resumed.out;
  EXPECT_EQ(events.back().value("phase", ""), "started") << resumed.out;

  // The resumed backfill touched (or for the split on PostgreSQL, copied) only the rows after
  // the last key saved, each of them. A batch that committed before its progress was saved
  // (the kill can fall between the two) is done again: add_column's UPDATE touches its rows
  // again; the split on PostgreSQL finds their child rows and inserts none of them again.
  auto c = scratch_.connect();
  EXPECT_GT(scalar_int(*c, "SELECT min(id) FROM touch_log"), last_key);
  const bool inserts_children =
      is_postgres(backend()) && variant().table == std::string("addresses");
  EXPECT_EQ(scalar_int(*c, "SELECT count(DISTINCT id) FROM touch_log"),
            inserts_children ? kUsers - filled_rows : kUsers - last_key)
      << "filled before the resume: " << filled_rows << ", last key saved: " << last_key;

  EXPECT_EQ(unfilled_up_to(kUsers), 0) << "every row has its new shape";
  json after = status_json(url());
  EXPECT_EQ(after.value("phase", ""), "started") << after;
  json after_progress = users_progress(after);
  EXPECT_EQ(after_progress.value("rows_done", std::int64_t{-1}), kUsers) << after;
  EXPECT_TRUE(after_progress.value("done", false)) << after;
}

// Two starts of one change side by side: the second finds the first renewing the change lease
// and exits 3 naming it, having changed nothing; the first finishes alone.
TEST_P(ChangeKillNine, ASecondStartBesideALiveOneExitsThreeNamingTheHolder) {
  setup("users");
  // 60 fixed batches 200 ms apart: the first start outlives the second's look at the lease (a
  // renewal comes within seconds) on any machine. With batches growing toward a target
  // (SQLite's default), a fast moment let it finish first, and the second found the change
  // started (exit 0).
  SpawnedProcess first(change_argv(
      start_args({"--batch-size", "5000", "--batch-target", "0", "--batch-pause", "200ms"}),
      true));
  auto observer = scratch_.connect();
  poll_until("the first start is backfilling", [&] {
    require_running(first, "change start");
    auto change = active_change(*observer, backend());
    return change && change->value("phase", "") == "backfilling";
  });
  ProcessResult second = run_change(start_args(), true);
  EXPECT_EQ(second.exit_code, 3) << describe(second);
  const std::string message = error_event(second).value("message", "");
  EXPECT_TRUE(contains(message, "holds the change lease")) << message;
  EXPECT_TRUE(contains(message, ":" + std::to_string(first.pid()) + ":"))
      << "names the first process: " << message;
  ProcessResult done = first.wait(std::chrono::seconds(300));
  EXPECT_EQ(done.exit_code, 0) << describe(done);
  auto change = active_change(*observer, backend());
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->value("phase", ""), "started") << *change;
}

TEST_P(ChangeKillNine, RollbackAfterTheKillRemovesEverything) {
  setup("users");
  const std::string before = schema_dump(scratch_, backend());
  json killed = start_and_kill_in_the_backfill();
  ASSERT_EQ(killed.value("phase", ""), "backfilling") << killed;
  ASSERT_NE(schema_dump(scratch_, backend()), before) << "start changed nothing before the kill";

  ProcessResult rollback = run_change({"rollback", url()});
  ASSERT_EQ(rollback.exit_code, 0) << describe(rollback);
  EXPECT_TRUE(contains(rollback.out, "rolled back")) << rollback.out;

  EXPECT_EQ(schema_dump(scratch_, backend()), before) << "rollback leaves the schema as it was";
  auto c = scratch_.connect();
  EXPECT_FALSE(active_change(*c, backend()).has_value());
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM users"), kUsers);
  if (is_postgres(backend())) {
    EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
                         {std::string(variant().change)}),
              0)
        << "the version schema is gone";
  }

  ProcessResult human = run_change({"status", url()});
  ASSERT_EQ(human.exit_code, 0) << describe(human);
  EXPECT_TRUE(contains(human.out, "no active change")) << human.out;
  json status = status_json(url());
  EXPECT_TRUE(status.contains("phase") && status["phase"].is_null()) << status;
}

// ---------------------------------------------------------------------------------------------
// 2. The backfill while another session inserts rows as fast as it can.

using ChangeUnderInserts = ChangeCliTest;

TEST_P(ChangeUnderInserts, StartFinishesAndEveryRowIsFilled) {
  setup("users");

  // The old version's inserts, one per transaction, as fast as they go.
  std::atomic<bool> stop{false};
  std::atomic<bool> start_running{true};
  std::atomic<std::int64_t> inserted{0};
  std::atomic<std::int64_t> last_key_during_start{0};
  std::mutex failure_mutex;
  std::int64_t failures = 0;
  std::string first_failure;
  auto writer = scratch_.connect();
  writer->set_timeouts(db::Timeouts{std::chrono::seconds(30), {}});
  std::thread inserter([&] {
    for (std::int64_t n = 0; !stop; ++n) {
      try {
        std::string tag = "ins" + std::to_string(n);
        auto result = writer->query(
            "INSERT INTO users (username, address_line_1, address_line_2) VALUES ($1, $2, $3) "
            "RETURNING id",
            {"Writer" + std::to_string(n), "road " + tag, n % 2 == 0 ? db::Value() : tag});
        std::int64_t id = result.scalar().as_int();
        ++inserted;
        if (start_running) last_key_during_start = id;
      } catch (const Error& e) {
        std::lock_guard lock(failure_mutex);
        if (failures++ == 0) first_failure = e.message();
      }
    }
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Join() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } join{stop, inserter};

  poll_until("the inserter has inserted rows", [&] { return inserted >= 100; });
  ProcessResult r = run_change(start_args({"--batch-size", std::to_string(kBatch)}), true);
  start_running = false;
  poll_until("the inserter goes on after start",
             [&, seen = inserted.load()] { return inserted > seen + 10; });
  stop = true;
  inserter.join();

  ASSERT_EQ(r.exit_code, 0) << describe(r);
  {
    std::lock_guard lock(failure_mutex);
    EXPECT_EQ(failures, 0) << "an insert of the old version failed: " << first_failure;
  }
  json status = status_json(url());
  EXPECT_EQ(status.value("phase", ""), "started") << status;
  json progress = users_progress(status);
  ASSERT_TRUE(progress["upper_bound"].is_string()) << status;
  std::int64_t bound = std::stoll(progress["upper_bound"].get<std::string>());
  EXPECT_GE(bound, kUsers) << "the bound is the largest key when the backfill began";
  EXPECT_GT(last_key_during_start.load(), bound)
      << "rows were inserted while the backfill ran (after its bound was taken)";

  auto c = scratch_.connect();
  std::int64_t rows = scalar_int(*c, "SELECT count(*) FROM users");
  EXPECT_EQ(rows, kUsers + inserted.load()) << "every acknowledged insert is there";
  EXPECT_EQ(unfilled_up_to(bound), 0) << "every row that existed at start is filled";
  std::int64_t max_key = scalar_int(*c, "SELECT max(id) FROM users");
  EXPECT_EQ(unfilled_up_to(max_key), 0)
      << "rows inserted during and after start are filled by the triggers";
  EXPECT_EQ(filled(), rows);
}

// ---------------------------------------------------------------------------------------------
// 4. A transaction holds a lock on users while start runs: its DDL retries until it is gone.

using ChangeLockWait = ChangeCliTest;

TEST_P(ChangeLockWait, StartRetriesWhileALockIsHeldAndSucceedsOnceItIsReleased) {
  setup("small");
  // The application's session: an open transaction that updated a row of users, which the
  // first DDL step on users (ADD COLUMN, or a foreign key to it) must wait for.
  auto holder = scratch_.connect();
  holder->begin();
  ASSERT_EQ(holder->execute("UPDATE users SET username = username WHERE id = 1"), 1);

  SpawnedProcess start(
      change_argv(start_args({"--lock-timeout", "300ms", "--retry-for", "20s"}), true));
  poll_until("start reports two lock-timeout retries", [&] {
    require_running(start, "change start");
    return events_named(json_events(start.output_so_far()), "retry").size() >= 2;
  });
  holder->rollback();

  ProcessResult r = start.wait(std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto events = json_events(r.out);
  auto retries = events_named(events, "retry");
  ASSERT_GE(retries.size(), 2u) << r.out;
  std::int64_t last_attempt = 0;
  for (const auto& e : retries) {
    EXPECT_FALSE(e.value("step", "").empty()) << "a retry names its step: " << e;
    EXPECT_TRUE(contains(e.value("message", ""), "lock timeout")) << e;
    std::int64_t attempt = e.value("attempt", std::int64_t{-1});
    EXPECT_GT(attempt, last_attempt) << e;
    last_attempt = attempt;
  }
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().value("event", ""), "started") << r.out;

  EXPECT_EQ(status_json(url()).value("phase", ""), "started");
  EXPECT_EQ(unfilled_up_to(kSmallUsers), 0) << "every row has its new shape";
}

// A start that gives up names the session that held the lock all along, and its statement (the
// hint named only pg_stat_activity and pg_locks). Run again, it resumes, and status no longer
// shows the last run's error while it runs (it did until the phase changed).
TEST_P(ChangeLockWait, StartThatGivesUpNamesTheSessionHoldingTheLock) {
  setup("small");
  auto holder = scratch_.connect();
  const std::int64_t holder_pid = scalar_int(*holder, "SELECT pg_backend_pid()");
  holder->begin();
  ASSERT_EQ(holder->execute("UPDATE users SET username = 'x' || username WHERE id = 1"), 1);

  ProcessResult r = test::run_process(
      change_argv(start_args({"--lock-timeout", "100ms", "--retry-for", "1s"}), true));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const std::string message = error_event(r).value("message", "");
  EXPECT_TRUE(contains(message, "still blocked after")) << message;
  EXPECT_TRUE(contains(message, "sessions in a transaction for longer than the lock timeout: pid " +
                                    std::to_string(holder_pid) + " ("))
      << message;
  EXPECT_TRUE(contains(message, "idle in transaction")) << message;
  // Its statement, with the constants PostgreSQL's parser finds (any of them a secret) hidden.
  EXPECT_TRUE(contains(message, "UPDATE users SET username = $1 || username WHERE id = $2"))
      << message;
  EXPECT_FALSE(contains(message, "'x'")) << message;
  EXPECT_TRUE(contains(status_json(url()).value("last_error", ""), "still blocked after"));

  // Run again while the lock is still held: once it retries, status shows no error; then the
  // holder lets go and the command finishes.
  const auto resume_while_blocked = [&](const std::vector<std::string>& args) {
    SpawnedProcess resumed(change_argv(args, true));
    poll_until("the resumed " + args[0] + " retries", [&] {
      require_running(resumed, "change " + args[0]);
      return !events_named(json_events(resumed.output_so_far()), "retry").empty();
    });
    EXPECT_EQ(status_json(url()).value("last_error", "?"), "")
        << "status shows the last run's error while the resumed " << args[0] << " runs";
    holder->rollback();
    return resumed.wait(std::chrono::seconds(120));
  };
  ProcessResult done =
      resume_while_blocked(start_args({"--lock-timeout", "100ms", "--retry-for", "60s"}));
  ASSERT_EQ(done.exit_code, 0) << describe(done);

  // The same for complete, whose first unit is still blocked when run again.
  holder->begin();
  ASSERT_EQ(holder->execute("UPDATE users SET username = 'y' || username WHERE id = 1"), 1);
  ProcessResult blocked =
      run_change({"complete", url(), "--lock-timeout", "100ms", "--retry-for", "1s"}, true);
  EXPECT_EQ(blocked.exit_code, 1) << describe(blocked);
  EXPECT_TRUE(contains(status_json(url()).value("last_error", ""), "still blocked after"));
  ProcessResult completed =
      resume_while_blocked({"complete", url(), "--lock-timeout", "100ms", "--retry-for", "60s"});
  EXPECT_EQ(completed.exit_code, 0) << describe(completed);
}

// ---------------------------------------------------------------------------------------------
// 4b. The backfill's session ends inside a batch (here pg_terminate_backend while the batch
// waits for a row lock; on a loaded machine, the idle-in-transaction timeout a batch sets):
// start opens a new session, runs the batch again, and finishes.

using ChangeBackfillSessionLost = ChangeCliTest;

TEST_P(ChangeBackfillSessionLost, StartOpensANewSessionAndRedoesTheBatchOnce) {
  setup("small");
  run_sql_file(*scratch_.connect(), sql_file("users", "touch_log", backend()));

  SpawnedProcess start(change_argv(start_args({"--batch-size", "100", "--batch-pause", "50ms",
                                               "--lock-timeout", "1s", "--retry-for", "60s"}),
                                   true));
  auto observer = scratch_.connect();
  wait_for_backfill(start, *observer, 100);
  // The application's session locks the last row: the batch that reaches it waits, inside its
  // transaction, and its session is ended there.
  auto holder = scratch_.connect();
  holder->begin();
  const std::int64_t holder_pid = scalar_int(*holder, "SELECT pg_backend_pid()");
  ASSERT_EQ(
      holder->query("SELECT id FROM users WHERE id = $1 FOR UPDATE", {kSmallUsers}).rows.size(),
      1u);
  std::int64_t ended = 0;
  poll_until("a batch waits for the locked row, and its session is ended", [&] {
    require_running(start, "change start");
    auto waiting = observer->query(
        "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", {holder_pid});
    if (waiting.empty()) return false;
    ended = waiting.rows[0][0].as_int();
    return scalar_int(*observer, "SELECT pg_terminate_backend($1)::int", {ended}) == 1;
  });
  holder->rollback();

  ProcessResult r = start.wait(std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << "session " << ended << " was ended: " << describe(r);
  auto events = json_events(r.out);
  bool reported = false;
  for (const auto& e : events_named(events, "retry")) {
    if (e.value("reason", "") == "connection lost") {
      reported = true;
      EXPECT_TRUE(contains(e.value("step", ""), "backfill of users")) << e;
      EXPECT_GE(e.value("attempt", std::int64_t{0}), 2) << e;
    }
  }
  EXPECT_TRUE(reported) << "start reports the retry after the lost session: " << r.out;
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().value("event", ""), "started") << r.out;

  EXPECT_EQ(status_json(url()).value("phase", ""), "started");
  EXPECT_EQ(unfilled_up_to(kSmallUsers), 0) << "every row has its new shape";
  EXPECT_EQ(filled(), kSmallUsers);
  // Every row went through the backfill exactly once: the batch rolled back with its session
  // was redone, none that committed was. (The split's backfill leaves users untouched: each
  // user has one child row.)
  auto c = scratch_.connect();
  const bool split = variant().table == std::string("addresses");
  const std::string log = split ? "(SELECT user_id AS id FROM addresses) AS log" : "touch_log";
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM " + log), kSmallUsers);
  EXPECT_EQ(scalar_int(*c, "SELECT count(DISTINCT id) FROM " + log), kSmallUsers);
}

// A start stopped (SIGSTOP) inside a backfill batch, past its lease's expiry, is taken over by a
// second start, whose takeover ends the first's server session, and which finishes the change.
// Continued, the first exits 3 saying it lost the lease, and writes nothing over the change's
// state (it wrote "lost the change lease" as the change's last error; and a stranger saw exit 1,
// "the server restarted, crashed or ended the session", when the stop fell between a batch's
// commit and its checkpoint: every failure now asks the lease, on a session of its own).
using ChangeTakenOver = ChangeCliTest;

TEST_P(ChangeTakenOver, AStartStoppedInABatchAndTakenOverExitsThreeWhenContinued) {
  setup("users");
  auto c = scratch_.connect();
  // Each row the backfill updates sleeps 1 ms while slow_control says so: a batch of 500 rows
  // takes half a second, long enough to stop the process while its statement runs.
  c->execute("CREATE TABLE slow_control (slow boolean NOT NULL)");
  c->execute("INSERT INTO slow_control VALUES (true)");
  c->execute(
      "CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF (SELECT slow "
      "FROM slow_control) THEN PERFORM pg_sleep(0.001); END IF; RETURN NEW; END $$");
  c->execute(
      "CREATE TRIGGER slow_row BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION slow_row()");
  SpawnedProcess first(change_argv(
      start_args({"--batch-size", std::to_string(kBatch), "--batch-target", "0"}), true));
  poll_until("the first start's batch runs on the server", [&] {
    require_running(first, "change start");
    return scalar_int(*c,
                      "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                      "'cutover change' AND state = 'active' AND query LIKE 'UPDATE%'") > 0;
  });
  first.kill(SIGSTOP);
  c->execute("UPDATE slow_control SET slow = false");
  ProcessResult second = run_change(start_args(), true);
  EXPECT_EQ(second.exit_code, 0) << describe(second);
  first.kill(SIGCONT);
  ProcessResult continued = first.wait(std::chrono::seconds(60));
  EXPECT_EQ(continued.exit_code, 3) << describe(continued);
  EXPECT_TRUE(contains(error_event(continued).value("message", ""), "lost the change lease"))
      << describe(continued);
  auto change = active_change(*c, backend());
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->value("phase", ""), "started") << *change;
  EXPECT_TRUE(
      c->query("SELECT last_error FROM cutover.changes WHERE active = 1").scalar().is_null())
      << "the taken-over process wrote its error over the change's state";
}

INSTANTIATE_TEST_SUITE_P(Postgres, ChangeBackfillSessionLost, kPostgresVariants, param_name);

// ---------------------------------------------------------------------------------------------
// 5. SIGTERM or SIGINT: the statement under way is cancelled on the server, the checkpoint
// kept, the lease released; the process exits 1 saying what to run next, and that works.

// Not a timing assertion: what is left of the work lasts minutes (the backfill's pauses, the
// lock held), so a process that did not stop on the signal is still running at this deadline.
constexpr std::chrono::seconds kExitDeadline{10};

using ChangeSignal = ChangeCliTest;

// Whether a process holds the change lease now.
bool change_lease_held(db::Connection& c) {
  coord::Lease lease(c, change::change_lease_key(c.server().flavor));
  if (!lease.table_exists()) return false;
  std::optional<coord::LeaseState> state = lease.current();
  return state && state->held();
}

// Sessions other than `observer`'s whose statement mentions `text` (PostgreSQL).
std::int64_t sessions_running(db::Connection& observer, const std::string& database,
                              const std::string& text) {
  return scalar_int(observer,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = "
                    "'active' AND pid <> pg_backend_pid() AND strpos(query, $2) > 0",
                    {database, text});
}

// The one "interrupted" event of a stopped command: its signal, command and next step.
void expect_interrupted_event(const ProcessResult& r, const std::string& signal,
                              const std::string& command) {
  auto interrupted = events_named(json_events(r.out), "interrupted");
  ASSERT_EQ(interrupted.size(), 1u) << describe(r);
  EXPECT_EQ(interrupted[0].value("signal", ""), signal) << interrupted[0];
  EXPECT_EQ(interrupted[0].value("command", ""), command) << interrupted[0];
  EXPECT_TRUE(contains(interrupted[0].value("next", ""), "cutover change " + command))
      << interrupted[0];
}

TEST_P(ChangeSignal, SigtermInTheBackfillCancelsTheBatchKeepsTheCheckpointAndStartResumes) {
  setup("users");
  // 600 batches with a 200 ms pause each: two minutes of backfill left when the signal comes.
  SpawnedProcess start(change_argv(
      start_args({"--batch-size", std::to_string(kBatch), "--batch-pause", "200ms"}), true));
  auto observer = scratch_.connect();
  poll_until("the backfill has done 4 batches", [&] {
    require_running(start, "change start");
    auto change = active_change(*observer, backend());
    json progress = change ? users_progress(*change) : json();
    return progress.is_object() && progress.value("rows_done", 0) >= 4 * kBatch;
  });
  start.kill(SIGTERM);
  ProcessResult r = start.wait(kExitDeadline);
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  expect_interrupted_event(r, "SIGTERM", "start");
  const std::string message = error_event(r).value("message", "");
  EXPECT_TRUE(contains(message, "interrupted by SIGTERM during the backfill of users")) << message;
  EXPECT_TRUE(contains(error_event(r).value("hint", ""), "cutover change start again"))
      << describe(r);

  // Stopped on the server too, the lease free, and nothing done beyond the saved checkpoint:
  // the cancelled batch rolled back.
  if (is_postgres(backend())) {
    EXPECT_EQ(sessions_running(*observer, scratch_.name(), "UPDATE"), 0);
  }
  EXPECT_FALSE(change_lease_held(*observer)) << "the lease is released";
  auto change = active_change(*observer, backend());
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->value("phase", ""), "backfilling") << *change;
  json progress = users_progress(*change);
  const std::int64_t rows_done = progress.value("rows_done", std::int64_t{-1});
  ASSERT_GE(rows_done, 4 * kBatch) << progress;
  ASSERT_LT(rows_done, kUsers) << progress;
  EXPECT_EQ(filled(), rows_done) << "every row filled is counted in the checkpoint";
  EXPECT_EQ(unfilled_up_to(rows_done), 0) << progress;

  ProcessResult resumed = run_change(start_args(), true);
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  EXPECT_EQ(status_json(url()).value("phase", ""), "started");
  EXPECT_EQ(unfilled_up_to(kUsers), 0) << "every row has its new shape";
  EXPECT_EQ(filled(), kUsers);
}

// complete waits for a lock a transaction holds; SIGINT stops it between its attempts or in
// one. The contract's transaction never committed: the change is still started, and complete,
// run again once the lock is gone, finishes it.
using ChangeSignalInALockWait = ChangeCliTest;

TEST_P(ChangeSignalInALockWait, SigintWhileCompleteWaitsForALockStopsItAndCompleteFinishesLater) {
  setup("small");
  ProcessResult started = run_change(start_args());
  ASSERT_EQ(started.exit_code, 0) << describe(started);
  auto holder = scratch_.connect();
  holder->begin();
  ASSERT_EQ(holder->execute("UPDATE users SET username = username WHERE id = 1"), 1);

  SpawnedProcess complete(
      change_argv({"complete", url(), "--lock-timeout", "300ms", "--retry-for", "10m"}, true));
  poll_until("complete reports a lock-timeout retry", [&] {
    require_running(complete, "change complete");
    return !events_named(json_events(complete.output_so_far()), "retry").empty();
  });
  complete.kill(SIGINT);
  ProcessResult r = complete.wait(kExitDeadline);
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  expect_interrupted_event(r, "SIGINT", "complete");
  EXPECT_TRUE(contains(error_event(r).value("message", ""), "interrupted by SIGINT at step"))
      << describe(r);

  auto observer = scratch_.connect();
  EXPECT_FALSE(change_lease_held(*observer)) << "the lease is released";
  EXPECT_EQ(sessions_running(*observer, scratch_.name(), "ALTER TABLE"), 0);
  auto change = active_change(*observer, backend());
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->value("phase", ""), "started") << *change;

  holder->rollback();
  ProcessResult finished = run_change({"complete", url()});
  ASSERT_EQ(finished.exit_code, 0) << describe(finished);
  EXPECT_FALSE(active_change(*observer, backend()).has_value());
}

INSTANTIATE_TEST_SUITE_P(Postgres, ChangeSignal, kPostgresVariants, param_name);
INSTANTIATE_TEST_SUITE_P(Postgres, ChangeTakenOver,
                         testing::Values(Param{Backend::kPostgres, kAddColumn}), param_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, ChangeSignal, kSqliteVariants, param_name);
INSTANTIATE_TEST_SUITE_P(Postgres, ChangeSignalInALockWait, kPostgresVariants, param_name);

INSTANTIATE_TEST_SUITE_P(Postgres, ChangeKillNine, kPostgresVariants, param_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, ChangeKillNine, kSqliteVariants, param_name);
INSTANTIATE_TEST_SUITE_P(Postgres, ChangeUnderInserts, kPostgresVariants, param_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, ChangeUnderInserts, kSqliteVariants, param_name);
INSTANTIATE_TEST_SUITE_P(Postgres, ChangeLockWait, kPostgresVariants, param_name);

// ---------------------------------------------------------------------------------------------
// 3. Bad input: exit 2 (3 for a conflict), a message naming the problem, nothing changed.

std::string backend_param_name(const testing::TestParamInfo<Backend>& info) {
  return test::backend_name(info.param);
}

class ChangeBadInput : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto c = scratch_.connect();
    run_sql_file(*c, sql_file("small", "setup", GetParam()));
    before_ = schema_dump(scratch_, GetParam());
  }

  const std::string& url() const { return scratch_.url(); }

  // Runs `change ARGS` for people and with --json. Each must exit with `exit_code` and say
  // every one of `parts` (stderr for people, the error event's message with --json). Returns
  // the --json error event.
  json expect_refused(const std::vector<std::string>& args, int exit_code,
                      const std::vector<std::string>& parts) {
    ProcessResult human = run_change(args);
    EXPECT_EQ(human.exit_code, exit_code) << describe(human);
    EXPECT_TRUE(contains(human.err, "error: ")) << describe(human);
    ProcessResult machine = run_change(args, true);
    EXPECT_EQ(machine.exit_code, exit_code) << describe(machine);
    json error = error_event(machine);
    EXPECT_EQ(error.value("exit_code", -1), exit_code) << error;
    std::string message = error.value("message", "");
    for (const auto& part : parts) {
      EXPECT_TRUE(contains(human.err, part)) << "stderr names '" << part << "':\n" << human.err;
      EXPECT_TRUE(contains(message, part)) << "the error names '" << part << "': " << message;
    }
    return error;
  }

  // Nothing changed: the schema is as it was and no change is active.
  void expect_nothing_changed() {
    EXPECT_EQ(schema_dump(scratch_, GetParam()), before_);
    auto c = scratch_.connect();
    EXPECT_FALSE(active_change(*c, GetParam()).has_value());
    json status = status_json(url());
    EXPECT_TRUE(status.contains("phase") && status["phase"].is_null()) << status;
  }

  std::vector<std::string> start(const std::string& file) const {
    return {"start", url(), (kCases / file).string()};
  }

  ScratchDatabase scratch_{GetParam()};
  std::string before_;
};

TEST_P(ChangeBadInput, UnknownOperationKindIsRefusedNamingItAndItsPlace) {
  json error = expect_refused(start("bad/unknown_kind.yaml"), 2,
                              {"operation 2 (frobnicate_table, line 7)", "frobnicate_table"});
  EXPECT_TRUE(contains(error.value("hint", ""), "add_column")) << "lists the kinds: " << error;
  expect_nothing_changed();
}

TEST_P(ChangeBadInput, MissingColumnIsRefusedNamingItAndItsOperation) {
  expect_refused(start("bad/missing_column.yaml"), 2,
                 {"operation 2 (split_to_table, line 7)", "no_such_column"});
  expect_nothing_changed();
}

TEST_P(ChangeBadInput, AnOperationOnAViewSaysThatItIsAView) {
  auto c = scratch_.connect();
  c->execute("CREATE VIEW user_names AS SELECT id, username FROM users");
  before_ = schema_dump(scratch_, GetParam());
  expect_refused(start("bad/on_view.yaml"), 2, {"user_names is a view, not a table"});
  expect_nothing_changed();
  if (GetParam() != Backend::kPostgres) return;
  c->execute("CREATE MATERIALIZED VIEW user_counts AS SELECT count(*) AS n FROM users");
  before_ = schema_dump(scratch_, GetParam());
  expect_refused(start("bad/on_matview.yaml"), 2,
                 {"user_counts is a materialized view, not a table"});
  expect_nothing_changed();
}

TEST_P(ChangeBadInput, MalformedYamlIsRefusedNamingItsLine) {
  expect_refused(start("bad/malformed.yaml"), 2, {"malformed.yaml:7:", "not valid YAML"});
  expect_nothing_changed();
}

TEST_P(ChangeBadInput, SecondChangeWhileOneIsActiveIsRefusedNamingTheActiveOne) {
  ProcessResult first = run_change(start("changes/add_email.yaml"));
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  before_ = schema_dump(scratch_, GetParam());

  expect_refused(start("changes/add_nickname.yaml"), 3, {"add_email"});
  EXPECT_EQ(schema_dump(scratch_, GetParam()), before_) << "the second change added nothing";
  json status = status_json(url());
  EXPECT_EQ(status.value("name", ""), "add_email") << status;
  EXPECT_EQ(status.value("phase", ""), "started") << status;
}

TEST_P(ChangeBadInput, CompleteAndRollbackWithoutAnActiveChangeAreRefused) {
  expect_refused({"complete", url()}, 2, {"no active change"});
  expect_refused({"rollback", url()}, 2, {"no active change"});
  expect_nothing_changed();
}

INSTANTIATE_TEST_SUITE_P(Postgres, ChangeBadInput, testing::Values(Backend::kPostgres),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, ChangeBadInput, testing::Values(Backend::kSqlite),
                         backend_param_name);

// An `up` that fails on some rows: PostgreSQL only (SQLite's division by zero gives NULL).
using ChangeFailingUp = ChangeBadInput;

TEST_P(ChangeFailingUp, UpFailingOnSomeRowsShowsARowAndTheErrorAndRollsBack) {
  for (bool json_output : {false, true}) {
    SCOPED_TRACE(json_output ? "--json" : "for people");
    ProcessResult r = run_change(start("bad/up_fails.yaml"), json_output);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    std::string message = json_output ? error_event(r).value("message", "") : r.err;
    EXPECT_TRUE(contains(message, "division by zero")) << "the database's error: " << message;
    std::smatch key;
    ASSERT_TRUE(std::regex_search(message, key, std::regex(R"(\bid = (\d+))")))
        << "a sample row, by its key: " << message;
    EXPECT_EQ(std::stoll(key[1].str()) % 1000, 7) << "a row where the division fails: " << message;
    EXPECT_TRUE(contains(message, "rolled back")) << message;
    expect_nothing_changed();
  }
}

INSTANTIATE_TEST_SUITE_P(Postgres, ChangeFailingUp, testing::Values(Backend::kPostgres),
                         backend_param_name);

// Start analyzes the table it creates and the table it backfills, so that the sync triggers'
// lookups are planned on their real size, not as if empty until autovacuum comes by.
using ChangeStatistics = ChangeBadInput;

TEST_P(ChangeStatistics, StartLeavesTheNewTableAndTheBackfilledOneAnalyzed) {
  ProcessResult r = run_change(start("changes/split_addresses.yaml"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto c = scratch_.connect();
  for (const char* table : {"addresses", "users"}) {
    const db::Result stats = c->query(
        "SELECT c.reltuples::bigint, s.last_analyze IS NOT NULL FROM pg_class c "
        "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = $1",
        {std::string(table)});
    ASSERT_FALSE(stats.empty()) << table;
    EXPECT_EQ(stats.rows[0][1].text(), "t") << table << " was analyzed";
    EXPECT_EQ(stats.rows[0][0].text(), "5000") << table << "'s row estimate";
  }
}

INSTANTIATE_TEST_SUITE_P(Postgres, ChangeStatistics, testing::Values(Backend::kPostgres),
                         backend_param_name);

}  // namespace
}  // namespace cutover
