// Turning SQLite result codes into SQLSTATE-like codes and readable statement excerpts.
#include "db/sqlite/sqlite_error.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>

#include "core/connection_url.h"

namespace cutover::db {
namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string constraint_sqlstate(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return "23505";  // unique_violation
    case SQLITE_CONSTRAINT_NOTNULL:
      return "23502";  // not_null_violation
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return "23503";  // foreign_key_violation
    case SQLITE_CONSTRAINT_CHECK:
      return "23514";  // check_violation
    default:
      return "23000";  // integrity_constraint_violation
  }
}

// SQLite reports most compile-time problems as a plain SQLITE_ERROR; its messages for the
// common ones are stable, so they map onto PostgreSQL's codes for the same condition.
std::string error_sqlstate(std::string_view errmsg, bool during_prepare) {
  if (contains(errmsg, "no such table") || contains(errmsg, "no such view")) return "42P01";
  if (contains(errmsg, "no such column")) return "42703";
  if (contains(errmsg, "no such function")) return "42883";
  if (contains(errmsg, "already exists")) return "42P07";
  if (contains(errmsg, "within a transaction")) return "25001";  // active_sql_transaction
  if (contains(errmsg, "no transaction is active")) return "25P01";
  if (during_prepare) return "42601";  // syntax_error
  return "";
}

}  // namespace

std::string sqlite_sqlstate(int extended_code, std::string_view errmsg, bool during_prepare) {
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
      // A WAL snapshot that can no longer be upgraded to a writer: the transaction has to be
      // retried from the start, which is what a serialization failure tells the caller.
      if (extended_code == SQLITE_BUSY_SNAPSHOT) return "40001";
      return "55P03";  // lock_not_available
    case SQLITE_LOCKED:
      return "55P03";
    case SQLITE_CONSTRAINT:
      return constraint_sqlstate(extended_code);
    case SQLITE_READONLY:
      return "25006";  // read_only_sql_transaction
    case SQLITE_INTERRUPT:
      return "57014";  // query_canceled
    case SQLITE_TOOBIG:
      return "54000";  // program_limit_exceeded
    case SQLITE_FULL:
      return "53100";  // disk_full
    case SQLITE_NOMEM:
      return "53200";  // out_of_memory
    case SQLITE_MISMATCH:
      return "42804";  // datatype_mismatch
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return "XX001";  // data_corrupted
    case SQLITE_IOERR:
      return "58030";  // io_error
    case SQLITE_ERROR:
      return error_sqlstate(errmsg, during_prepare);
    default:
      return "";
  }
}

std::string sqlite_statement_excerpt(std::string_view sql, size_t max_chars) {
  std::string one_line;
  one_line.reserve(std::min(sql.size(), max_chars + 3));
  bool pending_space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      pending_space = !one_line.empty();
      continue;
    }
    // Cut only before the first byte of a character, never inside a UTF-8 sequence.
    bool continuation = (static_cast<unsigned char>(c) & 0xC0) == 0x80;
    if (one_line.size() >= max_chars && !continuation) {
      one_line += "...";
      break;
    }
    if (pending_space) one_line += ' ';
    pending_space = false;
    one_line += c;
  }
  return redact(one_line);
}

}  // namespace cutover::db
