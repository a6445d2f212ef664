// `move abort`: at any step, also after a crash: switch back if finalized, give the sources
// their write privileges back exactly, and drop what the move created on the target.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "move/move_step.h"
#include "move/privilege_freeze.h"
#include "move/proxy_handoff.h"
#include "move/target_database.h"
#include "move/target_writes.h"

namespace cutover::move {
namespace {

// After finalize the target is the live database: refuse to throw its new writes away. The
// statistics answer at once but lag (a second, or up to ten while the writer's session stays
// open); the checksums of every table, against those data verified, miss no commit.
void check_target_writes(MoveStepRun& run) {
  std::vector<std::string> written;
  if (run.record().plan.engine() == Scheme::kMariaDb) written = mariadb_target_writes(run);
  if (run.record().plan.engine() == Scheme::kSqlite) written = sqlite_target_writes(run);
  for (const auto& d : run.record().plan.databases) {
    auto before = run.store().fact(run.id(), "writes:" + d.target_name);
    if (!before) continue;
    auto target = run.target(d.target_name);
    for (const auto& t : tables_written_since(*target, *before)) {
      written.push_back(d.target_name + ": " + t);
    }
    if (!written.empty()) continue;  // refused already: spare the scan
    auto verified = run.store().fact(run.id(), "verified:" + d.target_name);
    if (!verified || !verified->contains("sums")) continue;  // verified by an older cutover
    const nlohmann::json& sums = verified->at("sums");
    ProgressReporter progress(run.output(), "check " + d.target_name + " for writes", "tables",
                              static_cast<std::int64_t>(sums.size()));
    for (const auto& t : tables_changed_since(*target, sums, progress)) {
      written.push_back(d.target_name + ": " + t);
    }
  }
  if (written.empty()) return;
  std::string list;
  for (const auto& w : written) list += (list.empty() ? "" : ", ") + w;
  throw Error(ErrorCode::kConflict,
              "the target has received writes since finalize, which an abort would lose: " + list,
              fmt::format("copy them back by hand first, or throw them away with cutover move "
                          "abort {} --discard-target-writes; nothing was changed",
                          run.id()));
}

void unfreeze_sources(MoveStepRun& run) {
  for (const auto& d : run.record().plan.databases) {
    auto saved = run.store().fact(run.id(), "freeze:" + d.target_name);
    if (!saved) continue;
    FreezeRecord record = FreezeRecord::from_json(saved->at("grants"));
    int granted = restore_writes(*run.source(d), record);
    run.store().erase_facts(run.id(), "freeze:" + d.target_name);
    run.store().erase_facts(run.id(), "frozen:" + d.target_name);
    run.log("unfrozen",
            fmt::format("{}: write privileges restored exactly as they were ({} granted back)",
                        d.source_name(), granted),
            {{"database", d.source_name()}, {"granted", granted}});
  }
  unfreeze_by_hooks(run);
  unfreeze_through_proxy(run);
}

void remove_targets(MoveStepRun& run) {
  std::unique_ptr<db::Connection> server;
  for (const auto& d : run.record().plan.databases) {
    const std::string& name = d.target_name;
    auto fact = run.store().fact(run.id(), "db:" + name);
    if (!fact) continue;
    if (!server) server = run.target_server();
    if (fact->at("existed").get<bool>()) {
      empty_database(*run.target(name));
      run.log("target", fmt::format("{}: emptied (it existed, empty, before the move)", name),
              {{"database", name}});
    } else {
      drop_database(*server, name);
      run.log("target", fmt::format("{}: dropped from the target", name), {{"database", name}});
    }
    run.store().erase_facts(run.id(), "db:" + name);
  }
}

}  // namespace

MoveRecord abort_move(MoveStepRun& run) {
  MoveRecord& record = run.record();
  MoveStep from = record.step;
  if (from == MoveStep::kAborted) return record;
  if (from == MoveStep::kCleaned) {
    throw Error(
        ErrorCode::kBadInput,
        fmt::format("move {} is finished and cleaned up; there is nothing to abort", record.id),
        "start a new move the other way round if the databases must go back");
  }
  // A proxy switched to the target (by finalize, or by one that crashed midway) is switched
  // back first: its writes to the target stop before they are checked.
  auto check_writes = [&] {
    if (!run.options().discard_target_writes) check_target_writes(run);
  };
  switch_proxy_back(run, check_writes);
  if (from == MoveStep::kFinalized) {
    if (record.plan.proxy_admins.empty()) check_writes();
    run_hooks(run, record.plan.switch_back_commands, "switch-back");
  }
  if (record.plan.engine() == Scheme::kMariaDb) {
    undo_mariadb_move(run);
  } else if (record.plan.engine() == Scheme::kSqlite) {
    undo_sqlite_move(run);
  } else {
    unfreeze_sources(run);
    remove_targets(run);
  }
  std::error_code ignored;
  for (const auto& d : record.plan.databases) {
    std::filesystem::remove(run.schema_file(d.target_name), ignored);
  }
  run.store().erase_facts(run.id(), "");
  record = run.store().advance(
      record.id, from, MoveStep::kAborted,
      from == MoveStep::kCreated
          ? "aborted at step created: nothing existed on the target yet, and the sources were "
            "never changed; its databases are free for another move"
          : fmt::format("aborted at step {}: the sources are as they were, and what the move "
                        "created on the target is gone; its databases are free for another move",
                        step_name(from)));
  return record;
}

}  // namespace cutover::move
