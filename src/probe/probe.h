// The probe: steady reads and writes against a database, every outcome recorded, then a check
// that every acknowledged write is still there exactly once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "probe/op_watchdog.h"
#include "probe/probe_options.h"
#include "probe/probe_record.h"

namespace cutover::probe {

// Counts so far, for progress while the probe runs.
struct ProbeCounts {
  std::int64_t reads_ok = 0, reads_failed = 0, writes_ok = 0, writes_failed = 0;
  std::int64_t elapsed_us = 0;
};

class Probe {
 public:
  explicit Probe(ProbeOptions options);

  // Connects once and creates the probe table. Throws Error(kBadInput) when the target cannot
  // be reached at all: a probe that never worked would measure nothing.
  void prepare();

  // Runs readers and writers for the configured duration or until stop(); blocks. Calls
  // `on_tick` about once a second from the calling thread. Never throws for failed operations:
  // they are recorded. Requires prepare().
  void run(const std::function<void(const ProbeCounts&)>& on_tick = {});

  // Ends run() early. Thread-safe.
  void stop();

  // Checks every acknowledged write on the verify target (default: the probed URL) and fills
  // record().verification. Throws Error when the target cannot be read.
  void verify();

  const ProbeRecord& record() const { return record_; }

  // Microseconds since run() started, on the clock the record uses: lets a test that drives
  // trouble note when it began and ended, to compare with what the probe saw.
  std::int64_t elapsed_us() const;
  // Counts so far. Thread-safe.
  ProbeCounts counts() const;

 private:
  void reader_loop(int reader, std::vector<Operation>& log);
  void writer_loop(int writer, std::vector<Operation>& log);
  bool pause(std::chrono::steady_clock::duration how_long);  // false when stopping

  ProbeOptions options_;
  ProbeRecord record_;
  // When run() started, in microseconds of the steady clock: atomic because tests read the
  // probe's clock from another thread while run() sets it.
  std::atomic<std::int64_t> start_us_{std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count()};
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  // The newest acknowledged sequence number per writer, for readers to look up.
  std::vector<std::atomic<std::int64_t>> last_acked_;
  std::atomic<std::int64_t> reads_ok_{0}, reads_failed_{0}, writes_ok_{0}, writes_failed_{0};
  OpWatchdog watchdog_;  // slots 0..writers-1 for writers, then readers
};

}  // namespace cutover::probe
