// Everything one probe run saw: its settings, every operation, and what verification found.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "probe/operation.h"
#include "probe/probe_options.h"

namespace cutover::probe {

struct WriteId {
  int writer = 0;
  std::int64_t seq = 0;
  bool operator==(const WriteId&) const = default;
};

struct Verification {
  bool done = false;
  std::int64_t acknowledged = 0;         // writes the probe saw committed
  std::int64_t found = 0;                // of those, present on the verify target
  std::vector<WriteId> lost;             // acknowledged, missing
  std::vector<WriteId> duplicated;       // present more than once
  std::int64_t unconfirmed_present = 0;  // not acknowledged (error or lost reply), yet present
};

struct ProbeRecord {
  std::string run_id;
  std::string url;         // redacted
  std::string verify_url;  // redacted
  std::string flavor;
  std::string table;
  std::string started_at;  // wall clock, ISO 8601 UTC
  std::int64_t started_unix_ms = 0;
  std::int64_t duration_us = 0;  // as run
  int readers = 0;
  int writers = 0;
  double rate = 0;
  std::vector<Operation> operations;  // sorted by start
  Verification verification;
};

}  // namespace cutover::probe
