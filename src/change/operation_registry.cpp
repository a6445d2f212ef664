// Which operation each `kind` of a change file names.
#include <fmt/format.h>

#include <map>

#include "change/operation.h"
#include "change/operations/operations.h"
#include "core/error.h"

namespace cutover::change {
namespace {

using Factory = std::unique_ptr<Operation> (*)(const OperationSpec&);

// In the order docs/change.md presents them.
const std::vector<std::pair<std::string, Factory>>& factories() {
  static const std::vector<std::pair<std::string, Factory>> kFactories = {
      {"create_table", make_create_table},
      {"drop_table", make_drop_table},
      {"rename_table", make_rename_table},
      {"create_index", make_create_index},
      {"drop_index", make_drop_index},
      {"add_constraint", make_add_constraint},
      {"drop_constraint", make_drop_constraint},
      {"add_column", make_add_column},
      {"drop_column", make_drop_column},
      {"rename_column", make_rename_column},
      {"alter_column", make_alter_column},
      {"split_to_table", make_split_to_table},
      {"sql", make_raw_sql},
  };
  return kFactories;
}

}  // namespace

const std::vector<std::string>& operation_kinds() {
  static const std::vector<std::string> kKinds = [] {
    std::vector<std::string> kinds;
    for (const auto& [kind, factory] : factories()) kinds.push_back(kind);
    return kinds;
  }();
  return kKinds;
}

std::unique_ptr<Operation> make_operation(const OperationSpec& spec) {
  for (const auto& [kind, factory] : factories()) {
    if (kind == spec.kind) return factory(spec);
  }
  throw_bad_input(fmt::format("{}: unknown operation '{}'", spec.where(), spec.kind),
                  fmt::format("use one of: {}", fmt::join(operation_kinds(), ", ")));
}

}  // namespace cutover::change
