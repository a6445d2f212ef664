// Progress of a long operation: a bar with rate and ETA on a terminal, a plain line every few
// seconds elsewhere, and {"event":"progress"} JSON objects with --json.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "core/output.h"

namespace cutover {

class ProgressReporter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `task` names the work ("copy users"); `unit` what is counted ("rows"); `total` is 0 when
  // unknown (then no percentage or ETA is shown). `clock` is injectable for tests.
  ProgressReporter(Output& output, std::string task, std::string unit, std::int64_t total,
                   Clock clock = std::chrono::steady_clock::now);

  // Records that `done` units (and `bytes` bytes, if known) are finished so far. Cheap to call
  // often: it draws at most every 100 ms on a terminal, every 5 s as plain lines, every 1 s
  // as JSON.
  void update(std::int64_t done, std::int64_t bytes = -1);
  // Extra words shown after the counts ("3 failed"), and as "detail" in JSON.
  void set_detail(std::string detail) { detail_ = std::move(detail); }
  // Draws the final state once, ending the bar's line.
  void finish();

  // Units per second over the last few seconds; 0 until two samples exist.
  double rate() const;
  // Seconds left at the current rate; negative when unknown.
  double eta_seconds() const;

 private:
  void draw(bool final);
  std::string human_line() const;

  Output& output_;
  std::string task_;
  std::string unit_;
  std::int64_t total_;
  Clock clock_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::int64_t done_ = 0;
  std::int64_t bytes_ = -1;
  std::string detail_;
  bool finished_ = false;
  struct Sample {
    std::chrono::steady_clock::time_point at;
    std::int64_t done;
  };
  std::deque<Sample> window_;  // recent samples for the rate
};

// "1.5k", "12.3M": compact counts for progress lines.
std::string format_count(double n);
// "12.3 MiB"
std::string format_bytes(std::int64_t bytes);
// "0:07", "1:02:03"
std::string format_duration(double seconds);

}  // namespace cutover
