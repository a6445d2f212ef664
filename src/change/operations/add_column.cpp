// add_column: a column the new version has and the old one does not know, filled for the old
// version's rows by `up`.
//
//   - add_column:
//       table: users
//       column: {name: email, type: "varchar(200)", nullable: false, default: "''",
//                unique: true, check: "email <> ''",
//                references: {table: t, column: id, on_delete: CASCADE}}
//       up: "lower(username) || '@example.com'"
//
// column.name and column.type are required; nullable (default true), default (SQL), unique
// (default false), check (SQL over the column's name), references (table, column; optional
// on_delete / on_update) are optional. `up` (SQL over the old version's columns) computes the
// column for rows the old version writes and for the rows that exist; without it, the default
// fills them (then nullable: false needs a default).
//
// PostgreSQL. Start adds the shadow column _cutover_<name> (nullable; the default set), then a
// BEFORE INSERT OR UPDATE trigger that sets it from `up` when the old version writes, then
// NOT NULL as CHECK (... IS NOT NULL), the check and the foreign key, all NOT VALID; the
// backfill fills the rows that exist; after it, the constraints are validated and the unique
// index is built CONCURRENTLY. The new version's view shows the shadow as <name>. Complete
// sets NOT NULL (the validated check spares the scan) and drops the check, drops the trigger,
// renames the shadow to <name> (no other sync trigger names it) and gives the constraints
// and index their final names (<table>_<name>_key / _check / _fkey, as PostgreSQL would name
// them). Rollback drops the trigger and the shadow with everything on it. Without `up`,
// ADD COLUMN ... DEFAULT fills the existing rows itself: PostgreSQL does that without
// rewriting the table unless the default is volatile (random(), clock_timestamp(), nextval()):
// give such a default with `up` instead.
//
// SQLite. Start adds the column itself under its name (ALTER TABLE ADD COLUMN; no shadow), and,
// with `up`, AFTER INSERT and AFTER UPDATE OF <name> triggers that set it from `up` where it is
// NULL; the backfill touches every row (UPDATE SET <name> = <name>); after it, the unique index
// is built. Complete drops the triggers; rollback drops them, the index and the column.
// SQLite cannot add a NOT NULL column without a default, nor one with REFERENCES that rollback
// could drop: nullable: false needs a default and no `up`, and references is refused.
//
// MariaDB. As on SQLite, start adds the column under its name (ADD COLUMN, ALGORITHM=INSTANT:
// no copy of the table), nullable while the old version's rows are filled when `up` is given;
// with `up`, BEFORE INSERT and BEFORE UPDATE triggers set it from `up` for the old version's
// writes; the backfill touches every row; after it, the unique index is built online
// (ALGORITHM=INPLACE, LOCK=NONE). Complete drops the triggers and, for nullable: false with
// `up`, sets NOT NULL online (INPLACE, LOCK=NONE: a rebuild of the table that the application
// can read and write meanwhile). Rollback drops the triggers, the index and the column.
// references: after the backfill, the foreign key is added with its checks off for that
// statement (MariaDB would copy the table), then a query looks for rows that break it. check:
// MariaDB adds it only by copying the table, which stops the application's writes to it:
// refused unless --allow-copy-alter, then added after the backfill.
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

class AddColumn : public Operation {
 public:
  explicit AddColumn(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    table_ = args.identifier("table");
    OperationArgs column = args.object("column");
    name_ = column.identifier("name");
    type_ = column.string("type");
    nullable_ = column.optional_bool("nullable").value_or(true);
    default_ = column.optional_string("default");
    unique_ = column.optional_bool("unique").value_or(false);
    check_ = column.optional_string("check");
    if (auto references = column.optional_object("references")) {
      ref_table_ = references->identifier("table");
      ref_column_ = references->identifier("column");
      on_delete_ = read_reference_action(*references, "on_delete", where());
      on_update_ = read_reference_action(*references, "on_update", where());
    }
    up_ = args.optional_string("up");
    args.reject_unknown();
  }

  bool supports(db::Flavor) const override { return true; }

  std::vector<std::pair<std::string, std::string>> changed_columns() const override {
    return {{table_, name_}};
  }

  void validate(const ChangeContext& context) const override {
    const db::TableInfo& table = context.require_table(table_, where());
    if (table.find_column(name_)) {
      throw_bad_input(fmt::format("{}: table {} has a column {} already", where(), table_, name_),
                      "choose another name, or use alter_column to change the column");
    }
    if (table.find_column(ChangeContext::shadow(name_))) {
      throw_bad_input(fmt::format("{}: table {} has a column {} left by another change", where(),
                                  table_, ChangeContext::shadow(name_)),
                      "roll that change back (cutover change rollback) or drop the column");
    }
    if (ref_table_) {
      const db::TableInfo& ref = context.require_table(*ref_table_, where());
      context.require_column(ref, *ref_column_, where());
    }
    const bool sqlite = context.flavor == db::Flavor::kSqlite;
    if (context.flavor == db::Flavor::kMariaDb) refuse_fulltext_table(table, where());
    if (context.flavor == db::Flavor::kMariaDb && check_) {
      refuse_copy_alter(context, where(), "a column with a check");
    }
    if (context.flavor == db::Flavor::kMariaDb && unique_) {
      mariadb_index_algorithm(context, where(), {type_}, true);
    }
    if (!nullable_ && !up_ && !default_) {
      throw_bad_input(
          fmt::format("{}: column {} is NOT NULL but has neither `up` nor a default, so the "
                      "old version's rows would have no value for it",
                      where(), name_),
          "give `up` (an SQL expression over the old columns) or column.default");
    }
    if (sqlite && !nullable_ && up_) {
      throw_bad_input(
          fmt::format("{}: on SQLite a NOT NULL column is filled by its default, so `up` could "
                      "never set it",
                      where()),
          "make it nullable, or drop `up` and give a default");
    }
    if (sqlite && ref_table_) {
      throw_bad_input(fmt::format("{}: on SQLite a column with REFERENCES cannot be dropped "
                                  "again, so the change could not be rolled back",
                                  where()),
                      "add the column without references, and the foreign key with a migration "
                      "(cutover migrate) when the change is complete");
    }
    if (context.flavor != db::Flavor::kPostgres && unique_) {
      const auto taken = names_in_use(*context.catalog);
      if (std::find(taken.begin(), taken.end(), fixed_index_name()) != taken.end()) {
        throw_bad_input(fmt::format("{}: the unique index {} would take a name in use", where(),
                                    fixed_index_name()),
                        "drop or rename what has that name first");
      }
    }
  }

  Preflight preflight(const ChangeContext& context) const override {
    Preflight preflight;
    if (context.flavor == db::Flavor::kMariaDb) {
      preflight.probes.push_back(probe_mariadb_type(type_));
      if (default_) preflight.probes.push_back(fmt::format("SELECT ({})", *default_));
      if (up_) preflight.probes.push_back(probe_expression(context, table_, *up_));
      return preflight;
    }
    preflight.column_tables = {table_};
    preflight.probes.push_back(probe_type(type_));
    if (default_) preflight.probes.push_back(fmt::format("SELECT ({})", *default_));
    if (up_) preflight.probes.push_back(probe_expression(context, table_, *up_));
    if (check_) {
      // Over the table's columns and the new one; then as a check takes it (no subquery).
      preflight.probes.push_back(fmt::format(
          "SELECT ({}) FROM (SELECT t.*, CAST(NULL AS {}) AS {} FROM {} AS t) AS t WHERE false",
          *check_, castable_type(type_), ChangeContext::quote(name_), context.table(table_)));
      preflight.sandbox_table = table_;
      preflight.sandbox.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {} {} CHECK ({})",
                                              kSandboxTable, ChangeContext::quote(name_),
                                              castable_type(type_), *check_));
    }
    if (!up_) {
      // Without `up` the default fills the rows that exist: PostgreSQL stores one value for
      // them all, unless the default is volatile (a serial type's nextval() too) or the type a
      // domain with constraints: then it rewrites the table under its exclusive lock, and the
      // application waits (the step's lock timeout cancels it, every time, on a table of any
      // size). A rewrite gives the table a new file, even the empty copy's.
      preflight.sandbox_table = table_;
      preflight.sandbox.push_back(fmt::format(
          "CREATE TEMP TABLE _cutover_filenode AS SELECT pg_relation_filenode({}) AS before",
          sql_literal(kSandboxTable)));
      preflight.sandbox.push_back(
          fmt::format("ALTER TABLE {} ADD COLUMN _cutover_default_probe {}{}", kSandboxTable, type_,
                      default_ ? " DEFAULT " + *default_ : std::string()));
      preflight.sandbox.push_back(fmt::format(
          "DO $cutover$ BEGIN IF pg_relation_filenode({}) <> (SELECT before FROM "
          "pg_temp._cutover_filenode) THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = "
          "{}, HINT = {}; END IF; END $cutover$",
          sql_literal(kSandboxTable),
          sql_literal(fmt::format(
              "column {} {}{} would make PostgreSQL rewrite the whole table under an exclusive "
              "lock to fill the rows that exist, and the application would wait for it (a "
              "volatile default such as random(), gen_random_uuid(), clock_timestamp() or "
              "nextval() does, a serial type's too)",
              name_, type_, default_ ? " DEFAULT " + *default_ : std::string())),
          sql_literal("give the expression as `up` (for a serial type: an integer type, `up: "
                      "nextval('<sequence>')` and that default): the backfill then fills the "
                      "rows in short batches, and the default is set for new rows only")));
    }
    return preflight;
  }

  std::vector<Step> expand(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kSqlite) return sqlite_expand(context);
    if (context.flavor == db::Flavor::kMariaDb) return mariadb_expand(context);
    const ShadowColumn shadow = plan(context);
    std::vector<Step> steps = add_shadow_column(context, shadow);
    if (up_) {
      SyncTrigger trigger;
      trigger.table = table_;
      trigger.name = context.trigger_name(spec().index, table_);
      if (const db::TableInfo* table = context.catalog->find_table(table_)) {
        trigger.old_names = table_variables(*table);
      }
      trigger.old_version_body =
          fmt::format("      NEW.{} := {};", ChangeContext::quote(ChangeContext::shadow(name_)),
                      shadow_value(*up_, type_));
      for (auto& step : create_sync_trigger(context, trigger)) steps.push_back(std::move(step));
    }
    for (auto& step : constrain_shadow_column(context, shadow)) steps.push_back(std::move(step));
    return steps;
  }

  std::vector<BackfillTarget> backfill(const ChangeContext& context) const override {
    if (!up_) return {};
    if (context.flavor == db::Flavor::kSqlite) return {{.table = table_, .touch = {name_}}};
    if (context.flavor == db::Flavor::kMariaDb) return {{.table = table_}};
    return {{.table = table_,
             .fill = {{ChangeContext::shadow(name_), shadow_value(*up_, type_)}}}};
  }

  std::vector<Step> after_backfill(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kSqlite) {
      if (!unique_) return {};
      return {{.what = fmt::format("build unique index on {}.{}", table_, name_),
               .sql = fmt::format("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({})",
                                  ChangeContext::quote(fixed_index_name()), context.table(table_),
                                  ChangeContext::quote(name_))}};
    }
    if (context.flavor == db::Flavor::kMariaDb) return mariadb_constraints(context);
    return validate_shadow_column(context, plan(context));
  }

  void shape(VersionShape& shape, const ChangeContext&) const override {
    VersionTable* view = version_table(shape, table_);
    if (view == nullptr || view->find(name_)) return;
    view->columns.push_back({name_, ChangeContext::shadow(name_)});
  }

  std::vector<Step> contract(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kSqlite) return drop_triggers(context);
    if (context.flavor == db::Flavor::kMariaDb) return mariadb_contract(context);
    return swap_shadow_column(context, table_, name_, false, spec().index, drop_triggers(context));
  }

  std::vector<Step> rollback(const ChangeContext& context) const override {
    std::vector<Step> steps = drop_triggers(context);
    if (context.flavor == db::Flavor::kMariaDb) {
      // MariaDB refuses to drop a column that a foreign key or a check names, and drops a
      // unique index with the column only by rebuilding the table: they go first, in the same
      // statement.
      std::string constraints;
      if (unique_) {
        constraints += fmt::format("DROP INDEX IF EXISTS {}, ",
                                   ChangeContext::quote(fixed_index_name()));
      }
      if (ref_table_) {
        constraints += fmt::format("DROP FOREIGN KEY IF EXISTS {}, ",
                                   ChangeContext::quote(fixed_name("fkey")));
      }
      if (check_) {
        constraints += fmt::format("DROP CONSTRAINT IF EXISTS {}, ",
                                   ChangeContext::quote(fixed_name("check")));
      }
      steps.push_back({.what = fmt::format("drop column {}.{}", table_, name_),
                       .sql = fmt::format("ALTER TABLE {} {}DROP COLUMN IF EXISTS {}, LOCK=NONE",
                                          context.table(table_), constraints,
                                          ChangeContext::quote(name_))});
      return steps;
    }
    if (context.flavor == db::Flavor::kSqlite) {
      if (unique_) {
        steps.push_back({.what = fmt::format("drop unique index on {}.{}", table_, name_),
                         .sql = fmt::format("DROP INDEX IF EXISTS {}",
                                            ChangeContext::quote(fixed_index_name()))});
      }
      steps.push_back(
          {.what = fmt::format("drop column {}.{}", table_, name_),
           .sql = fmt::format("ALTER TABLE {} DROP COLUMN {}", context.table(table_),
                              ChangeContext::quote(name_)),
           .done_if = fmt::format("SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pragma_table_info({}) "
                                  "WHERE name = {})",
                                  sql_literal(table_), sql_literal(name_))});
      return steps;
    }
    for (auto& step : drop_shadow_column(context, table_, name_)) steps.push_back(std::move(step));
    return steps;
  }

 private:
  // What the shadow column must have; the names of its constraints and index as PostgreSQL
  // would choose them for ALTER TABLE ADD COLUMN, among the names free now.
  ShadowColumn plan(const ChangeContext& context) const {
    ShadowColumn shadow;
    shadow.table = table_;
    shadow.column = name_;
    shadow.type = type_;
    shadow.default_expr = default_;
    shadow.default_fills_existing = !up_;
    shadow.not_null = !nullable_;
    std::vector<std::string> taken = names_in_use(*context.catalog);
    const std::string column = ChangeContext::shadow(name_);
    if (check_) {
      std::string name = choose_name(table_, name_, "check", taken);
      taken.push_back(name);
      shadow.constraints.push_back(
          {name, fmt::format("CHECK ({})", rename_column_reference(*check_, name_, column)), true});
    }
    if (ref_table_) {
      std::string name = choose_name(table_, name_, "fkey", taken);
      taken.push_back(name);
      std::string definition =
          fmt::format("FOREIGN KEY ({}) REFERENCES {} ({})", ChangeContext::quote(column),
                      context.table(*ref_table_), ChangeContext::quote(*ref_column_));
      if (on_update_) definition += " ON UPDATE " + *on_update_;
      if (on_delete_) definition += " ON DELETE " + *on_delete_;
      shadow.constraints.push_back({name, std::move(definition), true});
    }
    if (unique_) {
      std::string name = choose_name(table_, name_, "key", taken);
      shadow.indexes.push_back(
          {name, CopyKind::kUnique, true, fmt::format("({})", ChangeContext::quote(column))});
    }
    return shadow;
  }

  // SQLite and MariaDB: the unique index's name, fixed (validate() checks that it is free on
  // SQLite) so that rollback finds it.
  std::string fixed_index_name() const { return fixed_name("key"); }
  // MariaDB: the foreign key's and the check's names, found by rollback the same way.
  std::string fixed_name(std::string_view label) const {
    return choose_name(table_, name_, label, {});
  }

  // A trigger per event: SQLite's names grew a suffix past the shortened name; MariaDB's must
  // stay within 64 characters, suffix included.
  std::string event_trigger(const ChangeContext& context, const char* event) const {
    if (context.flavor == db::Flavor::kMariaDb) {
      return context.trigger_name(spec().index, table_ + "_" + event);
    }
    return context.trigger_name(spec().index, table_) + "_" + event;
  }

  std::vector<Step> sqlite_expand(const ChangeContext& context) const {
    std::string definition = fmt::format("{} {}", ChangeContext::quote(name_), type_);
    if (!nullable_) definition += " NOT NULL";
    if (default_) definition += " DEFAULT " + *default_;
    if (check_) definition += fmt::format(" CHECK ({})", *check_);
    std::vector<Step> steps = {
        {.what = fmt::format("add column {}.{}", table_, name_),
         .sql = fmt::format("ALTER TABLE {} ADD COLUMN {}", context.table(table_), definition),
         .done_if = fmt::format("SELECT 1 FROM pragma_table_info({}) WHERE name = {}",
                                sql_literal(table_), sql_literal(name_))}};
    if (!up_) return steps;
    const std::string column = ChangeContext::quote(name_);
    const std::string fill = fmt::format(
        "FOR EACH ROW WHEN NEW.{0} IS NULL BEGIN UPDATE {1} SET {0} = ({2}) WHERE {3}; "
        "END",
        column, context.table(table_), *up_, sqlite_same_row(context, table_));
    steps.push_back({.what = fmt::format("create trigger filling {}.{} on insert", table_, name_),
                     .sql = fmt::format("CREATE TRIGGER IF NOT EXISTS {} AFTER INSERT ON {} {}",
                                        ChangeContext::quote(event_trigger(context, "insert")),
                                        context.table(table_), fill)});
    steps.push_back(
        {.what = fmt::format("create trigger filling {}.{} on update", table_, name_),
         .sql = fmt::format("CREATE TRIGGER IF NOT EXISTS {} AFTER UPDATE OF {} ON {} {}",
                            ChangeContext::quote(event_trigger(context, "update")), column,
                            context.table(table_), fill)});
    return steps;
  }

  // MariaDB: the column, nullable (NOT NULL comes at complete when `up` fills it), the
  // triggers that fill it for the old version's writes.
  std::vector<Step> mariadb_expand(const ChangeContext& context) const {
    std::string definition = fmt::format("{} {}", ChangeContext::quote(name_), type_);
    if (!nullable_ && !up_) definition += " NOT NULL";
    if (default_) definition += " DEFAULT " + *default_;
    std::vector<Step> steps = {
        {.what = fmt::format("add column {}.{}", table_, name_),
         .sql = fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}, ALGORITHM=INSTANT",
                            context.table(table_), definition)}};
    if (!up_) return steps;
    MariaDbTrigger trigger;
    trigger.table = table_;
    if (const db::TableInfo* table = context.catalog->find_table(table_)) {
      trigger.variables = table_variables(*table);
      std::erase_if(trigger.variables, [&](const TriggerVariable& v) { return v.name == name_; });
    }
    trigger.body = fmt::format("SET NEW.{} = ({});", ChangeContext::quote(name_), *up_);
    if (!nullable_) trigger.body += " " + refuse_null();
    for (const char* event : {"INSERT", "UPDATE"}) {
      trigger.event = event;
      trigger.name = event_trigger(context, event == std::string("INSERT") ? "insert" : "update");
      steps.push_back(create_mariadb_trigger(context, trigger));
    }
    if (nullable_) return steps;
    // The new version writes the column itself: NULL is refused as NOT NULL would.
    for (const char* event : {"INSERT", "UPDATE"}) {
      steps.push_back(create_mariadb_trigger(
          context, {.table = table_,
                    .name = event_trigger(context, event == std::string("INSERT") ? "new_insert"
                                                                                 : "new_update"),
                    .event = event,
                    .writer = MariaDbTrigger::Writer::kNewVersion,
                    .body = refuse_null()}));
    }
    return steps;
  }

  // After the backfill: the unique index online, the foreign key online then checked, the
  // check by a copy of the table (allowed by --allow-copy-alter).
  std::vector<Step> mariadb_constraints(const ChangeContext& context) const {
    std::vector<Step> steps;
    if (unique_) {
      steps.push_back(
          {.what = fmt::format("build unique index on {}.{}", table_, name_),
           .sql = fmt::format("ALTER TABLE {} ADD UNIQUE INDEX IF NOT EXISTS {} ({}), {}",
                              context.table(table_), ChangeContext::quote(fixed_index_name()),
                              ChangeContext::quote(name_),
                              mariadb_index_algorithm(context, where(), {type_}, true)),
           .long_running = true});
    }
    if (ref_table_) {
      const MariaDbForeignKey key{table_, fixed_name("fkey"), {name_}, *ref_table_,
                                  {*ref_column_}, on_delete_, on_update_};
      steps.push_back(add_mariadb_foreign_key(context, key));
      steps.push_back(check_mariadb_foreign_key(context, key));
    }
    if (check_) steps.push_back(add_mariadb_check(context, table_, fixed_name("check"), *check_));
    return steps;
  }

  // NOT NULL first, while the triggers still fill the column: a row without a value makes it
  // fail with nothing changed, and the change stays started.
  std::vector<Step> mariadb_contract(const ChangeContext& context) const {
    std::vector<Step> steps;
    if (nullable_ || !up_) return drop_triggers(context);
    std::string definition = fmt::format("{} {} NOT NULL", ChangeContext::quote(name_), type_);
    if (default_) definition += " DEFAULT " + *default_;
    steps.push_back(
        {.what = fmt::format("check that no row of {} has {} NULL", table_, name_),
         .sql = fmt::format("BEGIN NOT ATOMIC IF EXISTS (SELECT 1 FROM {0} WHERE {1} IS NULL) "
                            "THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = {2}; END IF; END",
                            context.table(table_), ChangeContext::quote(name_),
                            sql_literal(fmt::format("rows of {} have {} NULL, which NOT NULL "
                                                    "refuses",
                                                    table_, name_))),
         .long_running = true,
         .reads_only = true});
    steps.push_back(
        {.what = fmt::format("set {}.{} NOT NULL", table_, name_),
         .sql = fmt::format("ALTER TABLE {} MODIFY {}, ALGORITHM=INPLACE, LOCK=NONE",
                            context.table(table_), definition),
         .done_if = fmt::format("SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                                "{} AND TABLE_NAME = {} AND COLUMN_NAME = {} AND IS_NULLABLE = "
                                "'NO'",
                                sql_literal(context.base_schema), sql_literal(table_),
                                sql_literal(name_)),
         .long_running = true});
    for (auto& step : drop_triggers(context)) steps.push_back(std::move(step));
    return steps;
  }

  std::vector<Step> drop_triggers(const ChangeContext& context) const {
    if (context.flavor == db::Flavor::kPostgres) {
      return drop_sync_trigger(context, table_, context.trigger_name(spec().index, table_));
    }
    std::vector<Step> steps;
    std::vector<const char*> events = {"insert", "update"};
    // MariaDB: the new version's NOT NULL guards too (they may exist: DROP IF EXISTS).
    if (context.flavor == db::Flavor::kMariaDb) events = {"insert", "update", "new_insert",
                                                          "new_update"};
    for (const char* event : events) {
      for (auto& step : drop_sync_trigger(context, table_, event_trigger(context, event))) {
        steps.push_back(std::move(step));
      }
    }
    return steps;
  }

  // MariaDB: what refuses a NULL in the column while it is nullable for the old version's
  // sake, as the NOT NULL it gets at complete would (error 1048, SQLSTATE 23000).
  std::string refuse_null() const {
    return fmt::format(
        "IF NEW.{0} IS NULL THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = {1}, MYSQL_ERRNO = "
        "1048; END IF;",
        ChangeContext::quote(name_), sql_literal(fmt::format("Column '{}' cannot be null", name_)));
  }

  std::string table_;
  std::string name_;
  std::string type_;
  bool nullable_ = true;
  std::optional<std::string> default_;
  bool unique_ = false;
  std::optional<std::string> check_;
  std::optional<std::string> ref_table_;
  std::optional<std::string> ref_column_;
  std::optional<std::string> on_delete_;
  std::optional<std::string> on_update_;
  std::optional<std::string> up_;
};

}  // namespace

std::unique_ptr<Operation> make_add_column(const OperationSpec& spec) {
  return std::make_unique<AddColumn>(spec);
}

}  // namespace cutover::change
