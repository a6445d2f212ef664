// Cancels operations that run past their time, from the client's side.
#include "probe/op_watchdog.h"

namespace cutover::probe {

OpWatchdog::OpWatchdog(size_t workers, std::chrono::milliseconds limit)
    : limit_(limit), slots_(workers), thread_([this] { watch(); }) {}

OpWatchdog::~OpWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void OpWatchdog::begin(size_t worker, std::shared_ptr<db::Canceller> canceller) {
  std::lock_guard lock(mutex_);
  slots_.at(worker) = {std::move(canceller), std::chrono::steady_clock::now()};
}

void OpWatchdog::end(size_t worker) {
  std::lock_guard lock(mutex_);
  slots_.at(worker).canceller.reset();
}

void OpWatchdog::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(50));
    auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<db::Canceller>> overdue;
    for (auto& slot : slots_) {
      if (slot.canceller && now - slot.started > limit_) {
        overdue.push_back(std::move(slot.canceller));  // cancelled once
      }
    }
    // Cancelling may open a connection (MariaDB's KILL QUERY): not under the lock.
    lock.unlock();
    for (auto& canceller : overdue) canceller->cancel();
    lock.lock();
  }
}

}  // namespace cutover::probe
