// The rows a statement returned, with their column names and the count of rows it changed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/value.h"

namespace cutover::db {

struct Result {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  std::int64_t affected_rows = 0;  // INSERT/UPDATE/DELETE count; 0 for queries

  bool empty() const { return rows.empty(); }
  // The first column of the first row. Throws Error(kOperationFailed) when there is no row.
  const Value& scalar() const;
  // The index of a column by name. Throws Error(kOperationFailed) when there is none.
  size_t column_index(const std::string& name) const;
};

}  // namespace cutover::db
