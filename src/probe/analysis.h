// What a probe record means for availability: per kind of operation, how many failed, when,
// why, for how long nothing succeeded, and how fast the successes were.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "probe/probe_record.h"

namespace cutover::probe {

// A stretch of time in which operations of one kind were attempted and none succeeded: from
// the start of the first failure (or the end of the last success, if later) to the end of the
// next success.
struct UnavailabilityWindow {
  std::int64_t start_us = 0;
  std::int64_t end_us = 0;
  bool open_at_end = false;                    // the run ended before anything succeeded again
  std::map<std::string, std::int64_t> errors;  // error class -> count
  std::int64_t duration_us() const { return end_us - start_us; }
};

struct KindStats {
  std::int64_t total = 0;
  std::int64_t ok = 0;
  double availability_pct = 100;  // ok / total: operations that succeeded
  // Share of the run's time outside unavailability windows: what a user felt. Operations are
  // a biased sample (a loop makes thousands of calls a second while the target is up and
  // twenty while it is down), so this is the figure to quote.
  double time_availability_pct = 100;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // latency of successful operations
  std::int64_t longest_without_success_us = 0;
  std::int64_t retried = 0;  // reads retried once after their pooled connection was closed
  std::vector<UnavailabilityWindow> windows;
  std::map<std::string, std::int64_t> errors;
};

struct Analysis {
  KindStats reads;
  KindStats writes;
  double ops_per_second = 0;  // everything the probe ran, per second of the run
};

Analysis analyze(const ProbeRecord& record);

}  // namespace cutover::probe
