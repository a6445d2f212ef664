// Splits MariaDB scripts as the mariadb client does (quotes, comments, DELIMITER directives), and
// also keeps compound statements (BEGIN ... END bodies) whole without a DELIMITER.
#include "db/mariadb/mariadb_splitter.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>

#include "core/error.h"

namespace cutover::db {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_word_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || c == '$' || u >= 0x80;
}

enum class TokenKind {
  kWord,       // unquoted identifier, keyword or number
  kQuoted,     // '...', "..." or `...`
  kPunct,      // one character, or :=
  kExecOpen,   // /*! or /*M! with its optional version number: SQL follows
  kExecClose,  // the */ closing an executable comment
  kDelimiter,  // the current delimiter, when it is not ;
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// MariaDB's lexical rules, one token at a time; comments and whitespace are skipped. Copy the
// lexer to look ahead.
class Lexer {
 public:
  explicit Lexer(std::string_view script) : script_(script) {}

  void set_delimiter(std::string delimiter) { delimiter_ = std::move(delimiter); }
  bool custom_delimiter() const { return delimiter_ != ";"; }
  std::size_t position() const { return pos_; }
  void seek(std::size_t pos) { pos_ = pos; }

  Token next() {
    skip_blanks_and_comments();
    const std::size_t begin = pos_;
    if (pos_ >= script_.size()) {
      if (exec_comment_start_) throw_unterminated("executable comment", *exec_comment_start_, "*/");
      return {TokenKind::kEnd, begin, begin};
    }
    if (custom_delimiter() && at_delimiter(pos_)) {
      pos_ += delimiter_.size();
      return {TokenKind::kDelimiter, begin, pos_};
    }
    if (const std::size_t open = exec_comment_opener_length(); open > 0) {
      exec_comment_start_ = begin;
      pos_ += open;
      return {TokenKind::kExecOpen, begin, pos_};
    }
    if (exec_comment_start_ && script_.substr(pos_, 2) == "*/") {
      exec_comment_start_.reset();
      pos_ += 2;
      return {TokenKind::kExecClose, begin, pos_};
    }
    const char c = script_[pos_];
    if (c == '\'' || c == '"' || c == '`') return quoted(c);
    if (is_word_char(c)) {
      while (pos_ < script_.size() && is_word_char(script_[pos_]) &&
             !(custom_delimiter() && at_delimiter(pos_))) {
        ++pos_;
      }
      return {TokenKind::kWord, begin, pos_};
    }
    pos_ += script_.substr(pos_, 2) == ":=" ? 2U : 1U;
    return {TokenKind::kPunct, begin, pos_};
  }

  Token peek() const {
    Lexer copy = *this;
    return copy.next();
  }

 private:
  bool at_delimiter(std::size_t pos) const {
    return script_.substr(pos, delimiter_.size()) == delimiter_;
  }

  void skip_blanks_and_comments() {
    while (pos_ < script_.size()) {
      if (is_space(script_[pos_])) {
        ++pos_;
      } else if (custom_delimiter() && at_delimiter(pos_)) {
        return;
      } else if (script_[pos_] == '#' || starts_dash_dash_comment()) {
        pos_ = std::min(script_.find('\n', pos_), script_.size());
      } else if (script_.substr(pos_, 2) == "/*" && exec_comment_opener_length() == 0) {
        const std::size_t close = script_.find("*/", pos_ + 2);
        if (close == std::string_view::npos) throw_unterminated("/* comment", pos_, "*/");
        pos_ = close + 2;
      } else {
        return;
      }
    }
  }

  // "--" starts a comment only when followed by a space, a control character or the end.
  bool starts_dash_dash_comment() const {
    if (script_.substr(pos_, 2) != "--") return false;
    return pos_ + 2 >= script_.size() || static_cast<unsigned char>(script_[pos_ + 2]) <= ' ';
  }

  // Length of "/*!50003" or "/*M!100108" at the current position, 0 if none is there. Inside an
  // executable comment a nested /*! is an ordinary comment.
  std::size_t exec_comment_opener_length() const {
    if (exec_comment_start_) return 0;
    std::size_t length = 0;
    if (script_.substr(pos_, 3) == "/*!") length = 3;
    if (script_.substr(pos_, 4) == "/*M!") length = 4;
    if (length == 0) return 0;
    while (pos_ + length < script_.size() &&
           std::isdigit(static_cast<unsigned char>(script_[pos_ + length])) != 0) {
      ++length;
    }
    return length;
  }

  // '...' and "..." take backslash escapes and doubled quotes; `...` only doubled backticks.
  Token quoted(char quote) {
    const std::size_t begin = pos_++;
    while (pos_ < script_.size()) {
      const char c = script_[pos_];
      if (c == '\\' && quote != '`') {
        pos_ += 2;
      } else if (c == quote && pos_ + 1 < script_.size() && script_[pos_ + 1] == quote) {
        pos_ += 2;
      } else if (c == quote) {
        ++pos_;
        return {TokenKind::kQuoted, begin, pos_};
      } else {
        ++pos_;
      }
    }
    if (quote == '`') throw_unterminated("quoted identifier", begin, "`");
    throw_unterminated("quoted string", begin, std::string(1, quote));
  }

  [[noreturn]] void throw_unterminated(std::string_view what, std::size_t begin,
                                       std::string_view closer) const {
    throw Error(
        ErrorCode::kBadInput,
        fmt::format("unterminated {} starting at line {}", what, line_of_offset(script_, begin)),
        fmt::format("Close it with {} (in MariaDB a backslash escapes the next character "
                    "inside '...' and \"...\").",
                    closer));
  }

  std::string_view script_;
  std::size_t pos_ = 0;
  std::string delimiter_ = ";";
  std::optional<std::size_t> exec_comment_start_;
};

// What kind of stored program a CREATE/ALTER statement defines, which decides where its body
// (and so the first statement position inside it) begins.
enum class Program { kNone, kRoutine, kTrigger, kEvent };

// Where the splitter is inside a stored program's header, before the body starts.
enum class HeaderPhase {
  kNone,               // not a stored program, or the body has started
  kAwaitParams,        // routine: before the parameter list
  kInParams,           // routine: inside the parameter list
  kRoutineTail,        // routine: RETURNS type and characteristics
  kAwaitRow,           // trigger: before FOR EACH ROW
  kAwaitRowAfterEach,  // trigger: after FOR EACH
  kAwaitDo,            // event: before DO
};

// A compound construct that ends with END; CASE_EXPR is a CASE expression (END without CASE).
enum class Block { kBegin, kIf, kCaseStatement, kCaseExpression, kLoop, kRepeat, kWhile, kFor };

struct OpenBlock {
  Block block;
  std::size_t offset;  // where its keyword is, for error messages
  int parens;          // parenthesis depth it opened at; its END is at the same depth
};

const char* block_keyword(Block block) {
  switch (block) {
    case Block::kBegin:
      return "BEGIN";
    case Block::kIf:
      return "IF";
    case Block::kCaseStatement:
    case Block::kCaseExpression:
      return "CASE";
    case Block::kLoop:
      return "LOOP";
    case Block::kRepeat:
      return "REPEAT";
    case Block::kWhile:
      return "WHILE";
    case Block::kFor:
      return "FOR";
  }
  return "BEGIN";
}

template <std::size_t N>
bool is_one_of(std::string_view word, const std::array<std::string_view, N>& words) {
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return equals_ignoring_case(word, w); });
}

// The words that may follow END to say which compound statement it closes.
constexpr std::array<std::string_view, 6> kEndWords = {"if",     "case",  "loop",
                                                       "repeat", "while", "for"};

// Words of a routine header after its parameter list; the first other word starts the body.
constexpr std::array<std::string_view, 24> kRoutineHeaderWords = {
    "returns",  "comment",  "language", "sql",       "not",       "deterministic",
    "contains", "no",       "reads",    "modifies",  "data",      "security",
    "definer",  "invoker",  "charset",  "character", "set",       "collate",
    "binary",   "unsigned", "signed",   "zerofill",  "precision", "varying"};

// Header words followed by one name (a type, a character set, a collation).
constexpr std::array<std::string_view, 4> kWordsTakingAName = {"returns", "charset", "set",
                                                               "collate"};

class Splitter {
 public:
  Splitter(std::string_view script, const ScriptPassed& passed)
      : script_(script), passed_(passed), lines_(script), lexer_(script) {}

  std::vector<StatementSpan> split() {
    while (true) {
      if (handle_delimiter_directive()) continue;
      const Token token = lexer_.next();
      if (token.kind == TokenKind::kEnd) break;
      if (ends_statement(token)) {
        finish_statement();
        continue;
      }
      extend_statement(token);
      if (!lexer_.custom_delimiter()) track_blocks(token);
    }
    finish_statement();
    return std::move(statements_);
  }

 private:
  std::string_view text(const Token& token) const {
    return script_.substr(token.begin, token.end - token.begin);
  }
  bool is_word(const Token& token, std::string_view word) const {
    return token.kind == TokenKind::kWord && equals_ignoring_case(text(token), word);
  }
  bool is_punct(const Token& token, char c) const {
    return token.kind == TokenKind::kPunct && script_[token.begin] == c &&
           token.end == token.begin + 1;
  }

  bool ends_statement(const Token& token) const {
    if (token.kind == TokenKind::kDelimiter) return true;
    return !lexer_.custom_delimiter() && is_punct(token, ';') && blocks_.empty();
  }

  // A line starting with DELIMITER (the mariadb client's rule) sets the delimiter for what
  // follows and ends any statement still pending.
  bool handle_delimiter_directive() {
    const Token token = lexer_.peek();
    if (!is_word(token, "delimiter") || !at_line_start(token.begin)) return false;
    if (token.end < script_.size() && script_[token.end] != ' ' && script_[token.end] != '\t' &&
        script_[token.end] != '\n' && script_[token.end] != '\r') {
      return false;
    }
    finish_statement();
    const std::size_t line_end = std::min(script_.find('\n', token.end), script_.size());
    lexer_.set_delimiter(delimiter_argument(token, line_end));
    lexer_.seek(line_end);
    return true;
  }

  bool at_line_start(std::size_t offset) const {
    while (offset > 0 && (script_[offset - 1] == ' ' || script_[offset - 1] == '\t')) --offset;
    return offset == 0 || script_[offset - 1] == '\n';
  }

  // The delimiter string after DELIMITER: its first word, or a quoted string.
  std::string delimiter_argument(const Token& directive, std::size_t line_end) const {
    std::string_view rest = script_.substr(directive.end, line_end - directive.end);
    const auto start = rest.find_first_not_of(" \t\r");
    rest = start == std::string_view::npos ? std::string_view() : rest.substr(start);
    std::string_view argument;
    if (!rest.empty() && (rest[0] == '\'' || rest[0] == '"' || rest[0] == '`')) {
      const auto close = rest.find(rest[0], 1);
      argument = rest.substr(1, close == std::string_view::npos ? close : close - 1);
    } else {
      argument = rest.substr(0, rest.find_first_of(" \t\r"));
    }
    const int line = line_of_offset(script_, directive.begin);
    if (argument.empty()) {
      throw Error(ErrorCode::kBadInput,
                  fmt::format("DELIMITER at line {} needs a delimiter string", line),
                  "Write e.g. `DELIMITER //` before the statements and `DELIMITER ;` after them.");
    }
    if (argument.find('\\') != std::string_view::npos) {
      throw Error(ErrorCode::kBadInput,
                  fmt::format("DELIMITER at line {} contains a backslash", line),
                  "Choose a delimiter without a backslash, e.g. // or $$.");
    }
    return std::string(argument);
  }

  void extend_statement(const Token& token) {
    if (!first_) first_ = token.begin;
    last_ = token.end;
  }

  void finish_statement() {
    if (!blocks_.empty()) {
      const OpenBlock& open = blocks_.back();
      throw Error(ErrorCode::kBadInput,
                  fmt::format("{} block starting at line {} has no matching END",
                              block_keyword(open.block), line_of_offset(script_, open.offset)),
                  "End every BEGIN, IF, CASE, LOOP, REPEAT, WHILE and FOR with its END (END IF, "
                  "END CASE, ...), or wrap the statement in DELIMITER // ... // DELIMITER ;.");
    }
    if (first_) {
      statements_.push_back({*first_, last_, lines_.line_of(*first_)});
      if (passed_) passed_(last_);
    }
    first_.reset();
    at_statement_start_ = true;
    seen_first_word_ = false;
    program_ = Program::kNone;
    program_keyword_end_ = 0;
    phase_ = HeaderPhase::kNone;
    parens_ = 0;
    previous_ = Token{};
  }

  // Tracks compound-statement nesting so that a `;` inside a body does not end the statement.
  void track_blocks(const Token& token) {
    if (token.kind == TokenKind::kExecOpen || token.kind == TokenKind::kExecClose) return;
    const bool after_dot = is_punct(previous_, '.');
    previous_ = token;
    if (is_punct(token, '(')) ++parens_;
    if (is_punct(token, ')') && parens_ > 0) --parens_;
    if (!seen_first_word_ && token.kind == TokenKind::kWord) {
      seen_first_word_ = true;
      classify_program(token);
    }
    if (phase_ != HeaderPhase::kNone && advance_header(token)) return;
    const bool at_start = at_statement_start_;
    at_statement_start_ = false;
    if (is_punct(token, ';')) {
      at_statement_start_ = true;  // inside a block: the next statement of the body
    } else if (token.kind == TokenKind::kWord && !after_dot) {
      track_word(token, at_start);
    }
  }

  void track_word(const Token& token, bool at_start) {
    const std::string_view word = text(token);
    if (equals_ignoring_case(word, "end")) return close_block(at_start);
    if (equals_ignoring_case(word, "case")) {
      return open_block(at_start ? Block::kCaseStatement : Block::kCaseExpression, token, at_start);
    }
    if (equals_ignoring_case(word, "begin")) return open_begin(token);
    if (at_start && label_follows()) {
      extend_statement(lexer_.next());  // the ':'
      at_statement_start_ = true;
      return;
    }
    if (at_start) open_statement_block(token);
    if (equals_ignoring_case(word, "then") || equals_ignoring_case(word, "else")) {
      at_statement_start_ = top_is(Block::kIf) || top_is(Block::kCaseStatement);
    } else if (equals_ignoring_case(word, "do")) {
      at_statement_start_ = top_is(Block::kWhile) || top_is(Block::kFor);
    }
  }

  void open_statement_block(const Token& token) {
    const std::string_view word = text(token);
    if (equals_ignoring_case(word, "if")) open_block(Block::kIf, token, false);
    if (equals_ignoring_case(word, "while")) open_block(Block::kWhile, token, false);
    if (equals_ignoring_case(word, "for")) open_block(Block::kFor, token, false);
    if (equals_ignoring_case(word, "loop")) open_block(Block::kLoop, token, true);
    if (equals_ignoring_case(word, "repeat")) open_block(Block::kRepeat, token, true);
  }

  // BEGIN opens a block inside a stored program or another block; at the top level only
  // BEGIN NOT ATOMIC does (plain BEGIN starts a transaction).
  void open_begin(const Token& token) {
    Lexer ahead = lexer_;
    const bool not_atomic = is_word(ahead.next(), "not") && is_word(ahead.next(), "atomic");
    if (program_ == Program::kNone && blocks_.empty() && !not_atomic) return;
    if (not_atomic) lexer_ = ahead;
    open_block(Block::kBegin, token, true);
  }

  // A word at a statement's start followed by ':' labels the block that follows.
  bool label_follows() const { return is_punct(lexer_.peek(), ':'); }

  void open_block(Block block, const Token& token, bool body_follows) {
    blocks_.push_back({block, token.begin, parens_});
    at_statement_start_ = body_follows;
  }

  // A compound statement's END starts a statement of the body (it follows `;`, or BEGIN in an
  // empty block), except after REPEAT ... UNTIL; a CASE expression's END may come anywhere.
  void close_block(bool at_start) {
    if (blocks_.empty() || blocks_.back().parens != parens_) return;
    if (!top_is(Block::kCaseExpression) &&
        (!(at_start || top_is(Block::kRepeat)) || !ends_compound_statement())) {
      return;
    }
    blocks_.pop_back();
    const Token next = lexer_.peek();
    if (next.kind == TokenKind::kWord && is_one_of(text(next), kEndWords)) {
      previous_ = lexer_.next();
      extend_statement(previous_);
    }
  }

  // After the END of a compound statement comes END's kind (END IF), a label, or the end of the
  // statement; anything else means `end` is a column name (SELECT start, end FROM t).
  bool ends_compound_statement() const {
    Lexer ahead = lexer_;
    Token next = ahead.next();
    if (next.kind == TokenKind::kWord && is_one_of(text(next), kEndWords)) return true;
    if (next.kind == TokenKind::kWord) next = ahead.next();  // a label
    return next.kind == TokenKind::kEnd || next.kind == TokenKind::kDelimiter ||
           next.kind == TokenKind::kExecClose || is_punct(next, ';');
  }

  bool top_is(Block block) const { return !blocks_.empty() && blocks_.back().block == block; }

  // Looks ahead from the statement's first word: CREATE [OR REPLACE] [DEFINER = ...]
  // [AGGREGATE] PROCEDURE|FUNCTION|TRIGGER|EVENT, or ALTER EVENT.
  void classify_program(const Token& first_word) {
    if (!is_word(first_word, "create") && !is_word(first_word, "alter")) return;
    constexpr std::array<std::string_view, 11> kOtherObjects = {
        "table", "view",     "index",  "database",   "schema", "user",
        "role",  "sequence", "server", "tablespace", "package"};
    Lexer ahead = lexer_;
    for (int i = 0; i < 24; ++i) {
      const Token token = ahead.next();
      if (token.kind == TokenKind::kEnd || token.kind == TokenKind::kDelimiter ||
          is_punct(token, ';')) {
        return;
      }
      if (token.kind != TokenKind::kWord) continue;
      const std::string_view word = text(token);
      program_keyword_end_ = token.end;
      if (is_word(token, "procedure") || is_word(token, "function")) {
        program_ = Program::kRoutine;
        phase_ = HeaderPhase::kAwaitParams;
      } else if (is_word(token, "trigger")) {
        program_ = Program::kTrigger;
        phase_ = HeaderPhase::kAwaitRow;
      } else if (is_word(token, "event")) {
        program_ = Program::kEvent;
        phase_ = HeaderPhase::kAwaitDo;
      } else if (!is_one_of(word, kOtherObjects)) {
        continue;
      }
      return;
    }
  }

  // Consumes a token of a stored program's header; returns false once the body starts, with
  // the current token being the body's first.
  bool advance_header(const Token& token) {
    switch (phase_) {
      case HeaderPhase::kAwaitParams:
        if (is_punct(token, '(') && token.begin >= program_keyword_end_) {
          phase_ = HeaderPhase::kInParams;
        }
        return true;
      case HeaderPhase::kInParams:
        if (is_punct(token, ')') && parens_ == 0) phase_ = HeaderPhase::kRoutineTail;
        return true;
      case HeaderPhase::kRoutineTail:
        if (parens_ > 0 || token.kind != TokenKind::kWord) return true;
        if (is_one_of(text(token), kWordsTakingAName)) {
          previous_ = lexer_.next();
          extend_statement(previous_);
          return true;
        }
        if (is_one_of(text(token), kRoutineHeaderWords)) return true;
        return start_body();
      case HeaderPhase::kAwaitRow:
        if (is_word(token, "each") && token.begin >= program_keyword_end_) {
          phase_ = HeaderPhase::kAwaitRowAfterEach;
        }
        return true;
      case HeaderPhase::kAwaitRowAfterEach:
        phase_ = HeaderPhase::kAwaitRow;
        if (is_word(token, "row")) {
          skip_trigger_order();
          phase_ = HeaderPhase::kNone;
          at_statement_start_ = true;
        }
        return true;
      case HeaderPhase::kAwaitDo:
        if (is_word(token, "do") && parens_ == 0) {
          phase_ = HeaderPhase::kNone;
          at_statement_start_ = true;
        }
        return true;
      case HeaderPhase::kNone:
        return false;
    }
    return false;
  }

  bool start_body() {
    phase_ = HeaderPhase::kNone;
    at_statement_start_ = true;
    return false;
  }

  // FOR EACH ROW may be followed by {FOLLOWS | PRECEDES} other_trigger.
  void skip_trigger_order() {
    const Token next = lexer_.peek();
    if (!is_word(next, "follows") && !is_word(next, "precedes")) return;
    extend_statement(lexer_.next());
    extend_statement(lexer_.next());
  }

  std::string_view script_;
  const ScriptPassed& passed_;
  LineCounter lines_;  // statements are found in order: one pass for all their lines
  Lexer lexer_;
  std::vector<StatementSpan> statements_;
  std::optional<std::size_t> first_;  // begin of the pending statement's first token
  std::size_t last_ = 0;              // end of its last token
  // Compound-statement tracking for the pending statement (only with the ; delimiter).
  bool at_statement_start_ = true;  // the next word may begin a statement (IF, LOOP, label, ...)
  bool seen_first_word_ = false;
  Program program_ = Program::kNone;
  std::size_t program_keyword_end_ = 0;  // end of PROCEDURE/FUNCTION/TRIGGER/EVENT
  HeaderPhase phase_ = HeaderPhase::kNone;
  int parens_ = 0;
  Token previous_;
  std::vector<OpenBlock> blocks_;
};

}  // namespace

std::vector<StatementSpan> find_mariadb_statements(std::string_view script,
                                                   const ScriptPassed& passed) {
  return Splitter(script, passed).split();
}

}  // namespace cutover::db
