// One compiled SQLite statement: exactly one statement per text, $n parameters, typed rows.
#include "db/sqlite/sqlite_statement.h"

#include <fmt/format.h>

#include <charconv>
#include <climits>

#include "core/error.h"
#include "db/sqlite/sqlite_error.h"

namespace cutover::db {
namespace {

// k for a placeholder named "$k" (k >= 1); 0 for any other name or an anonymous "?".
size_t dollar_number(const char* name) {
  if (name == nullptr || name[0] != '$') return 0;
  std::string_view digits(name + 1);
  size_t k = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
  return ec == std::errc() && end == digits.data() + digits.size() ? k : 0;
}

}  // namespace

SqliteStatement::SqliteStatement(SqliteSession& session, std::string_view sql)
    : session_(session), sql_(sql) {
  compile(sql_);
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

// sqlite3_prepare compiles the first statement and points past it; the rest is compiled too
// (without running it) to tell blank text and comments from a second statement.
void SqliteStatement::compile(std::string_view sql) {
  if (sql.size() > INT_MAX) {
    throw Error(ErrorCode::kOperationFailed, "SQLite: a statement text longer than 2 GiB")
        .with_sqlstate("54000")
        .with_db_failure(DbFailure::kStatement);
  }
  const char* cursor = sql.data();
  const char* end = sql.data() + sql.size();
  while (cursor < end) {
    sqlite3_stmt* piece = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(session_.handle(), cursor, static_cast<int>(end - cursor), &piece,
                                &tail);
    if (rc != SQLITE_OK && stmt_ == nullptr) session_.throw_error(rc, sql, true);
    if (rc != SQLITE_OK || (piece != nullptr && stmt_ != nullptr)) {
      sqlite3_finalize(piece);
      throw_more_than_one_statement();
    }
    if (piece != nullptr) stmt_ = piece;
    if (tail == nullptr || tail <= cursor) break;
    cursor = tail;
  }
}

void SqliteStatement::throw_more_than_one_statement() {
  sqlite3_finalize(stmt_);  // the constructor throws, so the destructor will not run
  stmt_ = nullptr;
  throw Error(ErrorCode::kOperationFailed,
              "SQLite: the text holds more than one statement, but each call runs exactly one: " +
                  sqlite_statement_excerpt(sql_),
              "split the script with split_statements() and run its statements one by one")
      .with_sqlstate("42601")
      .with_db_failure(DbFailure::kStatement);
}

void SqliteStatement::bind(const Params& params) {
  int placeholders = stmt_ == nullptr ? 0 : sqlite3_bind_parameter_count(stmt_);
  for (int i = 1; i <= placeholders; ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt_, i);
    size_t k = dollar_number(name);
    if (k == 0) {
      throw_parameter_error(
          fmt::format("placeholder '{}' is not of the form $1, $2, ...", name ? name : "?"),
          "42601");
    }
    if (k > params.size()) {
      throw_parameter_error(
          fmt::format("the statement uses ${} but {} parameter(s) were given", k, params.size()),
          "42P02");
    }
  }
  for (size_t k = 1; k <= params.size(); ++k) {
    std::string name = fmt::format("${}", k);
    int index = stmt_ == nullptr ? 0 : sqlite3_bind_parameter_index(stmt_, name.c_str());
    if (index == 0) {
      throw_parameter_error(
          fmt::format("parameter {} was given but the statement does not use it", name), "08P01");
    }
    bind_value(index, params[k - 1]);
  }
}

void SqliteStatement::bind_value(int index, const Value& value) {
  int rc = SQLITE_OK;
  if (value.is_null()) {
    rc = sqlite3_bind_null(stmt_, index);
  } else if (value.is_int()) {
    rc = sqlite3_bind_int64(stmt_, index, value.as_int());
  } else if (value.is_double()) {
    rc = sqlite3_bind_double(stmt_, index, value.as_double());
  } else {
    std::string text = value.text();
    rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  if (rc != SQLITE_OK) session_.throw_error(rc, sql_, false);
}

void SqliteStatement::throw_parameter_error(const std::string& message, const char* sqlstate) {
  throw Error(ErrorCode::kOperationFailed,
              fmt::format("SQLite: {} in: {}", message, sqlite_statement_excerpt(sql_)),
              "write parameters as $1, $2, ... and pass one value for each")
      .with_sqlstate(sqlstate)
      .with_db_failure(DbFailure::kStatement);
}

bool SqliteStatement::step() {
  if (stmt_ == nullptr) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  session_.throw_error(rc, sql_, false);
}

Row SqliteStatement::row() const {
  int count = sqlite3_column_count(stmt_);
  Row row;
  row.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    switch (sqlite3_column_type(stmt_, i)) {
      case SQLITE_INTEGER:
        row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt_, i)));
        break;
      case SQLITE_FLOAT:
        row.emplace_back(sqlite3_column_double(stmt_, i));
        break;
      case SQLITE_TEXT: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
        row.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))));
        break;
      }
      case SQLITE_BLOB: {
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
        size_t size = static_cast<size_t>(sqlite3_column_bytes(stmt_, i));
        row.emplace_back(bytes == nullptr ? std::string() : std::string(bytes, size));
        break;
      }
      default:
        row.emplace_back();
    }
  }
  return row;
}

std::vector<std::string> SqliteStatement::column_names() const {
  std::vector<std::string> names;
  int count = stmt_ == nullptr ? 0 : sqlite3_column_count(stmt_);
  for (int i = 0; i < count; ++i) names.emplace_back(sqlite3_column_name(stmt_, i));
  return names;
}

void SqliteStatement::reset() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);  // repeats the last step's error, which step() already reported
  sqlite3_clear_bindings(stmt_);
}

void sqlite_run(SqliteSession& session, std::string_view sql) {
  session.start_statement();
  SqliteStatement statement(session, sql);
  while (statement.step()) {
  }
}

}  // namespace cutover::db
