// One compiled SQLite statement: exactly one statement per text, $n parameters, typed rows.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

#include "db/sqlite/sqlite_session.h"
#include "db/value.h"

namespace cutover::db {

class SqliteStatement {
 public:
  // Compiles the one statement in `sql`. Text holding no statement at all (blank, comments)
  // gives an empty() statement that runs as a no-op. Throws Error(kStatement) when the text
  // does not compile (42601, 42P01, ...) or holds more than one statement.
  // The session must outlive the statement.
  SqliteStatement(SqliteSession& session, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  bool empty() const { return stmt_ == nullptr; }
  const std::string& sql() const { return sql_; }

  // Binds params[k-1] to every occurrence of $k. Throws Error(kStatement) when the text uses
  // another placeholder style (?, :name), a $k beyond the params, or leaves a param unused.
  void bind(const Params& params);
  // Runs to the next row: true when one is ready for row(), false when the statement is done.
  // Throws the session's Error for the failure (kCancelled for a timeout or cancel()).
  bool step();
  // The current row, each value typed by its storage class (BLOBs as their bytes in text).
  Row row() const;
  std::vector<std::string> column_names() const;
  // Makes the statement ready to bind and run again; never throws.
  void reset();

 private:
  void compile(std::string_view sql);
  [[noreturn]] void throw_more_than_one_statement();
  [[noreturn]] void throw_parameter_error(const std::string& message, const char* sqlstate);
  void bind_value(int index, const Value& value);

  SqliteSession& session_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs one statement that returns no rows the caller needs (BEGIN, COMMIT, PRAGMA x=y).
void sqlite_run(SqliteSession& session, std::string_view sql);

}  // namespace cutover::db
