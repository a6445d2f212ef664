// The coordination lease on every topology: one leader among racing processes, exclusivity until
// release, takeover after expiry with fencing of the old holder, renewals, and PgBouncer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <latch>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "coord/heartbeat.h"
#include "coord/lease.h"
#include "core/error.h"
#include "db/registry.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

using coord::Heartbeat;
using coord::Lease;
using coord::LeaseKey;
using coord::LeaseOptions;
using coord::LeaseToken;
using test::Backend;
using test::ScratchDatabase;

constexpr const char* kHistory = "cutover_schema_history";
// migrate's key, as databases made by earlier releases have it.
const LeaseKey kKey{std::string(kHistory) + "_lease", kHistory};
constexpr int kContenders = 16;
// Long enough that no lease expires by accident while a test races for it.
const LeaseOptions kLongLease{std::chrono::seconds(60)};
const LeaseOptions kShortLease{std::chrono::seconds(1)};

// Polls `done` every 10 ms until it is true; throws after 30 s naming what never happened.
template <typename Done>
void poll_until(const std::string& what, Done done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("timed out waiting until " + what);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// `options` with the URL a successor reaches its predecessor's Galera node through.
LeaseOptions reaching(LeaseOptions options, const std::string& url) {
  options.url = url;
  return options;
}

// One process taking part: its own connection and its own view of the lease.
// A session that reads on Galera as cutover's do (wsrep_sync_wait): after everything the
// cluster committed before the read.
std::unique_ptr<db::Connection> connect_as_cutover(const std::string& url) {
  auto connection = db::connect(url);
  if (connection->server().galera) connection->execute("SET SESSION wsrep_sync_wait = 1");
  return connection;
}

struct Contender {
  Contender(const std::string& url, LeaseOptions options)
      : connection(connect_as_cutover(url)),
        lease(*connection, kKey, reaching(options, url)),
        holder(coord::describe_this_process()) {}
  std::unique_ptr<db::Connection> connection;
  Lease lease;
  std::string holder;

  std::optional<LeaseToken> try_acquire() { return lease.try_acquire(holder); }
};

// Polls until `contender` takes the lease; fails the test when it never does.
LeaseToken acquire_eventually(Contender& contender) {
  std::optional<LeaseToken> token;
  poll_until("a contender takes the lease", [&] { return (token = contender.try_acquire()); });
  return *token;
}

struct RaceOutcome {
  std::vector<LeaseToken> winners;
  std::vector<std::string> failures;
};

// `urls.size()` processes, each connected, start at once on a database where the lease
// table may not exist yet: each creates it and tries to take the lease.
RaceOutcome race_for_the_lease(const std::vector<std::string>& urls) {
  RaceOutcome outcome;
  std::mutex mutex;
  std::latch start(static_cast<std::ptrdiff_t>(urls.size()));
  std::vector<std::thread> threads;
  for (const auto& url : urls) {
    threads.emplace_back([&, url] {
      std::unique_ptr<Contender> contender;
      try {
        contender = std::make_unique<Contender>(url, kLongLease);
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        outcome.failures.push_back(std::string("connect: ") + e.what());
      }
      start.arrive_and_wait();  // arrive even after a failure, so that nobody waits forever
      if (!contender) return;
      try {
        contender->lease.ensure_table();
        auto token = contender->try_acquire();
        std::lock_guard lock(mutex);
        if (token) outcome.winners.push_back(*token);
      } catch (const Error& e) {
        std::lock_guard lock(mutex);
        outcome.failures.push_back(std::string(e.what()) + " (SQLSTATE " + e.sqlstate() +
                                   ", error " + std::to_string(e.vendor_code()) + ")");
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        outcome.failures.push_back(e.what());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return outcome;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "\n  " + line;
  return out;
}

void expect_exactly_one_leader(const RaceOutcome& outcome, const std::string& check_url) {
  ASSERT_TRUE(outcome.failures.empty()) << joined(outcome.failures);
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].value, 1);
  Contender observer(check_url, kLongLease);
  auto state = observer.lease.current();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->held());
  EXPECT_EQ(state->holder, outcome.winners[0].holder);
  EXPECT_EQ(state->token, 1);
}

std::string backend_param_name(const testing::TestParamInfo<Backend>& info) {
  return test::backend_name(info.param);
}

class LeaseTest : public testing::TestWithParam<Backend> {
 protected:
  // The URL of process `i`: on Galera, the processes are spread over the three nodes.
  const std::string& url(size_t i) const { return scratch_.urls()[i % scratch_.urls().size()]; }

  std::vector<std::string> contender_urls() const {
    std::vector<std::string> urls;
    for (size_t i = 0; i < kContenders; ++i) urls.push_back(url(i));
    return urls;
  }

  ScratchDatabase scratch_{GetParam()};
};

TEST_P(LeaseTest, SixteenContendersOnAFreshDatabaseElectExactlyOneLeader) {
  expect_exactly_one_leader(race_for_the_lease(contender_urls()), url(0));
}

TEST_P(LeaseTest, HeldLeaseIsExclusiveUntilReleasedThenPassesOnWithAHigherToken) {
  Contender leader(url(0), kLongLease);
  leader.lease.ensure_table();
  auto first = leader.try_acquire();
  ASSERT_TRUE(first.has_value());

  // Each process makes sure of the table first, as cutover does: on Galera that orders it
  // after node 1's CREATE, which the other nodes may not have applied yet.
  Contender second(url(1), kLongLease);
  second.lease.ensure_table();
  Contender third(url(2), kLongLease);
  third.lease.ensure_table();
  EXPECT_FALSE(second.try_acquire().has_value());
  EXPECT_FALSE(third.try_acquire().has_value());
  EXPECT_FALSE(leader.try_acquire().has_value()) << "a holder cannot take its own lease twice";
  EXPECT_TRUE(leader.lease.renew(*first));

  leader.lease.release(*first);
  auto released = leader.lease.current();
  ASSERT_TRUE(released.has_value());
  EXPECT_FALSE(released->holder.has_value());
  EXPECT_FALSE(released->held());
  LeaseToken next = acquire_eventually(second);
  EXPECT_GT(next.value, first->value);
  EXPECT_FALSE(third.try_acquire().has_value());
  EXPECT_FALSE(leader.lease.renew(*first)) << "a released lease cannot be renewed";

  auto state = third.lease.current();
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->holder, next.holder);
}

TEST_P(LeaseTest, ExpiredLeaseIsTakenOverAndTheOldHolderIsFenced) {
  auto killed = std::make_unique<Contender>(url(0), kShortLease);
  killed->lease.ensure_table();
  auto old_token = killed->try_acquire();
  ASSERT_TRUE(old_token.has_value());
  ASSERT_TRUE(killed->lease.record_progress(*old_token, "V2__split.sql", 12345, 3));
  killed.reset();  // kill -9: the connection goes, nothing is released

  Contender successor(url(1), kShortLease);
  successor.lease.ensure_table();
  LeaseToken token = acquire_eventually(successor);
  EXPECT_EQ(token.value, old_token->value + 1);
  auto state = successor.lease.current();
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->holder, token.holder);
  // The successor learns where its predecessor stopped.
  EXPECT_EQ(state->script, "V2__split.sql");
  EXPECT_EQ(state->checksum, 12345);
  EXPECT_EQ(state->statements_done, 3);

  // The old leader wakes up (through another node on Galera) and finds itself fenced.
  Contender zombie(url(2), kShortLease);
  zombie.lease.ensure_table();
  EXPECT_FALSE(zombie.lease.renew(*old_token));
  EXPECT_FALSE(zombie.lease.record_progress(*old_token, "V3__other.sql", 1, 1));
  zombie.connection->begin();
  EXPECT_FALSE(zombie.lease.record_progress(*old_token, "V3__other.sql", 1, 1));
  zombie.connection->rollback();
  zombie.lease.release(*old_token);  // harmless: the lease is not the zombie's any more

  // The successor's guarded writes still work, alone or inside its own transaction.
  successor.connection->begin();
  EXPECT_TRUE(successor.lease.record_progress(token, "V2__split.sql", 12345, 4));
  successor.connection->commit();
  state = successor.lease.current();
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->holder, token.holder);
  EXPECT_EQ(state->token, token.value);
  EXPECT_EQ(state->script, "V2__split.sql");
  EXPECT_EQ(state->statements_done, 4);
  EXPECT_TRUE(successor.lease.record_progress(token, "", std::nullopt, 0));
  state = successor.lease.current();
  ASSERT_TRUE(state.has_value());
  EXPECT_FALSE(state->script.has_value());
  EXPECT_FALSE(state->checksum.has_value());
}

TEST_P(LeaseTest, HeartbeatKeepsTheLeaseAndNoticesATakeover) {
  // Long enough that a heartbeat on a busy machine stays on time, short enough to outlive.
  const LeaseOptions options{std::chrono::seconds(3)};
  Contender leader(url(0), options);
  leader.lease.ensure_table();
  auto token = leader.try_acquire();
  ASSERT_TRUE(token.has_value());
  Heartbeat heartbeat(url(0), kKey, *token, options);

  // Four renewals, one every ttl/3: the lease has outlived its first ttl.
  poll_until("the heartbeat renewed four times", [&] { return heartbeat.renewals() >= 4; });
  Contender other(url(1), options);
  other.lease.ensure_table();
  EXPECT_FALSE(other.try_acquire().has_value());
  EXPECT_FALSE(heartbeat.lost()) << heartbeat.lost_reason();
  EXPECT_EQ(heartbeat.lost_reason(), "");

  // Someone moves the token on, as a takeover would: the next renewal notices.
  // (On Galera the write may lose a certification race against a renewal: then try again.)
  poll_until("the token is moved on", [&] {
    try {
      return other.connection->execute("UPDATE " +
                                       other.connection->quote_identifier(other.lease.table()) +
                                       " SET token = token + 1") == 1;
    } catch (const Error& e) {
      if (e.vendor_code() != 1213) throw;
      return false;
    }
  });
  poll_until("the heartbeat notices the takeover", [&] { return heartbeat.lost(); });
  EXPECT_NE(heartbeat.lost_reason().find("taken over"), std::string::npos)
      << heartbeat.lost_reason();
}

TEST_P(LeaseTest, TakeoverEndsThePreviousHoldersSessionBeforeReturningTheToken) {
  auto stopped = std::make_unique<Contender>(url(0), kShortLease);
  stopped->lease.ensure_table();
  auto old_token = stopped->try_acquire();
  ASSERT_TRUE(old_token.has_value());
  if (GetParam() == Backend::kSqlite) {
    // No server session: a process's locks die with it.
    EXPECT_FALSE(stopped->lease.current()->session.has_value());
    return;
  }
  // The holder is stuck in a long statement on the connection that took the lease, and stops
  // renewing: the statement would go on after its process died.
  bool postgres = GetParam() == Backend::kPostgres;
  std::string error;
  std::thread statement([&] {
    try {
      stopped->connection->execute(postgres ? "SELECT pg_sleep(60)" : "SELECT SLEEP(60)");
    } catch (const Error& e) {
      error = e.what();
    }
  });
  Contender successor(url(1), kShortLease);
  successor.lease.ensure_table();
  LeaseToken token = acquire_eventually(successor);
  statement.join();  // ended by the takeover, long before its 60 s
  EXPECT_FALSE(error.empty()) << "the holder's statement was not ended";
  ASSERT_TRUE(token.takeover.has_value());
  EXPECT_EQ(token.takeover->outcome, "ended");
  auto state = successor.lease.current();
  ASSERT_TRUE(state.has_value() && state->session.has_value());
  EXPECT_NE(state->session->id, token.takeover->session.id) << "the successor's own session";
  if (GetParam() == Backend::kGalera) {
    EXPECT_EQ(token.takeover->session.node, stopped->connection->server().galera_node);
    EXPECT_EQ(state->session->node, successor.connection->server().galera_node);
  }
}

// The lease table as the previous release created it, without the holder_* columns.
std::string previous_release_table_sql(db::Connection& c) {
  bool mariadb = c.server().flavor == db::Flavor::kMariaDb;
  return "CREATE TABLE " + c.quote_identifier(kKey.table) +
         " (name VARCHAR(200) NOT NULL PRIMARY KEY, holder VARCHAR(400) NULL, token BIGINT NOT "
         "NULL, expires_at BIGINT NOT NULL, script VARCHAR(1000) NULL, checksum INT NULL, "
         "statements_done INT NOT NULL DEFAULT 0, row_version BIGINT NOT NULL DEFAULT 0)" +
         (mariadb ? std::string(" ENGINE=InnoDB") : std::string());
}

TEST_P(LeaseTest, LeaseTableOfThePreviousReleaseGainsTheNewColumnsWhenManyStartAtOnce) {
  {
    auto c = db::connect(url(0));
    c->execute(previous_release_table_sql(*c));
    // A partial run recorded by the previous release, its lease expired long ago.
    c->execute("INSERT INTO " + c->quote_identifier(kKey.table) +
                   " (name, holder, token, expires_at, script, checksum, statements_done, "
                   "row_version) VALUES ($1, 'old-host:1:1', 7, 0, 'V2__split.sql', 12345, 3, 9)",
               {kKey.name});
  }
  for (size_t node = 0; node < scratch_.urls().size(); ++node) {
    auto c = db::connect(url(node));
    poll_until("node " + std::to_string(node) + " has the old row", [&] {
      try {
        return c->query("SELECT token FROM " + c->quote_identifier(kKey.table)).rows.size() == 1;
      } catch (const Error&) {
        return false;  // the table has not reached this node yet
      }
    });
  }
  // Sixteen processes of the new release at once, on every node: each brings the table up to
  // date; exactly one takes the lease over from the old row.
  RaceOutcome outcome = race_for_the_lease(contender_urls());
  ASSERT_TRUE(outcome.failures.empty()) << joined(outcome.failures);
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].value, 8) << "the token goes on from the old row's";

  Contender observer(url(1), kLongLease);
  observer.lease.ensure_table();
  std::optional<coord::LeaseState> state;
  poll_until("the takeover reached the observer's node", [&] {
    state = observer.lease.current();
    return state && state->token == 8;
  });
  EXPECT_EQ(state->holder, outcome.winners[0].holder);
  EXPECT_EQ(state->script, "V2__split.sql") << "the old progress is kept";
  EXPECT_EQ(state->checksum, 12345);
  EXPECT_EQ(state->statements_done, 3);
  // The new holder recorded its session where the database has one to end.
  EXPECT_EQ(state->session.has_value(), GetParam() != Backend::kSqlite);
}

// Opens the scratch database as a user who may read but not create tables.
class ReadOnlyUser {
 public:
  explicit ReadOnlyUser(const ScratchDatabase& scratch) : scratch_(scratch) {
    password_file_ =
        std::filesystem::temp_directory_path() / ("cutover-lease-pw-" + std::to_string(getpid()));
    std::ofstream(password_file_) << "Lease-Reader-Pw1\n";
    const std::string& url = scratch.url();
    if (url.starts_with("sqlite:")) {
      db::connect(url)->execute("CREATE TABLE unrelated (id INTEGER)");  // the file must exist
      url_ = url + "?mode=ro";
      return;
    }
    admin_ = db::connect(url);
    name_ = "lease_reader_" + std::to_string(getpid());
    if (url.starts_with("postgres")) {
      // PostgreSQL 15: only the database owner may create tables in public.
      admin_->execute("CREATE ROLE " + name_ + " LOGIN PASSWORD 'Lease-Reader-Pw1'");
      url_ = "postgres://" + name_ + url.substr(url.find('@'));
    } else {
      admin_->execute("CREATE USER '" + name_ + "'@'%' IDENTIFIED BY 'Lease-Reader-Pw1'");
      admin_->execute("GRANT SELECT ON " + admin_->quote_identifier(scratch.name()) + ".* TO '" +
                      name_ + "'@'%'");
      url_ = "mariadb://" + name_ + url.substr(url.find('@'));
    }
  }
  ~ReadOnlyUser() {
    std::filesystem::remove(password_file_);
    if (!admin_) return;
    try {
      bool pg = admin_->server().flavor == db::Flavor::kPostgres;
      admin_->execute(pg ? "DROP ROLE " + name_ : "DROP USER '" + name_ + "'@'%'");
    } catch (const std::exception&) {
      // A leftover role without rights is harmless on a throwaway server.
    }
  }
  std::unique_ptr<db::Connection> connect() const {
    return db::connect(url_, {.password_file = password_file_.string()});
  }
  db::Connection& admin() const { return *admin_; }

 private:
  const ScratchDatabase& scratch_;
  std::filesystem::path password_file_;
  std::unique_ptr<db::Connection> admin_;
  std::string name_;
  std::string url_;
};

TEST_P(LeaseTest, NoRightToCreateTheTableIsBadInputNamingTableAndFix) {
  ReadOnlyUser reader(scratch_);
  {
    auto connection = reader.connect();
    Lease lease(*connection, kKey);
    try {
      lease.ensure_table();
      FAIL() << "ensure_table() succeeded without the right to create tables";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.what();
      EXPECT_NE(e.message().find(lease.table()), std::string::npos) << e.message();
      EXPECT_NE(e.hint().find("CREATE TABLE IF NOT EXISTS"), std::string::npos) << e.hint();
    }
  }
  if (GetParam() == Backend::kSqlite) return;  // a read-only file stays read-only

  // Once an administrator created the table, the same user gets past ensure_table().
  auto admin = db::connect(url(0));
  Lease(*admin, kKey).ensure_table();
  poll_until("the table reached the reader's node", [&] {
    auto connection = reader.connect();
    Lease lease(*connection, kKey);
    try {
      lease.ensure_table();
      return true;
    } catch (const Error&) {
      return false;
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Sqlite, LeaseTest, testing::Values(Backend::kSqlite), backend_param_name);
INSTANTIATE_TEST_SUITE_P(Postgres, LeaseTest, testing::Values(Backend::kPostgres),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(MariaDb, LeaseTest, testing::Values(Backend::kMariaDb),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(Galera, LeaseTest, testing::Values(Backend::kGalera), backend_param_name);

// PostgreSQL through PgBouncer in transaction mode: consecutive statements of one client may
// run on different server sessions, which is why the lease never relies on a session.
class LeasePooled : public testing::TestWithParam<Backend> {};

TEST_P(LeasePooled, SixteenContendersThroughPgBouncerElectExactlyOneLeader) {
  ScratchDatabase scratch(Backend::kPostgres);
  std::string pooled =
      test::with_database(test::required_env("CUTOVER_TEST_PGBOUNCER_URL"), scratch.name());
  ASSERT_TRUE(db::connect(pooled)->server().behind_pooler) << "not going through PgBouncer";
  expect_exactly_one_leader(race_for_the_lease(std::vector<std::string>(kContenders, pooled)),
                            pooled);
}

INSTANTIATE_TEST_SUITE_P(Postgres, LeasePooled, testing::Values(Backend::kPostgres),
                         backend_param_name);

}  // namespace
}  // namespace cutover
