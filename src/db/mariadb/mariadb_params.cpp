// Rewrites of statement text for MariaDB: $n parameters into ?, ANSI quotes into backticks.
#include "db/mariadb/mariadb_params.h"

#include <string>

#include "core/error.h"

namespace cutover::db::mariadb {
namespace {

[[noreturn]] void throw_bad_marker(std::string message, std::string hint) {
  throw Error(ErrorCode::kOperationFailed, std::move(message), std::move(hint))
      .with_db_failure(DbFailure::kStatement);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Characters of an unquoted MariaDB identifier: a $ right after one belongs to the name.
bool is_identifier_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The index just past a quoted string or identifier that opens at `start`. Inside '..' and ".."
// a backslash escapes the next character; a doubled quote needs no rule of its own because it
// reads as one string ending where the next begins.
std::size_t skip_quoted(std::string_view sql, std::size_t start) {
  const char quote = sql[start];
  const bool backslash_escapes = quote != '`';
  std::size_t i = start + 1;
  while (i < sql.size() && sql[i] != quote) {
    i += backslash_escapes && sql[i] == '\\' ? std::size_t{2} : std::size_t{1};
  }
  return i < sql.size() ? i + 1 : sql.size();
}

std::size_t skip_line(std::string_view sql, std::size_t start) {
  std::size_t end = sql.find('\n', start);
  return end == std::string_view::npos ? sql.size() : end + 1;
}

// "-- " starts a comment only when a space or control character follows the dashes.
bool opens_dash_comment(std::string_view sql, std::size_t i) {
  if (sql.compare(i, 2, "--") != 0) return false;
  return i + 2 == sql.size() || static_cast<unsigned char>(sql[i + 2]) <= ' ';
}

// "/*! ... */" and "/*M! ... */" are executable comments: the server runs their text.
bool opens_block_comment(std::string_view sql, std::size_t i) {
  if (sql.compare(i, 2, "/*") != 0) return false;
  return sql.compare(i + 2, 1, "!") != 0 && sql.compare(i + 2, 2, "M!") != 0;
}

std::size_t skip_block_comment(std::string_view sql, std::size_t start) {
  std::size_t end = sql.find("*/", start + 2);
  return end == std::string_view::npos ? sql.size() : end + 2;
}

}  // namespace

PositionalSql rewrite_placeholders(std::string_view sql) {
  PositionalSql out;
  out.sql.reserve(sql.size());
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    std::size_t next = i + 1;
    if (c == '\'' || c == '"' || c == '`') {
      next = skip_quoted(sql, i);
    } else if (c == '#' || opens_dash_comment(sql, i)) {
      next = skip_line(sql, i);
    } else if (opens_block_comment(sql, i)) {
      next = skip_block_comment(sql, i);
    } else if (c == '?') {
      throw_bad_marker("the statement contains a bare '?', which MariaDB reads as a parameter",
                       "write parameters as $1, $2, ...; quote a literal question mark");
    } else if (c == '$' && i + 1 < sql.size() && is_digit(sql[i + 1]) &&
               (i == 0 || !is_identifier_char(sql[i - 1]))) {
      std::size_t end = i + 1;
      std::size_t number = 0;
      while (end < sql.size() && is_digit(sql[end])) {
        number = number * 10 + static_cast<std::size_t>(sql[end] - '0');
        ++end;
      }
      if (number == 0) {
        throw_bad_marker("the statement uses $0; parameters are numbered from $1",
                         "renumber the parameters $1, $2, ...");
      }
      out.sql += '?';
      out.bind_order.push_back(number - 1);
      if (number > out.highest) out.highest = number;
      i = end;
      continue;
    }
    out.sql.append(sql.substr(i, next - i));
    i = next;
  }
  return out;
}

std::string backquote_identifiers(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    std::size_t next = i + 1;
    if (c == '"') {
      // Under ANSI_QUOTES an identifier: no backslash escapes, "" stands for one ".
      out += '`';
      for (next = i + 1; next < sql.size(); ++next) {
        if (sql[next] == '"') {
          if (next + 1 < sql.size() && sql[next + 1] == '"') {
            out += '"';
            ++next;
            continue;
          }
          ++next;
          break;
        }
        if (sql[next] == '`') out += '`';
        out += sql[next];
      }
      out += '`';
      i = next;
      continue;
    }
    if (c == '\'' || c == '`') {
      next = skip_quoted(sql, i);
    } else if (c == '#' || opens_dash_comment(sql, i)) {
      next = skip_line(sql, i);
    } else if (opens_block_comment(sql, i)) {
      next = skip_block_comment(sql, i);
    }
    out.append(sql.substr(i, next - i));
    i = next;
  }
  return out;
}

}  // namespace cutover::db::mariadb
