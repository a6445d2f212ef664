// Splits SQLite scripts: a small scan finds each `;` outside quotes and comments, and SQLite's own
// sqlite3_complete() decides whether the text up to it is a whole statement (CREATE TRIGGER
// bodies).
#include "db/sqlite/sqlite_splitter.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <string>

#include "core/error.h"

namespace cutover::db {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_complete(std::string_view text) { return sqlite3_complete(std::string(text).c_str()) != 0; }

class Splitter {
 public:
  Splitter(std::string_view script, const ScriptPassed& passed)
      : script_(script), passed_(passed), lines_(script) {}

  std::vector<StatementSpan> split() {
    while (pos_ < script_.size()) {
      const char c = script_[pos_];
      if (is_space(c)) {
        ++pos_;
      } else if (script_.substr(pos_, 2) == "--") {
        pos_ = std::min(script_.find('\n', pos_), script_.size());
      } else if (script_.substr(pos_, 2) == "/*") {
        skip_block_comment();
      } else if (c == ';') {
        semicolon();
      } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
        quoted(c);
      } else {
        mark_significant(pos_, pos_ + 1);
        ++pos_;
      }
    }
    finish_script();
    return std::move(statements_);
  }

 private:
  void mark_significant(std::size_t begin, std::size_t end) {
    if (!first_) first_ = begin;
    last_ = end;
  }

  void skip_block_comment() {
    const std::size_t close = script_.find("*/", pos_ + 2);
    if (close == std::string_view::npos) throw_unterminated("/* comment", pos_, "*/");
    pos_ = close + 2;
  }

  // '...' is a string, "...", `...` and [...] are identifiers; the first three double their
  // quote to include it, [...] ends at the first ].
  void quoted(char open) {
    const char close = open == '[' ? ']' : open;
    const std::size_t begin = pos_++;
    while (true) {
      const std::size_t at = script_.find(close, pos_);
      if (at == std::string_view::npos) {
        throw_unterminated(open == '\'' ? "quoted string" : "quoted identifier", begin,
                           std::string(1, close));
      }
      pos_ = at + 1;
      if (open == '[' || pos_ >= script_.size() || script_[pos_] != close) break;
      ++pos_;  // a doubled quote stands for itself
    }
    mark_significant(begin, pos_);
  }

  // A `;` ends the statement unless sqlite3_complete() says the text so far is not whole yet
  // (inside CREATE TRIGGER ... BEGIN ... END).
  void semicolon() {
    ++pos_;
    if (!first_) {
      piece_begin_ = pos_;  // an empty statement
      return;
    }
    if (!is_complete(script_.substr(piece_begin_, pos_ - piece_begin_))) {
      mark_significant(pos_ - 1, pos_);
      return;
    }
    emit();
    piece_begin_ = pos_;
  }

  void emit() {
    statements_.push_back({*first_, last_, lines_.line_of(*first_)});
    if (passed_) passed_(last_);
    first_.reset();
  }

  // The last statement needs no `;`, but a trigger body must still be closed by END.
  void finish_script() {
    if (!first_) return;
    std::string closed(script_.substr(piece_begin_));
    closed += "\n;";
    if (!is_complete(closed)) {
      throw Error(ErrorCode::kBadInput,
                  fmt::format("CREATE TRIGGER starting at line {} has BEGIN without END",
                              line_of_offset(script_, *first_)),
                  "End the trigger body with END; after its last statement.");
    }
    emit();
  }

  [[noreturn]] void throw_unterminated(std::string_view what, std::size_t begin,
                                       std::string_view closer) const {
    throw Error(
        ErrorCode::kBadInput,
        fmt::format("unterminated {} starting at line {}", what, line_of_offset(script_, begin)),
        fmt::format("Close it with {}.", closer));
  }

  std::string_view script_;
  const ScriptPassed& passed_;
  LineCounter lines_;  // statements are found in order: one pass for all their lines
  std::size_t pos_ = 0;
  std::size_t piece_begin_ = 0;       // where the text of the pending statement starts
  std::optional<std::size_t> first_;  // its first significant character
  std::size_t last_ = 0;              // just past its last significant character
  std::vector<StatementSpan> statements_;
};

}  // namespace

std::vector<StatementSpan> find_sqlite_statements(std::string_view script,
                                                  const ScriptPassed& passed) {
  return Splitter(script, passed).split();
}

}  // namespace cutover::db
