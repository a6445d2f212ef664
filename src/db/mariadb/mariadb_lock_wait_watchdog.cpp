// Sub-second lock timeouts on MariaDB: a watchdog thread that cancels long lock waits.
#include "db/mariadb/mariadb_lock_wait_watchdog.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "db/mariadb/mariadb_text_query.h"

namespace cutover::db::mariadb {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kShortestInterval{20};
constexpr milliseconds kLongestInterval{250};

}  // namespace

LockWaitWatchdog::LockWaitWatchdog(std::shared_ptr<const SessionConfig> config,
                                   unsigned long thread_id, milliseconds limit)
    : config_(std::move(config)),
      thread_id_(thread_id),
      limit_(limit),
      interval_(std::clamp(limit / 4, kShortestInterval, kLongestInterval)),
      thread_([this] { run(); }) {}

LockWaitWatchdog::~LockWaitWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LockWaitWatchdog::start() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = true;
    fired_ = false;
    ++statement_;
    started_ = Clock::now();
  }
  wake_.notify_all();
}

bool LockWaitWatchdog::stop() {
  std::lock_guard<std::mutex> lock(mutex_);  // waits for a KILL in flight
  armed_ = false;
  return fired_;
}

void LockWaitWatchdog::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!quit_) {
    wake_.wait(lock, [&] { return quit_ || (armed_ && !fired_); });
    if (quit_) return;
    watch_one(lock);
  }
}

// Watches the armed statement until it returns or is killed. The state is read holding the
// mutex, so stop() cannot return between the read and the KILL.
void LockWaitWatchdog::watch_one(std::unique_lock<std::mutex>& lock) {
  const std::uint64_t statement = statement_;
  auto over = [&] { return quit_ || !armed_ || statement_ != statement; };
  Clock::time_point last_look = started_;
  std::optional<Clock::time_point> waiting_since;
  Clock::time_point next = started_ + interval_;
  while (!over()) {
    if (wake_.wait_until(lock, next, over)) return;
    if (broken_) {
      wake_.wait(lock, over);
      return;
    }
    Clock::time_point now = Clock::now();
    bool waiting = false;
    try {
      waiting = waits_for_lock();
    } catch (const Error&) {
      broken_ = true;  // the server's whole-second lock_wait_timeout still applies
      continue;
    }
    // The wait may have begun right after the previous look: count from there.
    if (!waiting) waiting_since.reset();
    if (waiting && !waiting_since) waiting_since = last_look;
    last_look = now;
    if (waiting_since && now - *waiting_since >= limit_) {
      try {
        kill_query();
        fired_ = true;
      } catch (const Error&) {
        broken_ = true;
      }
      wake_.wait(lock, over);
      return;
    }
    next = now + interval_;
    if (waiting_since) next = std::min(next, *waiting_since + limit_);
  }
}

bool LockWaitWatchdog::waits_for_lock() {
  if (!session_) session_ = open_session(*config_);
  auto reader = run_text_query(
      session_.get(),
      "SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = " + std::to_string(thread_id_) +
          " AND STATE LIKE 'Waiting for%lock'",
      Fetch::kBuffered);
  Row row;
  bool found = false;
  while (reader->next(row)) found = true;
  return found;
}

void LockWaitWatchdog::kill_query() {
  run_command(session_.get(), "KILL QUERY " + std::to_string(thread_id_));
}

}  // namespace cutover::db::mariadb
