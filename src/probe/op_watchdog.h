// Cancels operations that run past their time, from the client's side: a statement held before
// it reaches the server (a paused proxy, a stalled network) never meets the server's timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "db/connection.h"

namespace cutover::probe {

class OpWatchdog {
 public:
  // One slot per worker; an operation running longer than `limit` is cancelled once.
  OpWatchdog(size_t workers, std::chrono::milliseconds limit);
  ~OpWatchdog();
  OpWatchdog(const OpWatchdog&) = delete;
  OpWatchdog& operator=(const OpWatchdog&) = delete;

  // Marks the start and end of one operation of `worker`, cancelled through `canceller`.
  // Thread-safe; each worker uses only its own slot.
  void begin(size_t worker, std::shared_ptr<db::Canceller> canceller);
  void end(size_t worker);

 private:
  struct Slot {
    std::shared_ptr<db::Canceller> canceller;  // null when no operation runs
    std::chrono::steady_clock::time_point started;
  };
  void watch();

  std::chrono::milliseconds limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<Slot> slots_;
  std::thread thread_;
};

// Brackets one operation in the watchdog for the scope it lives in.
class WatchedOperation {
 public:
  WatchedOperation(OpWatchdog& watchdog, size_t worker, std::shared_ptr<db::Canceller> canceller)
      : watchdog_(watchdog), worker_(worker) {
    watchdog_.begin(worker_, std::move(canceller));
  }
  ~WatchedOperation() { watchdog_.end(worker_); }
  WatchedOperation(const WatchedOperation&) = delete;
  WatchedOperation& operator=(const WatchedOperation&) = delete;

 private:
  OpWatchdog& watchdog_;
  size_t worker_;
};

}  // namespace cutover::probe
