// drop_column: a column the new version no longer has; the old version keeps reading and
// writing it until complete drops it.
//
//   - drop_column: {table: users, column: nickname, down: "username"}
//
// `down` (optional; SQL over the new version's columns) computes the column for rows the new
// version writes, so that the old version still finds a value there. Without it, the new
// version's rows get the column's default (NULL when it has none).
//
// PostgreSQL. The new version's view leaves the column out. With `down`, start adds a BEFORE
// INSERT OR UPDATE trigger that sets the column from `down` when the new version writes.
// Complete disables the change's sync triggers on the table (they name the column) and drops
// the column in one statement, then drops the trigger; rollback drops the trigger.
//
// SQLite. Start adds, with `down`, an AFTER INSERT trigger that sets the column from `down`
// where the inserted row left it NULL. Complete drops the trigger, the indexes that include the
// column, then the column (ALTER TABLE DROP COLUMN, SQLite 3.35+); rollback drops the trigger.
//
// MariaDB. With `down`, start adds BEFORE INSERT and BEFORE UPDATE triggers that set the
// column from `down` for the new version's writes. Complete makes a NOT NULL column nullable
// first (LOCK=NONE: instant), so that no write fails between the next two statements, drops
// the triggers, then the column (instant). Rollback drops the triggers.
//
// Refused: a column of the primary key, one a foreign key references, one other objects depend
// on (PostgreSQL: pg_depend, in change/preflight; SQLite: views, by their text), one of a
// partition, (SQLite) one of a unique constraint, foreign key or check, which SQLite cannot
// drop, (MariaDB) one of a foreign key or of an index with other columns, which dropping it
// would narrow (a unique one to fewer columns), and views that name it; a NOT
// NULL column without default nor `down`, which the new version could not insert rows without.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/column_copy.h"
#include "change/operations/mariadb_constraints.h"
#include "change/operations/operations.h"
#include "change/mariadb_sync_trigger.h"
#include "change/sync_trigger.h"
#include "core/error.h"

namespace cutover::change {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

class DropColumn : public Operation {
 public:
  explicit DropColumn(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    table_ = args.identifier("table");
    column_ = args.identifier("column");
    down_ = args.optional_string("down");
    args.reject_unknown();
  }

  bool supports(db::Flavor) const override { return true; }

  std::vector<std::pair<std::string, std::string>> changed_columns() const override {
    return {{table_, column_}};
  }

  void validate(const ChangeContext& context) const override {
    const db::TableInfo& table = context.require_table(table_, where());
    const db::ColumnInfo& column = context.require_column(table, column_, where());
    if (table.primary_key && contains(table.primary_key->columns, column_)) {
      throw_bad_input(fmt::format("{}: {}.{} is part of the primary key", where(), table_, column_),
                      "a table keeps its primary key: give the table another key first");
    }
    for (const auto& other : context.catalog->tables) {
      for (const auto& key : other.foreign_keys) {
        if (key.ref_table == table_ && contains(key.ref_columns, column_)) {
          throw_bad_input(
              fmt::format("{}: foreign key {} of {} references {}.{}", where(), key.name,
                          other.name, table_, column_),
              "drop that foreign key first (drop_constraint, in this change or an earlier one)");
        }
      }
    }
    // PostgreSQL: the preflight asks pg_depend (views, functions, triggers, ...).
    if (context.flavor != db::Flavor::kPostgres) {
      refuse_dependent_views(context, table_, column_, where());
    }
    if (context.flavor == db::Flavor::kMariaDb) {
      refuse_mariadb_column_dependents(table, column_, where());
      refuse_fulltext_table(table, where());
    }
    if (!column.nullable && !column.default_expr && !down_) {
      throw_bad_input(
          fmt::format("{}: {}.{} is NOT NULL without a default, so the new version could not "
                      "insert rows",
                      where(), table_, column_),
          "give `down`: an SQL expression over the new version's columns that fills it");
    }
    if (context.flavor == db::Flavor::kSqlite) {
      for (const auto& key : table.unique_keys) {
        if (contains(key.columns, column_)) {
          throw_bad_input(fmt::format("{}: SQLite cannot drop {}.{}: it is part of the unique "
                                      "constraint {}",
                                      where(), table_, column_, key.name),
                          "rebuild the table with a migration (cutover migrate) instead");
        }
      }
      for (const auto& key : table.foreign_keys) {
        if (contains(key.columns, column_)) {
          throw_bad_input(fmt::format("{}: SQLite cannot drop {}.{}: it has a foreign key", where(),
                                      table_, column_),
                          "rebuild the table with a migration (cutover migrate) instead");
        }
      }
      for (const auto& check : table.checks) {
        if (mentions_column(check.expression, column_)) {
          throw_bad_input(fmt::format("{}: SQLite cannot drop {}.{}: the check {} mentions it",
                                      where(), table_, column_, check.expression),
                          "rebuild the table with a migration (cutover migrate) instead");
        }
      }
      if (down_ && !column.nullable) {
        throw_bad_input(
            fmt::format("{}: on SQLite, `down` fills {}.{} after the insert, which its NOT NULL "
                        "refuses first",
                        where(), table_, column_),
            "give the column a default instead (with a migration), or drop `down`");
      }
    }
  }

  Preflight preflight(const ChangeContext& context) const override {
    Preflight preflight;
    preflight.column_tables = {table_};
    preflight.dropped_columns = {{table_, column_, /*rebuilds_indexes_and_constraints=*/false}};
    if (down_) preflight.probes.push_back(probe_expression(context, table_, *down_));
    return preflight;
  }

  std::vector<Step> expand(const ChangeContext& context) const override {
    if (!down_) return {};
    if (context.flavor == db::Flavor::kMariaDb) {
      MariaDbTrigger trigger;
      trigger.table = table_;
      trigger.writer = MariaDbTrigger::Writer::kNewVersion;
      if (const db::TableInfo* table = context.catalog->find_table(table_)) {
        trigger.variables = table_variables(*table);
        std::erase_if(trigger.variables,
                      [&](const TriggerVariable& v) { return v.name == column_; });
      }
      trigger.body = fmt::format("SET NEW.{} = ({});", ChangeContext::quote(column_), *down_);
      std::vector<Step> steps;
      for (const char* event : {"INSERT", "UPDATE"}) {
        trigger.event = event;
        trigger.name = mariadb_trigger_name(context, event);
        steps.push_back(create_mariadb_trigger(context, trigger));
      }
      return steps;
    }
    if (context.flavor == db::Flavor::kSqlite) {
      return {{.what = fmt::format("create trigger filling {}.{} on insert", table_, column_),
               .sql = fmt::format(
                   "CREATE TRIGGER IF NOT EXISTS {0} AFTER INSERT ON {1} FOR EACH ROW WHEN NEW.{2} "
                   "IS NULL BEGIN UPDATE {1} SET {2} = ({3}) WHERE {4}; END",
                   ChangeContext::quote(trigger_name(context)), context.table(table_),
                   ChangeContext::quote(column_), *down_, sqlite_same_row(context, table_))}};
    }
    SyncTrigger trigger;
    trigger.table = table_;
    trigger.name = trigger_name(context);
    if (const db::TableInfo* table = context.catalog->find_table(table_)) {
      trigger.new_names = table_variables(*table);
      std::erase_if(trigger.new_names, [&](const TriggerVariable& v) { return v.name == column_; });
    }
    trigger.new_version_body =
        fmt::format("      NEW.{} := ({});", ChangeContext::quote(column_), *down_);
    return create_sync_trigger(context, trigger);
  }

  void shape(VersionShape& shape, const ChangeContext&) const override {
    VersionTable* view = version_table(shape, table_);
    if (view == nullptr) return;
    std::erase_if(view->columns, [&](const ViewColumn& c) { return c.name == column_; });
  }

  std::vector<Step> contract(const ChangeContext& context) const override {
    std::vector<Step> steps;
    if (context.flavor == db::Flavor::kMariaDb) return mariadb_contract(context);
    if (context.flavor == db::Flavor::kSqlite) {
      steps = drop_sync_trigger(context, table_, trigger_name(context));
      // SQLite refuses to drop an indexed column.
      if (const db::TableInfo* table = context.catalog->find_table(table_)) {
        for (const auto& index : table->indexes) {
          if (index.primary || !contains(index.columns, column_)) continue;
          bool constraint = std::any_of(table->unique_keys.begin(), table->unique_keys.end(),
                                        [&](const db::KeyInfo& k) { return k.name == index.name; });
          if (constraint) continue;
          steps.push_back(
              {.what = fmt::format("drop index {} of {}.{}", index.name, table_, column_),
               .sql = fmt::format("DROP INDEX IF EXISTS {}", ChangeContext::quote(index.name))});
        }
      }
      steps.push_back(
          {.what = fmt::format("drop column {}.{}", table_, column_),
           .sql = fmt::format("ALTER TABLE {} DROP COLUMN {}", context.table(table_),
                              ChangeContext::quote(column_)),
           .done_if = fmt::format("SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pragma_table_info({}) "
                                  "WHERE name = {})",
                                  sql_literal(table_), sql_literal(column_))});
      return steps;
    }
    // The change's sync triggers on the table name the column: disabled in the same statement.
    std::string disable = disable_change_triggers(context, table_, spec().index);
    if (!disable.empty()) disable += ", ";
    steps.push_back(
        {.what = fmt::format("drop column {}.{}", table_, column_),
         .sql = fmt::format("ALTER TABLE {} {}DROP COLUMN IF EXISTS {}", context.table(table_),
                            disable, ChangeContext::quote(column_))});
    for (auto& step : drop_sync_trigger(context, table_, trigger_name(context))) {
      steps.push_back(std::move(step));
    }
    return steps;
  }

  std::vector<Step> rollback(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kMariaDb) return drop_mariadb_triggers(context);
    return drop_sync_trigger(context, table_, trigger_name(context));
  }

 private:
  std::string mariadb_trigger_name(const ChangeContext& context, const char* event) const {
    return context.trigger_name(spec().index, table_ + "_" + (event[0] == 'I' ? "insert"
                                                                               : "update"));
  }

  std::vector<Step> drop_mariadb_triggers(const ChangeContext& context) const {
    std::vector<Step> steps;
    for (const char* event : {"INSERT", "UPDATE"}) {
      for (auto& step : drop_sync_trigger(context, table_, mariadb_trigger_name(context, event))) {
        steps.push_back(std::move(step));
      }
    }
    return steps;
  }

  std::vector<Step> mariadb_contract(const ChangeContext& context) const {
    std::vector<Step> steps;
    const db::TableInfo* table = context.catalog->find_table(table_);
    const db::ColumnInfo* column = table ? table->find_column(column_) : nullptr;
    if (column && !column->nullable) {
      steps.push_back({.what = fmt::format("make {}.{} nullable", table_, column_),
                       .sql = fmt::format("ALTER TABLE {} MODIFY {} {} NULL, LOCK=NONE",
                                          context.table(table_), ChangeContext::quote(column_),
                                          column->type),
                       // Instant, unless an index has the column: then a rebuild the
                       // application reads and writes through.
                       .long_running = true});
    }
    for (auto& step : drop_mariadb_triggers(context)) steps.push_back(std::move(step));
    steps.push_back({.what = fmt::format("drop column {}.{}", table_, column_),
                     .sql = fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}, LOCK=NONE",
                                        context.table(table_), ChangeContext::quote(column_))});
    return steps;
  }

  std::string trigger_name(const ChangeContext& context) const {
    return context.trigger_name(spec().index, table_);
  }

  std::string table_;
  std::string column_;
  std::optional<std::string> down_;
};

}  // namespace

std::unique_ptr<Operation> make_drop_column(const OperationSpec& spec) {
  return std::make_unique<DropColumn>(spec);
}

}  // namespace cutover::change
