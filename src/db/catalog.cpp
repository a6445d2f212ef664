// The shape of a database as introspection reports it.
#include "db/catalog.h"

#include <utility>

namespace cutover::db {

const ColumnInfo* TableInfo::find_column(const std::string& column) const {
  for (const auto& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

const TableInfo* Catalog::find_table(const std::string& name) const {
  for (const auto& t : tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const ViewInfo* Catalog::find_view(const std::string& name) const {
  for (const auto& v : views) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

const IndexInfo* Catalog::find_index(const std::string& name, const TableInfo** owner) const {
  for (const auto& table : tables) {
    for (const auto& index : table.indexes) {
      if (index.name != name) continue;
      if (owner) *owner = &table;
      return &index;
    }
  }
  return nullptr;
}

ConstraintOrigin Catalog::copy_of(const std::string& table, const std::string& name) const {
  const TableInfo* owner = find_table(table);
  if (!owner) return {};
  if (owner->primary_key && owner->primary_key->name == name) return owner->primary_key->copy_of;
  for (const auto& key : owner->unique_keys) {
    if (key.name == name) return key.copy_of;
  }
  for (const auto& key : owner->foreign_keys) {
    if (key.name == name) return key.copy_of;
  }
  for (const auto& check : owner->checks) {
    if (check.name == name) return check.copy_of;
  }
  return {};
}

ConstraintOrigin Catalog::first_original(ConstraintOrigin copy) const {
  // A partition tree is never this deep; the bound only guards against a catalog that loops.
  for (int level = 0; level < 64; ++level) {
    ConstraintOrigin next = copy_of(copy.table, copy.name);
    if (next.name.empty()) break;
    copy = std::move(next);
  }
  return copy;
}

}  // namespace cutover::db
