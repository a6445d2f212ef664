// The rows of one executed statement, read one at a time, whichever protocol ran it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/value.h"

namespace cutover::db::mariadb {

// Owns the statement's result until destroyed; destroying it early discards the unread rows and
// leaves the connection ready for the next statement.
class RowReader {
 public:
  virtual ~RowReader() = default;
  // Column names; empty when the statement returns no rows (INSERT, DDL, ...).
  virtual const std::vector<std::string>& columns() const = 0;
  // Reads the next row into `row` (every value text or NULL). Returns false after the last.
  // Throws Error(kOperationFailed) when the server fails mid-result (e.g. KILL QUERY).
  virtual bool next(Row& row) = 0;
  // Rows changed by INSERT/UPDATE/DELETE; 0 for statements returning rows.
  virtual std::int64_t affected_rows() const = 0;
};

}  // namespace cutover::db::mariadb
