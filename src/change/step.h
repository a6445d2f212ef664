// One statement of a phase of a change, run with a short lock timeout and jittered retries.
#pragma once

#include <string>

namespace cutover::change {

struct Step {
  std::string what;  // for progress and errors: "add shadow column users._cutover_email"
  std::string sql;   // exactly one statement
  // CREATE INDEX CONCURRENTLY and the like: run on its own, outside any transaction.
  bool outside_transaction = false;
  // Optional query that returns at least one row when the step is already done: the step is
  // then skipped. Makes statements without IF [NOT] EXISTS (ADD CONSTRAINT, RENAME COLUMN, ...)
  // safe to run again after a crash.
  std::string done_if;
  // For a CREATE INDEX CONCURRENTLY: the index it builds. Before each attempt the runner drops
  // it when it exists but is INVALID (left by an interrupted or timed-out build), since
  // IF NOT EXISTS would keep the broken one.
  std::string builds_index;
  // Works long under a lock that lets the application read and write (VALIDATE CONSTRAINT,
  // ANALYZE): only its lock waits are bounded. Every other step in a transaction takes strong
  // locks for catalog work and must end within the lock timeout as a whole (StepRunner).
  bool long_running = false;
  // Only reads (a check that fails when the data does not allow what follows): MariaDB's
  // complete runs these before it moves the change to `completing`, so that such a failure
  // leaves the change started, with rollback still open.
  bool reads_only = false;
  // MariaDB: the trigger that this step creates or drops. On Galera the runner checks after
  // the step that every node has it as this node has it, or not at all: a node that fails to
  // apply a replicated DDL statement goes on without it (change/galera_nodes.h).
  std::string trigger;
};

}  // namespace cutover::change
