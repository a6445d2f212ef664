// rename_table: the new version calls a table by a new name; the table is renamed on complete.
//
//   - rename_table: {from: users, to: accounts}
//
// While both versions run, the table keeps its name for the old version, and the new version's
// schema shows it under the new name (a simple view, so it reads and writes through it).
// Complete renames the table (skipped when already done, so it is safe to run again); its
// indexes, constraints and sequences keep their names. Rollback has nothing to undo.
// PostgreSQL only: SQLite has no version schema to show the new name early.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "change/operation.h"
#include "change/operation_args.h"
#include "change/operations/operations.h"
#include "core/error.h"

namespace cutover::change {
namespace {

// An SQL string literal.
std::string literal(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + "'";
}

class RenameTable : public Operation {
 public:
  explicit RenameTable(const OperationSpec& spec) : Operation(spec) {
    OperationArgs args(spec);
    from_ = args.identifier("from");
    to_ = args.identifier("to");
    args.reject_unknown();
    if (from_ == to_) {
      throw_bad_input(fmt::format("{}: from and to are both {}", where(), from_),
                      "give the table's new name in `to`");
    }
  }

  void validate(const ChangeContext& context) const override {
    context.require_table(from_, where());
    bool taken = context.catalog->find_table(to_) != nullptr;
    for (const auto& view : context.catalog->views) taken = taken || view.name == to_;
    for (const auto& sequence : context.catalog->sequences) taken = taken || sequence.name == to_;
    for (const auto& table : context.catalog->tables) {
      for (const auto& index : table.indexes) taken = taken || index.name == to_;
    }
    if (taken) {
      throw_bad_input(fmt::format("{}: {} already names a table, view, sequence or index of {}",
                                  where(), to_, context.base_schema),
                      "choose a name that is free in the schema");
    }
  }

  std::vector<Step> expand(const ChangeContext&) const override { return {}; }

  void shape(VersionShape& shape, const ChangeContext&) const override {
    if (shape.find(to_)) {
      throw_bad_input(
          fmt::format("{}: the new version has a table {} already", where(), to_),
          "an earlier operation of the change made a table of that name: choose another");
    }
    VersionTable* table = shape.find(from_);
    if (!table) {
      throw_bad_input(fmt::format("{}: the new version has no table {} to rename", where(), from_),
                      "an earlier operation of the change dropped or renamed it");
    }
    table->view = to_;
  }

  std::vector<Step> contract(const ChangeContext& context) const override {
    return {{.what = fmt::format("rename table {} to {}", from_, to_),
             .sql = fmt::format("ALTER TABLE {} RENAME TO {}", context.table(from_),
                                context.quote(to_)),
             .done_if = fmt::format(
                 "SELECT 1 WHERE to_regclass({}) IS NULL AND to_regclass({}) IS NOT NULL",
                 literal(context.table(from_)), literal(context.table(to_)))}};
  }

  std::vector<Step> rollback(const ChangeContext&) const override { return {}; }

 private:
  std::string from_;
  std::string to_;
};

}  // namespace

std::unique_ptr<Operation> make_rename_table(const OperationSpec& spec) {
  return std::make_unique<RenameTable>(spec);
}

}  // namespace cutover::change
