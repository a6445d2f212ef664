// Splitting SQL scripts into statements, per dialect, keeping each statement's line number.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/server_info.h"

namespace cutover::db {

struct Statement {
  std::string text;  // first to last token, no terminator: inner comments kept, outer dropped
  int line = 1;      // 1-based line of its first non-blank, non-comment character in the script
};

// Where one statement is in its script, without a copy of its text: bytes [begin, end).
struct StatementSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
  int line = 1;  // as Statement::line
  // PostgreSQL: found by libpg_query's parser, which accepted the whole script, so the text
  // parses; false where the splitter fell back to psql's rules (or for other dialects).
  bool parsed = false;

  std::string_view text_in(std::string_view script) const {
    return script.substr(begin, end - begin);
  }
};

// Told, while a script is split, that the splitter is done with the bytes before an offset: a
// caller holding a big mapped script gives their memory back (SharedText), or shows progress.
using ScriptPassed = std::function<void(std::size_t offset)>;

// Finds the statements of a script, in order. Empty statements (";;", comment-only tails) are
// dropped. Time linear in the script's length (the line numbers included).
// PostgreSQL: libpg_query's parser; where the script does not parse, psql's rules on its tokens.
// MariaDB: quotes, backticks, comments, DELIMITER directives, BEGIN...END compound bodies.
// SQLite: quotes, comments, CREATE TRIGGER ... BEGIN ... END bodies.
// Throws Error(kBadInput) naming the line of an unterminated quote, comment or block.
// `passed`, if given, is called with increasing offsets as the split moves on (PostgreSQL: a
// megabyte at a time on big scripts; MariaDB and SQLite: after each statement).
std::vector<StatementSpan> find_statements(Flavor flavor, std::string_view script,
                                           const ScriptPassed& passed = {});

// find_statements() with each statement's text copied out of the script.
std::vector<Statement> split_statements(Flavor flavor, std::string_view script);

// The texts of `spans` of `script`.
std::vector<Statement> statements_of(std::string_view script,
                                     const std::vector<StatementSpan>& spans);

struct SyntaxError {
  std::string message;  // libpg_query's message, e.g. `syntax error at or near "TABEL"`
  int offset = 0;       // 0-based byte offset in sql of the error (cursorpos-1), 0 if unknown
  int line = 1;         // statement_syntax_error(): the 1-based line in the script
};

// PostgreSQL only: nullopt when `sql` parses (or flavor is not PostgreSQL), else the error.
// libpg_query counts characters; `offset` is converted to bytes of the UTF-8 text.
std::optional<SyntaxError> find_syntax_error(Flavor flavor, std::string_view sql);

// find_syntax_error() for the statement `span` of `script`, with the error's line in the
// script; nullopt at once for a span the splitter's parser accepted.
std::optional<SyntaxError> statement_syntax_error(Flavor flavor, std::string_view script,
                                                  const StatementSpan& span);

// Whether find_syntax_error() knows the syntax of a PostgreSQL server of `version_number`
// (ServerInfo::version_number): its parser is of one major version, and a later server's new
// syntax (JSON_TABLE, MERGE ... BY SOURCE) would look like errors. False for 0 (not known).
bool parser_knows_server(int version_number);

// The byte offset of the 1-based `character` of UTF-8 `text` (how libpg_query reports an
// error's position), at most text.size().
std::size_t byte_offset_of_character(std::string_view text, int character);

// The 1-based line of byte `offset` in `script` (offsets past the end count as the end).
// Counts from the start: for many offsets of one script use LineCounter.
int line_of_offset(std::string_view script, std::size_t offset);

// Lines of many offsets of one script, counted from the previous offset asked about: offsets
// asked in increasing order cost one pass over the script in all. Borrows `script`.
class LineCounter {
 public:
  explicit LineCounter(std::string_view script) : script_(script) {}

  // As line_of_offset(script, offset), for any offset (going back costs the distance).
  int line_of(std::size_t offset);

 private:
  std::string_view script_;
  std::size_t offset_ = 0;  // line_ is the line of this offset
  int line_ = 1;
};

}  // namespace cutover::db
