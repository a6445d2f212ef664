// What `cutover migrate` would do: the scripts on disk against the history table's rows, giving
// the pending scripts, the problems that stop a migration, and Flyway-style `info` rows.
// Pure logic: no database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "migrate/history_table.h"
#include "migrate/migration_source.h"
#include "migrate/version.h"

namespace cutover::migrate {

struct PlanOptions {
  // `--target VERSION`: versioned scripts above it are not pending. Repeatable scripts still
  // are, as in Flyway.
  std::optional<Version> target;
  // `--out-of-order`: a script whose version is below the highest applied one is pending
  // instead of refused.
  bool out_of_order = false;
};

// What is wrong between the files and the history. Flyway's `validate` fails on every kind
// except kFutureVersion, which it ignores by default (a newer release already migrated the
// database: normal during a rolling deploy). The command chooses; migrate warns of
// kFutureVersion, kOlderRepeatable and kMissingRepeatable.
enum class ProblemKind {
  kChecksumMismatch,     // an applied versioned file was edited
  kDescriptionMismatch,  // an applied versioned file was renamed (its description changed)
  kFailed,               // the history records a failed migration
  kMissing,              // an applied migration has no file on disk
  kFutureVersion,        // an applied version is above every version on disk
  kOutOfOrder,           // a new version below the highest applied, without --out-of-order
  // A repeatable file whose content was applied before and then replaced by another (an older
  // release's file, during a rolling deploy): not applied again.
  kOlderRepeatable,
  // An applied repeatable with no file on disk: a newer release added it (an older release's
  // instances must go on starting), or it was removed; there is nothing to apply either way.
  kMissingRepeatable,
};

const char* problem_kind_name(ProblemKind kind);  // "checksum_mismatch", ...

struct Problem {
  ProblemKind kind;
  std::string message;  // names the file and the version
  std::string hint;     // how to fix it

  bool operator==(const Problem&) const = default;
};

// Flyway's names for the state of a migration in `info`.
enum class MigrationState {
  kPending,        // on disk, will be applied
  kSuccess,        // applied
  kFailed,         // applied and failed
  kBaseline,       // the baseline marker
  kBelowBaseline,  // on disk, at or below the baseline: never applied, never will be
  kAboveTarget,    // on disk, above --target
  kIgnored,        // on disk, below the highest applied version, refused without --out-of-order
  kMissing,        // applied, no longer on disk
  kFuture,         // applied, above every version on disk
  kOutdated,       // a repeatable's latest run, whose file has changed since
  kSuperseded,     // an earlier run of a repeatable
  kDeleted,        // marked deleted by Flyway's repair (a DELETE row)
};

const char* state_name(MigrationState state);  // "Pending", "Success", "Below Baseline", ...

struct InfoRow {
  std::optional<std::string> version;  // as written; nullopt for repeatables
  std::string description;
  std::string type;                            // "SQL", "BASELINE", or the history's type
  std::string script;                          // file name
  std::optional<std::int32_t> installed_rank;  // nullopt when not in the history
  std::optional<std::string> installed_on;     // nullopt when not in the history
  MigrationState state = MigrationState::kPending;

  bool operator==(const InfoRow&) const = default;
};

struct MigrationPlan {
  // To apply, in order: versioned scripts by ascending version, then repeatable scripts by
  // description (never-run ones and those whose checksum changed).
  std::vector<MigrationScript> pending;
  // Everything found wrong, in the order of the history then the files.
  std::vector<Problem> problems;
  // History rows by installed_rank, then files not in the history: versioned by version, then
  // repeatable.
  std::vector<InfoRow> info;
  // The highest version applied successfully, the baseline included; nullopt when none.
  std::optional<Version> current;
  // A version applied (not a baseline) is above every file: these files are an older
  // release's, whose instance must not replace what the newer release did.
  bool older_release = false;

  bool has_problem(ProblemKind kind) const;
};

// Compares `scripts` (as load_migrations returns them) with `history` (as HistoryTable::read
// returns it, by installed_rank). Versions compare as Flyway's do: `1` and `1.0` are the same
// migration. Versioned scripts at or below a baseline row count as applied, and their checksums
// are not compared. Throws Error(kBadInput) naming the row when a history row's version is not
// a Flyway version.
MigrationPlan plan_migrations(const std::vector<MigrationScript>& scripts,
                              const std::vector<HistoryRow>& history,
                              const PlanOptions& options = {});

}  // namespace cutover::migrate
