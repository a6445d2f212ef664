// The move state store: an embedded SQLite file holding each move's plan, step and event log.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "move/move_plan.h"

namespace cutover::move {

struct MoveEvent {
  std::string at;    // UTC, ISO 8601 with milliseconds
  std::string step;  // the step the move was at after the event
  std::string what;  // one sentence, no password
};

struct MoveRecord {
  std::string id;  // "mv-" and 8 hex digits
  MoveStep step = MoveStep::kCreated;
  MovePlan plan;  // as stored: URLs without passwords
  std::string created_at;
  std::string updated_at;
  std::vector<MoveEvent> events;  // oldest first
};

// Another move holding a database that a new plan names.
struct MoveConflict {
  std::string move_id;
  MoveStep step;
  std::string database;  // "host:port/db"
  std::string role;      // "source" or "target" of the holding move
};

// Error(kConflict) naming the move that holds a database, and how to free it.
Error conflict_error(const MoveConflict& conflict);

class MoveStore {
 public:
  // $XDG_STATE_HOME/cutover/moves.db, else $HOME/.local/state/cutover/moves.db. Throws
  // Error(kBadInput) when neither variable is set.
  static std::string default_path();

  // Opens the store at `path`, creating it (mode 0600, its folder 0700 when cutover creates
  // it) and its tables when missing. Throws Error(kBadInput) when the file cannot be created
  // or opened, Error(kOperationFailed) when it was written by a newer cutover.
  static MoveStore open(const std::string& path);
  // Opens an existing store for reading; nullopt when the file does not exist (no moves yet).
  static std::optional<MoveStore> open_existing(const std::string& path);

  const std::string& path() const { return path_; }

  // The first move, among those that still hold their databases, that holds one of the
  // databases `plan` names (as a source or a target); nullopt when none does.
  std::optional<MoveConflict> find_conflict(const MovePlan& plan);

  // Saves a new move at step created with a fresh id and its first event `what`. Checks for a
  // conflict in the same transaction: throws Error(kConflict) naming the holding move, so
  // that two creates at once cannot both take a database. Returns the saved record.
  MoveRecord create(const MovePlan& plan, const std::string& what);

  // The move `id`, or the most recently created one; nullopt when there is none.
  std::optional<MoveRecord> find(const std::string& id);
  std::optional<MoveRecord> latest();
  // Every move, oldest first.
  std::vector<MoveRecord> list();

  // Moves `id` from step `from` to step `to` and logs `what`, in one transaction. Throws
  // Error(kConflict) when the move is no longer at `from` (another command moved it).
  MoveRecord advance(const std::string& id, MoveStep from, MoveStep to, const std::string& what);
  // Logs `what` at the move's current step.
  void log(const std::string& id, const std::string& what);

  // Facts a step records as it goes (the databases it created, the freeze, each table copied),
  // so that the same step run again resumes, and abort undoes exactly what was done. Keys are
  // "kind:database[:name]"; values JSON. Each call is its own transaction.
  void set_fact(const std::string& id, const std::string& key, const nlohmann::json& value);
  std::optional<nlohmann::json> fact(const std::string& id, const std::string& key);
  // Every fact whose key starts with `prefix`, by key.
  std::map<std::string, nlohmann::json> facts(const std::string& id, const std::string& prefix);
  void erase_facts(const std::string& id, const std::string& prefix);

  // The move's own folder beside the store (<store>.d/<id>, mode 0700): its schema dumps and
  // its step lock. work_folder creates it when missing; folder_of only names it.
  std::string work_folder(const std::string& id);
  std::string folder_of(const std::string& id) const;
  // Removes the folder of a move that is over (aborted or cleaned up), with its step lock held.
  void remove_work_folder(const std::string& id);

 private:
  MoveStore(std::string path, std::unique_ptr<db::Connection> connection);
  void ensure_schema();
  MoveRecord load(const db::Row& row);
  void log_event(const std::string& id, MoveStep step, const std::string& what,
                 const std::string& at);

  std::string path_;
  std::unique_ptr<db::Connection> connection_;
};

// Held while a step of one move runs, so that two steps of the same move never run at once
// (flock on the move's folder: a killed holder lets go at once). Throws Error(kConflict) when
// another process holds it.
class StepLock {
 public:
  StepLock(const std::string& folder, const std::string& id);
  ~StepLock();
  StepLock(const StepLock&) = delete;
  StepLock& operator=(const StepLock&) = delete;

  // Whether a process holds the lock of the move's folder now: a step is running.
  static bool held(const std::string& folder);

 private:
  int fd_ = -1;
};

// The current time in UTC, ISO 8601 with milliseconds: "2026-12-03T23:06:32.123Z".
std::string utc_now();

}  // namespace cutover::move
