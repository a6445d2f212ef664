// What every step of a move works with: the state store and the move's record, connections
// to its servers, and the output; and the steps themselves (prepare, data, finalize, abort,
// cleanup), each resumable and each recording as it goes what abort must undo.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/output.h"
#include "db/registry.h"
#include "move/move_store.h"
#include "move/pg_tools.h"

namespace cutover::move {

struct StepOptions {
  int jobs = 2;                                   // data: tables copied at once
  // data: tables above this size copy in parts; 0: the engine's 1 GiB.
  // Set only by tests, through the hidden --split-bytes, to split small tables.
  std::int64_t split_bytes = 0;
  std::chrono::milliseconds drain_timeout{5000};  // data: write transactions' grace
  std::chrono::milliseconds pause_timeout{2000};  // finalize, abort: a proxy's pause
  bool discard_target_writes = false;             // abort after finalize
  bool drop_source = false;                       // cleanup
};

class MoveStepRun {
 public:
  MoveStepRun(MoveStore& store, MoveRecord record, db::ConnectOptions connect, Output& output,
              StepOptions options);

  MoveRecord& record() { return record_; }
  MoveStore& store() { return store_; }
  Output& output() { return output_; }
  const StepOptions& options() const { return options_; }
  const std::string& id() const { return record_.id; }

  std::unique_ptr<db::Connection> source(const DatabaseMapping& d);
  std::unique_ptr<db::Connection> target_server();
  std::unique_ptr<db::Connection> target(const std::string& name);
  std::string source_url(const DatabaseMapping& d) const;
  std::string target_url(const std::string& name) const;
  PgToolDatabase source_tool(const DatabaseMapping& d) const;
  PgToolDatabase target_tool(const std::string& name) const;
  const db::ConnectOptions& connect() const { return connect_; }
  // The move's schema dump of one database (in its folder, 0700).
  std::string schema_file(const std::string& target_name) const;
  std::string folder() const { return folder_; }

  // A line for people (stdout) and, with --json, an event {"event": kind, "move": id,
  // "message": line, ...}.
  void say(const std::string& kind, const std::string& line, nlohmann::json fields = {});
  // Logs `what` in the move's event log and says it.
  void log(const std::string& kind, const std::string& what, nlohmann::json fields = {});

 private:
  MoveStore& store_;
  MoveRecord record_;
  db::ConnectOptions connect_;
  Output& output_;
  StepOptions options_;
  std::string folder_;
};

// Throws Error(kBadInput) unless `record` is at `step`: "move ID is at step X: <when>", with
// the next command (or that the move has ended) as the hint. Nothing has changed then.
void require_step(const MoveRecord& record, MoveStep step, const std::string& when);

// Runs the user's hook `commands` one after the other, their output on stderr; `what` names
// them ("switch"). Throws Error(kOperationFailed) at the first that fails.
void run_hooks(MoveStepRun& run, const std::vector<std::string>& commands, const std::string& what);

// The hook freeze of `move data` (--freeze hook): runs the freeze commands unless an earlier
// run finished them, and returns when the writes stopped (the commands' end). A fact says
// abort must run the unfreeze commands from the first command on; unfreeze_by_hooks() runs
// them when it does.
std::string freeze_by_hooks(MoveStepRun& run);
void unfreeze_by_hooks(MoveStepRun& run);

// Each step checks that the move is at the step it follows (exit 2 naming the right command
// otherwise), runs, and returns the record at its new step.
MoveRecord prepare_move(MoveStepRun& run);
MoveRecord copy_move_data(MoveStepRun& run);
MoveRecord finalize_move(MoveStepRun& run);
MoveRecord abort_move(MoveStepRun& run);
MoveRecord cleanup_move(MoveStepRun& run);

// The same steps between MariaDB servers (mariadb_steps.cpp), which the ones above call for a
// MariaDB plan; abort and cleanup call their parts that differ.
MoveRecord prepare_mariadb_move(MoveStepRun& run);
MoveRecord copy_mariadb_move_data(MoveStepRun& run);
// Gives each target database the grants its source database has.
void open_mariadb_targets(MoveStepRun& run);
// The target tables whose count or checksum differs from what data verified, "db: table".
std::vector<std::string> mariadb_target_writes(MoveStepRun& run);
// Revokes what finalize granted, sets read_only back as it was, drops (or empties) the
// target databases.
void undo_mariadb_move(MoveStepRun& run);
void drop_mariadb_source(MoveStepRun& run, const DatabaseMapping& d);

// The same for SQLite files (sqlite_steps.cpp).
MoveRecord prepare_sqlite_move(MoveStepRun& run);
MoveRecord copy_sqlite_move_data(MoveStepRun& run);
std::vector<std::string> sqlite_target_writes(MoveStepRun& run);
// Drops the freeze triggers from the sources, deletes the copies.
void undo_sqlite_move(MoveStepRun& run);
void drop_sqlite_source(MoveStepRun& run, const DatabaseMapping& d);

// What to run next for a move at its step; empty once it has ended.
std::string next_command(const MoveRecord& record);

}  // namespace cutover::move
