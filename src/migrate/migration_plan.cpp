// Matching migration files with the history the way Flyway's info and validate do.
#include "migrate/migration_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "core/error.h"

namespace cutover::migrate {
namespace {

// Flyway's row types that record no migration of their own: its notes that it created a schema
// or (H2 only) the table, and Flyway 9 repair's mark that an earlier row's file was deleted.
constexpr std::string_view kTypeSchemaMarker = "SCHEMA";
constexpr std::string_view kTypeTableMarker = "TABLE";
constexpr std::string_view kTypeDelete = "DELETE";
constexpr std::string_view kTypeUndoPrefix = "UNDO_";

bool is_marker(const HistoryRow& row) {
  return row.type == kTypeSchemaMarker || row.type == kTypeTableMarker;
}

std::string checksum_text(std::optional<std::int32_t> checksum) {
  return checksum ? std::to_string(*checksum) : std::string("none");
}

std::string quoted_text(std::string_view text) { return fmt::format("\"{}\"", text); }

// One history row, its version parsed, and what the planner decided about it.
struct Applied {
  const HistoryRow* row = nullptr;
  std::optional<Version> version;
  bool deleted = false;  // a DELETE row, or a row a later DELETE row cancels
};

// A migration a row belongs to: its version, or for repeatables its description.
bool same_migration(const Applied& a, const Applied& b) {
  if (a.version || b.version) return a.version && b.version && *a.version == *b.version;
  return a.row->description == b.row->description;
}

std::string applied_on(const HistoryRow& row) {
  return row.installed_on.empty() ? std::string() : " on " + row.installed_on;
}

class Planner {
 public:
  Planner(const std::vector<MigrationScript>& scripts, const std::vector<HistoryRow>& history,
          const PlanOptions& options)
      : options_(options) {
    read_history(history);
    index_scripts(scripts);
  }

  MigrationPlan run() {
    for (size_t i = 0; i < applied_.size(); ++i) plan_.info.push_back(judge_history_row(i));
    for (const MigrationScript* script : versioned_) judge_versioned_script(*script);
    for (const MigrationScript* script : repeatable_) judge_repeatable_script(*script);
    plan_.current = current_;
    plan_.older_release = behind();
    return std::move(plan_);
  }

 private:
  void read_history(const std::vector<HistoryRow>& history) {
    for (const HistoryRow& row : history) {
      Applied applied{&row, std::nullopt, false};
      if (row.version) applied.version = parse_history_version(row);
      // Flyway Teams' undo (UNDO_SQL, UNDO_JDBC...) takes the version back as a DELETE row
      // does: the version is pending again, as Flyway's migrate after `flyway undo` finds it.
      if (row.type == kTypeDelete || row.type.starts_with(kTypeUndoPrefix)) {
        applied.deleted = true;
        for (Applied& earlier : applied_) {
          if (!is_marker(*earlier.row) && same_migration(earlier, applied)) earlier.deleted = true;
        }
      }
      applied_.push_back(std::move(applied));
    }
    for (size_t i = 0; i < applied_.size(); ++i) {
      const Applied& applied = applied_[i];
      if (applied.deleted || is_marker(*applied.row)) continue;
      if (applied.row->type == kHistoryTypeBaseline) {
        if (applied.row->success && applied.version) raise(baseline_, *applied.version);
      } else if (applied.version) {
        latest_versioned_[*applied.version] = i;  // rows come by rank: the last one wins
        if (applied.row->success) raise(newest_migrated_, *applied.version);
      } else {
        latest_repeatable_[applied.row->description] = i;
      }
      if (applied.version && applied.row->success) raise(current_, *applied.version);
    }
  }

  static Version parse_history_version(const HistoryRow& row) {
    try {
      return Version::parse(*row.version);
    } catch (const Error&) {
      throw Error(ErrorCode::kBadInput,
                  fmt::format("history row {} ({}) has version '{}', which is not a Flyway version",
                              row.installed_rank, row.script, *row.version),
                  "the history table was not written by Flyway or cutover; check that row");
    }
  }

  // Whether a newer release migrated the database: a version it applied (not a baseline) is
  // above every file.
  bool behind() const {
    return newest_migrated_ && (!newest_on_disk_ || *newest_on_disk_ < *newest_migrated_);
  }

  static void raise(std::optional<Version>& highest, const Version& version) {
    if (!highest || *highest < version) highest = version;
  }

  void index_scripts(const std::vector<MigrationScript>& scripts) {
    for (const MigrationScript& script : scripts) {
      if (script.kind == MigrationKind::kVersioned && script.version) {
        versioned_.push_back(&script);
        by_version_.emplace(*script.version, &script);
        raise(newest_on_disk_, *script.version);
      } else {
        repeatable_.push_back(&script);
        by_description_.emplace(script.description, &script);
      }
    }
    std::stable_sort(versioned_.begin(), versioned_.end(),
                     [](const MigrationScript* a, const MigrationScript* b) {
                       return *a->version < *b->version;
                     });
  }

  // --- the history, row by row ---

  InfoRow judge_history_row(size_t index) {
    const Applied& applied = applied_[index];
    const HistoryRow& row = *applied.row;
    InfoRow info;
    info.version = row.version;
    info.description = row.description;
    info.type = row.type;
    info.script = row.script;
    info.installed_rank = row.installed_rank;
    info.installed_on = row.installed_on;
    if (applied.deleted) {
      info.state = MigrationState::kDeleted;
    } else if (is_marker(row)) {
      info.state = MigrationState::kSuccess;
    } else if (row.type == kHistoryTypeBaseline) {
      info.state = MigrationState::kBaseline;
    } else if (applied.version) {
      info.state = judge_applied_version(applied, latest_versioned_.at(*applied.version) == index);
    } else {
      info.state = judge_applied_repeatable(row, latest_repeatable_.at(row.description) == index);
    }
    return info;
  }

  MigrationState judge_applied_version(const Applied& applied, bool latest) {
    const HistoryRow& row = *applied.row;
    if (!latest) return row.success ? MigrationState::kSuccess : MigrationState::kFailed;
    auto found = by_version_.find(*applied.version);
    const MigrationScript* script = found == by_version_.end() ? nullptr : found->second;
    if (!row.success) {
      add_failed(row, fmt::format("version {} ({})", row.version.value_or(""), row.script));
      return MigrationState::kFailed;
    }
    if (!script) return judge_version_not_on_disk(applied);
    if (row.checksum != script->checksum) {
      add(ProblemKind::kChecksumMismatch,
          fmt::format("{} (version {}) was changed after it was applied{}: checksum {} in the "
                      "history, {} on disk",
                      script->file_name, script->version->to_string(), applied_on(row),
                      checksum_text(row.checksum), script->checksum),
          "undo the edit: an applied migration must stay as it ran, and a new change goes in a "
          "new V file. If the edit changes nothing (a comment, spacing), run `cutover migrate "
          "repair` after reviewing it to record the new checksum");
    }
    if (row.description != script->description) {
      add(ProblemKind::kDescriptionMismatch,
          fmt::format("{} (version {}) was applied as {} but its file name now says {}",
                      script->file_name, script->version->to_string(), quoted_text(row.description),
                      quoted_text(script->description)),
          fmt::format("rename the file back to the name it was applied with ({}), or run "
                      "`cutover migrate repair` to record the new description",
                      row.script));
    }
    return MigrationState::kSuccess;
  }

  MigrationState judge_version_not_on_disk(const Applied& applied) {
    const HistoryRow& row = *applied.row;
    if (!newest_on_disk_ || *newest_on_disk_ < *applied.version) {
      add(ProblemKind::kFutureVersion,
          fmt::format("version {} ({}) was applied{} but is newer than every file on disk ({})",
                      row.version.value_or(""), row.script, applied_on(row),
                      newest_on_disk_ ? "the newest is version " + newest_on_disk_->to_string()
                                      : "there are no versioned files"),
          "a newer release has migrated this database: run that release's migrations, or "
          "ignore this while that release is rolling out");
      return MigrationState::kFuture;
    }
    if (row.type != kHistoryTypeSql) {
      // A Java migration (JDBC, SPRING_JDBC) or another kind: no file could be put back.
      const bool java = row.type.find("JDBC") != std::string::npos;
      add(ProblemKind::kMissing,
          fmt::format("version {} ({}) was applied{} by Flyway as a migration of type {}{}, "
                      "which cutover cannot run or check: it runs SQL files only",
                      row.version.value_or(""), row.script, applied_on(row), row.type,
                      java ? " (Java)" : ""),
          "the database keeps what it did. To go on without it, record it as Flyway 9's repair "
          "records a migration that is gone (a history row of type DELETE with its version and "
          "script): migrate then counts it as deleted and applies the files after it");
      return MigrationState::kMissing;
    }
    add(ProblemKind::kMissing,
        fmt::format("version {} ({}) was applied{} but no file on disk has that version",
                    row.version.value_or(""), row.script, applied_on(row)),
        fmt::format("put {} back in the migrations folder: files that were applied must stay",
                    row.script));
    return MigrationState::kMissing;
  }

  MigrationState judge_applied_repeatable(const HistoryRow& row, bool latest) {
    if (!latest) return MigrationState::kSuperseded;
    auto found = by_description_.find(row.description);
    const MigrationScript* script = found == by_description_.end() ? nullptr : found->second;
    if (!row.success) {
      add_failed(row, fmt::format("repeatable migration {}", row.script));
      return MigrationState::kFailed;
    }
    if (!script && behind()) {
      // A newer release added it: normal while that release rolls out, like its versions.
      add(ProblemKind::kFutureVersion,
          fmt::format("repeatable migration {} ({}) was applied{} but is not on disk, and the "
                      "database is at version {}, newer than every file here: a newer "
                      "release added it",
                      row.script, quoted_text(row.description), applied_on(row),
                      newest_migrated_->to_string()),
          "run that release's migrations, or ignore this while that release is rolling out");
      return MigrationState::kFuture;
    }
    if (!script) {
      add(ProblemKind::kMissingRepeatable,
          fmt::format("repeatable migration {} ({}) was applied{} but is not on disk", row.script,
                      quoted_text(row.description), applied_on(row)),
          fmt::format("nothing to apply: if a newer release added it, this is normal while it "
                      "rolls out; if {} was removed on purpose, what it created stays",
                      row.script));
      return MigrationState::kMissing;
    }
    return row.checksum == script->checksum ? MigrationState::kSuccess : MigrationState::kOutdated;
  }

  void add_failed(const HistoryRow& row, const std::string& what) {
    add(ProblemKind::kFailed,
        fmt::format("{} failed when it was applied{} and is recorded as failed in the history "
                    "(installed_rank {})",
                    what, applied_on(row), row.installed_rank),
        "check what the script left behind and fix the database by hand, then run `cutover "
        "migrate repair` to remove the failed row, and migrate again");
  }

  // --- the files not yet in the history ---

  void judge_versioned_script(const MigrationScript& script) {
    const Version& version = *script.version;
    if (latest_versioned_.contains(version)) return;  // shown with its history row
    if (baseline_ && version == *baseline_) return;   // the baseline row stands for it
    if (baseline_ && version < *baseline_) {
      add_file_info(script, MigrationState::kBelowBaseline);
    } else if (options_.target && *options_.target < version) {
      add_file_info(script, MigrationState::kAboveTarget);
    } else if (current_ && version < *current_ && !options_.out_of_order) {
      add(ProblemKind::kOutOfOrder,
          fmt::format("{} (version {}) has not been applied, but the database is already at "
                      "version {}",
                      script.file_name, version.to_string(), current_->to_string()),
          fmt::format("give it a version above {} (rename the file), or pass --out-of-order to "
                      "apply it anyway",
                      current_->to_string()));
      add_file_info(script, MigrationState::kIgnored);
    } else {
      add_pending(script);
    }
  }

  void judge_repeatable_script(const MigrationScript& script) {
    auto latest = latest_repeatable_.find(script.description);
    if (latest != latest_repeatable_.end()) {
      const HistoryRow& row = *applied_[latest->second].row;
      if (row.success && row.checksum == script.checksum) return;  // up to date
    }
    if (behind()) {
      // An instance of an older release, started while a newer one rolls out: its repeatable
      // would replace the newer release's (which then would not be applied again: see below).
      add(ProblemKind::kOlderRepeatable,
          fmt::format(
              "{} is not applied: the database is at version {}, newer than every file "
              "here (the newest is {}); this is an older release's file",
              script.file_name, newest_migrated_->to_string(),
              newest_on_disk_ ? "version " + newest_on_disk_->to_string() : "no versioned file"),
          "run the newest release's migrations");
      add_file_info(script, MigrationState::kSuperseded);
      return;
    }
    if (latest != latest_repeatable_.end()) {
      const HistoryRow& row = *applied_[latest->second].row;
      const HistoryRow* older = first_run_with(script.description, script.checksum);
      const HistoryRow* replacing = first_run_with(row.description, row.checksum);
      // Ours was first applied before the content that replaced it: an instance of the older
      // release, started again while a newer one rolls out, would put its content back over
      // the newer release's (and the newer's instances theirs). The other way round (the
      // older release put its content back over ours, as Flyway does), ours is the newer.
      if (older && replacing && older->installed_rank < replacing->installed_rank) {
        add(ProblemKind::kOlderRepeatable,
            fmt::format("{} is not applied: its content is the one applied at rank {}{}, which "
                        "rank {} ({}) replaced; this is an older release's file",
                        script.file_name, older->installed_rank, applied_on(*older),
                        row.installed_rank, row.script),
            fmt::format("run the newest release's migrations; to apply this content again on "
                        "purpose, change the file (a comment will do)"));
        add_file_info(script, MigrationState::kSuperseded);
        return;
      }
    }
    add_pending(script);
  }

  // The first successful run of the repeatable migration `description` with `checksum`;
  // nullptr when there is none.
  const HistoryRow* first_run_with(const std::string& description,
                                   std::optional<std::int32_t> checksum) const {
    for (const Applied& applied : applied_) {
      if (applied.deleted || applied.version || is_marker(*applied.row)) continue;
      const HistoryRow& row = *applied.row;
      if (row.description == description && row.success && row.checksum == checksum) return &row;
    }
    return nullptr;
  }

  void add_pending(const MigrationScript& script) {
    plan_.pending.push_back(script);
    add_file_info(script, MigrationState::kPending);
  }

  void add_file_info(const MigrationScript& script, MigrationState state) {
    InfoRow info;
    if (script.version) info.version = script.version->to_string();
    info.description = script.description;
    info.type = std::string(kHistoryTypeSql);
    info.script = script.file_name;
    info.state = state;
    plan_.info.push_back(std::move(info));
  }

  void add(ProblemKind kind, std::string message, std::string hint) {
    plan_.problems.push_back(Problem{kind, std::move(message), std::move(hint)});
  }

  const PlanOptions& options_;
  std::vector<Applied> applied_;                     // the history, by installed_rank
  std::map<Version, size_t> latest_versioned_;       // version -> its last live row
  std::map<std::string, size_t> latest_repeatable_;  // description -> its last live row
  std::optional<Version> baseline_;
  std::optional<Version> current_;
  std::optional<Version> newest_migrated_;         // the highest version applied, baselines aside
  std::vector<const MigrationScript*> versioned_;  // by version
  std::vector<const MigrationScript*> repeatable_;
  std::map<Version, const MigrationScript*> by_version_;
  std::map<std::string, const MigrationScript*> by_description_;
  std::optional<Version> newest_on_disk_;
  MigrationPlan plan_;
};

}  // namespace

const char* problem_kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kChecksumMismatch:
      return "checksum_mismatch";
    case ProblemKind::kDescriptionMismatch:
      return "description_mismatch";
    case ProblemKind::kFailed:
      return "failed";
    case ProblemKind::kMissing:
      return "missing";
    case ProblemKind::kFutureVersion:
      return "future_version";
    case ProblemKind::kOutOfOrder:
      return "out_of_order";
    case ProblemKind::kOlderRepeatable:
      return "older_repeatable";
    case ProblemKind::kMissingRepeatable:
      return "missing_repeatable";
  }
  return "unknown";
}

const char* state_name(MigrationState state) {
  switch (state) {
    case MigrationState::kPending:
      return "Pending";
    case MigrationState::kSuccess:
      return "Success";
    case MigrationState::kFailed:
      return "Failed";
    case MigrationState::kBaseline:
      return "Baseline";
    case MigrationState::kBelowBaseline:
      return "Below Baseline";
    case MigrationState::kAboveTarget:
      return "Above Target";
    case MigrationState::kIgnored:
      return "Ignored";
    case MigrationState::kMissing:
      return "Missing";
    case MigrationState::kFuture:
      return "Future";
    case MigrationState::kOutdated:
      return "Outdated";
    case MigrationState::kSuperseded:
      return "Superseded";
    case MigrationState::kDeleted:
      return "Deleted";
  }
  return "Unknown";
}

bool MigrationPlan::has_problem(ProblemKind kind) const {
  return std::any_of(problems.begin(), problems.end(),
                     [kind](const Problem& problem) { return problem.kind == kind; });
}

MigrationPlan plan_migrations(const std::vector<MigrationScript>& scripts,
                              const std::vector<HistoryRow>& history, const PlanOptions& options) {
  return Planner(scripts, history, options).run();
}

}  // namespace cutover::migrate
