// Runs the steps of a phase: each with a short lock timeout, retried with jittered pauses,
// skipped when already done, so that a phase can be run again after a crash.
#pragma once

#include <string>
#include <vector>

#include "change/step.h"
#include "core/output.h"
#include "db/connection.h"
#include "db/lock_retry.h"

namespace cutover::change {

class StepRunner {
 public:
  // Sets the session's lock timeout on `connection` (borrowed, must outlive this). `schema`:
  // where the indexes the steps build live (PostgreSQL).
  StepRunner(db::Connection& connection, std::string schema, db::LockRetryPolicy retry,
             Output& output);

  // Runs each step in order, on its own (autocommit): a step whose done_if returns a row is
  // skipped; an INVALID leftover of the index a step builds is dropped first; a lock conflict
  // is retried until retry_for. Throws Error(kOperationFailed) naming the step and the
  // database's error, or, after retry_for, the lock it kept waiting for.
  void run(const std::vector<Step>& steps);

 private:
  void run_one(const Step& step);
  void drop_invalid_index(const std::string& index);

  db::Connection& connection_;
  std::string schema_;
  db::LockRetryPolicy retry_;
  Output& output_;
};

}  // namespace cutover::change
