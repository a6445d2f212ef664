// `cutover change start / complete / rollback / status`: the phases of an expand/contract
// change, each resumable after a crash and recorded in the database's change state.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "change/backfill.h"
#include "change/change_spec.h"
#include "change/change_state.h"
#include "change/step_runner.h"
#include "core/output.h"
#include "db/connection.h"
#include "db/lock_retry.h"
#include "db/registry.h"

namespace cutover::change {

class ChangeLease;
class Operation;

struct ChangeOptions {
  std::string url;
  db::ConnectOptions connect;
  std::string schema = "public";  // PostgreSQL: the base schema; ignored on SQLite
  BackfillOptions backfill;
  db::LockRetryPolicy retry;
  // MariaDB: let operations that MariaDB does only by copying the table run (docs/change.md).
  bool allow_copy_alter = false;
  // Galera: the nodes to check after each trigger's DDL, "host:port,..."; empty: the cluster's
  // wsrep_incoming_addresses (change/galera_nodes.h).
  std::string galera_nodes;
  // Called before each step of every phase (tests inject failures with it); may throw.
  BeforeStep before_step;
};

class ChangeRunner {
 public:
  // Connects. Throws as db::connect() does. Nothing is created before a change begins.
  ChangeRunner(ChangeOptions options, Output& output);
  ~ChangeRunner();

  // Starts `spec`, or resumes it when it is the active change and was interrupted (starting,
  // backfilling). Checks every operation first, against the catalog and (PostgreSQL) the
  // server (change/preflight.h): Error(kBadInput) with nothing changed. A
  // backfill that fails on a row's data rolls the change back, then throws Error(kBadInput)
  // showing the row. Error(kConflict) when another change is active.
  ChangeRecord start(const ChangeSpec& spec);
  // Contracts the active started change (or resumes an interrupted complete). The contract's
  // steps run in one transaction with the move to `completing`: a failure there leaves the
  // change `started` (rollback still works); past it, only the statements of `sql`
  // operations that must run alone are left, finished by running complete again.
  ChangeRecord complete();
  // Removes everything start added, in any phase but completing.
  ChangeRecord rollback();
  // The active change, if any.
  std::optional<ChangeRecord> status();
  // The process working on the change now, if any (see change_lease_holder()).
  std::optional<std::string> running();

 private:
  struct Session;
  ChangeRecord require_active(const char* command);
  // The runner of the change's steps; on Galera it checks every node's schema, the change's
  // version database (`change`) included.
  StepRunner step_runner(const std::string& change);
  // rollback() once the lease is held.
  ChangeRecord roll_back_active(ChangeLease& lease);
  // Checks a change that is not active yet against the catalog and the server, changing
  // nothing: Error(kBadInput) naming the operation and the problem.
  void check_new_change(const ChangeSpec& spec,
                        const std::vector<std::unique_ptr<Operation>>& operations);

  ChangeOptions options_;
  Output& output_;
  std::unique_ptr<Session> session_;
};

}  // namespace cutover::change
