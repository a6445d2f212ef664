// `move cleanup`: the end of a finalized move; with --drop-source, the frozen sources dropped.
#include <fmt/format.h>

#include <filesystem>

#include "core/error.h"
#include "move/database_address.h"
#include "move/move_step.h"
#include "move/target_database.h"

namespace cutover::move {

MoveRecord cleanup_move(MoveStepRun& run) {
  MoveRecord& record = run.record();
  require_step(record, MoveStep::kFinalized, "cleanup runs after finalize");
  if (run.options().drop_source) {
    for (const auto& d : record.plan.databases) {
      if (record.plan.engine() == Scheme::kMariaDb) {
        drop_mariadb_source(run, d);
        continue;
      }
      if (record.plan.engine() == Scheme::kSqlite) {
        drop_sqlite_source(run, d);
        continue;
      }
      // Another database of the source's server to connect to while dropping it.
      std::string other = d.source_name() == "postgres" ? "template1" : "postgres";
      auto server = db::connect(url_with_database(d.source, other), run.connect());
      drop_database(*server, d.source_name());
      run.log("dropped", fmt::format("{}: the source database is dropped", d.source_name()),
              {{"database", d.source_name()}});
    }
  }
  for (const auto& server : record.plan.frozen_servers()) {
    run.log("frozen",
            fmt::format("{}: read_only stays ON, as the move left it; SET GLOBAL read_only = OFF "
                        "there once nothing on that server needs the freeze",
                        server),
            {{"server", server}});
  }
  std::error_code ignored;
  for (const auto& d : record.plan.databases) {
    std::filesystem::remove(run.schema_file(d.target_name), ignored);
  }
  run.store().erase_facts(run.id(), "");
  record = run.store().advance(
      record.id, MoveStep::kFinalized, MoveStep::kCleaned,
      run.options().drop_source
          ? "cleaned: the source databases are dropped"
          : "cleaned: the move is over; the source databases are kept, frozen (drop them "
            "yourself, or run cleanup with --drop-source before this)");
  return record;
}

}  // namespace cutover::move
