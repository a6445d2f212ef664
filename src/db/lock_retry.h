// Retrying work that gave up waiting for a lock: short waits, pauses that grow with jitter, a
// deadline, so that DDL never queues the application's queries behind it for long. The one
// retry loop of migrate and change, and their one set of defaults.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "core/error.h"
#include "db/error_kind.h"
#include "db/server_info.h"

namespace cutover::db {

// How long one attempt may wait for a lock by default: what an application query queued
// behind a waiting ALTER can lose, short enough that a user barely notices.
inline constexpr std::chrono::milliseconds kDefaultLockTimeout{200};
// How long attempts go on by default: with the pauses of LockRetry about 40 attempts, enough
// for a lock holder of a minute or two to finish, while the ALTER waits about 5 % of the time.
inline constexpr std::chrono::milliseconds kDefaultRetryFor{180'000};
// The same defaults as `--lock-timeout` and `--retry-for` show them (migrate and change);
// tests/unit/db/lock_retry_test.cpp checks that they parse to the values above.
inline constexpr std::string_view kDefaultLockTimeoutText = "200ms";
inline constexpr std::string_view kDefaultRetryForText = "3m";

// SQLite has one writer at a time and no queue: a waiting writer polls, sleeping up to 100 ms
// between tries (sqlite3_busy_timeout's schedule, and cutover's own). Work that takes the write
// lock again and again leaves it free this long after each commit, so that every writer
// waiting by then tries within the gap: resting only as long as it held the lock let a waiter
// whose tries fell in step with the batches miss every gap until its timeout.
inline constexpr std::chrono::milliseconds kSqliteWriterHandoff{120};

struct LockRetryPolicy {
  // How long one attempt may wait for a lock (`--lock-timeout`): the longest the application's
  // queries can queue behind a waiting ALTER.
  std::chrono::milliseconds lock_timeout{kDefaultLockTimeout};
  // How long attempts go on before the work fails (`--retry-for`).
  std::chrono::milliseconds retry_for{kDefaultRetryFor};
};

// Whether `error` says the statement changed nothing because of another session: a lock wait
// past the lock timeout, a deadlock, a serialization or Galera certification failure, a Galera
// node not ready. Running it again later is safe. (classify() names which.)
bool is_lock_conflict(Flavor flavor, const Error& error);

// The pauses between the attempts of one piece of work. The n-th pause is drawn at random
// from the upper half (jitter, so that several waiters do not retry in step) of
// lock_timeout * 2^(n+1), capped at the larger of 5 s and 4 * lock_timeout: the first pause is
// at least twice the lock timeout, so the application is queued behind a waiting statement at
// most a third of the time at first, and about 5 % once the pauses reach their cap.
class LockRetry {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LockRetry(const LockRetryPolicy& policy, Clock::time_point start = Clock::now());

  // Called after a conflict: the pause before the next attempt, cut short where the attempt
  // after it would end past retry_for, or nullopt when no attempt fits any more (give up).
  std::optional<std::chrono::milliseconds> next_pause(Clock::time_point now = Clock::now());

  // Conflicts seen so far.
  int conflicts() const { return conflicts_; }
  // Time since the first attempt.
  std::chrono::milliseconds elapsed(Clock::time_point now = Clock::now()) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - start_);
  }
  const LockRetryPolicy& policy() const { return policy_; }

 private:
  LockRetryPolicy policy_;
  Clock::time_point start_;
  Clock::time_point deadline_;
  int conflicts_ = 0;
  std::mt19937 random_;
};

// One conflict that is about to be retried.
struct LockConflict {
  const Error& error;
  ErrorKind kind;                   // lock timeout, deadlock, certification failure, ...
  int next_attempt;                 // 2 for the first retry
  std::chrono::milliseconds pause;  // before the next attempt
};

// What the caller of retry_lock_conflicts() adds.
struct LockRetryHooks {
  // Announces a retry (a log line, a JSON event). Called before the pause.
  std::function<void(const LockConflict&)> on_retry;
  // Called after the pause, before the next attempt (e.g. to check a lease); may throw.
  std::function<void()> before_next_attempt;
  // Whether an error that is no lock conflict is retried all the same, with the same pauses
  // and deadline: one the next attempt can get past (a lost session that it opens again).
  // It keeps its own bound (it returns false past it). Default: no other error is retried.
  std::function<bool(const Error& error, ErrorKind kind)> also_retry;
  // The error to throw when retry_for has passed; default: gave_up_waiting(what, ...).
  std::function<Error(const Error& last, const LockRetry& retry)> on_give_up;
};

// Runs `attempt` until it returns. When it throws an Error that is a lock conflict (or that
// hooks.also_retry accepts), pauses as LockRetry says and runs it again; `attempt` must leave
// nothing behind when it throws (run its transaction in a db::Transaction). Any other error
// propagates unchanged.
void retry_lock_conflicts(Flavor flavor, const LockRetryPolicy& policy,
                          const std::function<void()>& attempt, const LockRetryHooks& hooks = {});

// "<what>: still blocked after N attempts in T (--retry-for R), each waiting at most L for its
// locks (--lock-timeout): <last message>[; <holders>]", with `hint`, keeping the last error's
// database facts. `holders`: who may hold the locks (db::long_transactions), or empty.
Error gave_up_waiting(const std::string& what, const Error& last, const LockRetry& retry,
                      std::string hint, const std::string& holders = {});

}  // namespace cutover::db
