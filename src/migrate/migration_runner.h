// `cutover migrate`: any number of instances run it at once; exactly one applies the pending
// scripts while holding the lease, the others wait until nothing is pending.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "coord/lease.h"
#include "core/output.h"
#include "db/connection.h"
#include "db/registry.h"
#include "migrate/callbacks.h"
#include "migrate/history_table.h"
#include "migrate/migration_plan.h"
#include "migrate/placeholders.h"
#include "migrate/prepared_script.h"
#include "migrate/script_applier.h"

namespace cutover::migrate {

struct MigrateOptions {
  std::string url;
  db::ConnectOptions connect;
  std::filesystem::path dir{"migrations"};
  std::string history_table{kDefaultHistoryTable};
  Placeholders placeholders;
  PlanOptions plan;
  ApplyOptions apply;
  coord::LeaseOptions lease;
  // Flyway's executeInTransaction (flyway.conf): false runs every file statement by statement,
  // as `-- cutover: no-transaction` does.
  bool execute_in_transaction = true;
  // How long an instance waits for the one applying before giving up (`--wait-timeout`).
  std::chrono::milliseconds wait_timeout{600'000};
  // Flyway's baselineOnMigrate (flyway.conf): the version a database that has tables but no
  // history is baselined at before anything is applied, as Flyway does; without it, such a
  // database is migrated from the first file.
  std::optional<Version> baseline_on_migrate;
  std::string baseline_description{"<< Flyway Baseline >>"};
  // PostgreSQL: the schema flyway.conf puts first in the search_path (flyway.schemas,
  // defaultSchema), which must exist.
  std::optional<std::string> schema;
};

// Throws Error(kBadInput) naming it when options.schema does not exist (PostgreSQL): the
// search_path would fall through to public, and the tables go there.
void require_schema(db::Connection& connection, const MigrateOptions& options);

// What `migrate` would do now: the plan, and its pending scripts prepared.
struct ReadyPlan {
  MigrationPlan plan;
  std::vector<PreparedScript> pending;
};

// Plans `scripts` against `history` and prepares every pending script, so that anything wrong
// is found before anything runs. Throws Error(kBadInput) listing every problem that stops a
// migration (all but applied versions newer than the files: a newer release migrated already,
// normal in a rolling deploy; they are warned about on `warnings` unless it is null) and naming
// the first bad script. Every placeholder without a value (in any repeatable script, any pending
// versioned one, and `callbacks_missing`) is named in one Error(kBadInput). A pending script
// found in `prepared` (an earlier ready_plan of the same `scripts`) is taken from there rather
// than prepared again: preparing a big file costs as much as running it.
ReadyPlan ready_plan(const std::vector<MigrationScript>& scripts,
                     const std::vector<HistoryRow>& history, const db::ServerInfo& server,
                     const MigrateOptions& options, Output* warnings,
                     const std::vector<MissingPlaceholder>& callbacks_missing = {},
                     const std::vector<PreparedScript>* prepared = nullptr);

// migrate's lease: the row named after the history table in `<history_table>_lease`, so that
// databases migrated by earlier releases keep their lease.
coord::LeaseKey migration_lease_key(const std::string& history_table);

// What the lease's progress says from the commit of the last migration of a run until its
// afterMigrateApplied and afterMigrate callbacks have run: a run that fails or dies in
// between leaves it, and the next migrate runs them (with nothing pending, it runs none).
// No file is named so: Flyway's names start with a prefix, and callbacks are no migrations.
inline constexpr const char* kAfterMigrateOwed = "(afterMigrate callbacks)";
bool after_migrate_owed(const std::optional<coord::LeaseState>& lease);

// Marks every script no-transaction when options.execute_in_transaction is false.
void apply_execute_in_transaction(const MigrateOptions& options,
                                  std::vector<MigrationScript>& scripts);

// The `script` column values of the pending scripts, for HistoryTable::check_can_record.
std::vector<std::string> pending_file_names(const ReadyPlan& ready);

enum class MigrateRole {
  kNone,    // nothing was pending when it started
  kLeader,  // it applied scripts
  kWaiter,  // another instance applied them while it waited
};

const char* role_name(MigrateRole role);  // "none", "leader", "waiter"

struct MigrateOutcome {
  MigrateRole role = MigrateRole::kNone;
  int applied = 0;                     // scripts this process applied
  std::optional<std::string> current;  // the schema version at the end
};

// Brings the database up to date, coordinating with every other instance doing the same:
// creates the history and lease tables if missing, takes the lease when free (or expired: a
// holder that died), applies what is pending, resuming a file its predecessor left half done,
// and releases it; or waits, polling, until nothing is pending. Emits events on `output`.
// Throws Error(kBadInput) for bad files or history problems (nothing applied),
// Error(kOperationFailed) when a statement fails, Error(kConflict) when the wait passes
// options.wait_timeout (naming the holder) or the lease was lost mid-way.
MigrateOutcome run_migrate(const MigrateOptions& options, Output& output);

}  // namespace cutover::migrate
