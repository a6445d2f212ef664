// Splitting SQL scripts into statements, per dialect, keeping each statement's line number.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "db/server_info.h"

namespace cutover::db {

struct Statement {
  std::string text;  // first to last token, no terminator: inner comments kept, outer dropped
  int line = 1;      // 1-based line of its first non-blank, non-comment character in the script
};

// Splits a script into statements. Empty statements (";;", comment-only tails) are dropped.
// PostgreSQL: libpg_query's parser; where the script does not parse, psql's rules on its tokens.
// MariaDB: quotes, backticks, comments, DELIMITER directives, BEGIN...END compound bodies.
// SQLite: quotes, comments, CREATE TRIGGER ... BEGIN ... END bodies.
// Throws Error(kBadInput) naming the line of an unterminated quote, comment or block.
std::vector<Statement> split_statements(Flavor flavor, std::string_view script);

// The byte offset of the 1-based `character` of UTF-8 `text` (how libpg_query reports an
// error's position), at most text.size().
std::size_t byte_offset_of_character(std::string_view text, int character);

// The 1-based line of byte `offset` in `script` (offsets past the end count as the end).
int line_of_offset(std::string_view script, std::size_t offset);

}  // namespace cutover::db
