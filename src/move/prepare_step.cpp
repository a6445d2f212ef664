// `move prepare`: the target databases created like the sources and given their schema before
// data (everything but indexes, constraints and triggers), closed to applications.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "move/move_step.h"
#include "move/pg_facts.h"
#include "move/pg_tools.h"
#include "move/target_database.h"

namespace cutover::move {
namespace {

void prepare_database(MoveStepRun& run, const DatabaseMapping& d) {
  const std::string& name = d.target_name;
  const std::string key = "db:" + name;
  auto source = run.source(d);
  DatabaseProperties properties = read_database_properties(*source);
  auto server = run.target_server();

  // The intent is recorded before CREATE DATABASE, so that a crash right after it leaves a
  // database that abort knows to drop.
  auto fact = run.store().fact(run.id(), key);
  if (!fact) {
    bool existed = target_database_exists(*server, name);
    if (existed) {
      auto contents = read_database_contents(*run.target(name));
      if (contents.count > 0) {
        std::string sample;
        for (const auto& s : contents.sample) sample += (sample.empty() ? "" : ", ") + s;
        throw Error(ErrorCode::kBadInput,
                    fmt::format("the target database {} is not empty any more: {} objects ({})",
                                name, contents.count, sample),
                    fmt::format("empty it, or abort this move and create one with another name "
                                "(cutover move abort {})",
                                run.id()));
      }
    }
    fact = nlohmann::json{{"existed", existed}, {"properties", properties.to_json()}};
    run.store().set_fact(run.id(), key, *fact);
  }
  if (!target_database_exists(*server, name)) {
    create_target_database(*server, name, properties, run.record().plan.owner);
    run.log("database",
            fmt::format("created database {} on the target (closed to applications "
                        "until finalize)",
                        name),
            {{"database", name}});
  }

  if (run.store().fact(run.id(), "pre-data:" + name)) return;
  std::string file = run.schema_file(name);
  dump_schema(run.source_tool(d), file);
  restore_schema(run.target_tool(name), file, "pre-data", 1, run.record().plan.owner);
  run.store().set_fact(run.id(), "pre-data:" + name, true);
  run.log("schema",
          fmt::format("{}: schema before data restored into {} (indexes, constraints and "
                      "triggers come after the data)",
                      d.source_name(), name),
          {{"database", name}});
}

}  // namespace

MoveRecord prepare_move(MoveStepRun& run) {
  MoveRecord& record = run.record();
  require_step(record, MoveStep::kCreated, "prepare runs right after create");
  if (run.record().plan.engine() == Scheme::kMariaDb) return prepare_mariadb_move(run);
  if (run.record().plan.engine() == Scheme::kSqlite) return prepare_sqlite_move(run);
  for (const auto& d : record.plan.databases) prepare_database(run, d);
  record = run.store().advance(
      record.id, MoveStep::kCreated, MoveStep::kPrepared,
      fmt::format("prepared: {} database{} created with their schema", record.plan.databases.size(),
                  record.plan.databases.size() == 1 ? "" : "s"));
  return record;
}

}  // namespace cutover::move
