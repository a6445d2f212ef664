// How the new version sees the schema.
#include "change/version_shape.h"

#include <algorithm>

namespace cutover::change {

ViewColumn* VersionTable::find(std::string_view name) {
  auto it = std::find_if(columns.begin(), columns.end(),
                         [&](const ViewColumn& c) { return c.name == name; });
  return it == columns.end() ? nullptr : &*it;
}

VersionShape VersionShape::from_catalog(const db::Catalog& catalog) {
  VersionShape shape;
  for (const auto& table : catalog.tables) {
    if (table.name.starts_with("_cutover_")) continue;
    VersionTable version{table.name, table.name, {}};
    for (const auto& column : table.columns) {
      if (column.name.starts_with("_cutover_")) continue;
      version.columns.push_back({column.name, column.name});
    }
    shape.tables.push_back(std::move(version));
  }
  return shape;
}

VersionTable* VersionShape::find(std::string_view view) {
  auto it = std::find_if(tables.begin(), tables.end(),
                         [&](const VersionTable& t) { return t.view == view; });
  return it == tables.end() ? nullptr : &*it;
}

void VersionShape::remove(std::string_view view) {
  std::erase_if(tables, [&](const VersionTable& t) { return t.view == view; });
}

void VersionShape::follow_partitioned_tables(const std::map<std::string, std::string>& parent_of) {
  const auto of_table = [&](const std::string& table) -> const VersionTable* {
    auto it = std::find_if(tables.begin(), tables.end(),
                           [&](const VersionTable& t) { return t.table == table; });
    return it == tables.end() ? nullptr : &*it;
  };
  std::vector<std::string> gone;
  for (VersionTable& partition : tables) {
    auto parent = parent_of.find(partition.table);
    if (parent == parent_of.end()) continue;
    std::string root = parent->second;  // a partition of a partition: the top table decides
    for (auto up = parent_of.find(root); up != parent_of.end(); up = parent_of.find(root)) {
      root = up->second;
    }
    if (const VersionTable* table = of_table(root)) {
      partition.columns = table->columns;
    } else {
      gone.push_back(partition.view);  // its partitioned table is dropped
    }
  }
  for (const std::string& view : gone) remove(view);
}

}  // namespace cutover::change
