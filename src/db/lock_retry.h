// Retrying a statement that gave up waiting for a lock: short waits, jittered pauses, a deadline,
// so that DDL never queues the application's queries behind it for long.
#pragma once

#include <chrono>
#include <optional>
#include <random>

#include "core/error.h"
#include "db/server_info.h"

namespace cutover::db {

struct LockRetryPolicy {
  // How long one attempt may wait for a lock (`--lock-timeout`): the longest the application's
  // queries can queue behind a waiting ALTER.
  std::chrono::milliseconds lock_timeout{2'000};
  // How long attempts go on before the statement fails (`--retry-for`).
  std::chrono::milliseconds retry_for{60'000};
};

// Whether `error` says the statement changed nothing because of another session: a lock wait
// past the lock timeout, a deadlock, a serialization or Galera certification failure. Running
// it again later is safe.
bool is_lock_conflict(Flavor flavor, const Error& error);

// The pauses between the attempts of one statement: growing from 100 ms to at most 5 s, each
// drawn at random from its upper half (jitter), so that several waiters do not retry in step.
class LockRetry {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LockRetry(const LockRetryPolicy& policy, Clock::time_point start = Clock::now());

  // Called after a conflict: the pause before the next attempt, or nullopt when the next
  // attempt would start after retry_for has passed (give up).
  std::optional<std::chrono::milliseconds> next_pause(Clock::time_point now = Clock::now());

  // Conflicts seen so far.
  int conflicts() const { return conflicts_; }
  // Time since the first attempt.
  std::chrono::milliseconds elapsed(Clock::time_point now = Clock::now()) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - start_);
  }

 private:
  LockRetryPolicy policy_;
  Clock::time_point start_;
  Clock::time_point deadline_;
  int conflicts_ = 0;
  std::mt19937 random_;
};

}  // namespace cutover::db
