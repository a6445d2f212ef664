// Retrying work that gave up waiting for a lock.
#include "db/lock_retry.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "core/duration.h"
#include "core/interrupt.h"

namespace cutover::db {
namespace {

constexpr std::chrono::milliseconds kLongestPause{5'000};

}  // namespace

bool is_lock_conflict(Flavor flavor, const Error& error) {
  return is_lock_conflict(classify(flavor, error));
}

LockRetry::LockRetry(const LockRetryPolicy& policy, Clock::time_point start)
    : policy_(policy),
      start_(start),
      deadline_(start + policy.retry_for),
      random_(std::random_device{}()) {}

std::optional<std::chrono::milliseconds> LockRetry::next_pause(Clock::time_point now) {
  ++conflicts_;
  const std::chrono::milliseconds wait =
      std::max(policy_.lock_timeout, std::chrono::milliseconds(1));
  const std::chrono::milliseconds longest = std::max(kLongestPause, 4 * wait);
  std::chrono::milliseconds ceiling = longest;
  int doublings = conflicts_ + 1;
  if (doublings < 30 && wait * (1LL << doublings) < longest) ceiling = wait * (1LL << doublings);
  std::uniform_int_distribution<std::int64_t> pick(ceiling.count() / 2, ceiling.count());
  const std::chrono::milliseconds pause(pick(random_));
  // The last pause is cut short so that one more attempt (its lock wait included) ends by the
  // deadline: --retry-for is how long attempts go on, not a bound the backoff stops well short
  // of (it gave up after 2.6 s of 5 s, 12 s of 15 s). Never below the shortest pause, twice the
  // lock timeout, which keeps the application's share of queued time low.
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now) - wait;
  if (left < 2 * wait) return std::nullopt;
  return std::min(pause, left);
}

void retry_lock_conflicts(Flavor flavor, const LockRetryPolicy& policy,
                          const std::function<void()>& attempt, const LockRetryHooks& hooks) {
  LockRetry retry(policy);
  for (;;) {
    try {
      attempt();
      return;
    } catch (const Error& e) {
      ErrorKind kind = classify(flavor, e);
      if (!is_lock_conflict(kind) && !(hooks.also_retry && hooks.also_retry(e, kind))) throw;
      auto pause = retry.next_pause();
      if (!pause) {
        if (hooks.on_give_up) throw hooks.on_give_up(e, retry);
        throw gave_up_waiting("the statement", e, retry, {});
      }
      if (hooks.on_retry) hooks.on_retry({e, kind, retry.conflicts() + 1, *pause});
      interrupted_within(*pause);  // a signal ends the pause; before_next_attempt sees it
      if (hooks.before_next_attempt) hooks.before_next_attempt();
    }
  }
}

Error gave_up_waiting(const std::string& what, const Error& last, const LockRetry& retry,
                      std::string hint, const std::string& holders) {
  return last.restated(
      ErrorCode::kOperationFailed,
      fmt::format("{}: still blocked after {} attempts in {} (--retry-for {}), each waiting at "
                  "most {} for its locks (--lock-timeout): {}{}",
                  what, retry.conflicts(), format_duration_ms(retry.elapsed()),
                  format_duration_ms(retry.policy().retry_for),
                  format_duration_ms(retry.policy().lock_timeout), last.message(),
                  holders.empty() ? "" : "; " + holders),
      std::move(hint));
}

}  // namespace cutover::db
