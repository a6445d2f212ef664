// `move finalize`: the target opened to the roles that could use the source, the switch hooks
// run, the sources left frozen as the way back.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "move/move_step.h"
#include "move/proxy_handoff.h"
#include "move/target_database.h"
#include "move/target_writes.h"

namespace cutover::move {

namespace {

// PostgreSQL: each target database gets the access its source gives, after what its tables
// have received so far is recorded for abort to compare with.
void open_postgres_targets(MoveStepRun& run) {
  auto server = run.target_server();
  for (const auto& d : run.record().plan.databases) {
    const std::string& name = d.target_name;
    if (run.store().fact(run.id(), "opened:" + name)) continue;
    run.store().set_fact(run.id(), "writes:" + name, write_counters(*run.target(name)));
    auto db_fact = run.store().fact(run.id(), "db:" + name);
    if (db_fact && !db_fact->at("existed").get<bool>()) {
      open_target_database(*server, name, DatabaseProperties::from_json(db_fact->at("properties")));
    }
    run.store().set_fact(run.id(), "opened:" + name, true);
    run.log("opened",
            fmt::format("{} is open to the roles that could use {}", name, d.source_name()),
            {{"database", name}});
  }
}

}  // namespace

MoveRecord finalize_move(MoveStepRun& run) {
  MoveRecord& record = run.record();
  require_step(record, MoveStep::kCopied, "finalize runs after data");
  if (record.plan.engine() == Scheme::kPostgres) open_postgres_targets(run);
  // SQLite files have no access of their own to give.
  if (record.plan.engine() == Scheme::kMariaDb) open_mariadb_targets(run);
  switch_proxy_to_target(run);
  run_hooks(run, record.plan.switch_commands, "switch");
  record = run.store().advance(record.id, MoveStep::kCopied, MoveStep::kFinalized,
                               "finalized: the target is in use; the sources stay frozen as "
                               "the way back (cutover move abort switches back)");
  return record;
}

}  // namespace cutover::move
