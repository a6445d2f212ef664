// `cutover migrate` when the leader is killed (-9) or stopped (SIGSTOP) while its statement runs
// on the server: the successor ends that session and waits until it is gone before it resumes,
// so no statement is applied twice (MariaDB, Galera) and no orphan holds a lock (PostgreSQL).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
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

const fs::path kCases = fs::path(CUTOVER_CASES_DIR) / "migrate_takeover";

std::string backend_param_name(const testing::TestParamInfo<Backend>& info) {
  return test::backend_name(info.param);
}

std::int64_t scalar_int(db::Connection& c, const std::string& sql, const db::Params& params = {}) {
  return c.query(sql, params).scalar().as_int();
}

std::int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// `cutover --json migrate URL --dir DIR --lease-ttl 2s extra...`
std::vector<std::string> migrate_argv(const std::string& url, const fs::path& dir,
                                      const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {CUTOVER_BINARY, "--json",     "migrate",     url,
                                   "--dir",        dir.string(), "--lease-ttl", "2s"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// Sessions other than the observer's running a statement that contains `marker`, on the
// observer's node, and for how long the longest has run (seconds).
struct Running {
  std::int64_t sessions = 0;
  std::int64_t longest_s = 0;
};

Running running_on_mariadb(db::Connection& observer, const std::string& database,
                           const std::string& marker) {
  auto row = observer
                 .query(
                     "SELECT count(*), coalesce(max(TIME), 0) FROM "
                     "information_schema.PROCESSLIST WHERE DB = $1 AND INFO LIKE $2 AND "
                     "ID <> CONNECTION_ID()",
                     {database, "%" + marker + "%"})
                 .rows.at(0);
  return {row[0].as_int(), row[1].as_int()};
}

// The takeover event of a successor's run; fails the test when there is none.
json takeover_event(const ProcessResult& r) {
  auto events = events_named(json_events(r.out), "takeover");
  if (events.size() != 1) {
    ADD_FAILURE() << "expected one takeover event:\n" << describe(r);
    return json::object();
  }
  return events.front();
}

// Prints a measured figure, for the report (no timing is asserted).
void report(const std::string& what, std::int64_t value) {
  std::cout << "[ measured ] " << what << ": " << value << std::endl;
  testing::Test::RecordProperty(what, std::to_string(value));
}

// ---------------------------------------------------------------------------------------------
// kill -9 of the leader inside a long INSERT ... SELECT (MariaDB, Galera).

class MigrateKilledInsertSelect : public testing::TestWithParam<Backend> {
 protected:
  bool galera() const { return GetParam() == Backend::kGalera; }
  // The statement pauses 0.2 s every 1,000 rows (V2__fill_dst.sql): 20 s at least, whatever
  // the machine's speed, so it still runs when the successor takes over after the kill. (By
  // its rows alone it ended first on a fast moment of a loaded machine.)
  std::int64_t rows() const { return 100'000; }
  const std::string& url(size_t node) const {
    return scratch_.urls()[node % scratch_.urls().size()];
  }
  std::vector<std::string> migrate(size_t node) const {
    return migrate_argv(url(node), kCases / "insert_select",
                        {"--placeholder", "rows=" + std::to_string(rows())});
  }

  ScratchDatabase scratch_{GetParam()};
};

TEST_P(MigrateKilledInsertSelect, SuccessorEndsTheOrphanStatementAndInsertsEveryRowOnce) {
  const std::string marker = "seq_1_to_" + std::to_string(rows());
  auto observer = scratch_.connect(0);
  SpawnedProcess leader(migrate(0));
  // Mid-way: the statement has run for a second at least.
  poll_until("the leader's INSERT ... SELECT has run for a second", [&] {
    require_running(leader, "the leader");
    Running now = running_on_mariadb(*observer, scratch_.name(), marker);
    return now.sessions > 0 && now.longest_s >= 1;
  });
  leader.kill(SIGKILL);
  ProcessResult killed = leader.wait(std::chrono::seconds(30));
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << describe(killed);
  EXPECT_EQ(running_on_mariadb(*observer, scratch_.name(), marker).sessions, 1)
      << "the orphan statement goes on after the kill: the case tests nothing otherwise";

  // A successor, on another node where there is one.
  auto started = Clock::now();
  ProcessResult successor = test::run_process(migrate(1), {}, std::chrono::seconds(600));
  report("successor run, ms from the kill to its exit", ms_since(started));
  ASSERT_EQ(successor.exit_code, 0) << describe(successor);
  json takeover = takeover_event(successor);
  EXPECT_EQ(takeover.value("outcome", ""), "ended") << takeover;
  report("successor waited for the orphan session to end, ms", takeover.value("waited_ms", -1));

  // Whatever else runs on any node has ended before the rows are counted.
  for (size_t node = 0; node < scratch_.urls().size(); ++node) {
    SCOPED_TRACE("node " + std::to_string(node));
    auto c = scratch_.connect(node);
    poll_until("no statement fills dst any more",
               [&] { return running_on_mariadb(*c, scratch_.name(), marker).sessions == 0; });
    if (galera()) c->execute("SET SESSION wsrep_sync_wait = 1");  // reads see every commit
    std::int64_t count = scalar_int(*c, "SELECT count(*) FROM dst");
    std::int64_t distinct = scalar_int(*c, "SELECT count(DISTINCT id) FROM dst");
    report("rows in dst on node " + std::to_string(node), count);
    EXPECT_EQ(distinct, rows());
    EXPECT_EQ(count, distinct) << "the INSERT ... SELECT was applied more than once";
  }
}

INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateKilledInsertSelect, testing::Values(Backend::kMariaDb),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(Galera, MigrateKilledInsertSelect, testing::Values(Backend::kGalera),
                         backend_param_name);

// ---------------------------------------------------------------------------------------------
// SIGSTOP of the leader inside a single-row INSERT, past the lease's ttl (MariaDB).

class MigrateStoppedLeader : public testing::TestWithParam<Backend> {
 protected:
  ScratchDatabase scratch_{GetParam()};
};

TEST_P(MigrateStoppedLeader, SuccessorDoesNotRepeatTheRowAndTheContinuedLeaderFailsCleanly) {
  const fs::path dir = kCases / "single_row";
  auto observer = scratch_.connect();
  SpawnedProcess leader(migrate_argv(scratch_.url(), dir));
  poll_until("the leader runs V2's INSERT", [&] {
    require_running(leader, "the leader");
    return running_on_mariadb(*observer, scratch_.name(), "SLEEP(2)").sessions > 0;
  });
  leader.kill(SIGSTOP);

  auto started = Clock::now();
  ProcessResult successor = test::run_process(migrate_argv(scratch_.url(), dir));
  report("successor run, ms from SIGSTOP to its exit", ms_since(started));
  leader.kill(SIGCONT);
  ASSERT_EQ(successor.exit_code, 0) << describe(successor);
  json done = json_events(successor.out).back();
  EXPECT_EQ(done.value("role", ""), "leader") << successor.out;
  EXPECT_EQ(done.value("current", ""), "2") << successor.out;
  takeover_event(successor);

  ProcessResult stopped = leader.wait(std::chrono::seconds(60));
  EXPECT_EQ(stopped.exit_code, 3) << "the continued leader fails: lease lost\n"
                                  << describe(stopped);
  EXPECT_NE(stopped.out.find("lost the migration lease"), std::string::npos) << describe(stopped);

  poll_until("no session runs V2's INSERT", [&] {
    return running_on_mariadb(*observer, scratch_.name(), "SLEEP(2)").sessions == 0;
  });
  std::int64_t count = scalar_int(*observer, "SELECT count(*) FROM t");
  report("rows in t", count);
  EXPECT_EQ(count, 1) << "the single-row INSERT ran twice";
  EXPECT_EQ(scalar_int(*observer, "SELECT count(*) FROM cutover_schema_history WHERE success = 1"),
            2);
}

INSTANTIATE_TEST_SUITE_P(MariaDb, MigrateStoppedLeader, testing::Values(Backend::kMariaDb),
                         backend_param_name);

// ---------------------------------------------------------------------------------------------
// PostgreSQL: the killed leader's backend sleeps on, holding its ALTER's lock.

class MigrateOrphanBackend : public testing::TestWithParam<Backend> {
 protected:
  ScratchDatabase scratch_{GetParam()};
};

TEST_P(MigrateOrphanBackend, SuccessorTerminatesTheOrphanHoldingTheLockAndFinishes) {
  auto c = scratch_.connect();
  c->execute("CREATE TABLE t (id INT PRIMARY KEY)");
  c->execute("CREATE TABLE sleep_control (sleep BOOLEAN NOT NULL)");
  c->execute("INSERT INTO sleep_control VALUES (true)");
  const fs::path dir = kCases / "pg_orphan";
  const std::vector<std::string> limits = {"--lock-timeout", "500ms", "--retry-for", "20s"};
  auto orphans = [&] {
    return scalar_int(*c,
                      "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query LIKE "
                      "'%pg_sleep(60)%' AND pid <> pg_backend_pid()",
                      {scratch_.name()});
  };

  SpawnedProcess leader(migrate_argv(scratch_.url(), dir, limits));
  poll_until("the leader sleeps holding the ALTER's lock", [&] {
    require_running(leader, "the leader");
    return orphans() > 0;
  });
  leader.kill(SIGKILL);
  ProcessResult killed = leader.wait(std::chrono::seconds(30));
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << describe(killed);
  EXPECT_EQ(orphans(), 1) << "the orphan backend sleeps on after the kill";
  c->execute("UPDATE sleep_control SET sleep = false");  // the successor's run does not sleep

  auto started = Clock::now();
  ProcessResult successor = test::run_process(migrate_argv(scratch_.url(), dir, limits));
  report("successor run, ms from the kill to its exit", ms_since(started));
  ASSERT_EQ(successor.exit_code, 0) << describe(successor);
  json takeover = takeover_event(successor);
  EXPECT_EQ(takeover.value("outcome", ""), "ended") << takeover;
  report("successor waited for the orphan backend to end, ms", takeover.value("waited_ms", -1));
  EXPECT_EQ(orphans(), 0);
  EXPECT_EQ(scalar_int(*c,
                       "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' "
                       "AND column_name = 'c'"),
            1);
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM cutover_schema_history WHERE success"), 1);
}

INSTANTIATE_TEST_SUITE_P(Postgres, MigrateOrphanBackend, testing::Values(Backend::kPostgres),
                         backend_param_name);

// ---------------------------------------------------------------------------------------------
// PostgreSQL: a statement of a no-transaction file, killed with its leader, ends on the server
// before the successor takes over. It ran in autocommit and was applied unrecorded, so the
// successor ran it again; it now runs in a transaction of its own with its progress record,
// which the cut-off session rolls back.

class MigrateOrphanNoTransactionStatement : public testing::TestWithParam<Backend> {
 protected:
  ScratchDatabase scratch_{GetParam()};
};

TEST_P(MigrateOrphanNoTransactionStatement, ItIsAppliedOnceAfterItsLeaderIsKilled) {
  auto c = scratch_.connect();
  const fs::path dir = kCases / "pg_no_transaction";
  auto running = [&] {
    return scalar_int(*c,
                      "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query LIKE "
                      "'%pg_sleep(0.1)%' AND state = 'active' AND pid <> pg_backend_pid()",
                      {scratch_.name()});
  };
  SpawnedProcess leader(migrate_argv(scratch_.url(), dir));
  poll_until("the leader's slow INSERT runs", [&] {
    require_running(leader, "the leader");
    return running() > 0;
  });
  leader.kill(SIGKILL);
  ProcessResult killed = leader.wait(std::chrono::seconds(30));
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << describe(killed);
  poll_until("the orphan INSERT has ended on the server", [&] { return running() == 0; });

  ProcessResult successor = test::run_process(migrate_argv(scratch_.url(), dir));
  ASSERT_EQ(successor.exit_code, 0) << describe(successor);
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM dst"), 20)
      << "the INSERT was applied unrecorded by the killed leader and again by its successor";
  EXPECT_EQ(scalar_int(*c, "SELECT count(*) FROM cutover_schema_history WHERE success"), 2);
}

INSTANTIATE_TEST_SUITE_P(Postgres, MigrateOrphanNoTransactionStatement,
                         testing::Values(Backend::kPostgres), backend_param_name);

}  // namespace
}  // namespace cutover
