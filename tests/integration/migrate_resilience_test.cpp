// `cutover migrate` when things go wrong: a leader killed with -9 inside a slow statement is
// taken over and its file finished exactly once; a long lock holder is outwaited (or reported)
// while `cutover probe` shows the other tables stay available.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "coord/lease.h"
#include "core/error.h"
#include "db/connection.h"
#include "db/lock_retry.h"
#include "migrate/history_table.h"
#include "migrate/migration_runner.h"
#include "support/cli_output.h"
#include "support/process.h"
#include "support/spawned_process.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

using nlohmann::json;
using test::Backend;
using test::describe;
using test::events_named;
using test::json_events;
using test::poll_until;
using test::ProcessResult;
using test::require_running;
using test::ScratchDatabase;
using test::SpawnedProcess;
namespace fs = std::filesystem;

constexpr const char* kHistory = "cutover_schema_history";
const fs::path kCases = fs::path(CUTOVER_CASES_DIR) / "migrate_resilience";

std::string backend_param_name(const testing::TestParamInfo<Backend>& info) {
  return test::backend_name(info.param);
}

bool is_postgres(Backend backend) { return backend == Backend::kPostgres; }

// `cutover --json migrate URL --dir DIR extra...`
std::vector<std::string> migrate_argv(const std::string& url, const fs::path& dir,
                                      const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {CUTOVER_BINARY, "--json", "migrate", url, "--dir", dir.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// The final {"event":"done",...} of a run; fails the test when the last line is something else.
json done_event(const ProcessResult& r) {
  auto events = json_events(r.out);
  if (events.empty() || events.back().value("event", "") != "done") {
    ADD_FAILURE() << "the last line is not a done event:\nstdout:\n"
                  << r.out << "\nstderr:\n"
                  << r.err;
    return json::object();
  }
  return events.back();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::int64_t scalar_int(db::Connection& c, const std::string& sql, const db::Params& params = {}) {
  return c.query(sql, params).scalar().as_int();
}

bool column_exists(db::Connection& c, Backend backend, const std::string& table,
                   const std::string& column) {
  std::string schema = is_postgres(backend) ? "current_schema()" : "DATABASE()";
  return scalar_int(c,
                    "SELECT count(*) FROM information_schema.columns WHERE table_schema = " +
                        schema + " AND table_name = $1 AND column_name = $2",
                    {table, column}) == 1;
}

bool index_exists(db::Connection& c, Backend backend, const std::string& table,
                  const std::string& index) {
  if (is_postgres(backend)) {
    return scalar_int(c,
                      "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND "
                      "tablename = $1 AND indexname = $2",
                      {table, index}) == 1;
  }
  return scalar_int(c,
                    "SELECT count(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE "
                    "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = $1 AND INDEX_NAME = $2",
                    {table, index}) == 1;
}

std::vector<migrate::HistoryRow> history_of(db::Connection& c) {
  migrate::HistoryTable history(c, kHistory);
  if (!history.exists()) return {};
  return history.read();
}

// ---------------------------------------------------------------------------------------------
// 1. kill -9 of the leader inside a slow statement of V2.

constexpr const char* kV1 = "V1__create_base_items.sql";
constexpr const char* kV2 = "V2__events_with_a_slow_step.sql";
constexpr const char* kV3 = "V3__label_base_items.sql";

class MigrateKillNine : public testing::TestWithParam<Backend> {
 protected:
  // Process i's node: on Galera the instances are spread over the three nodes.
  const std::string& url(size_t i) const { return scratch_.urls()[i % scratch_.urls().size()]; }

  fs::path dir() const {
    return kCases / "kill_mid_file" / (is_postgres(GetParam()) ? "postgres" : "mariadb");
  }

  std::vector<std::string> migrate(size_t node) const {
    return migrate_argv(url(node), dir(), {"--lease-ttl", "3s"});
  }

  // Whether a session other than `observer` runs V2's sleep on the observer's node.
  bool sleep_running(db::Connection& observer) const {
    if (is_postgres(GetParam())) {
      return scalar_int(observer,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = "
                        "'active' AND query LIKE '%pg_sleep(4)%' AND pid <> pg_backend_pid()",
                        {scratch_.name()}) > 0;
    }
    return scalar_int(observer,
                      "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = $1 AND "
                      "INFO LIKE '%SLEEP(4)%' AND ID <> CONNECTION_ID()",
                      {scratch_.name()}) > 0;
  }

  // Starts the leader on node 0 and returns once it runs V2's slow statement.
  std::unique_ptr<SpawnedProcess> start_leader_and_wait_for_the_slow_statement() {
    auto leader = std::make_unique<SpawnedProcess>(migrate(0));
    auto observer = scratch_.connect(0);
    poll_until("the leader runs V2's slow statement", [&] {
      require_running(*leader, "the leader");
      return sleep_running(*observer);
    });
    return leader;
  }

  // kill -9, and the proof that it died of it.
  void kill_nine(SpawnedProcess& leader) {
    leader.kill(SIGKILL);
    ProcessResult r = leader.wait(std::chrono::seconds(30));
    ASSERT_EQ(r.exit_code, 128 + SIGKILL) << describe(r);
  }

  // What V2 committed before the kill: the three rows before its index (which cannot run in
  // the file's transaction on PostgreSQL, and commits on its own on MariaDB).
  void expect_rows_before_the_kill_committed_once() {
    auto c = scratch_.connect(0);
    EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM events WHERE tag LIKE 'before-%'"), 3);
    EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM events WHERE tag LIKE 'after-%'"), 0);
  }

  // Everything V1..V3 make, each once, on node `node`; the history says so and the lease is free.
  void expect_applied_once(size_t node) {
    SCOPED_TRACE("node " + std::to_string(node));
    auto c = scratch_.connect(node);
    // Galera applies writes on the other nodes shortly after the commit on the first.
    poll_until("node " + std::to_string(node) + " has the history of V3",
               [&] { return history_of(*c).size() >= 3; });
    auto rows = history_of(*c);
    ASSERT_EQ(rows.size(), 3u);
    const char* scripts[] = {kV1, kV2, kV3};
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].installed_rank, static_cast<int>(i + 1));
      EXPECT_EQ(rows[i].version, std::to_string(i + 1));
      EXPECT_EQ(rows[i].script, scripts[i]);
      EXPECT_EQ(rows[i].type, "SQL");
      EXPECT_TRUE(rows[i].success) << rows[i].script;
    }

    std::map<std::string, std::int64_t> tags;
    for (const auto& row :
         c->query("SELECT tag, count(*) FROM events GROUP BY tag ORDER BY tag").rows) {
      tags[row[0].text()] = row[1].as_int();
    }
    std::map<std::string, std::int64_t> expected = {
        {"after-1", 1}, {"before-1", 1}, {"before-2", 1}, {"before-3", 1}};
    EXPECT_EQ(tags, expected) << "every row of V2 exactly once";
    EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM event_notes"), 1);
    EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM base_items"), 2);
    EXPECT_TRUE(column_exists(*c, GetParam(), "base_items", "label")) << "V3 ran";
    EXPECT_TRUE(index_exists(*c, GetParam(), "events", "events_tag_idx"));
    EXPECT_TRUE(index_exists(*c, GetParam(), "event_notes", "event_notes_note_idx"));
    if (is_postgres(GetParam())) {
      EXPECT_EQ(scalar_int(*c,
                           "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = "
                           "i.indexrelid WHERE c.relname = 'events_tag_idx' AND i.indisvalid"),
                1)
          << "CREATE INDEX CONCURRENTLY left an invalid index";
      EXPECT_EQ(scalar_int(*c,
                           "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = "
                           "i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
                           "n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready)"),
                0)
          << "an invalid index is left over";
    }

    coord::Lease lease(*c, migrate::migration_lease_key(kHistory));
    auto state = lease.current();
    ASSERT_TRUE(state.has_value()) << "no lease row: who applied?";
    EXPECT_FALSE(state->holder.has_value()) << "the lease is still held by " << *state->holder;
  }

  void expect_applied_once_everywhere() {
    for (size_t node = 0; node < scratch_.urls().size(); ++node) expect_applied_once(node);
  }

  ScratchDatabase scratch_{GetParam()};
};

TEST_P(MigrateKillNine, LeaderKilledInASlowStatementIsFinishedOnceByAnInstanceStartedLater) {
  auto leader = start_leader_and_wait_for_the_slow_statement();
  kill_nine(*leader);
  expect_rows_before_the_kill_committed_once();

  // Right after the kill, before anyone takes over: info works and does not call V2 applied.
  ProcessResult info = test::run_process(
      {CUTOVER_BINARY, "--json", "migrate", "info", url(1), "--dir", dir().string()});
  ASSERT_EQ(info.exit_code, 0) << describe(info);
  EXPECT_EQ(std::count(info.out.begin(), info.out.end(), '\n'), 1)
      << "--json promises one JSON object per line:\n"
      << info.out;
  json report = json::parse(info.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(report.is_object() && report.contains("migrations")) << describe(info);
  // Not promised by the spec, but when info says what is in progress, it must be right: the
  // kill came inside V2's fourth statement.
  if (report.contains("in_progress") && !report["in_progress"].is_null()) {
    EXPECT_EQ(report["in_progress"].value("script", ""), kV2) << info.out;
    EXPECT_EQ(report["in_progress"].value("statements_done", -1), 3) << info.out;
  }
  std::map<std::string, std::string> states;
  for (const auto& m : report["migrations"]) {
    states[m.value("script", "")] = m.value("state", "");
  }
  EXPECT_EQ(states[kV1], "Success") << info.out;
  EXPECT_NE(states[kV2], "") << "info does not list V2: " << info.out;
  EXPECT_NE(states[kV2], "Success") << info.out;
  EXPECT_NE(states[kV3], "Success") << info.out;
  EXPECT_EQ(report.value("current", json()), "1") << info.out;

  // A new instance, on another node where there is one, takes over once the lease expires.
  ProcessResult successor = test::run_process(migrate(1));
  ASSERT_EQ(successor.exit_code, 0) << describe(successor);
  json done = done_event(successor);
  EXPECT_EQ(done.value("role", ""), "leader") << successor.out;
  EXPECT_EQ(done.value("applied", -1), 2) << "V2 and V3: " << successor.out;
  EXPECT_EQ(done.value("current", ""), "3") << successor.out;
  auto applied = events_named(json_events(successor.out), "applied");
  ASSERT_EQ(applied.size(), 2u) << successor.out;
  EXPECT_EQ(applied[0].value("script", ""), kV2);
  EXPECT_EQ(applied[1].value("script", ""), kV3);

  expect_applied_once_everywhere();

  // And a later run finds nothing to do.
  ProcessResult again = test::run_process(migrate(2));
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  json again_done = done_event(again);
  EXPECT_EQ(again_done.value("role", ""), "none") << again.out;
  EXPECT_EQ(again_done.value("applied", -1), 0) << again.out;
}

TEST_P(MigrateKillNine, FourWaitingInstancesTakeOverAKilledLeaderAndApplyTheFileOnce) {
  auto leader = start_leader_and_wait_for_the_slow_statement();
  const std::string leader_pid = ":" + std::to_string(leader->pid()) + ":";

  std::vector<std::unique_ptr<SpawnedProcess>> waiters;
  for (size_t i = 0; i < 4; ++i)
    waiters.push_back(std::make_unique<SpawnedProcess>(migrate(i + 1)));
  for (size_t i = 0; i < waiters.size(); ++i) {
    poll_until("waiter " + std::to_string(i) + " reports that it waits", [&] {
      require_running(*waiters[i], "waiter " + std::to_string(i));
      require_running(*leader, "the leader");
      return !events_named(json_events(waiters[i]->output_so_far()), "waiting").empty();
    });
    json waiting = events_named(json_events(waiters[i]->output_so_far()), "waiting").front();
    EXPECT_NE(waiting.value("holder", "").find(leader_pid), std::string::npos)
        << "the waiting event names the leader (pid " << leader->pid() << "): " << waiting;
    EXPECT_EQ(waiting.value("script", ""), kV2) << waiting;
  }

  kill_nine(*leader);

  int leaders = 0;
  std::int64_t applied_total = 0;
  for (size_t i = 0; i < waiters.size(); ++i) {
    ProcessResult r = waiters[i]->wait(std::chrono::seconds(120));
    SCOPED_TRACE("waiter " + std::to_string(i));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    json done = done_event(r);
    if (done.value("role", "") == "leader") ++leaders;
    applied_total += done.value("applied", 0);
    EXPECT_EQ(done.value("current", ""), "3") << r.out;
  }
  EXPECT_EQ(leaders, 1) << "exactly one waiter took over";
  EXPECT_EQ(applied_total, 2) << "V2 and V3, each applied by one process";

  expect_applied_once_everywhere();
}

INSTANTIATE_TEST_SUITE_P(Postgres, MigrateKillNine, testing::Values(Backend::kPostgres),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateKillNine, testing::Values(Backend::kMariaDb),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(Galera, MigrateKillNine, testing::Values(Backend::kGalera),
                         backend_param_name);

// ---------------------------------------------------------------------------------------------
// 2. A session holds a lock on t while `cutover migrate` alters t and `cutover probe` runs.

constexpr const char* kAddColumn = "V1__add_column_c.sql";

class MigrateLockHolder : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() /
            ("cutover-resilience-" + std::to_string(getpid()) + "-" + scratch_.name());
    fs::create_directories(work_);
    auto c = scratch_.connect();
    c->execute("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)");
    c->execute("INSERT INTO t (id, v) VALUES (1, 0), (2, 0)");
  }
  void TearDown() override { fs::remove_all(work_); }

  fs::path record_path() const { return work_ / "probe.json"; }

  // Starts `cutover probe` on the scratch database and returns once it has acknowledged writes.
  // It runs for a fixed time, long enough to cover the migration (checked at the end).
  std::unique_ptr<SpawnedProcess> start_probe(const std::string& duration = "12s") {
    auto probe = std::make_unique<SpawnedProcess>(std::vector<std::string>{
        CUTOVER_BINARY, "probe", scratch_.url(), "--duration", duration, "--readers", "2",
        "--writers", "2", "--rate", "20", "--json", record_path().string()});
    auto c = scratch_.connect();
    poll_until("the probe has written rows", [&] {
      require_running(*probe, "the probe");
      try {
        return scalar_int(*c, "SELECT count(*) FROM cutover_probe") >= 20;
      } catch (const Error&) {
        return false;  // the probe has not created its table yet
      }
    });
    return probe;
  }

  // A session of the application's: an open transaction that updated a row of t, which any
  // ALTER TABLE t must wait for.
  std::unique_ptr<db::Connection> hold_a_lock_on_t() {
    auto holder = scratch_.connect();
    holder->begin();
    EXPECT_EQ(holder->execute("UPDATE t SET v = v + 1 WHERE id = 1"), 1);
    return holder;
  }

  // Waits for the probe to finish and checks that it ran until after `migrate_ended` (wall
  // clock, ms since the epoch), that no read or write of its own table failed and that no
  // acknowledged write went missing.
  void expect_probe_saw_no_failure(SpawnedProcess& probe, std::int64_t migrate_ended) {
    ProcessResult r = probe.wait(std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    std::ifstream in(record_path());
    ASSERT_TRUE(in) << "no probe record at " << record_path() << "\n" << describe(r);
    json record = json::parse(in);
    double probe_ended =
        record["started_unix_ms"].get<double>() + record["duration_ms"].get<double>();
    ASSERT_GE(probe_ended, static_cast<double>(migrate_ended))
        << "the probe stopped before migrate did, so it proves nothing: give it a longer "
           "--duration";
    const json& summary = record["summary"];
    EXPECT_GT(summary["reads"]["ok"].get<std::int64_t>(), 0) << summary.dump();
    EXPECT_GT(summary["writes"]["ok"].get<std::int64_t>(), 0) << summary.dump();
    EXPECT_EQ(summary["reads"]["failed"], 0) << summary["reads"].dump();
    EXPECT_EQ(summary["writes"]["failed"], 0) << summary["writes"].dump();
    ASSERT_TRUE(summary.contains("verification")) << "writes not verified: " << summary.dump();
    EXPECT_EQ(summary["verification"]["lost"].size(), 0u) << summary["verification"].dump();
    EXPECT_EQ(summary["verification"]["duplicated"].size(), 0u) << summary["verification"].dump();
  }

  // The retry events of a run: each names the file, its statement and line, the reason, and
  // counts its attempts up.
  static std::vector<json> expect_lock_timeout_retries(const std::string& out) {
    auto retries = events_named(json_events(out), "retry");
    EXPECT_FALSE(retries.empty()) << out;
    std::int64_t last_attempt = 0;
    for (const auto& e : retries) {
      EXPECT_EQ(e.value("script", ""), kAddColumn) << e;
      EXPECT_EQ(e.value("statement", -1), 1) << e;
      EXPECT_EQ(e.value("line", -1), 1) << e;
      EXPECT_EQ(e.value("reason", ""), "lock timeout") << e;
      std::int64_t attempt = e.value("attempt", std::int64_t{-1});
      EXPECT_GT(attempt, last_attempt) << e;
      last_attempt = attempt;
    }
    return retries;
  }

  std::vector<std::string> migrate(const std::string& retry_for) const {
    return migrate_argv(scratch_.url(), kCases / "lock_holder",
                        {"--lock-timeout", "500ms", "--retry-for", retry_for});
  }

  static std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  ScratchDatabase scratch_{GetParam()};
  fs::path work_;
};

TEST_P(MigrateLockHolder, AlterWaitsOutALockHolderWhileOtherTablesStayAvailable) {
  auto probe = start_probe();
  auto holder = hold_a_lock_on_t();

  SpawnedProcess migrate_run(migrate("30s"));
  // Two lock timeouts seen: the ALTER really waited for the holder, and retried.
  poll_until("migrate retried twice after lock timeouts", [&] {
    require_running(migrate_run, "migrate");
    return events_named(json_events(migrate_run.output_so_far()), "retry").size() >= 2;
  });
  holder->rollback();

  ProcessResult r = migrate_run.wait(std::chrono::seconds(120));
  std::int64_t migrate_ended = now_unix_ms();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_GE(expect_lock_timeout_retries(r.out).size(), 2u);
  json done = done_event(r);
  EXPECT_EQ(done.value("applied", -1), 1) << r.out;
  EXPECT_EQ(done.value("current", ""), "1") << r.out;

  auto c = scratch_.connect();
  EXPECT_TRUE(column_exists(*c, GetParam(), "t", "c"));
  auto rows = history_of(*c);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].script, kAddColumn);
  EXPECT_TRUE(rows[0].success);
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM t"), 2) << "the holder's update was rolled back";

  expect_probe_saw_no_failure(*probe, migrate_ended);
}

TEST_P(MigrateLockHolder, LockHeldPastRetryForFailsNamingFileLockTimeoutAndRetries) {
  auto probe = start_probe();
  auto holder = hold_a_lock_on_t();

  ProcessResult r = test::run_process(migrate("3s"), {}, std::chrono::seconds(120));
  std::int64_t migrate_ended = now_unix_ms();
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_lock_timeout_retries(r.out);
  auto errors = events_named(json_events(r.out), "error");
  ASSERT_EQ(errors.size(), 1u) << describe(r);
  EXPECT_EQ(errors[0].value("exit_code", -1), 1) << errors[0];
  // The database's own facts survive the context migrate adds.
  if (is_postgres(GetParam())) {
    EXPECT_EQ(errors[0].value("sqlstate", ""), "55P03") << errors[0];
  } else {
    EXPECT_EQ(errors[0].value("vendor_code", 0), 1205) << errors[0];
  }
  std::string message = lower(errors[0].value("message", ""));
  EXPECT_NE(message.find(lower(kAddColumn)), std::string::npos) << "names the file: " << message;
  EXPECT_NE(message.find("--lock-timeout"), std::string::npos)
      << "names the lock timeout: " << message;
  EXPECT_NE(message.find("500ms"), std::string::npos) << "and its value: " << message;
  EXPECT_TRUE(message.find("retr") != std::string::npos ||
              message.find("attempt") != std::string::npos)
      << "says it retried: " << message;
  holder->rollback();

  auto c = scratch_.connect();
  EXPECT_FALSE(column_exists(*c, GetParam(), "t", "c")) << "nothing of the file is applied";
  for (const auto& row : history_of(*c)) {
    EXPECT_FALSE(row.script == kAddColumn && row.success) << "history records the file as applied";
  }

  expect_probe_saw_no_failure(*probe, migrate_ended);
}

// Issue 9, item 4: the ALTER waits for a lock on the very table the application (the probe)
// reads and writes, so every query queues behind each attempt. With the default --lock-timeout
// and pauses the application must stay available: at least 99 % of the time for reads and for
// writes, and no operation stalled longer than the lock timeout plus 100 ms.
TEST_P(MigrateLockHolder, DefaultsKeepTheApplicationAvailableOnTheTableBeingAltered) {
  const std::chrono::milliseconds default_lock_timeout = db::kDefaultLockTimeout;
  auto probe = start_probe("30s");
  auto c = scratch_.connect();
  // The application's long transaction: it read the probe table and stays open.
  auto holder = scratch_.connect();
  holder->begin();
  holder->query("SELECT count(*) FROM cutover_probe");

  SpawnedProcess migrate_run(migrate_argv(scratch_.url(), kCases / "lock_holder_on_probe_table"));
  // Held through four lock timeouts (about 9 s with the default pauses).
  auto held_since = std::chrono::steady_clock::now();
  poll_until(
      "migrate retried four times after lock timeouts",
      [&] {
        require_running(migrate_run, "migrate");
        return events_named(json_events(migrate_run.output_so_far()), "retry").size() >= 4;
      },
      std::chrono::seconds(60));
  auto held = std::chrono::steady_clock::now() - held_since;
  holder->rollback();

  ProcessResult r = migrate_run.wait(std::chrono::seconds(120));
  std::int64_t migrate_ended = now_unix_ms();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const auto& e : events_named(json_events(r.out), "retry")) {
    EXPECT_EQ(e.value("reason", ""), "lock timeout") << e;
  }
  EXPECT_TRUE(column_exists(*c, GetParam(), "cutover_probe", "c"));

  ProcessResult p = probe->wait(std::chrono::seconds(60));
  EXPECT_EQ(p.exit_code, 0) << describe(p);
  std::ifstream in(record_path());
  ASSERT_TRUE(in) << "no probe record at " << record_path() << "\n" << describe(p);
  json record = json::parse(in);
  ASSERT_GE(record["started_unix_ms"].get<double>() + record["duration_ms"].get<double>(),
            static_cast<double>(migrate_ended))
      << "the probe stopped before migrate did, so it proves nothing";
  const json& summary = record["summary"];
  // The longest single operation of each kind, failed ones included.
  std::map<std::string, double> longest_ms;
  for (const auto& op : record["operations"]) {
    double ms = (op[3].get<double>() - op[2].get<double>()) / 1000.0;
    longest_ms[op[0].get<std::string>()] = std::max(longest_ms[op[0].get<std::string>()], ms);
  }
  const double bound_ms = static_cast<double>(default_lock_timeout.count() + 100);
  std::string figures = fmt::format(
      "lock held {:.1f} s; reads {}% of the time available, writes {}%; longest read {:.0f} ms, "
      "write {:.0f} ms (bound {:.0f} ms)\nreads: {}\nwrites: {}",
      std::chrono::duration<double>(held).count(), summary["reads"]["time_availability_pct"].dump(),
      summary["writes"]["time_availability_pct"].dump(), longest_ms["r"], longest_ms["w"], bound_ms,
      summary["reads"].dump(), summary["writes"].dump());
  std::cerr << "[ figures  ] " << figures << "\n";
  for (const char* kind : {"reads", "writes"}) {
    EXPECT_GE(summary[kind]["time_availability_pct"].get<double>(), 99.0) << kind << figures;
    EXPECT_GE(summary[kind]["availability_pct"].get<double>(), 99.0) << kind << figures;
  }
  EXPECT_LE(longest_ms["r"], bound_ms) << figures;
  EXPECT_LE(longest_ms["w"], bound_ms) << figures;
  ASSERT_TRUE(summary.contains("verification")) << summary.dump();
  EXPECT_EQ(summary["verification"]["lost"].size(), 0u) << summary["verification"].dump();
  EXPECT_EQ(summary["verification"]["duplicated"].size(), 0u) << summary["verification"].dump();
}

// PostgreSQL: a CREATE INDEX CONCURRENTLY that gives up waiting for a writer leaves an INVALID
// index behind. IF NOT EXISTS would keep it; the retry drops it and builds it again.
using MigrateConcurrentIndex = MigrateLockHolder;

TEST_P(MigrateConcurrentIndex, InvalidIndexLeftByATimedOutBuildIsDroppedAndBuiltAgain) {
  auto holder = hold_a_lock_on_t();
  SpawnedProcess migrate_run(migrate_argv(scratch_.url(), kCases / "concurrent_index",
                                          {"--lock-timeout", "300ms", "--retry-for", "60s"}));
  auto c = scratch_.connect();
  const std::string count_of =
      "SELECT count(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
      "WHERE x.relname = 't_v_idx' AND ";
  const std::string valid = count_of + "i.indisvalid", invalid = count_of + "NOT i.indisvalid";
  poll_until("a timed-out build left t_v_idx INVALID and migrate retried", [&] {
    require_running(migrate_run, "migrate");
    return scalar_int(*c, invalid) == 1 &&
           events_named(json_events(migrate_run.output_so_far()), "retry").size() >= 2;
  });
  holder->rollback();

  ProcessResult r = migrate_run.wait(std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(scalar_int(*c, valid), 1) << "the index is valid";
  EXPECT_EQ(scalar_int(*c, invalid), 0) << "no INVALID leftover";
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM pg_class WHERE relname LIKE 't_v_idx%'"), 1);
  EXPECT_NE(r.out.find("INVALID"), std::string::npos) << "the drop was announced\n" << r.out;
}

// Giving up while the writer still holds on: the error names the statement (not "recording its
// progress", which the drop of the first attempt's INVALID index was once taken for) and says
// that the index is left INVALID and how it goes.
TEST_P(MigrateConcurrentIndex, ABuildThatGivesUpNamesTheInvalidIndexItLeaves) {
  auto holder = hold_a_lock_on_t();
  ProcessResult r =
      test::run_process(migrate_argv(scratch_.url(), kCases / "concurrent_index",
                                     {"--lock-timeout", "300ms", "--retry-for", "1s"}),
                        {}, std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  auto errors = events_named(json_events(r.out), "error");
  ASSERT_EQ(errors.size(), 1u) << describe(r);
  const std::string message = errors[0].value("message", "");
  const std::string hint = errors[0].value("hint", "");
  EXPECT_NE(message.find("V1__index_t_v.sql: statement 1 (line 1)"), std::string::npos) << message;
  EXPECT_NE(hint.find("left index \"t_v_idx\" INVALID"), std::string::npos) << hint;
  EXPECT_NE(hint.find("DROP INDEX CONCURRENTLY \"t_v_idx\""), std::string::npos) << hint;
  auto c = scratch_.connect();
  EXPECT_EQ(scalar_int(*c,
                       "SELECT count(*) FROM pg_index i JOIN pg_class x ON x.oid = "
                       "i.indexrelid WHERE x.relname = 't_v_idx' AND NOT i.indisvalid"),
            1)
      << "the hint says what is there";
  holder->rollback();
}

// A build that fails on its own (a duplicate value) leaves nothing behind: an INVALID index
// would stay until the next migrate, and one that got as far as being ready slows every write
// and, when unique, refuses duplicates.
TEST_P(MigrateConcurrentIndex, AUniqueBuildThatFailsDropsTheInvalidIndexItLeft) {
  ProcessResult r =
      test::run_process(migrate_argv(scratch_.url(), kCases / "concurrent_unique_index"), {},
                        std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  auto errors = events_named(json_events(r.out), "error");
  ASSERT_EQ(errors.size(), 1u) << describe(r);
  EXPECT_NE(errors[0].value("message", "").find("is duplicated"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0]
                .value("hint", "")
                .find("the INVALID index \"t_v_key\" the failed build "
                      "left was dropped"),
            std::string::npos)
      << errors[0];
  auto c = scratch_.connect();
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM pg_class WHERE relname = 't_v_key'"), 0);
  c->execute("INSERT INTO t (id, v) VALUES (3, 0)");  // a duplicate is the application's right
}

// The same for an index the statement does not name: PostgreSQL names each attempt's index
// anew (t_v_idx, t_v_idx1...), and every attempt left one more INVALID index, never named.
TEST_P(MigrateConcurrentIndex, AnUnnamedBuildLeavesNoInvalidIndexesBehind) {
  const std::string invalid =
      "SELECT count(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
      "WHERE i.indrelid = 't'::regclass AND NOT i.indisvalid";
  const fs::path cases = kCases / "concurrent_unnamed_unique_index";
  ProcessResult duplicates =
      test::run_process(migrate_argv(scratch_.url(), cases), {}, std::chrono::seconds(120));
  EXPECT_EQ(duplicates.exit_code, 1) << describe(duplicates);
  auto errors = events_named(json_events(duplicates.out), "error");
  ASSERT_EQ(errors.size(), 1u) << describe(duplicates);
  EXPECT_NE(errors[0]
                .value("hint", "")
                .find("the INVALID index \"public\".\"t_v_idx\" the "
                      "failed build left was dropped"),
            std::string::npos)
      << errors[0];
  auto c = scratch_.connect();
  EXPECT_EQ(scalar_int(*c, invalid), 0);

  // Retried while a writer holds on: each attempt's leftover is dropped before the next; the
  // last one's drop waits for the same writer, so the hint names it.
  c->execute("UPDATE t SET v = id");
  auto holder = hold_a_lock_on_t();
  ProcessResult gave_up = test::run_process(
      migrate_argv(scratch_.url(), cases, {"--lock-timeout", "300ms", "--retry-for", "2s"}), {},
      std::chrono::seconds(120));
  EXPECT_EQ(gave_up.exit_code, 1) << describe(gave_up);
  EXPECT_GE(events_named(json_events(gave_up.out), "retry").size(), 1u) << describe(gave_up);
  errors = events_named(json_events(gave_up.out), "error");
  ASSERT_EQ(errors.size(), 1u) << describe(gave_up);
  EXPECT_EQ(scalar_int(*c, invalid), 1) << "the last one only: " << describe(gave_up);
  EXPECT_NE(errors[0].value("hint", "").find("the failed build left index \"public\".\"t_v_idx"),
            std::string::npos)
      << errors[0];
  holder->rollback();
}

INSTANTIATE_TEST_SUITE_P(Postgres, MigrateConcurrentIndex, testing::Values(Backend::kPostgres),
                         backend_param_name);

INSTANTIATE_TEST_SUITE_P(Postgres, MigrateLockHolder, testing::Values(Backend::kPostgres),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateLockHolder, testing::Values(Backend::kMariaDb),
                         backend_param_name);

}  // namespace
}  // namespace cutover
