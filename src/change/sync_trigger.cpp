// The triggers that keep the old and the new shape of the data in sync.
#include "change/sync_trigger.h"

#include <fmt/format.h>

namespace cutover::change {
namespace {

std::string declarations(const std::vector<TriggerVariable>& variables, const char* row) {
  std::string out;
  for (const auto& v : variables) {
    out += fmt::format("  {} {} := {}.{};\n", ChangeContext::quote(v.name), v.type, row,
                       ChangeContext::quote(v.column));
  }
  return out;
}

// One PL/pgSQL block per direction, so that each declares its own names.
std::string block(const std::vector<TriggerVariable>& variables, const std::string& body,
                  const char* row) {
  if (body.empty()) return "    NULL;\n";
  return fmt::format("    DECLARE\n{}    BEGIN\n{}\n    END;\n", declarations(variables, row),
                     body);
}

}  // namespace

std::vector<TriggerVariable> table_variables(const db::TableInfo& table) {
  std::vector<TriggerVariable> variables;
  for (const auto& column : table.columns) {
    if (column.name.starts_with("_cutover_")) continue;
    variables.push_back({column.name, column.name, column.type});
  }
  return variables;
}

std::vector<Step> create_sync_trigger(const ChangeContext& context, const SyncTrigger& trigger) {
  bool on_delete = trigger.events.find("DELETE") != std::string::npos;
  // In a DELETE trigger only OLD is set; an INSERT OR UPDATE trigger reads NEW.
  const char* row = on_delete && trigger.events == "DELETE" ? "OLD" : "NEW";
  std::string function = context.quote(context.base_schema) + "." + context.quote(trigger.name);
  const std::string version = fmt::format("'{}'", context.change);
  // Only one version has work to do: the other's writes skip the function call (a PL/pgSQL
  // call per row costs more than the statement's own work on a small row).
  std::string when = fmt::format("WHEN (current_setting('{}', true) IS DISTINCT FROM {}",
                                 kBackfillSetting, version);
  if (trigger.new_version_body.empty() && !trigger.old_version_body.empty()) {
    when += fmt::format(" AND current_setting('cutover.version', true) IS DISTINCT FROM {}",
                        version);
  } else if (trigger.old_version_body.empty() && !trigger.new_version_body.empty()) {
    when += fmt::format(" AND current_setting('cutover.version', true) IS NOT DISTINCT FROM {}",
                        version);
  }
  if (!trigger.only_when.empty()) when += " AND (" + trigger.only_when + ")";
  when += ") ";
  std::string body = fmt::format(
      "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql{} AS $cutover$\n"
      // In the bodies' SQL a table's column wins over a local variable of the same name.
      "#variable_conflict use_column\n"
      "BEGIN\n"
      "  IF current_setting('cutover.version', true) IS DISTINCT FROM {} THEN\n"
      "{}"
      "  ELSE\n"
      "{}"
      "  END IF;\n"
      "  RETURN {};\n"
      "END\n"
      "$cutover$",
      function, trigger.index_lookups ? " SET enable_seqscan = off" : "", version,
      block(trigger.old_names, trigger.old_version_body, row),
      block(trigger.new_names, trigger.new_version_body, row), row);
  std::string table = context.table(trigger.table);
  return {
      {fmt::format("create trigger function {}", trigger.name), body, false, ""},
      {fmt::format("drop trigger {} if it exists", trigger.name),
       fmt::format("DROP TRIGGER IF EXISTS {} ON {}", context.quote(trigger.name), table), false,
       ""},
      {fmt::format("create trigger {} on {}", trigger.name, trigger.table),
       fmt::format("CREATE TRIGGER {} {} {} ON {} FOR EACH ROW {}EXECUTE FUNCTION {}()",
                   context.quote(trigger.name), trigger.timing, trigger.events, table, when,
                   function),
       false, ""},
  };
}

std::vector<Step> drop_sync_trigger(const ChangeContext& context, const std::string& table,
                                    const std::string& name) {
  if (context.flavor == db::Flavor::kSqlite) {
    return {{fmt::format("drop trigger {}", name),
             fmt::format("DROP TRIGGER IF EXISTS {}", context.quote(name)), false, ""}};
  }
  if (context.flavor == db::Flavor::kMariaDb) {
    return {{.what = fmt::format("drop trigger {}", name),
             .sql = fmt::format("DROP TRIGGER IF EXISTS {}", context.table(name)),
             .trigger = name}};
  }
  std::string function = context.quote(context.base_schema) + "." + context.quote(name);
  return {
      {fmt::format("drop trigger {}", name),
       fmt::format("DROP TRIGGER IF EXISTS {} ON {}", context.quote(name), context.table(table)),
       false, ""},
      {fmt::format("drop trigger function {}", name),
       fmt::format("DROP FUNCTION IF EXISTS {}()", function), false, ""},
  };
}

}  // namespace cutover::change
