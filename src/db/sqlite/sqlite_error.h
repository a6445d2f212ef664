// Turning SQLite result codes into SQLSTATE-like codes and readable statement excerpts.
#pragma once

#include <string>
#include <string_view>

namespace cutover::db {

// The SQLSTATE that best matches an extended SQLite result code, or "" when none is natural.
// `errmsg` refines SQLITE_ERROR ("no such table" -> 42P01); `during_prepare` marks errors of
// sqlite3_prepare, where a plain SQLITE_ERROR means the text did not compile (42601).
std::string sqlite_sqlstate(int extended_code, std::string_view errmsg, bool during_prepare);

// The statement on one line, whitespace collapsed, cut to about `max_chars` with "...", and
// passed through redact() so that it can go into an error message.
std::string sqlite_statement_excerpt(std::string_view sql, size_t max_chars = 160);

}  // namespace cutover::db
