// Retrying a statement that gave up waiting for a lock.
#include "db/lock_retry.h"

#include <algorithm>

namespace cutover::db {
namespace {

constexpr std::chrono::milliseconds kFirstPause{100};
constexpr std::chrono::milliseconds kLongestPause{5'000};

constexpr int kMariaDbLockWaitTimeout = 1205;
constexpr int kMariaDbDeadlock = 1213;  // also a Galera certification failure
constexpr int kMariaDbNodeNotReady = 1047;

}  // namespace

bool is_lock_conflict(Flavor flavor, const Error& error) {
  if (error.db_failure() != DbFailure::kStatement) return false;
  if (flavor == Flavor::kMariaDb || flavor == Flavor::kMySql) {
    int code = error.vendor_code();
    return code == kMariaDbLockWaitTimeout || code == kMariaDbDeadlock ||
           code == kMariaDbNodeNotReady;
  }
  // lock_not_available (also SQLite's SQLITE_BUSY), serialization_failure, deadlock_detected.
  const std::string& state = error.sqlstate();
  return state == "55P03" || state == "40001" || state == "40P01";
}

LockRetry::LockRetry(const LockRetryPolicy& policy, Clock::time_point start)
    : policy_(policy), start_(start), deadline_(start + policy.retry_for), random_(std::random_device{}()) {}

std::optional<std::chrono::milliseconds> LockRetry::next_pause(Clock::time_point now) {
  ++conflicts_;
  auto ceiling = kFirstPause * (1LL << std::min(conflicts_ - 1, 6));
  ceiling = std::min<std::chrono::milliseconds>(ceiling, kLongestPause);
  std::uniform_int_distribution<std::int64_t> pick(ceiling.count() / 2, ceiling.count());
  std::chrono::milliseconds pause(pick(random_));
  if (now + pause >= deadline_) return std::nullopt;
  return pause;
}

}  // namespace cutover::db
