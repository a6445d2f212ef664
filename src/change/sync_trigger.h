// The triggers that keep the old and the new shape of the data in sync while both versions run.
#pragma once

#include <string>
#include <vector>

#include "change/change_context.h"
#include "change/step.h"

namespace cutover::change {

// A PostgreSQL row trigger whose function runs `old_version_body` when the old version wrote
// the row (the session's cutover.version is not the change's name) and `new_version_body`
// when the new version did. Both bodies are PL/pgSQL statements; before them, the columns are
// declared as local variables, named as that version names them (`old_names` / `new_names`),
// holding NEW's value (OLD's for DELETE), so that `up`/`down` expressions can use column names
// as they are. A BEFORE trigger may assign NEW."col"; the function returns NEW (OLD for DELETE).
struct TriggerVariable {
  std::string name;    // as the version names it, e.g. "email"
  std::string column;  // the table's column, e.g. "_cutover_email"
  std::string type;    // its SQL type, e.g. "varchar(200)"
};

struct SyncTrigger {
  std::string table;
  std::string name;  // ChangeContext::trigger_name(...): the trigger's and its function's
  std::string timing = "BEFORE";
  std::string events = "INSERT OR UPDATE";
  std::vector<TriggerVariable> old_names;
  std::vector<TriggerVariable> new_names;
  std::string old_version_body;
  std::string new_version_body;
  // The bodies look rows up by index in tables that start created: the function plans without
  // sequential scans, so that a plan cached while such a table was nearly empty does not scan
  // it whole for every row once it has filled (a generic plan lives as long as the session).
  bool index_lookups = false;
  // More of the trigger's WHEN clause (SQL over OLD and NEW): the function is called only for
  // the rows it holds for, e.g. when a copied column changed. Empty: every row.
  std::string only_when;
};

// The session setting that a set-based backfill sets to the change's name in each of its batch
// transactions: the change's sync triggers skip the rows it writes, for it fills them itself.
inline constexpr const char* kBackfillSetting = "cutover.backfill";

// CREATE OR REPLACE FUNCTION, DROP TRIGGER IF EXISTS, CREATE TRIGGER: safe to run again. The
// trigger has a WHEN clause on kBackfillSetting, and on cutover.version when one of the bodies
// is empty, so that the other version's writes do not call the function at all.
std::vector<Step> create_sync_trigger(const ChangeContext& context, const SyncTrigger& trigger);
// DROP TRIGGER IF EXISTS, DROP FUNCTION IF EXISTS.
std::vector<Step> drop_sync_trigger(const ChangeContext& context, const std::string& table,
                                    const std::string& name);

// Every column of `table` under its own name (shadow columns left out): the old version's names.
std::vector<TriggerVariable> table_variables(const db::TableInfo& table);

}  // namespace cutover::change
