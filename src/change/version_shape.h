// How the new version sees the schema: for each of its views, the table below it and which
// column of that table each of its columns shows. Built from the catalog, then changed by each
// operation in turn; the version schema's views are made from it (PostgreSQL).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "db/catalog.h"

namespace cutover::change {

struct ViewColumn {
  std::string name;    // as the new version names it
  std::string column;  // the table's column it shows (may be a shadow column)
};

struct VersionTable {
  std::string view;   // the view's name in the version schema
  std::string table;  // the base table below it
  std::vector<ViewColumn> columns;

  ViewColumn* find(std::string_view name);
};

struct VersionShape {
  std::vector<VersionTable> tables;

  // Every table of the catalog with all its columns, shadow columns (`_cutover_...`) left out.
  static VersionShape from_catalog(const db::Catalog& catalog);
  VersionTable* find(std::string_view view);
  void remove(std::string_view view);
  // After the operations shaped the tables (PostgreSQL): a partition's columns are its
  // partitioned table's, so its view shows what that table's view shows, and goes when that
  // table goes. `parent_of`: each partition's partitioned table, by base table name.
  void follow_partitioned_tables(const std::map<std::string, std::string>& parent_of);
};

}  // namespace cutover::change
