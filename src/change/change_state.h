// Where a change stands, stored in the target database itself: its phase, its file and its
// backfill's progress, so that any process can resume, roll back or report it after a crash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "change/backfill.h"
#include "change/change_spec.h"
#include "db/connection.h"

namespace cutover::change {

enum class ChangePhase {
  kStarting,     // expand steps running
  kBackfilling,  // existing rows being touched
  kStarted,      // both versions work; complete or roll back next
  kCompleting,   // contract steps running
  kRollingBack,  // rollback steps running
  kCompleted,    // done; no longer active
};

const char* phase_name(ChangePhase phase);  // "starting", ...
ChangePhase parse_phase(const std::string& name);

struct ChangeRecord {
  std::string name;
  ChangePhase phase = ChangePhase::kStarting;
  std::string base_schema;
  ChangeSpec spec;
  std::vector<BackfillProgress> backfill;
  std::string started_at;  // as the database prints it
  std::string updated_at;
  std::string last_error;  // the error that stopped the last command, if any
};

// The table `cutover.changes` (PostgreSQL) or `_cutover_changes` (SQLite). At most one change
// is active (not completed) per database: a unique column enforces it, so two starts racing
// cannot both begin. Borrows the connection; every write is its own statement (autocommit).
class ChangeState {
 public:
  explicit ChangeState(db::Connection& connection);

  // Creates the schema and table if missing. begin() calls it: nothing of cutover is created
  // in a database before a change actually begins (a refused start leaves no trace).
  void ensure_table();
  // The active change, if any (none while the table does not exist).
  std::optional<ChangeRecord> active();
  // Records `record` as the active change. Throws Error(kConflict) naming the active change
  // when there is one.
  void begin(const ChangeRecord& record);
  void set_phase(const std::string& name, ChangePhase phase);
  void save_backfill(const std::string& name, const std::vector<BackfillProgress>& backfill);
  void set_error(const std::string& name, const std::string& error);  // "": none (NULL)
  // Completed: kept as history, no longer active.
  void mark_completed(const std::string& name);
  // Rolled back: the row goes, as everything else the change added.
  void forget(const std::string& name);

 private:
  std::string table_;
  db::Connection& connection_;
};

}  // namespace cutover::change
