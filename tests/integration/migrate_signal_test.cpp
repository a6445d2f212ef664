// `cutover migrate` stopped with SIGTERM or SIGINT: the running statement is cancelled on the
// server, the unfinished transaction rolled back, the lease released, the process exits 1
// saying where it stopped, and the next run applies the rest at once, every row once.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "coord/lease.h"
#include "db/connection.h"
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
using Clock = std::chrono::steady_clock;

constexpr const char* kHistory = "cutover_schema_history";
constexpr const char* kV2 = "V2__events_around_a_slow_step.sql";
const fs::path kCases = fs::path(CUTOVER_CASES_DIR) / "migrate_signal";
// Not a timing assertion: the slow statement lasts 60 s (minutes on SQLite), so a process that
// did not cancel it is still running at this deadline.
constexpr std::chrono::seconds kExitDeadline{10};

std::string backend_param_name(const testing::TestParamInfo<Backend>& info) {
  return test::backend_name(info.param);
}

std::int64_t scalar_int(db::Connection& c, const std::string& sql, const db::Params& params = {}) {
  return c.query(sql, params).scalar().as_int();
}

class MigrateSignal : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto c = scratch_.connect();
    c->execute("CREATE TABLE slow_control (amount BIGINT NOT NULL)");
    // Seconds of sleep, or rows for SQLite's recursive count (billions: minutes of work).
    c->execute(GetParam() == Backend::kSqlite ? "INSERT INTO slow_control VALUES (10000000000)"
                                              : "INSERT INTO slow_control VALUES (60)");
  }

  fs::path dir() const {
    switch (GetParam()) {
      case Backend::kPostgres:
        return kCases / "postgres";
      case Backend::kSqlite:
        return kCases / "sqlite";
      default:
        return kCases / "mariadb";
    }
  }

  // `cutover [--json] migrate URL --dir DIR --lease-ttl 60s`
  std::vector<std::string> migrate_argv(bool json) const {
    // A long ttl: a lease left behind would make the next run wait, which the test would see.
    std::vector<std::string> argv = {"migrate",      scratch_.url(), "--dir",
                                     dir().string(), "--lease-ttl",  "60s"};
    if (json) argv.insert(argv.begin(), "--json");
    argv.insert(argv.begin(), CUTOVER_BINARY);
    return argv;
  }

  // How many sessions other than `observer`'s run V2's slow statement (the process list on
  // PostgreSQL and MariaDB; SQLite has none: -1).
  std::int64_t slow_sessions(db::Connection& observer) const {
    if (GetParam() == Backend::kPostgres) {
      return scalar_int(observer,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = "
                        "'active' AND query LIKE '%pg_sleep((SELECT amount%' AND pid <> "
                        "pg_backend_pid()",
                        {scratch_.name()});
    }
    if (GetParam() == Backend::kSqlite) return -1;
    return scalar_int(observer,
                      "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = $1 AND "
                      "INFO LIKE '%SLEEP((SELECT amount%' AND ID <> CONNECTION_ID()",
                      {scratch_.name()});
  }

  std::optional<coord::LeaseState> lease_state(db::Connection& c) const {
    coord::Lease lease(c, migrate::migration_lease_key(kHistory));
    if (!lease.table_exists()) return std::nullopt;
    return lease.current();
  }

  // Returns once `process` runs V2's slow statement: seen in the server's process list, or on
  // SQLite, where there is none, once the lease names V2 (its statements before the slow one
  // take microseconds).
  void wait_for_the_slow_statement(SpawnedProcess& process) const {
    auto observer = scratch_.connect();
    poll_until("cutover runs V2's slow statement", [&] {
      require_running(process, "cutover migrate");
      if (GetParam() != Backend::kSqlite) return slow_sessions(*observer) > 0;
      auto state = lease_state(*observer);
      return state && state->holder && state->script == kV2;
    });
  }

  // Sends `signal` and waits for the exit, at most kExitDeadline; prints how long it took.
  ProcessResult stop_with(SpawnedProcess& process, int signal) const {
    auto sent = Clock::now();
    process.kill(signal);
    ProcessResult r = process.wait(kExitDeadline);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
    std::cout << "[ measured ] " << test::backend_name(GetParam()) << " "
              << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ": exit " << r.exit_code << " "
              << ms.count() << " ms after the signal\n";
    return r;
  }

  // After the stop: nothing runs the slow statement any more, the lease is free, V2 is not in
  // the history and none of its last transaction step is there.
  void expect_stopped_cleanly() const {
    auto c = scratch_.connect();
    if (GetParam() != Backend::kSqlite) {
      // The server may take a moment to drop a cancelled session's entry, never 60 s.
      poll_until(
          "no session runs the slow statement", [&] { return slow_sessions(*c) == 0; },
          std::chrono::seconds(5));
    }
    auto state = lease_state(*c);
    ASSERT_TRUE(state.has_value()) << "no lease row";
    EXPECT_FALSE(state->holder.has_value()) << "the lease still names " << *state->holder;
    EXPECT_LE(state->expires_in.count(), 0) << "the lease was not released";

    migrate::HistoryTable history(*c, kHistory);
    auto rows = history.read();
    ASSERT_EQ(rows.size(), 1u) << "only V1 is applied";
    EXPECT_EQ(rows[0].version, "1");
    EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM events WHERE tag = 'v2-after'"), 0);
    // It runs in the slow statement's transaction, rolled back: on MariaDB too, where DML
    // statements share a transaction step (only DDL, which commits on its own, stands alone).
    EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM events WHERE tag = 'v2-slow-step'"), 0)
        << "the interrupted transaction step was rolled back, the committed steps kept";
  }

  // The slow statement made quick, a new run applies the rest at once; each row exists once.
  void expect_next_run_finishes() const {
    auto c = scratch_.connect();
    c->execute("UPDATE slow_control SET amount = 0");
    auto started = Clock::now();
    ProcessResult r = test::run_process(migrate_argv(true), {}, std::chrono::seconds(60));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    std::cout << "[ measured ] the next run took " << ms.count() << " ms\n";
    auto done = events_named(json_events(r.out), "done");
    ASSERT_EQ(done.size(), 1u) << describe(r);
    EXPECT_EQ(done[0].value("role", ""), "leader") << r.out;
    EXPECT_EQ(done[0].value("applied", -1), 2) << r.out;
    EXPECT_EQ(done[0].value("current", ""), "3") << r.out;

    std::map<std::string, std::int64_t> tags;
    for (const auto& row :
         c->query("SELECT tag, count(*) FROM events GROUP BY tag ORDER BY tag").rows) {
      tags[row[0].text()] = row[1].as_int();
    }
    std::map<std::string, std::int64_t> expected = {
        {"v1", 1}, {"v2-after", 1}, {"v2-before", 1}, {"v2-slow-step", 1}, {"v3", 1}};
    EXPECT_EQ(tags, expected) << "every row exactly once";
    migrate::HistoryTable history(*c, kHistory);
    EXPECT_EQ(history.read().size(), 3u);
  }

  ScratchDatabase scratch_{GetParam()};
};

TEST_P(MigrateSignal, SigtermCancelsTheStatementReleasesTheLeaseAndTheNextRunFinishes) {
  SpawnedProcess leader(migrate_argv(false));
  wait_for_the_slow_statement(leader);
  ProcessResult r = stop_with(leader, SIGTERM);
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("interrupted by SIGTERM"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find(kV2), std::string::npos) << "the message names the file: " << describe(r);
  EXPECT_EQ(r.err.find("statement failed"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("hint: run migrate again"), std::string::npos) << describe(r);
  if (GetParam() == Backend::kPostgres) {
    // The CREATE INDEX CONCURRENTLY step committed before the slow step began.
    EXPECT_NE(r.err.find("statements 1-2 of " + std::string(kV2) + " are applied"),
              std::string::npos)
        << describe(r);
  }
  expect_stopped_cleanly();
  expect_next_run_finishes();
}

TEST_P(MigrateSignal, SigintStopsTheSameWayAndSaysWhereInAJsonEvent) {
  SpawnedProcess leader(migrate_argv(true));
  wait_for_the_slow_statement(leader);
  ProcessResult r = stop_with(leader, SIGINT);
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  auto events = json_events(r.out);
  auto interrupted = events_named(events, "interrupted");
  ASSERT_EQ(interrupted.size(), 1u) << describe(r);
  EXPECT_EQ(interrupted[0].value("signal", ""), "SIGINT") << r.out;
  EXPECT_EQ(interrupted[0].value("script", ""), kV2) << r.out;
  int done = interrupted[0].value("statements_done", -1);
  EXPECT_EQ(interrupted[0].value("resumes_at_statement", -1), done + 1) << r.out;
  if (GetParam() == Backend::kPostgres) EXPECT_EQ(done, 2) << r.out;
  if (GetParam() == Backend::kSqlite) EXPECT_EQ(done, 0) << "one transaction: " << r.out;
  auto errors = events_named(events, "error");
  ASSERT_EQ(errors.size(), 1u) << describe(r);
  EXPECT_EQ(errors[0].value("exit_code", 0), 1) << r.out;
  EXPECT_NE(errors[0].value("message", "").find("interrupted by SIGINT"), std::string::npos)
      << r.out;
  expect_stopped_cleanly();
  expect_next_run_finishes();
}

TEST_P(MigrateSignal, AWaiterStopsWaitingAtOnceAndTheLeaderGoesOn) {
  SpawnedProcess leader(migrate_argv(false));
  wait_for_the_slow_statement(leader);
  SpawnedProcess waiter(migrate_argv(true));
  poll_until("the second instance waits", [&] {
    require_running(waiter, "the waiting instance");
    return !events_named(json_events(waiter.output_so_far()), "waiting").empty();
  });

  ProcessResult w = stop_with(waiter, SIGTERM);
  ASSERT_EQ(w.exit_code, 1) << describe(w);
  auto errors = events_named(json_events(w.out), "error");
  ASSERT_EQ(errors.size(), 1u) << describe(w);
  const std::string message = errors[0].value("message", "");
  EXPECT_NE(message.find("interrupted by SIGTERM while waiting for"), std::string::npos) << w.out;
  EXPECT_NE(message.find(":" + std::to_string(leader.pid()) + ":"), std::string::npos)
      << "names the leader: " << w.out;
  auto interrupted = events_named(json_events(w.out), "interrupted");
  ASSERT_EQ(interrupted.size(), 1u) << w.out;
  EXPECT_EQ(interrupted[0].value("role", ""), "waiter") << w.out;

  // The leader was not disturbed: it still holds the lease and runs its statement.
  EXPECT_TRUE(leader.running());
  {
    auto c = scratch_.connect();
    auto state = lease_state(*c);
    ASSERT_TRUE(state && state->holder) << "the waiter released the leader's lease";
    EXPECT_NE(state->holder->find(":" + std::to_string(leader.pid()) + ":"), std::string::npos);
  }

  ProcessResult r = stop_with(leader, SIGTERM);
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  expect_stopped_cleanly();
  expect_next_run_finishes();
}

// SIGTERM while an afterMigrate callback runs cancels its statement (the run went on until the
// callback ended, then said "interrupted ... before the next", with nothing left to apply); the
// callbacks stay owed for the next run.
TEST_P(MigrateSignal, SigtermDuringAnAfterMigrateCallbackCancelsItAndLeavesItOwed) {
  auto c = scratch_.connect();
  c->execute("UPDATE slow_control SET amount = 0");  // the migrations are quick
  c->execute("CREATE TABLE slow_after (amount BIGINT NOT NULL)");
  c->execute(GetParam() == Backend::kSqlite ? "INSERT INTO slow_after VALUES (10000000000)"
                                            : "INSERT INTO slow_after VALUES (60)");
  const fs::path folder =
      fs::temp_directory_path() / ("cutover-signal-callback-" + std::to_string(getpid()));
  fs::remove_all(folder);
  fs::copy(dir(), folder);
  const char* slow =
      GetParam() == Backend::kPostgres ? "SELECT pg_sleep((SELECT amount FROM slow_after));\n"
      : GetParam() == Backend::kSqlite
          ? "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < (SELECT "
            "amount FROM slow_after)) SELECT count(*) FROM n;\n"
          : "SELECT SLEEP((SELECT amount FROM slow_after));\n";
  std::ofstream(folder / "afterMigrate.sql") << slow;
  std::vector<std::string> argv = migrate_argv(true);
  argv[5] = folder.string();  // --dir
  SpawnedProcess leader(argv);
  poll_until("the afterMigrate callback runs", [&] {
    require_running(leader, "cutover migrate");
    if (GetParam() == Backend::kPostgres) {
      return scalar_int(*c,
                        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query "
                        "LIKE '%slow_after%' AND pid <> pg_backend_pid()") > 0;
    }
    if (GetParam() == Backend::kMariaDb) {
      return scalar_int(*c,
                        "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                        "'%SLEEP((SELECT amount FROM slow_after%' AND ID <> CONNECTION_ID()") > 0;
    }
    // SQLite has no process list: the callback's event comes just before its statement.
    return !events_named(json_events(leader.output_so_far()), "callback").empty();
  });
  ProcessResult r = stop_with(leader, SIGTERM);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  auto errors = events_named(json_events(r.out), "error");
  ASSERT_EQ(errors.size(), 1u) << describe(r);
  EXPECT_NE(errors[0]
                .value("message", "")
                .find("interrupted by SIGTERM while SQL callback afterMigrate.sql ran"),
            std::string::npos)
      << errors[0];
  ProcessResult info = test::run_process(
      {CUTOVER_BINARY, "migrate", "info", scratch_.url(), "--dir", folder.string()});
  EXPECT_NE(info.out.find("owed:"), std::string::npos) << describe(info);
  fs::remove_all(folder);
}

INSTANTIATE_TEST_SUITE_P(Postgres, MigrateSignal, testing::Values(Backend::kPostgres),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateSignal, testing::Values(Backend::kMariaDb),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, MigrateSignal, testing::Values(Backend::kSqlite),
                         backend_param_name);

}  // namespace
}  // namespace cutover
