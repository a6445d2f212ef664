// Keeps a lease alive from a background thread, and says when it was lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "coord/lease.h"
#include "db/connection.h"
#include "db/registry.h"

namespace cutover::coord {

// Renews a held lease every ttl/3 on a connection of its own, so that a long statement on the
// migration's connection does not stop the renewals. Stops (and joins) on destruction.
//
// lost() turns true, for good, as soon as a renewal finds the lease taken over, or when no
// renewal has succeeded for a whole ttl (the database unreachable, the renewal blocked): by
// then another process may lead, so the runner must stop at once. On SQLite only a takeover
// counts: there a blocked renewal means the file is locked, and nobody can take over either. Errors
// are retried (reconnecting when the connection broke) until that point; they never escape the
// thread. Destroy it before release(): a renewal after the release finds the lease gone.
class Heartbeat {
 public:
  // Opens its connection to `url` now, so an unreachable database throws here as
  // db::connect() does, and starts renewing `token`.
  Heartbeat(const std::string& url, LeaseKey key, LeaseToken token, LeaseOptions options = {},
            db::ConnectOptions connect_options = {});
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // True once the lease is lost or may have expired. Cheap; thread-safe.
  bool lost() const;
  // Why the lease is lost ("" while it is not), for the runner's error message.
  std::string lost_reason() const;
  // How many renewals succeeded so far.
  std::int64_t renewals() const { return renewals_.load(); }

 private:
  void run(std::stop_token stop);
  void renew_once();
  void connect();
  void mark_lost(std::string reason);
  std::chrono::steady_clock::time_point expires_estimate() const;

  const std::string url_;
  const LeaseKey key_;
  const LeaseToken token_;
  const LeaseOptions options_;
  const db::ConnectOptions connect_options_;

  // Owned by the thread once it runs; the canceller lets the destructor end a blocked renewal.
  std::unique_ptr<db::Connection> connection_;
  std::unique_ptr<Lease> lease_;
  std::shared_ptr<db::Canceller> canceller_;  // guarded by mutex_
  std::atomic<bool> renewing_{false};

  // A conservative local view of the lease's end: when the last successful renewal was sent,
  // plus the ttl. Nanoseconds of the steady clock.
  std::atomic<std::int64_t> expires_at_ns_;
  std::atomic<bool> lost_{false};
  // Whether a whole ttl without a successful renewal counts as lost (not on SQLite: see connect).
  std::atomic<bool> time_bound_{true};
  std::atomic<std::int64_t> renewals_{0};
  mutable std::mutex mutex_;
  std::string lost_reason_;  // guarded by mutex_
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: starts after everything above is ready
};

}  // namespace cutover::coord
