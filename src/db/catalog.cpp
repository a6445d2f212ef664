// The shape of a database as introspection reports it.
#include "db/catalog.h"

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

}  // namespace cutover::db
