// A statement that SIGTERM, SIGINT or SIGHUP cancel while it runs.
#pragma once

#include <memory>

#include "core/interrupt.h"
#include "db/connection.h"

namespace cutover::db {

// While in scope, a signal (each one, not only the first) cancels the statement running on
// `connection`: it fails with DbFailure::kCancelled, and its transaction can be rolled back.
class CancelOnInterrupt {
 public:
  explicit CancelOnInterrupt(Connection& connection);
  CancelOnInterrupt(const CancelOnInterrupt&) = delete;
  CancelOnInterrupt& operator=(const CancelOnInterrupt&) = delete;

 private:
  std::shared_ptr<Canceller> canceller_;
  OnInterrupt cancel_;
};

}  // namespace cutover::db
