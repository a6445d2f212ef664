// drop_constraint: a constraint the new version no longer wants, dropped on complete.
//
//   - drop_constraint: {table: users, name: users_age_check}
//
// A check, unique, foreign-key or primary-key constraint of the table. It keeps holding for
// both versions until complete (the old version may rely on it), so until then the new
// version's writes must satisfy it too; complete drops it (ALTER TABLE ... DROP CONSTRAINT IF
// EXISTS: a short lock, safe to run again; a unique or primary key's index goes with it).
// Start and rollback do nothing. MariaDB: DROP FOREIGN KEY, DROP INDEX (a unique key) or DROP
// CONSTRAINT (a check), each IF EXISTS and instant; a primary key is refused there (dropping it
// rebuilds the table, and a Galera cluster needs one on every table).
//
// There is no `down`: nothing has to be translated, since both versions write the same column.
// When the new version must write values the constraint refuses before complete, take the
// column route (alter_column on the column, whose shadow copy only the new version sees).
//
// A primary or unique key that a foreign key references cannot be dropped (PostgreSQL refuses
// at complete, when there is no going back), so validation refuses it: drop that foreign key
// first, in an earlier change.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/operations.h"
#include "change/operations/sql_parts.h"
#include "core/error.h"

namespace cutover::change {
namespace {

class DropConstraint : public Operation {
 public:
  explicit DropConstraint(const OperationSpec& spec) : Operation(spec) {
    if (spec.args.is_object() && spec.args.contains("down")) {
      throw_bad_input(
          fmt::format("{}: drop_constraint takes no `down`", where()),
          "the constraint holds for both versions until complete, so nothing is translated: "
          "remove `down`; to let the new version write values the constraint refuses before "
          "complete, use alter_column on the column instead");
    }
    OperationArgs args(spec);
    table_ = args.identifier("table");
    name_ = args.identifier("name");
    args.reject_unknown();
  }

  void validate(const ChangeContext& context) const override {
    const db::TableInfo& table = context.require_table(table_, where());
    const std::vector<std::string>* key = nullptr;  // a primary or unique key's columns
    bool found = false;
    if (table.primary_key && table.primary_key->name == name_) {
      key = &table.primary_key->columns;
      found = true;
    }
    for (const auto& unique : table.unique_keys) {
      if (unique.name == name_) {
        key = &unique.columns;
        found = true;
      }
    }
    for (const auto& foreign : table.foreign_keys) found = found || foreign.name == name_;
    for (const auto& check : table.checks) found = found || check.name == name_;
    if (!found) {
      std::vector<std::string> names;
      if (table.primary_key) names.push_back(table.primary_key->name);
      for (const auto& unique : table.unique_keys) names.push_back(unique.name);
      for (const auto& foreign : table.foreign_keys) names.push_back(foreign.name);
      for (const auto& check : table.checks) names.push_back(check.name);
      throw_bad_input(fmt::format("{}: table {} has no constraint {}", where(), table_, name_),
                      names.empty()
                          ? "the table has no constraints (NOT NULL is changed by alter_column)"
                          : fmt::format("its constraints are: {} (NOT NULL is changed by "
                                        "alter_column)",
                                        fmt::join(names, ", ")));
    }
    if (const db::ConstraintOrigin copy_of = context.catalog->copy_of(table_, name_);
        !copy_of.name.empty()) {
      refuse_copy(context.catalog->first_original(copy_of));
    }
    if (context.flavor == db::Flavor::kMariaDb && table.primary_key &&
        table.primary_key->name == name_) {
      throw_bad_input(fmt::format("{}: MariaDB drops a primary key only by rebuilding the table, "
                                  "and a Galera cluster needs one on every table",
                                  where()),
                      "keep the primary key, or change it with a migration in a quiet moment");
    }
    if (!key) return;
    refuse_referenced_key(context, table_, *key, where(), "the key " + name_);
  }

  bool supports(db::Flavor flavor) const override { return flavor != db::Flavor::kSqlite; }

  std::vector<Step> expand(const ChangeContext&) const override { return {}; }

  std::vector<Step> contract(const ChangeContext& context) const override {
    if (context.flavor == db::Flavor::kMariaDb) return mariadb_contract(context);
    return {{.what = fmt::format("drop constraint {} of {}", name_, table_),
             .sql = fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
                                context.table(table_), context.quote(name_))}};
  }

  std::vector<Step> rollback(const ChangeContext&) const override { return {}; }

 private:
  // The constraint is a copy (db::ConstraintOrigin) whose first original is `original`, which
  // PostgreSQL drops only with it.
  [[noreturn]] void refuse_copy(const db::ConstraintOrigin& original) const {
    throw_bad_input(
        fmt::format("{}: constraint {} of {} is PostgreSQL's copy of constraint {} of {} (a "
                    "partition, or an inheriting table, has a copy of each constraint of its "
                    "parent, and a foreign key to a partitioned table a copy for each "
                    "partition); the server drops a copy only with its original",
                    where(), name_, table_, original.name, original.table),
        fmt::format("drop the original instead, which drops its copies too: drop_constraint: "
                    "{{table: {}, name: {}}}",
                    original.table, original.name));
  }

  // The statement that drops the constraint, by its kind; nothing when it is gone already.
  std::vector<Step> mariadb_contract(const ChangeContext& context) const {
    const db::TableInfo* table = context.catalog->find_table(table_);
    if (!table) return {};
    const char* drop = nullptr;
    for (const auto& key : table->foreign_keys) drop = key.name == name_ ? "FOREIGN KEY" : drop;
    for (const auto& key : table->unique_keys) drop = key.name == name_ ? "INDEX" : drop;
    for (const auto& check : table->checks) drop = check.name == name_ ? "CONSTRAINT" : drop;
    if (!drop) return {};
    return {{.what = fmt::format("drop constraint {} of {}", name_, table_),
             .sql = fmt::format("ALTER TABLE {} DROP {} IF EXISTS {}, ALGORITHM=INSTANT",
                                context.table(table_), drop, context.quote(name_))}};
  }

  std::string table_;
  std::string name_;
};

}  // namespace

std::unique_ptr<Operation> make_drop_constraint(const OperationSpec& spec) {
  return std::make_unique<DropConstraint>(spec);
}

}  // namespace cutover::change
