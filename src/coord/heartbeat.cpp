// Keeps a lease alive from a background thread, and says when it was lost.
#include "coord/heartbeat.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace cutover::coord {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t to_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// After a failed renewal, try again soon: the lease still has most of its ttl left.
std::chrono::milliseconds retry_interval(std::chrono::milliseconds ttl) {
  return std::clamp(ttl / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(500));
}

}  // namespace

Heartbeat::Heartbeat(const std::string& url, LeaseKey key, LeaseToken token, LeaseOptions options,
                     db::ConnectOptions connect_options)
    : url_(url),
      key_(std::move(key)),
      token_(std::move(token)),
      options_(options),
      connect_options_(std::move(connect_options)) {
  Clock::time_point acquired =
      token_.acquired_at == Clock::time_point{} ? Clock::now() : token_.acquired_at;
  expires_at_ns_ = to_ns(acquired + options_.ttl);
  connect();
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

Heartbeat::~Heartbeat() {
  thread_.request_stop();  // wakes the wait through the stop token
  if (renewing_) {
    std::lock_guard lock(mutex_);
    if (canceller_) canceller_->cancel();  // a renewal stuck on a lock or a dead network
  }
  thread_.join();
}

void Heartbeat::connect() {
  auto connection = db::connect(url_, connect_options_);
  // A renewal blocked on SQLite waits for the file's write lock, which the leader's own
  // migration transaction usually holds: nobody can take the lease over meanwhile (that needs
  // the same lock), and the leader's fenced progress write renews the lease at each commit.
  time_bound_ = connection->server().flavor != db::Flavor::kSqlite;
  auto lease = std::make_unique<Lease>(*connection, key_, options_);
  auto canceller = connection->canceller();
  {
    std::lock_guard lock(mutex_);
    canceller_ = std::move(canceller);
  }
  lease_ = std::move(lease);
  connection_ = std::move(connection);
}

Clock::time_point Heartbeat::expires_estimate() const {
  return Clock::time_point(std::chrono::nanoseconds(expires_at_ns_.load()));
}

bool Heartbeat::lost() const {
  return lost_ || (time_bound_ && Clock::now() >= expires_estimate());
}

std::string Heartbeat::lost_reason() const {
  std::lock_guard lock(mutex_);
  if (!lost_reason_.empty()) return lost_reason_;
  if (lost()) {
    return fmt::format("the lease on {} was not renewed within its ttl of {} ms", key_.table,
                       options_.ttl.count());
  }
  return {};
}

void Heartbeat::mark_lost(std::string reason) {
  {
    std::lock_guard lock(mutex_);
    lost_reason_ = std::move(reason);
  }
  lost_ = true;
}

void Heartbeat::run(std::stop_token stop) {
  std::chrono::milliseconds interval = options_.ttl / 3;
  std::mutex wait_mutex;
  while (!lost_) {
    {
      std::unique_lock lock(wait_mutex);
      if (wake_.wait_for(lock, stop, interval, [] { return false; }) || stop.stop_requested()) {
        return;
      }
    }
    try {
      renew_once();
      interval = options_.ttl / 3;
    } catch (const std::exception& e) {
      if (time_bound_ && Clock::now() >= expires_estimate()) {
        mark_lost(fmt::format("could not renew the lease on {} within its ttl of {} ms: {}",
                              key_.table, options_.ttl.count(), e.what()));
        return;
      }
      interval = retry_interval(options_.ttl);
    }
  }
}

void Heartbeat::renew_once() {
  if (!connection_) connect();
  Clock::time_point sent = Clock::now();
  bool still_ours = false;
  renewing_ = true;
  try {
    still_ours = lease_->renew(token_);
  } catch (const Error& e) {
    renewing_ = false;
    // A broken session is replaced at the next try; a refused statement keeps the session.
    if (e.db_failure() != DbFailure::kStatement) {
      {
        std::lock_guard lock(mutex_);
        canceller_.reset();
      }
      lease_.reset();
      connection_.reset();
    }
    throw;
  }
  renewing_ = false;
  if (!still_ours) {
    mark_lost(
        fmt::format("the lease on {} was taken over by another process (token {} "
                    "is no longer current)",
                    key_.table, token_.value));
    return;
  }
  expires_at_ns_ = to_ns(sent + options_.ttl);
  ++renewals_;
}

}  // namespace cutover::coord
