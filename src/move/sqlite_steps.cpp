// The steps of a move of SQLite files to another directory (another disk, another machine's
// mount): data freezes each source with a trigger on every table that refuses writes, copies
// the file with SQLite's online backup API, drops the freeze triggers from the copy and
// verifies every table; abort drops the triggers from the sources and deletes the copies.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "db/error_kind.h"
#include "db/sqlite/sqlite_backup.h"
#include "move/copy_records.h"
#include "move/database_address.h"
#include "move/move_step.h"
#include "move/sqlite_facts.h"
#include "move/table_comparison.h"

namespace cutover::move {
namespace {

namespace fs = std::filesystem;

std::string source_path(const DatabaseMapping& d) { return d.source_name(); }
std::string target_path(MoveStepRun& run, const DatabaseMapping& d) {
  return parse_connection_url(run.target_url(d.target_name)).database;
}
// The copy is written under this name and renamed when complete: a crash never leaves a file
// under the final name that looks whole.
std::string partial_path(MoveStepRun& run, const DatabaseMapping& d) {
  return target_path(run, d) + ".cutover-partial";
}

void remove_database_file(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ignored);
}

void prepare_file(MoveStepRun& run, const DatabaseMapping& d) {
  std::string path = target_path(run, d);
  if (run.store().fact(run.id(), "db:" + d.target_name)) return;
  std::error_code error;
  if (fs::exists(path, error) && fs::file_size(path, error) > 0) {
    throw Error(ErrorCode::kBadInput, fmt::format("the target file {} exists now", path),
                fmt::format("move it away, or abort this move and create one with another name "
                            "(cutover move abort {})",
                            run.id()));
  }
  fs::create_directories(fs::path(path).parent_path(), error);
  run.store().set_fact(run.id(), "db:" + d.target_name, {{"existed", false}});
  run.log("database", fmt::format("{}: the copy will be {}", d.source_name(), path),
          {{"database", d.target_name}});
}

void freeze_file(MoveStepRun& run, const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  if (run.store().fact(run.id(), "frozen:" + name)) return;
  std::string at;
  std::string proof;
  if (run.record().plan.freeze == FreezeMode::kHook) {
    at = freeze_by_hooks(run);
  } else {
    auto source = run.source(d);
    // The write lock, waited for up to the drain timeout: a write transaction under way
    // finishes first (SQLite cannot cancel another process's).
    source->set_timeouts({run.options().drain_timeout, {}});
    try {
      source->begin();
    } catch (const Error& e) {
      if (db::classify(db::Flavor::kSqlite, e) != db::ErrorKind::kLockTimeout) throw;
      throw e.restated(ErrorCode::kOperationFailed,
                       fmt::format("{}: no write lock within {} ms: {}", d.source_name(),
                                   run.options().drain_timeout.count(), e.message()),
                       "a write transaction held it that long; end it, or give more "
                       "--drain-timeout, then run cutover move data again");
    }
    // Listed under the lock: no table appears meanwhile. Recorded before they exist (IF NOT
    // EXISTS: an earlier run's may be there), so that abort drops whatever a crash left.
    auto triggers = freeze_trigger_statements(*source, run.id());
    nlohmann::json names = nlohmann::json::array();
    for (const auto& t : triggers) names.push_back(t.name);
    run.store().set_fact(run.id(), "freeze-triggers:" + name, names);
    for (const auto& t : triggers) source->execute(t.create);
    source->commit();
    at = utc_now();
    proof = prove_sqlite_freeze(*source);
    run.log("freeze",
            fmt::format("{}: writes frozen by {} triggers", d.source_name(), triggers.size()),
            {{"database", d.source_name()}, {"triggers", triggers.size()}});
  }
  run.store().set_fact(run.id(), "frozen:" + name, {{"at", at}, {"proof", proof}});
  run.log("frozen",
          fmt::format("{}: frozen{}", d.source_name(), proof.empty() ? "" : ", proven: " + proof),
          {{"database", d.source_name()}, {"proof", proof}});
}

void copy_file(MoveStepRun& run, const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  if (run.store().fact(run.id(), "copied:" + name + ":file")) return;
  std::string partial = partial_path(run, d);
  remove_database_file(partial);
  std::int64_t page_size = 0, pages = 0;
  {
    auto source = run.source(d);
    page_size = source->query("PRAGMA page_size").rows.at(0)[0].as_int();
    pages = source->query("PRAGMA page_count").rows.at(0)[0].as_int();
  }
  ProgressReporter progress(run.output(), "copy " + d.source_name(), "pages", pages);
  auto started = std::chrono::steady_clock::now();
  db::sqlite::backup_database(
      source_path(d), partial,
      [&](std::int64_t done, std::int64_t total) {
        pages = total;
        progress.update(done, done * page_size);
      },
      [] { return interrupted(); });
  progress.finish();
  {
    // The copy holds the source's freeze triggers: the target is not frozen.
    auto copy = db::connect("sqlite:" + partial, run.connect());
    if (auto names = run.store().fact(run.id(), "freeze-triggers:" + name)) {
      for (const auto& t : *names) {
        copy->execute("DROP TRIGGER IF EXISTS " + copy->quote_identifier(t.get<std::string>()));
      }
    }
  }
  std::error_code error;
  if (fs::exists(target_path(run, d), error)) {
    throw Error(ErrorCode::kOperationFailed,
                fmt::format("{} appeared during the move: the copy is left as {}",
                            target_path(run, d), partial),
                "move that file away, then run cutover move data again (or cutover move abort)");
  }
  fs::rename(partial, target_path(run, d));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  run.store().set_fact(run.id(), "copied:" + name + ":file",
                       {{"pages", pages}, {"bytes", pages * page_size}});
  run.say("table",
          fmt::format("{}: copied to {} ({} pages, {:.1f} s)", d.source_name(), target_path(run, d),
                      pages, seconds),
          {{"database", d.source_name()},
           {"table", "(file)"},
           {"bytes", pages * page_size},
           {"seconds", seconds}});
}

void verify_file(MoveStepRun& run, const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  TableComparisonRequest request;
  request.tables = sqlite_tables(*run.source(d));
  request.open_source = [&] { return run.source(d); };
  request.open_target = [&] { return run.target(name); };
  request.sum = sqlite_table_sum;
  ProgressReporter progress(run.output(), "verify " + d.source_name(), "tables",
                            static_cast<std::int64_t>(request.tables.size()));
  TableComparison compared = compare_tables(request, progress);
  std::vector<std::string>& differences = compared.differences;
  auto left = run.target(name)->query(
      fmt::format("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '{}%'",
                  kFreezeTriggerPrefix));
  if (left.rows.at(0)[0].as_int() > 0) {
    differences.push_back("the copy still holds freeze triggers, which would refuse every write");
  }
  if (auto difference = schema_difference(sqlite_schema_text(*run.source(d)),
                                          sqlite_schema_text(*run.target(name)));
      !difference.empty()) {
    differences.push_back(difference);
  }
  record_verification(run, d, target_path(run, d), request.tables.size(), compared, "schema");
}

}  // namespace

MoveRecord prepare_sqlite_move(MoveStepRun& run) {
  MoveRecord& record = run.record();
  for (const auto& d : record.plan.databases) prepare_file(run, d);
  record = run.store().advance(record.id, MoveStep::kCreated, MoveStep::kPrepared,
                               "prepared: the target directory is ready for the copies");
  return record;
}

MoveRecord copy_sqlite_move_data(MoveStepRun& run) {
  MoveRecord& record = run.record();
  auto started = std::chrono::steady_clock::now();
  for (const auto& d : record.plan.databases) freeze_file(run, d);
  for (const auto& d : record.plan.databases) {
    if (run.store().fact(run.id(), "verified:" + d.target_name)) continue;
    copy_file(run, d);
    verify_file(run, d);
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  record = run.store().advance(
      record.id, MoveStep::kPrepared, MoveStep::kCopied,
      fmt::format("copied and verified in {:.1f} s; the sources stay frozen", seconds));
  return record;
}

std::vector<std::string> sqlite_target_writes(MoveStepRun& run) {
  std::vector<std::string> written;
  for (const auto& d : run.record().plan.databases) {
    auto verified = run.store().fact(run.id(), "verified:" + d.target_name);
    if (!verified) continue;
    auto target = run.target(d.target_name);
    const nlohmann::json& sums = verified->at("sums");
    for (const auto& table : sqlite_tables(*target)) {
      if (!sums.contains(table)) {
        if (sqlite_table_sum(*target, table).rows > 0) {
          written.push_back(d.target_name + ": " + table + " (a table made since data)");
        }
      } else if (sqlite_table_sum(*target, table) != TableSum::from_json(sums.at(table))) {
        written.push_back(d.target_name + ": " + table);
      }
    }
  }
  return written;
}

void undo_sqlite_move(MoveStepRun& run) {
  for (const auto& d : run.record().plan.databases) {
    auto names = run.store().fact(run.id(), "freeze-triggers:" + d.target_name);
    if (!names) continue;
    auto source = run.source(d);
    source->begin();
    for (const auto& t : *names) {
      source->execute("DROP TRIGGER IF EXISTS " + source->quote_identifier(t.get<std::string>()));
    }
    source->commit();
    run.store().erase_facts(run.id(), "freeze-triggers:" + d.target_name);
    run.log("unfrozen", fmt::format("{}: the freeze triggers are dropped", d.source_name()),
            {{"database", d.source_name()}});
  }
  unfreeze_by_hooks(run);
  for (const auto& d : run.record().plan.databases) {
    if (!run.store().fact(run.id(), "db:" + d.target_name)) continue;
    remove_database_file(partial_path(run, d));
    // Only a copy this move made: a file put there by someone else stays.
    if (run.store().fact(run.id(), "copied:" + d.target_name + ":file")) {
      remove_database_file(target_path(run, d));
    }
    run.store().erase_facts(run.id(), "db:" + d.target_name);
    run.log("target", fmt::format("{}: deleted", target_path(run, d)),
            {{"database", d.target_name}});
  }
}

void drop_sqlite_source(MoveStepRun& run, const DatabaseMapping& d) {
  remove_database_file(source_path(d));
  run.log("dropped", fmt::format("{}: the source file is deleted", d.source_name()),
          {{"database", d.source_name()}});
}

}  // namespace cutover::move
