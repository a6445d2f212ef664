// add_constraint: a check, unique or foreign-key constraint on existing columns, added at start
// without a long lock and validated after the backfill.
//
//   - add_constraint: {table: users, name: users_age_check, check: "age >= 0"}
//   - add_constraint: {table: users, name: users_email_key, unique: [email]}
//   - add_constraint:
//       table: orders
//       name: orders_user_fk
//       references: {columns: [user_id], table: users, ref_columns: [id], on_delete: CASCADE}
//
// Exactly one of check (an SQL condition), unique (columns) or references (columns, table,
// ref_columns; optional on_delete / on_update: NO ACTION, RESTRICT, CASCADE, SET NULL,
// SET DEFAULT). PostgreSQL only.
//   check, foreign key: start adds it NOT VALID (a short lock, no scan), then VALIDATE
//     CONSTRAINT after the backfill (scans without blocking writes); rows that break it make
//     the start fail: roll back, fix the data, start again.
//   unique: start builds the unique index CONCURRENTLY (an INVALID leftover of an interrupted
//     build is dropped first by the step runner), then, after the backfill, attaches it:
//     ADD CONSTRAINT ... UNIQUE USING INDEX (a short lock).
// Rollback drops the constraint (and the unique index). Complete has nothing to do.
// MariaDB:
//   unique: start builds the unique index online (ALGORITHM=INPLACE, LOCK=NONE).
//   foreign key: start adds it online with foreign_key_checks off for that statement
//     (INPLACE, LOCK=NONE: MariaDB would copy the table to check it), so the rows that exist
//     are not checked then; after the backfill a query looks for rows that break it, and
//     finding one makes the start fail (roll back, fix the data, start again).
//   check: MariaDB adds a check only by copying the table (ALGORITHM=COPY, LOCK=SHARED), which
//     stops the application's writes to it meanwhile: refused, unless --allow-copy-alter.
//
// Mind that the constraint is on the table both versions write: from the moment start adds it,
// the OLD version's inserts and updates are checked too, and fail if they break it. When the
// old version may still write such rows, take the column route instead: alter_column with
// `check`, `unique` or `references` puts the constraint on a shadow column that only the new
// version's view shows, with `up` turning the old version's values into valid ones.
//
// The name must be free when the change starts (for unique: free as an index name in the
// schema too): a constraint of that name is the user's, and rollback would drop it.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/mariadb_constraints.h"
#include "change/operations/operations.h"
#include "change/operations/sql_parts.h"
#include "core/error.h"

namespace cutover::change {
namespace {

// Whether `columns` are the primary key or a unique key (constraint or valid unique index) of
// `table`: what a foreign key may reference.
bool is_unique_key(const db::TableInfo& table, const std::vector<std::string>& columns) {
  if (table.primary_key && same_columns(table.primary_key->columns, columns)) return true;
  for (const auto& key : table.unique_keys) {
    if (same_columns(key.columns, columns)) return true;
  }
  for (const auto& index : table.indexes) {
    if (index.unique && index.valid && same_columns(index.columns, columns)) return true;
  }
  return false;
}

class AddConstraint : public Operation {
 public:
  enum class Kind { kCheck, kUnique, kForeignKey };

  explicit AddConstraint(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    table_ = args.identifier("table");
    name_ = args.identifier("name");
    int given = 0;
    if (spec.args.contains("check")) {
      kind_ = Kind::kCheck;
      check_ = args.string("check");
      ++given;
    }
    if (spec.args.contains("unique")) {
      kind_ = Kind::kUnique;
      columns_ = args.identifier_list("unique");
      ++given;
    }
    if (spec.args.contains("references")) {
      kind_ = Kind::kForeignKey;
      OperationArgs ref = args.object("references");
      columns_ = ref.identifier_list("columns");
      ref_table_ = ref.identifier("table");
      ref_columns_ = ref.identifier_list("ref_columns");
      on_delete_ = read_reference_action(ref, "on_delete", where());
      on_update_ = read_reference_action(ref, "on_update", where());
      ++given;
    }
    args.reject_unknown();
    if (given != 1) {
      throw_bad_input(
          fmt::format("{}: give exactly one of check, unique and references ({} given)", where(),
                      given),
          "one constraint per add_constraint, e.g. {table: t, name: c, check: \"a > 0\"}");
    }
    if (kind_ == Kind::kForeignKey && columns_.size() != ref_columns_.size()) {
      throw_bad_input(fmt::format("{}: references has {} columns and {} ref_columns", where(),
                                  columns_.size(), ref_columns_.size()),
                      "name one referenced column for each referencing column, in order");
    }
  }

  bool supports(db::Flavor flavor) const override { return flavor != db::Flavor::kSqlite; }

  void validate(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kMariaDb && kind_ == Kind::kCheck) {
      refuse_copy_alter(context, where(), "a check constraint");
    }
    if (context.flavor == db::Flavor::kMariaDb && kind_ == Kind::kUnique) {
      mariadb_index_algorithm(context, where(), column_types(context, table_, columns_), true);
    }
    const db::TableInfo& table = context.require_table(table_, where());
    for (const auto& column : columns_) context.require_column(table, column, where());
    bool taken = table.primary_key && table.primary_key->name == name_;
    for (const auto& key : table.unique_keys) taken = taken || key.name == name_;
    for (const auto& key : table.foreign_keys) taken = taken || key.name == name_;
    for (const auto& check : table.checks) taken = taken || check.name == name_;
    if (taken) {
      throw_bad_input(
          fmt::format("{}: table {} has a constraint {} already", where(), table_, name_),
          "choose another name for the constraint");
    }
    // A unique key's index takes its name, and so does the index MariaDB makes for a foreign
    // key that no index serves (which rollback drops by that name).
    if (kind_ == Kind::kUnique ||
        (kind_ == Kind::kForeignKey && context.flavor == db::Flavor::kMariaDb)) {
      check_index_name_free(context);
    }
    if (kind_ == Kind::kForeignKey) {
      const db::TableInfo& ref = context.require_table(ref_table_, where());
      for (const auto& column : ref_columns_) context.require_column(ref, column, where());
      if (!is_unique_key(ref, ref_columns_)) {
        throw_bad_input(fmt::format("{}: ({}) is neither the primary key nor a unique key of {}",
                                    where(), fmt::join(ref_columns_, ", "), ref_table_),
                        "a foreign key references a primary key or unique key: add one first (for "
                        "instance add_constraint with unique, in an earlier change)");
      }
      // MariaDB serves a foreign key with an index it makes itself when none is there, and
      // replaces that index by the new key's: rollback could then drop neither the new index
      // (the old key needs it) nor bring the old one back.
      for (const auto& key : table.foreign_keys) {
        const bool own_index =
            std::any_of(table.indexes.begin(), table.indexes.end(),
                        [&](const db::IndexInfo& index) { return index.name == key.name; });
        if (context.flavor == db::Flavor::kMariaDb && key.columns == columns_ && own_index) {
          throw_bad_input(
              fmt::format("{}: foreign key {} of {} is on ({}) already, and MariaDB would "
                          "replace the index it made for it by this key's, which rollback could "
                          "not undo",
                          where(), key.name, table_, fmt::join(columns_, ", ")),
              fmt::format("create an index on ({}) first (create_index, in an earlier change): "
                          "both keys then use it",
                          fmt::join(columns_, ", ")));
        }
      }
    }
  }

  Preflight preflight(const ChangeContext& context) const override {
    Preflight preflight;
    if (kind_ == Kind::kCheck) {
      preflight.probes.push_back(probe_expression(context, table_, check_));
      if (context.flavor == db::Flavor::kPostgres) {  // as a check takes it: no subquery
        preflight.sandbox_table = table_;
        preflight.sandbox.push_back(
            fmt::format("ALTER TABLE {} ADD CHECK ({})", kSandboxTable, check_));
      }
    } else {
      preflight.whole_tables = {table_};  // a concurrent unique index, a NOT VALID foreign key
    }
    return preflight;
  }

  std::vector<Step> expand(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kMariaDb) return mariadb_expand(context);
    if (kind_ == Kind::kUnique) {
      return {
          {.what = fmt::format("build unique index {} on {}", name_, table_),
           .sql = fmt::format("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})",
                              context.quote(name_), context.table(table_), quoted_list(columns_)),
           .outside_transaction = true,
           .builds_index = name_}};
    }
    std::string definition;
    if (kind_ == Kind::kCheck) {
      definition = fmt::format("CHECK ({})", check_);
    } else {
      definition = fmt::format("FOREIGN KEY ({}) REFERENCES {} ({})", quoted_list(columns_),
                               context.table(ref_table_), quoted_list(ref_columns_));
      if (on_delete_) definition += " ON DELETE " + *on_delete_;
      if (on_update_) definition += " ON UPDATE " + *on_update_;
    }
    return {{.what = fmt::format("add constraint {} to {} (not valid yet)", name_, table_),
             .sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID",
                                context.table(table_), context.quote(name_), definition),
             .done_if = constraint_exists(context)}};
  }

  std::vector<Step> after_backfill(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kMariaDb) {
      if (kind_ == Kind::kCheck) return {add_mariadb_check(context, table_, name_, check_)};
      if (kind_ == Kind::kForeignKey) return {check_mariadb_foreign_key(context, foreign_key())};
      return {};
    }
    if (kind_ == Kind::kUnique) {
      return {
          {.what = fmt::format("attach unique index {} to {} as a constraint", name_, table_),
           .sql = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                              context.table(table_), context.quote(name_), context.quote(name_)),
           .done_if = constraint_exists(context)}};
    }
    return {{.what = fmt::format("validate constraint {} of {}", name_, table_),
             .sql = fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", context.table(table_),
                                context.quote(name_)),
             .long_running = true}};
  }

  std::vector<Step> contract(const ChangeContext&) const override { return {}; }

  std::vector<Step> rollback(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kMariaDb) {
      return {{.what = fmt::format("drop constraint {} of {}", name_, table_),
               .sql = fmt::format("ALTER TABLE {} DROP {} IF EXISTS {}{}, LOCK=NONE",
                                  context.table(table_),
                                  kind_ == Kind::kUnique       ? "INDEX"
                                  : kind_ == Kind::kForeignKey ? "FOREIGN KEY"
                                                               : "CONSTRAINT",
                                  context.quote(name_),
                                  // the index MariaDB made for the key when none served it
                                  kind_ == Kind::kForeignKey
                                      ? ", DROP INDEX IF EXISTS " + context.quote(name_)
                                      : "")}};
    }
    std::vector<Step> steps = {{.what = fmt::format("drop constraint {} of {}", name_, table_),
                                .sql = fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                                                   context.table(table_), context.quote(name_))}};
    if (kind_ == Kind::kUnique) {
      // Not attached yet (rolled back before the backfill ended): the index alone.
      steps.push_back(
          {.what = fmt::format("drop unique index {}", name_),
           .sql = fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", context.table(name_)),
           .outside_transaction = true});
    }
    return steps;
  }

 private:
  std::vector<Step> mariadb_expand(const ChangeContext& context) const {
    if (kind_ == Kind::kUnique) {
      return {{.what = fmt::format("build unique index {} on {}", name_, table_),
               .sql = fmt::format("ALTER TABLE {} ADD UNIQUE INDEX IF NOT EXISTS {} ({}), {}",
                                  context.table(table_), context.quote(name_),
                                  quoted_list(columns_),
                                  mariadb_index_algorithm(context, where(), column_types(context, table_, columns_),
                                                          true)),
               .long_running = true}};
    }
    if (kind_ == Kind::kForeignKey) return {add_mariadb_foreign_key(context, foreign_key())};
    return {};  // a check: added after the backfill, by copying the table
  }

  MariaDbForeignKey foreign_key() const {
    return {table_, name_, columns_, ref_table_, ref_columns_, on_delete_, on_update_};
  }

  void check_index_name_free(const ChangeContext& context) const {
    const db::Catalog& catalog = *context.catalog;
    bool taken = catalog.find_table(name_) != nullptr;
    for (const auto& view : catalog.views) taken = taken || view.name == name_;
    for (const auto& sequence : catalog.sequences) taken = taken || sequence.name == name_;
    for (const auto& table : catalog.tables) {
      for (const auto& index : table.indexes) taken = taken || index.name == name_;
    }
    if (taken) {
      throw_bad_input(
          fmt::format("{}: {} already names a table, view, sequence or index of {}, and a "
                      "unique constraint's index takes the constraint's name",
                      where(), name_, context.base_schema),
          "choose another name for the constraint");
    }
  }

  // A query that returns a row when the table has the constraint.
  std::string constraint_exists(const ChangeContext& context) const {
    return fmt::format(
        "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({}) AND conname = {}",
        sql_literal(context.table(table_)), sql_literal(name_));
  }

  std::string table_;
  std::string name_;
  Kind kind_ = Kind::kCheck;
  std::string check_;
  std::vector<std::string> columns_;  // unique, or the foreign key's own columns
  std::string ref_table_;
  std::vector<std::string> ref_columns_;
  std::optional<std::string> on_delete_;
  std::optional<std::string> on_update_;
};

}  // namespace

std::unique_ptr<Operation> make_add_constraint(const OperationSpec& spec) {
  return std::make_unique<AddConstraint>(spec);
}

}  // namespace cutover::change
