// The rows a statement returned, with their column names and the count of rows it changed.
#include "db/result.h"

#include "core/error.h"

namespace cutover::db {

const Value& Result::scalar() const {
  if (rows.empty() || rows.front().empty()) {
    throw Error(ErrorCode::kOperationFailed, "expected one value, the statement returned no row");
  }
  return rows.front().front();
}

size_t Result::column_index(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  throw Error(ErrorCode::kOperationFailed, "no column named '" + name + "' in the result");
}

}  // namespace cutover::db
