// Lock retries: which errors are retried, how the pauses grow, and when they stop.
#include "db/lock_retry.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/duration.h"
#include "db/error_kind.h"

namespace cutover::db {
namespace {

using std::chrono::milliseconds;

Error statement_error(const std::string& sqlstate, int vendor_code = 0) {
  Error e(ErrorCode::kOperationFailed, "refused");
  e.with_sqlstate(sqlstate).with_vendor_code(vendor_code).with_db_failure(DbFailure::kStatement);
  return e;
}

TEST(LockRetry, RetriesLockTimeoutsDeadlocksAndCertificationFailuresOnly) {
  EXPECT_TRUE(is_lock_conflict(Flavor::kPostgres, statement_error("55P03")));
  EXPECT_TRUE(is_lock_conflict(Flavor::kPostgres, statement_error("40P01")));
  EXPECT_TRUE(is_lock_conflict(Flavor::kPostgres, statement_error("40001")));
  EXPECT_TRUE(is_lock_conflict(Flavor::kSqlite, statement_error("55P03")));  // SQLITE_BUSY
  EXPECT_TRUE(is_lock_conflict(Flavor::kMariaDb, statement_error("HY000", 1205)));
  EXPECT_TRUE(is_lock_conflict(Flavor::kMariaDb, statement_error("40001", 1213)));

  EXPECT_FALSE(is_lock_conflict(Flavor::kPostgres, statement_error("42P07")));  // exists
  EXPECT_FALSE(is_lock_conflict(Flavor::kPostgres, statement_error("57014")));  // cancelled
  EXPECT_FALSE(is_lock_conflict(Flavor::kMariaDb, statement_error("42S01", 1050)));
  Error lost = statement_error("55P03");
  lost.with_db_failure(DbFailure::kConnectionLost);
  EXPECT_FALSE(is_lock_conflict(Flavor::kPostgres, lost)) << "a broken connection is no conflict";
}

TEST(LockRetry, PausesStartAtTwiceTheLockTimeoutAndDoubleUpToFiveSeconds) {
  auto start = LockRetry::Clock::now();
  LockRetry retry({milliseconds(200), milliseconds(3'600'000)}, start);
  milliseconds ceiling(800);  // 4 x the lock timeout
  for (int i = 0; i < 12; ++i) {
    auto pause = retry.next_pause(start);
    ASSERT_TRUE(pause.has_value());
    EXPECT_GE(*pause, ceiling / 2) << "attempt " << i;
    EXPECT_LE(*pause, ceiling) << "attempt " << i;
    ceiling = std::min(ceiling * 2, milliseconds(5000));
  }
  EXPECT_EQ(retry.conflicts(), 12);
}

// The application queues behind a waiting statement for at most the lock timeout per attempt;
// the pauses leave it the rest: at most a third of the time from the first retry on, and
// under 10 % over the default --retry-for.
TEST(LockRetry, ShareOfTimeSpentWaitingStaysLow) {
  auto start = LockRetry::Clock::now();
  const LockRetryPolicy policy;  // the defaults
  LockRetry retry(policy, start);
  auto now = start;
  milliseconds waited(0);
  int attempts = 0;
  for (;;) {
    now += policy.lock_timeout;
    waited += policy.lock_timeout;
    ++attempts;
    auto pause = retry.next_pause(now);
    if (!pause) break;
    EXPECT_GE(*pause, 2 * policy.lock_timeout) << "attempt " << attempts;
    now += *pause;
  }
  double share = static_cast<double>(waited.count()) /
                 static_cast<double>(std::chrono::duration_cast<milliseconds>(now - start).count());
  EXPECT_LT(share, 0.10) << attempts << " attempts";
  EXPECT_GE(attempts, 20) << "--retry-for leaves a real chance to get the lock";
}

TEST(LockRetry, LongerLockTimeoutsPauseLongerToo) {
  auto start = LockRetry::Clock::now();
  LockRetry retry({milliseconds(3000), milliseconds(3'600'000)}, start);
  for (int i = 0; i < 8; ++i) {
    auto pause = retry.next_pause(start);
    ASSERT_TRUE(pause.has_value());
    EXPECT_GE(*pause, milliseconds(6000)) << "attempt " << i;
    EXPECT_LE(*pause, milliseconds(12000)) << "attempt " << i;
  }
}

TEST(LockRetry, CliDefaultsAreTheDefaults) {
  EXPECT_EQ(parse_duration(kDefaultLockTimeoutText, "--lock-timeout"), kDefaultLockTimeout);
  EXPECT_EQ(parse_duration(kDefaultRetryForText, "--retry-for"), kDefaultRetryFor);
  EXPECT_EQ(LockRetryPolicy{}.lock_timeout, kDefaultLockTimeout);
  EXPECT_EQ(LockRetryPolicy{}.retry_for, kDefaultRetryFor);
}

TEST(LockRetry, RetriesUntilTheAttemptSucceedsAndNamesTheConflict) {
  int calls = 0;
  std::vector<ErrorKind> seen;
  retry_lock_conflicts(Flavor::kMariaDb, {milliseconds(1), milliseconds(60'000)},
                       [&] {
                         ++calls;
                         if (calls == 1) throw statement_error("40001", 1213);
                         if (calls == 2) throw statement_error("HY000", 1205);
                       },
                       {.on_retry = [&](const LockConflict& c) { seen.push_back(c.kind); }});
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(seen, (std::vector<ErrorKind>{ErrorKind::kDeadlock, ErrorKind::kLockTimeout}));
}

TEST(LockRetry, OtherErrorsPassUnchangedAndGivingUpKeepsTheDatabaseFacts) {
  int calls = 0;
  try {
    retry_lock_conflicts(Flavor::kPostgres, {milliseconds(1), milliseconds(60'000)}, [&] {
      ++calls;
      throw statement_error("42P07");
    });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(e.message(), "refused");
    EXPECT_EQ(e.sqlstate(), "42P07");
  }
  try {
    retry_lock_conflicts(Flavor::kMariaDb, {milliseconds(200), milliseconds(0)},
                         [&] { throw statement_error("HY000", 1205); });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.vendor_code(), 1205);
    EXPECT_EQ(e.db_failure(), DbFailure::kStatement);
    EXPECT_NE(e.message().find("--lock-timeout"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("200ms"), std::string::npos) << e.message();
  }
}

TEST(ErrorKind, NamesEachConflictForWhatItIs) {
  EXPECT_EQ(classify(Flavor::kPostgres, statement_error("55P03")), ErrorKind::kLockTimeout);
  EXPECT_EQ(classify(Flavor::kPostgres, statement_error("40P01")), ErrorKind::kDeadlock);
  EXPECT_EQ(classify(Flavor::kPostgres, statement_error("40001")), ErrorKind::kSerialization);
  EXPECT_EQ(classify(Flavor::kSqlite, statement_error("55P03")), ErrorKind::kLockTimeout);
  EXPECT_EQ(classify(Flavor::kMariaDb, statement_error("HY000", 1205)), ErrorKind::kLockTimeout);
  EXPECT_EQ(classify(Flavor::kMariaDb, statement_error("40001", 1213)), ErrorKind::kDeadlock);
  Error certification(ErrorCode::kOperationFailed,
                      "MariaDB statement failed: Deadlock: wsrep aborted transaction (error 1213)");
  certification.with_vendor_code(1213).with_sqlstate("40001").with_db_failure(
      DbFailure::kStatement);
  EXPECT_EQ(classify(Flavor::kMariaDb, certification), ErrorKind::kCertification);
  EXPECT_EQ(classify(Flavor::kMariaDb, statement_error("08S01", 1047)), ErrorKind::kNodeNotReady);
  EXPECT_EQ(classify(Flavor::kMariaDb, statement_error("42S01", 1050)), ErrorKind::kOther);

  Error lost = statement_error("55P03");
  lost.with_db_failure(DbFailure::kConnectionLost);
  EXPECT_EQ(classify(Flavor::kPostgres, lost), ErrorKind::kConnectionLost);
  Error cancelled = statement_error("57014");
  cancelled.with_db_failure(DbFailure::kCancelled);
  EXPECT_EQ(classify(Flavor::kPostgres, cancelled), ErrorKind::kCancelled);
  EXPECT_EQ(classify(Flavor::kPostgres, Error(ErrorCode::kBadInput, "x")), ErrorKind::kNotDatabase);

  EXPECT_STREQ(error_kind_name(ErrorKind::kDeadlock), "deadlock");
  EXPECT_STREQ(error_kind_name(ErrorKind::kLockTimeout), "lock timeout");
  EXPECT_STREQ(error_kind_name(ErrorKind::kCertification), "Galera certification failure");
}

TEST(ErrorKind, ConcurrentCreationIsOneCheckForEveryCaller) {
  for (const char* state : {"42P07", "42710", "23505", "55P03", "40P01"}) {
    EXPECT_TRUE(is_concurrent_creation(Flavor::kPostgres, statement_error(state))) << state;
  }
  EXPECT_FALSE(is_concurrent_creation(Flavor::kPostgres, statement_error("42501")));
  for (int code : {1050, 1061, 1213, 1205, 1047}) {
    EXPECT_TRUE(is_concurrent_creation(Flavor::kMariaDb, statement_error("HY000", code))) << code;
  }
  EXPECT_FALSE(is_concurrent_creation(Flavor::kMariaDb, statement_error("42000", 1142)));
  Error lost = statement_error("42P07");
  lost.with_db_failure(DbFailure::kConnectionLost);
  EXPECT_FALSE(is_concurrent_creation(Flavor::kPostgres, lost));
}

TEST(LockRetry, CutsTheLastPauseShortAndStopsWhenNoAttemptFitsInRetryFor) {
  auto start = LockRetry::Clock::now();
  // First pause 200-400 ms (2-4 x the lock timeout).
  LockRetry retry({milliseconds(100), milliseconds(1000)}, start);
  EXPECT_TRUE(retry.next_pause(start + milliseconds(500)).has_value());
  EXPECT_FALSE(retry.next_pause(start + milliseconds(1000)).has_value());
  LockRetry long_wait({milliseconds(2000), milliseconds(1000)}, start);
  EXPECT_FALSE(long_wait.next_pause(start).has_value())
      << "a pause of at least twice a 2 s lock timeout does not fit in 1 s";
  EXPECT_EQ(retry.elapsed(start + milliseconds(1234)), milliseconds(1234));

  // Late in --retry-for the pause is cut short so that a last attempt ends by the deadline:
  // with pauses of 2.5-5 s, at 2.6 s of 5 s it gave up; now it waits 2.2 s and tries once more.
  LockRetry late({milliseconds(200), milliseconds(5000)}, start);
  for (int i = 0; i < 6; ++i) late.next_pause(start);
  auto last = late.next_pause(start + milliseconds(2600));
  ASSERT_TRUE(last.has_value()) << "an attempt still fits before the deadline";
  EXPECT_EQ(*last, milliseconds(2200));
  EXPECT_FALSE(late.next_pause(start + milliseconds(4500)).has_value())
      << "300 ms left: less than the shortest pause (400 ms) and an attempt";

  LockRetry none({milliseconds(2000), milliseconds(0)}, start);
  EXPECT_FALSE(none.next_pause(start).has_value()) << "--retry-for 0 means no retry";
}

}  // namespace
}  // namespace cutover::db
