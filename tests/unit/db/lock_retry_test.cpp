// Lock retries: which errors are retried, how the pauses grow, and when they stop.
#include "db/lock_retry.h"

#include <gtest/gtest.h>

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

TEST(LockRetry, PausesGrowWithJitterUpToFiveSeconds) {
  auto start = LockRetry::Clock::now();
  LockRetry retry({milliseconds(2000), milliseconds(3'600'000)}, start);
  milliseconds ceiling(100);
  for (int i = 0; i < 12; ++i) {
    auto pause = retry.next_pause(start);
    ASSERT_TRUE(pause.has_value());
    EXPECT_GE(*pause, ceiling / 2) << "attempt " << i;
    EXPECT_LE(*pause, ceiling) << "attempt " << i;
    ceiling = std::min(ceiling * 2, milliseconds(5000));
  }
  EXPECT_EQ(retry.conflicts(), 12);
}

TEST(LockRetry, StopsWhenTheNextAttemptWouldStartAfterRetryFor) {
  auto start = LockRetry::Clock::now();
  LockRetry retry({milliseconds(2000), milliseconds(1000)}, start);
  EXPECT_TRUE(retry.next_pause(start + milliseconds(500)).has_value());
  EXPECT_FALSE(retry.next_pause(start + milliseconds(1000)).has_value());
  EXPECT_EQ(retry.elapsed(start + milliseconds(1234)), milliseconds(1234));

  LockRetry none({milliseconds(2000), milliseconds(0)}, start);
  EXPECT_FALSE(none.next_pause(start).has_value()) << "--retry-for 0 means no retry";
}

}  // namespace
}  // namespace cutover::db
