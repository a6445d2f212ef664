// One operation the probe ran, as a client saw it: what, when, and how it ended.
#pragma once

#include <cstdint>
#include <string>

namespace cutover::probe {

enum class OpKind { kRead, kWrite };

enum class Outcome {
  kOk,
  kError,           // the server refused the statement (read-only, lock timeout, ...)
  kTimeout,         // cancelled by the probe's statement timeout
  kConnectionLost,  // no connection: it broke, or reconnecting failed
  kStaleRead,       // a point read did not find a write acknowledged before it began
};

struct Operation {
  OpKind kind = OpKind::kRead;
  int worker = 0;             // reader or writer number
  std::int64_t start_us = 0;  // microseconds since the probe started (steady clock)
  std::int64_t end_us = 0;
  Outcome outcome = Outcome::kOk;
  std::string sqlstate;         // for errors, where known
  int vendor_code = 0;          // MariaDB error number / SQLite extended code
  std::string message;          // redacted; empty when ok
  std::int64_t write_seq = -1;  // for writes: the sequence number the row carries
  // A read whose pooled connection turned out closed was retried once on a new connection,
  // as application pools do for idempotent reads. The outcome is the retry's.
  bool retried = false;

  bool ok() const { return outcome == Outcome::kOk; }
};

// A short class for grouping failures: "connection lost", "timeout", "SQLSTATE 25006",
// "error 1290".
std::string error_class(const Operation& op);

const char* kind_name(OpKind kind);
const char* outcome_name(Outcome outcome);

}  // namespace cutover::probe
