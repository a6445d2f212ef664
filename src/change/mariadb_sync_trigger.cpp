// The triggers that keep the old and the new shape in sync on MariaDB.
#include "change/mariadb_sync_trigger.h"

#include <fmt/format.h>

#include "db/mariadb/mariadb_params.h"

namespace cutover::change {

Step create_mariadb_trigger(const ChangeContext& context, const MariaDbTrigger& trigger) {
  const std::string version = fmt::format("'{}'", context.change);  // an identifier: no quote
  const std::string writes =
      trigger.writer == MariaDbTrigger::Writer::kNewVersion
          ? fmt::format("{} = {}", kMariaDbVersionVariable, version)
          : fmt::format("COALESCE({}, '') <> {}", kMariaDbVersionVariable, version);
  const char* row = trigger.event == "DELETE" ? "OLD" : "NEW";
  std::string declarations;
  for (const auto& v : trigger.variables) {
    declarations += fmt::format("DECLARE {} {} DEFAULT {}.{}; ", ChangeContext::quote(v.name),
                                v.type, row, ChangeContext::quote(v.column));
  }
  // The body in a block of its own, entered only for the version's writes: the other
  // version's writes run none of its statements, and so no write that MariaDB would refuse.
  return {.what = fmt::format("create trigger {} on {}", trigger.name, trigger.table),
          // Backticks, not the session's ANSI quotes: the body must parse under any sql_mode.
          .sql = db::mariadb::backquote_identifiers(fmt::format(
              "CREATE TRIGGER IF NOT EXISTS {} {} {} ON {} FOR EACH ROW BEGIN IF {} THEN BEGIN "
              "{}{} END; END IF; END",
              ChangeContext::quote(trigger.name), trigger.timing, trigger.event,
              context.table(trigger.table), writes, declarations, trigger.body)),
          .trigger = trigger.name};
}

}  // namespace cutover::change
