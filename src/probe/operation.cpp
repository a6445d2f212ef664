// One operation the probe ran, as a client saw it.
#include "probe/operation.h"

namespace cutover::probe {

std::string error_class(const Operation& op) {
  switch (op.outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kConnectionLost:
      return "connection lost";
    case Outcome::kStaleRead:
      return "stale read";
    case Outcome::kError:
      break;
  }
  // MariaDB's SQLSTATEs are coarse (HY000 for most), so its error number tells more.
  if (op.vendor_code != 0 && (op.sqlstate.empty() || op.sqlstate == "HY000")) {
    return "error " + std::to_string(op.vendor_code);
  }
  if (!op.sqlstate.empty()) return "SQLSTATE " + op.sqlstate;
  return "error";
}

const char* kind_name(OpKind kind) { return kind == OpKind::kRead ? "read" : "write"; }

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kError:
      return "error";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kConnectionLost:
      return "connection_lost";
    case Outcome::kStaleRead:
      return "stale_read";
  }
  return "error";
}

}  // namespace cutover::probe
