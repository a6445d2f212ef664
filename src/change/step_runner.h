// Runs the steps of a phase: each with a short lock timeout, retried with jittered pauses,
// skipped when already done, so that a phase can be run again after a crash.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "change/step.h"
#include "core/output.h"
#include "db/connection.h"
#include "db/lock_retry.h"

namespace cutover::change {

class GaleraNodes;

// Called before each step runs, in each attempt (tests inject failures with it); may throw.
using BeforeStep = std::function<void(const Step&)>;

// Says on `output` that `what` is retried after `conflict`: a "retry" event under --json
// ({step, reason, attempt, pause_ms, message}), else a line.
void report_retry(Output& output, const std::string& what, const db::LockConflict& conflict);

class StepRunner {
 public:
  // Sets the session's lock timeout on `connection` (borrowed, must outlive this). `schema`:
  // where the indexes the steps build live (PostgreSQL).
  StepRunner(db::Connection& connection, std::string schema, db::LockRetryPolicy retry,
             Output& output, BeforeStep before_step = {});

  // Runs each step in order, on its own (autocommit): a step whose done_if returns a row is
  // skipped; an INVALID leftover of the index a step builds is dropped first; a lock conflict
  // is retried until retry_for. A step that takes strong locks (neither outside_transaction
  // nor long_running) may run at most the lock timeout as a whole, however many locks it
  // waits for one after the other (the partitions of a table): the application's queries
  // queue behind it no longer than that; past it the step is cancelled and retried as after a
  // lock timeout. Throws Error(kOperationFailed) naming the step and the database's error, or,
  // after retry_for, the lock it kept waiting for.
  void run(const std::vector<Step>& steps);

  // On Galera: before the first step, `nodes` (borrowed) checks that every node has this
  // node's schema; after each step that creates or drops a trigger, that every node applied
  // it, mending those that did not; after every step, that every node has the schema again
  // (change/galera_nodes.h).
  void check_every_node(GaleraNodes& nodes) { nodes_ = &nodes; }
  // On Galera, that every node has this node's schema (once; run() does it before its first
  // step). Throws Error(kOperationFailed) naming a node that differs.
  void check_nodes_agree();

  // Runs `steps` (none outside_transaction) in one transaction, `before_commit` last in it:
  // all or nothing. The whole transaction runs at most the lock timeout, as one step does
  // (unless a step is long_running), and is retried as a whole. Throws as run() does.
  void run_in_one_transaction(const std::vector<Step>& steps,
                              const std::function<void()>& before_commit = {});

 private:
  // One attempt-and-retry loop over `steps`, `what` naming them in retries and errors.
  void run_unit(const std::string& what, const std::vector<Step>& steps, bool in_transaction,
                const std::function<void()>& before_commit);
  void drop_invalid_index(const std::string& index);

  db::Connection& connection_;
  std::string schema_;
  db::LockRetryPolicy retry_;
  Output& output_;
  BeforeStep before_step_;
  GaleraNodes* nodes_ = nullptr;
};

}  // namespace cutover::change
