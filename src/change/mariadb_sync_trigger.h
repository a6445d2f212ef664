// The triggers that keep the old and the new shape in sync on MariaDB.
//
// MariaDB has one event per trigger (no INSERT OR UPDATE), no trigger functions, and refuses a
// trigger that writes the table whose statement fired it (error 1442) even through another
// table's trigger, but only when such a write actually runs. So each trigger runs its body for
// one version's writes only, known by the session variable @cutover_version (the new version
// sets it to the change's name; cutover's own sessions set it empty, as the old version's
// writes): the old version's write of the parent reaches the child, whose trigger does nothing
// for it, and the other way round. Several triggers per table and event are allowed; a new one
// runs after those that exist, so the application's own triggers run first, as before.
#pragma once

#include <string>
#include <vector>

#include "change/change_context.h"
#include "change/step.h"
#include "change/sync_trigger.h"

namespace cutover::change {

// The session variable that says which version writes.
inline constexpr const char* kMariaDbVersionVariable = "@cutover_version";

struct MariaDbTrigger {
  enum class Writer { kOldVersion, kNewVersion };

  std::string table;
  std::string name;  // ChangeContext::trigger_name(...) and a suffix per event
  std::string timing = "BEFORE";
  std::string event = "INSERT";  // one of INSERT, UPDATE, DELETE
  Writer writer = Writer::kOldVersion;
  // Declared as local variables holding NEW's values (OLD's for DELETE) before the body, so that
  // `up` expressions can name the columns as they are. A local variable hides a column of the
  // same name in the body's statements: leave it empty for bodies that query tables.
  std::vector<TriggerVariable> variables;
  std::string body;  // statements, each ending in ';'
};

// CREATE TRIGGER IF NOT EXISTS: safe to run again, and never a moment without the trigger.
Step create_mariadb_trigger(const ChangeContext& context, const MariaDbTrigger& trigger);

}  // namespace cutover::change
