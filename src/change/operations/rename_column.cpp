// rename_column: the new version calls a column by another name.
//
//   - rename_column: {table: users, from: username, to: login}
//
// PostgreSQL only. Nothing changes at start: the new version's view shows the column under its
// new name, so both versions read and write the same column and no trigger is needed. Complete
// disables the change's sync triggers on the table (they name the column) and renames the
// column (ALTER TABLE RENAME COLUMN, skipped when done). Rollback has nothing to undo.
//
// MariaDB: a view does not follow a renamed column there, so complete renames nothing: start
// adds the column under its new name right after the old one (instant), with its default,
// and triggers that copy the old version's writes into it and the new version's into the old
// column; the backfill copies the rows that exist; after it, each index with the column is
// built again on the new one (online, as <index>_cutover). Complete drops the triggers, makes
// the old column nullable (instant) and drops it (its indexes go with it), renames the new
// indexes to the old names (instant), and sets NOT NULL on the new column online when the old
// one had it. The new version's view shows the new column from start. Refused on MariaDB: a
// column of the primary key, of a foreign key (either side), of a check, or one a view names.
// Rollback drops the triggers, the new indexes and the new column.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/column_copy.h"
#include "change/operations/operations.h"
#include "change/mariadb_sync_trigger.h"
#include "change/operations/sql_parts.h"
#include "change/sync_trigger.h"
#include "core/error.h"

namespace cutover::change {
namespace {

class RenameColumn : public Operation {
 public:
  explicit RenameColumn(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    table_ = args.identifier("table");
    from_ = args.identifier("from");
    to_ = args.identifier("to");
    args.reject_unknown();
    if (from_ == to_) {
      throw_bad_input(fmt::format("{}: from and to are both {}", where(), from_),
                      "give the column's new name in `to`");
    }
  }

  bool supports(db::Flavor flavor) const override { return flavor != db::Flavor::kSqlite; }

  std::vector<std::pair<std::string, std::string>> changed_columns() const override {
    return {{table_, from_}, {table_, to_}};
  }

  void validate(const ChangeContext& context) const override {
    const db::TableInfo& table = context.require_table(table_, where());
    context.require_column(table, from_, where());
    if (table.find_column(to_)) {
      throw_bad_input(fmt::format("{}: table {} has a column {} already", where(), table_, to_),
                      "choose another name, or drop that column first (drop_column)");
    }
    if (context.flavor == db::Flavor::kMariaDb) refuse_mariadb_dependents(context, table);
  }

  Preflight preflight(const ChangeContext& context) const override {
    Preflight preflight;
    preflight.column_tables = {table_};
    // MariaDB drops the old column at complete.
    if (context.flavor == db::Flavor::kMariaDb) preflight.dropped_columns = {{table_, from_}};
    return preflight;
  }

  std::vector<Step> expand(const ChangeContext& context) const override {
    if (context.flavor != db::Flavor::kMariaDb) return {};
    const db::ColumnInfo& column = from_column(context);
    std::string definition = fmt::format("{} {}", ChangeContext::quote(to_), column.type);
    if (column.default_expr) definition += " DEFAULT " + *column.default_expr;
    std::vector<Step> steps = {
        {.what = fmt::format("add column {}.{} beside {}", table_, to_, from_),
         .sql = fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} AFTER {}, "
                            "ALGORITHM=INSTANT",
                            context.table(table_), definition, ChangeContext::quote(from_))}};
    using Writer = MariaDbTrigger::Writer;
    for (const auto& [writer, from, to] :
         {std::tuple{Writer::kOldVersion, from_, to_}, std::tuple{Writer::kNewVersion, to_, from_}}) {
      for (const char* event : {"INSERT", "UPDATE"}) {
        steps.push_back(create_mariadb_trigger(
            context, {.table = table_,
                      .name = trigger_name(context, writer, event),
                      .timing = "BEFORE",
                      .event = event,
                      .writer = writer,
                      .body = fmt::format("SET NEW.{} = NEW.{};", ChangeContext::quote(to),
                                          ChangeContext::quote(from))}));
      }
    }
    return steps;
  }

  std::vector<BackfillTarget> backfill(const ChangeContext& context) const override {
    if (context.flavor != db::Flavor::kMariaDb) return {};
    return {{.table = table_}};
  }

  std::vector<Step> after_backfill(const ChangeContext& context) const override {
    if (context.flavor != db::Flavor::kMariaDb) return {};
    std::vector<Step> steps;
    for (const db::IndexInfo& index : indexes_with_column(context)) {
      std::vector<std::string> columns;
      for (const auto& part : index.columns) columns.push_back(index_part(part));
      steps.push_back(
          {.what = fmt::format("build index {} again on {}.{}", index.name, table_, to_),
           .sql = fmt::format("ALTER TABLE {} ADD {}INDEX IF NOT EXISTS {} ({}), "
                              "ALGORITHM=INPLACE, LOCK=NONE",
                              context.table(table_), index.unique ? "UNIQUE " : "",
                              ChangeContext::quote(copy_name(index.name)),
                              fmt::join(columns, ", ")),
           .long_running = true});
    }
    return steps;
  }

  void shape(VersionShape& shape, const ChangeContext& context) const override {
    VersionTable* view = version_table(shape, table_);
    if (view == nullptr) return;
    if (context.flavor == db::Flavor::kMariaDb) {
      // The new column is there already: it takes the old one's place.
      std::erase_if(view->columns, [&](const ViewColumn& c) { return c.name == to_; });
      if (ViewColumn* column = view->find(from_)) *column = {to_, to_};
      return;
    }
    if (ViewColumn* column = view->find(from_)) column->name = to_;
  }

  std::vector<Step> contract(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kMariaDb) return mariadb_contract(context);
    // The change's sync triggers on the table name the column: disabled first (RENAME cannot
    // share an ALTER TABLE with anything else).
    std::vector<Step> steps;
    const std::string disable = disable_change_triggers(context, table_, spec().index);
    if (!disable.empty()) {
      steps.push_back({.what = fmt::format("disable the change's triggers on {}", table_),
                       .sql = fmt::format("ALTER TABLE {} {}", context.table(table_), disable),
                       .done_if = fmt::format("SELECT 1 WHERE NOT EXISTS ({})",
                                              column_exists_query(context, table_, from_))});
    }
    steps.push_back(
        {.what = fmt::format("rename {}.{} to {}", table_, from_, to_),
         .sql = fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", context.table(table_),
                            ChangeContext::quote(from_), ChangeContext::quote(to_)),
         .done_if = fmt::format("SELECT 1 WHERE NOT EXISTS ({}) AND EXISTS ({})",
                                column_exists_query(context, table_, from_),
                                column_exists_query(context, table_, to_))});
    return steps;
  }

  std::vector<Step> rollback(const ChangeContext& context) const override {
    if (context.flavor != db::Flavor::kMariaDb) return {};
    std::vector<Step> steps = drop_triggers(context);
    // The copies of the indexes by name: dropping the column would only narrow those with
    // other columns.
    std::string drop_copies;
    for (const db::IndexInfo& index : indexes_with_column(context)) {
      drop_copies +=
          fmt::format("DROP INDEX IF EXISTS {}, ", ChangeContext::quote(copy_name(index.name)));
    }
    steps.push_back({.what = fmt::format("drop column {}.{}", table_, to_),
                     .sql = fmt::format("ALTER TABLE {} {}DROP COLUMN IF EXISTS {}, LOCK=NONE",
                                        context.table(table_), drop_copies,
                                        ChangeContext::quote(to_))});
    return steps;
  }

 private:
  // MariaDB: what would keep the old column from being dropped at complete, or would lose
  // what it does.
  void refuse_mariadb_dependents(const ChangeContext& context, const db::TableInfo& table) const {
    const auto refuse = [&](const std::string& what) {
      throw_bad_input(fmt::format("{}: {}.{} {}: on MariaDB the column is copied to its new "
                                  "name and dropped at complete, which that forbids",
                                  where(), table_, from_, what),
                      "rename it with a migration (cutover migrate) in a quiet moment");
    };
    const auto has = [&](const std::vector<std::string>& columns) {
      return std::find(columns.begin(), columns.end(), from_) != columns.end();
    };
    if (table.primary_key && has(table.primary_key->columns)) refuse("is part of the primary key");
    for (const auto& key : table.foreign_keys) {
      if (has(key.columns)) refuse("has the foreign key " + key.name);
    }
    for (const auto& other : context.catalog->tables) {
      for (const auto& key : other.foreign_keys) {
        if (key.ref_table == table_ && has(key.ref_columns)) {
          refuse(fmt::format("is referenced by foreign key {} of {}", key.name, other.name));
        }
      }
    }
    for (const auto& check : table.checks) {
      if (mentions_column(check.expression, from_)) refuse("is named by the check " + check.name);
    }
    refuse_dependent_views(context, table_, from_, where());
  }

  const db::ColumnInfo& from_column(const ChangeContext& context) const {
    return context.require_column(context.require_table(table_, where()), from_, where());
  }

  // The table's indexes (the primary key aside) with the old column, as they are now.
  std::vector<db::IndexInfo> indexes_with_column(const ChangeContext& context) const {
    std::vector<db::IndexInfo> found;
    const db::TableInfo* table = context.catalog->find_table(table_);
    if (!table) return found;
    for (const auto& index : table->indexes) {
      if (index.primary || index.name.ends_with(kCopySuffix)) continue;
      for (const auto& part : index.columns) {
        if (part == from_ || part.starts_with(from_ + "(")) {
          found.push_back(index);
          break;
        }
      }
    }
    return found;
  }

  // An index part ("name" or "name(10)", a prefix) quoted, on the new column for the old one.
  std::string index_part(const std::string& part) const {
    const std::size_t paren = part.find('(');
    std::string column = part.substr(0, paren);
    if (column == from_) column = to_;
    return ChangeContext::quote(column) + (paren == std::string::npos ? "" : part.substr(paren));
  }

  static constexpr std::string_view kCopySuffix = "_cutover";
  // Within MariaDB's 64 characters.
  static std::string copy_name(const std::string& index) {
    return index.substr(0, 64 - kCopySuffix.size()) + std::string(kCopySuffix);
  }

  std::string trigger_name(const ChangeContext& context, MariaDbTrigger::Writer writer,
                           const char* event) const {
    const char* who = writer == MariaDbTrigger::Writer::kOldVersion ? "old" : "new";
    return context.trigger_name(spec().index, fmt::format("{}_{}_{}", table_, who,
                                                          event[0] == 'I' ? "insert" : "update"));
  }

  std::vector<Step> drop_triggers(const ChangeContext& context) const {
    std::vector<Step> steps;
    for (auto writer : {MariaDbTrigger::Writer::kOldVersion, MariaDbTrigger::Writer::kNewVersion}) {
      for (const char* event : {"INSERT", "UPDATE"}) {
        for (auto& step : drop_sync_trigger(context, table_, trigger_name(context, writer, event))) {
          steps.push_back(std::move(step));
        }
      }
    }
    return steps;
  }

  std::vector<Step> mariadb_contract(const ChangeContext& context) const {
    const db::TableInfo* table = context.catalog->find_table(table_);
    const db::ColumnInfo* from = table ? table->find_column(from_) : nullptr;
    const db::ColumnInfo* to = table ? table->find_column(to_) : nullptr;
    // Nullable before the triggers go: the new version's inserts leave it NULL from then on.
    std::vector<Step> steps;
    if (from && !from->nullable) {
      steps.push_back({.what = fmt::format("make {}.{} nullable", table_, from_),
                       .sql = fmt::format("ALTER TABLE {} MODIFY {} {} NULL, LOCK=NONE",
                                          context.table(table_), ChangeContext::quote(from_),
                                          from->type),
                       // Instant, unless an index has the column: then a rebuild the
                       // application reads and writes through.
                       .long_running = true});
    }
    for (auto& step : drop_triggers(context)) steps.push_back(std::move(step));
    // One statement, so that no moment lacks an index: the old column and its indexes go, the
    // copies take their names.
    std::string alter;
    for (const db::IndexInfo& index : indexes_with_column(context)) {
      alter += fmt::format("DROP INDEX IF EXISTS {0}, RENAME INDEX {1} TO {0}, ",
                           ChangeContext::quote(index.name),
                           ChangeContext::quote(copy_name(index.name)));
    }
    steps.push_back({.what = fmt::format("drop column {}.{}", table_, from_),
                     .sql = fmt::format("ALTER TABLE {} {}DROP COLUMN {}, LOCK=NONE",
                                        context.table(table_), alter, ChangeContext::quote(from_)),
                     .done_if = column_missing_query(context, table_, from_)});
    if (from && !from->nullable && to && to->nullable) {
      steps.push_back({.what = fmt::format("set {}.{} NOT NULL", table_, to_),
                       .sql = fmt::format("ALTER TABLE {} MODIFY {} {} NOT NULL{}, "
                                          "ALGORITHM=INPLACE, LOCK=NONE",
                                          context.table(table_), ChangeContext::quote(to_),
                                          to->type,
                                          to->default_expr ? " DEFAULT " + *to->default_expr : ""),
                       .long_running = true});
    }
    return steps;
  }


  std::string table_;
  std::string from_;
  std::string to_;
};

}  // namespace

std::unique_ptr<Operation> make_rename_column(const OperationSpec& spec) {
  return std::make_unique<RenameColumn>(spec);
}

}  // namespace cutover::change
