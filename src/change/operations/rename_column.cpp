// rename_column: the new version calls a column by another name.
//
//   - rename_column: {table: users, from: username, to: login}
//
// PostgreSQL only. Nothing changes at start: the new version's view shows the column under its
// new name, so both versions read and write the same column and no trigger is needed. Complete
// disables the change's sync triggers on the table (they name the column) and renames the
// column (ALTER TABLE RENAME COLUMN, skipped when done). Rollback has nothing to undo.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/column_copy.h"
#include "change/operations/operations.h"
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

  void validate(const ChangeContext& context) const override {
    const db::TableInfo& table = context.require_table(table_, where());
    context.require_column(table, from_, where());
    if (table.find_column(to_)) {
      throw_bad_input(fmt::format("{}: table {} has a column {} already", where(), table_, to_),
                      "choose another name, or drop that column first (drop_column)");
    }
  }

  Preflight preflight(const ChangeContext&) const override {
    Preflight preflight;
    preflight.column_tables = {table_};
    return preflight;
  }

  std::vector<Step> expand(const ChangeContext&) const override { return {}; }

  void shape(VersionShape& shape, const ChangeContext&) const override {
    VersionTable* view = version_table(shape, table_);
    if (view == nullptr) return;
    if (ViewColumn* column = view->find(from_)) column->name = to_;
  }

  std::vector<Step> contract(const ChangeContext& context) const override {
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

  std::vector<Step> rollback(const ChangeContext&) const override { return {}; }

 private:
  std::string table_;
  std::string from_;
  std::string to_;
};

}  // namespace

std::unique_ptr<Operation> make_rename_column(const OperationSpec& spec) {
  return std::make_unique<RenameColumn>(spec);
}

}  // namespace cutover::change
