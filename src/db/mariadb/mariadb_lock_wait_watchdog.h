// Sub-second lock timeouts on MariaDB: lock_wait_timeout takes whole seconds only, so a
// watchdog thread cancels (KILL QUERY) a statement that has waited for a lock past the limit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "db/mariadb/mariadb_session.h"

namespace cutover::db::mariadb {

class LockWaitWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  // Watches the session with server thread id `thread_id`, through a session of its own opened
  // with `config` when first needed. `limit`: the longest a statement may wait for a table
  // lock (metadata or table-level lock; InnoDB row-lock waits keep the server's whole-second
  // innodb_lock_wait_timeout).
  LockWaitWatchdog(std::shared_ptr<const SessionConfig> config, unsigned long thread_id,
                   std::chrono::milliseconds limit);
  ~LockWaitWatchdog();
  LockWaitWatchdog(const LockWaitWatchdog&) = delete;
  LockWaitWatchdog& operator=(const LockWaitWatchdog&) = delete;

  // Call before sending a statement. The session's state is read every limit/4 (20 ms to
  // 250 ms) while the statement runs; once it has been waiting for a lock for `limit`, the
  // statement is cancelled with KILL QUERY.
  void start();
  // Call when the statement has returned or failed. Returns whether the watchdog cancelled it
  // for waiting too long; no KILL is sent after this returns.
  bool stop();

 private:
  void run();
  void watch_one(std::unique_lock<std::mutex>& lock);
  bool waits_for_lock();
  void kill_query();

  std::shared_ptr<const SessionConfig> config_;
  unsigned long thread_id_;
  std::chrono::milliseconds limit_;
  std::chrono::milliseconds interval_;
  MysqlHandle session_;  // the watchdog's own; opened on first use, by the watchdog thread only

  std::mutex mutex_;
  std::condition_variable wake_;
  bool quit_ = false;
  bool armed_ = false;
  bool fired_ = false;
  bool broken_ = false;  // its session could not be opened or used: the server's limit remains
  std::uint64_t statement_ = 0;
  Clock::time_point started_;
  std::thread thread_;
};

}  // namespace cutover::db::mariadb
