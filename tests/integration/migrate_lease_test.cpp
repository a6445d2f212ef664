// The migration lease on every topology: one leader among racing processes, exclusivity until
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

#include "core/error.h"
#include "db/registry.h"
#include "migrate/heartbeat.h"
#include "migrate/lease.h"
#include "support/test_servers.h"

namespace cutover {
namespace {

using migrate::Heartbeat;
using migrate::LeaseOptions;
using migrate::LeaseToken;
using migrate::MigrationLease;
using test::Backend;
using test::ScratchDatabase;

constexpr const char* kHistory = "cutover_schema_history";
constexpr int kContenders = 16;
// Long enough that no lease expires by accident while a test races for it.
constexpr LeaseOptions kLongLease{std::chrono::seconds(60)};
constexpr LeaseOptions kShortLease{std::chrono::seconds(1)};

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

// One process taking part: its own connection and its own view of the lease.
struct Contender {
  Contender(const std::string& url, LeaseOptions options)
      : connection(db::connect(url)),
        lease(*connection, kHistory, options),
        holder(migrate::describe_this_process()) {}
  std::unique_ptr<db::Connection> connection;
  MigrationLease lease;
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

class MigrationLeaseTest : public testing::TestWithParam<Backend> {
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

TEST_P(MigrationLeaseTest, SixteenContendersOnAFreshDatabaseElectExactlyOneLeader) {
  expect_exactly_one_leader(race_for_the_lease(contender_urls()), url(0));
}

TEST_P(MigrationLeaseTest, HeldLeaseIsExclusiveUntilReleasedThenPassesOnWithAHigherToken) {
  Contender leader(url(0), kLongLease);
  leader.lease.ensure_table();
  auto first = leader.try_acquire();
  ASSERT_TRUE(first.has_value());

  Contender second(url(1), kLongLease);
  Contender third(url(2), kLongLease);
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

TEST_P(MigrationLeaseTest, ExpiredLeaseIsTakenOverAndTheOldHolderIsFenced) {
  auto killed = std::make_unique<Contender>(url(0), kShortLease);
  killed->lease.ensure_table();
  auto old_token = killed->try_acquire();
  ASSERT_TRUE(old_token.has_value());
  ASSERT_TRUE(killed->lease.record_progress(*old_token, "V2__split.sql", 12345, 3));
  killed.reset();  // kill -9: the connection goes, nothing is released

  Contender successor(url(1), kShortLease);
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

TEST_P(MigrationLeaseTest, HeartbeatKeepsTheLeaseAndNoticesATakeover) {
  // Long enough that a heartbeat on a busy machine stays on time, short enough to outlive.
  const LeaseOptions options{std::chrono::seconds(3)};
  Contender leader(url(0), options);
  leader.lease.ensure_table();
  auto token = leader.try_acquire();
  ASSERT_TRUE(token.has_value());
  Heartbeat heartbeat(url(0), kHistory, *token, options);

  // Four renewals, one every ttl/3: the lease has outlived its first ttl.
  poll_until("the heartbeat renewed four times", [&] { return heartbeat.renewals() >= 4; });
  Contender other(url(1), options);
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

TEST_P(MigrationLeaseTest, NoRightToCreateTheTableIsBadInputNamingTableAndFix) {
  ReadOnlyUser reader(scratch_);
  {
    auto connection = reader.connect();
    MigrationLease lease(*connection, kHistory);
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
  MigrationLease(*admin, kHistory).ensure_table();
  poll_until("the table reached the reader's node", [&] {
    auto connection = reader.connect();
    MigrationLease lease(*connection, kHistory);
    try {
      lease.ensure_table();
      return true;
    } catch (const Error&) {
      return false;
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MigrationLeaseTest, testing::Values(Backend::kSqlite),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(Postgres, MigrationLeaseTest, testing::Values(Backend::kPostgres),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(MariaDb, MigrationLeaseTest, testing::Values(Backend::kMariaDb),
                         backend_param_name);
INSTANTIATE_TEST_SUITE_P(Galera, MigrationLeaseTest, testing::Values(Backend::kGalera),
                         backend_param_name);

// PostgreSQL through PgBouncer in transaction mode: consecutive statements of one client may
// run on different server sessions, which is why the lease never relies on a session.
class MigrationLeasePooled : public testing::TestWithParam<Backend> {};

TEST_P(MigrationLeasePooled, SixteenContendersThroughPgBouncerElectExactlyOneLeader) {
  ScratchDatabase scratch(Backend::kPostgres);
  std::string pooled =
      test::with_database(test::required_env("CUTOVER_TEST_PGBOUNCER_URL"), scratch.name());
  ASSERT_TRUE(db::connect(pooled)->server().behind_pooler) << "not going through PgBouncer";
  expect_exactly_one_leader(race_for_the_lease(std::vector<std::string>(kContenders, pooled)),
                            pooled);
}

INSTANTIATE_TEST_SUITE_P(Postgres, MigrationLeasePooled, testing::Values(Backend::kPostgres),
                         backend_param_name);

}  // namespace
}  // namespace cutover
