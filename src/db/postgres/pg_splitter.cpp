// Splits PostgreSQL scripts with libpg_query: its parser where the script parses, psql's rules on
// its scanner's tokens where it does not.
#include "db/postgres/pg_splitter.h"

#include <fmt/format.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"

namespace cutover::db {
namespace {

// One lexical token of the script, comments excluded; offsets are bytes into the script.
// 16 bytes: a chunk of a big script has a token every few bytes. libpg_query's offsets are
// 32-bit too.
struct Token {
  std::int32_t kind = 0;  // a PgQuery__Token value: a character code below 256, else a named token
  bool is_word = false;   // unquoted identifier or keyword, as psql counts words
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

// Tokens [first, last] of the token list form one statement.
struct TokenSpan {
  std::size_t first = 0;
  std::size_t last = 0;
};

// Where and why the scanner stopped.
struct ScanFailure {
  std::size_t offset = 0;
  std::string message;
};

struct Scan {
  std::vector<Token> tokens;
  std::optional<ScanFailure> failure;  // set when the lexer rejected the script at `offset`
};

// The statements the psql rules found, and the start of an unclosed BEGIN ATOMIC body if any.
struct PsqlSplit {
  std::vector<TokenSpan> spans;
  std::optional<std::size_t> open_body_offset;
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "unterminated quoted string at or near "'abc..." -> "unterminated quoted string".
std::string without_excerpt(std::string message) {
  const auto at = message.find(" at or near ");
  if (at != std::string::npos) message.resize(at);
  return message;
}

// libpg_query reports no proper end for U&'...' strings and U&"..." identifiers, so find it:
// the quote after U& closes at the first quote that is not doubled.
std::size_t unicode_literal_end(std::string_view input, std::size_t begin) {
  const std::size_t quote_at = begin + 2;
  if (quote_at >= input.size()) return input.size();
  const char quote = input[quote_at];
  std::size_t pos = quote_at + 1;
  while (pos < input.size()) {
    if (input[pos] != quote) {
      ++pos;
    } else if (pos + 1 < input.size() && input[pos + 1] == quote) {
      pos += 2;
    } else {
      return pos + 1;
    }
  }
  return input.size();
}

bool is_comment(int kind) {
  return kind == PG_QUERY__TOKEN__SQL_COMMENT || kind == PG_QUERY__TOKEN__C_COMMENT;
}

// Runs PostgreSQL's lexer over `input`; comments are dropped from the token list.
Scan scan_tokens(const std::string& input) {
  Scan scan;
  PgQueryScanResult result = pg_query_scan(input.c_str());
  const std::unique_ptr<PgQueryScanResult, void (*)(PgQueryScanResult*)> result_guard(
      &result, [](PgQueryScanResult* r) { pg_query_free_scan_result(*r); });
  if (result.error != nullptr) {
    scan.failure = ScanFailure{byte_offset_of_character(input, result.error->cursorpos),
                               without_excerpt(result.error->message)};
    return scan;
  }
  PgQuery__ScanResult* unpacked = pg_query__scan_result__unpack(
      nullptr, result.pbuf.len, reinterpret_cast<const std::uint8_t*>(result.pbuf.data));
  if (unpacked == nullptr) {
    throw Error(ErrorCode::kOperationFailed, "libpg_query returned an unreadable token list",
                "This is a bug in cutover or libpg_query; please report it with the script.");
  }
  const std::unique_ptr<PgQuery__ScanResult, void (*)(PgQuery__ScanResult*)> unpacked_guard(
      unpacked, [](PgQuery__ScanResult* r) { pg_query__scan_result__free_unpacked(r, nullptr); });
  scan.tokens.reserve(unpacked->n_tokens);
  for (std::size_t i = 0; i < unpacked->n_tokens; ++i) {
    const PgQuery__ScanToken& raw = *unpacked->tokens[i];
    if (is_comment(raw.token)) continue;
    Token token;
    token.kind = static_cast<std::int32_t>(raw.token);
    token.begin = static_cast<std::uint32_t>(raw.start);
    token.end = static_cast<std::uint32_t>(raw.end);
    if (raw.token == PG_QUERY__TOKEN__USCONST || raw.token == PG_QUERY__TOKEN__UIDENT) {
      token.end = static_cast<std::uint32_t>(unicode_literal_end(input, token.begin));
    }
    token.is_word = (raw.token == PG_QUERY__TOKEN__IDENT && input[token.begin] != '"') ||
                    raw.keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD;
    scan.tokens.push_back(token);
  }
  return scan;
}

// Like scan_tokens(), but when the lexer fails, still returns the tokens before the failure so
// that problems earlier in the script are reported first.
Scan scan_script(const std::string& script) {
  Scan scan = scan_tokens(script);
  if (scan.failure) {
    Scan prefix = scan_tokens(script.substr(0, scan.failure->offset));
    scan.tokens = std::move(prefix.tokens);
  }
  return scan;
}

// The statements PostgreSQL's own parser sees, as token spans; nullopt when the script does not
// parse (a syntax error is then the server's to report, with the statement it belongs to).
std::optional<std::vector<TokenSpan>> split_by_parser(const std::string& input,
                                                      const std::vector<Token>& tokens) {
  PgQuerySplitResult result = pg_query_split_with_parser(input.c_str());
  const std::unique_ptr<PgQuerySplitResult, void (*)(PgQuerySplitResult*)> guard(
      &result, [](PgQuerySplitResult* r) { pg_query_free_split_result(*r); });
  if (result.error != nullptr) return std::nullopt;
  std::vector<TokenSpan> spans;
  for (int i = 0; i < result.n_stmts; ++i) {
    const auto begin = static_cast<std::size_t>(result.stmts[i]->stmt_location);
    const auto end = begin + static_cast<std::size_t>(result.stmts[i]->stmt_len);
    auto first = std::lower_bound(tokens.begin(), tokens.end(), begin,
                                  [](const Token& t, std::size_t at) { return t.begin < at; });
    auto past = std::lower_bound(first, tokens.end(), end,
                                 [](const Token& t, std::size_t at) { return t.end <= at; });
    if (first == past) continue;
    spans.push_back({static_cast<std::size_t>(first - tokens.begin()),
                     static_cast<std::size_t>(past - tokens.begin()) - 1});
  }
  return spans;
}

// psql's rule (psqlscan.l): a `;` ends a statement outside parentheses and outside the
// BEGIN ... END body of CREATE [OR REPLACE] FUNCTION|PROCEDURE, where CASE ... END nests too.
class PsqlSplitter {
 public:
  PsqlSplitter(std::string_view script, const std::vector<Token>& tokens)
      : script_(script), tokens_(tokens) {}

  PsqlSplit split() {
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      const Token& token = tokens_[i];
      if (token.kind == ';' && parens_ == 0 && begin_depth_ == 0) {
        close_statement();
        continue;
      }
      if (!first_) first_ = i;
      last_ = i;
      if (token.kind == '(') ++parens_;
      if (token.kind == ')' && parens_ > 0) --parens_;
      if (token.is_word) track_word(lower(text(token)), token.begin);
    }
    close_statement();
    return std::move(result_);
  }

 private:
  std::string_view text(const Token& token) const {
    return script_.substr(token.begin, token.end - token.begin);
  }

  void track_word(const std::string& word, std::size_t offset) {
    if (words_.size() < 4) words_.push_back(word);
    if (!defines_routine() || parens_ != 0) return;
    if (word == "begin") {
      if (begin_depth_++ == 0) body_offset_ = offset;
    } else if (word == "case") {
      if (begin_depth_ >= 1) ++begin_depth_;
    } else if (word == "end") {
      if (begin_depth_ > 0) --begin_depth_;
    }
  }

  bool defines_routine() const {
    auto is_routine = [](const std::string& w) { return w == "function" || w == "procedure"; };
    if (words_.size() >= 2 && words_[0] == "create" && is_routine(words_[1])) return true;
    return words_.size() >= 4 && words_[0] == "create" && words_[1] == "or" &&
           words_[2] == "replace" && is_routine(words_[3]);
  }

  void close_statement() {
    if (first_) result_.spans.push_back({*first_, last_});
    if (begin_depth_ > 0) result_.open_body_offset = body_offset_;
    first_.reset();
    words_.clear();
    parens_ = 0;
    begin_depth_ = 0;
  }

  std::string_view script_;
  const std::vector<Token>& tokens_;
  PsqlSplit result_;
  std::optional<std::size_t> first_;
  std::size_t last_ = 0;
  std::vector<std::string> words_;  // the statement's first four words, lowercased
  int parens_ = 0;
  int begin_depth_ = 0;
  std::size_t body_offset_ = 0;
};

// Rejects what only psql understands: meta-commands, COPY data inline in the script, and
// standard_conforming_strings = off (which changes how the rest of the script would lex).
class ClientFeatureCheck {
 public:
  ClientFeatureCheck(std::string_view script, const std::vector<Token>& tokens)
      : script_(script), tokens_(tokens) {}

  void check(const TokenSpan& span) const {
    for (std::size_t i = span.first; i <= span.last; ++i) {
      if (tokens_[i].kind == '\\') reject_meta_command(tokens_[i].begin);
    }
    const std::vector<std::string> words = words_at_top_level(span);
    if (!words.empty() && words[0] == "copy") check_copy(words, tokens_[span.first].begin);
    if (!words.empty() && words[0] == "set") check_set(span, words);
  }

 private:
  std::vector<std::string> words_at_top_level(const TokenSpan& span) const {
    std::vector<std::string> words;
    int parens = 0;
    for (std::size_t i = span.first; i <= span.last; ++i) {
      const Token& token = tokens_[i];
      if (token.kind == '(') ++parens;
      if (token.kind == ')') --parens;
      if (token.is_word && parens == 0) words.push_back(lower(text(token)));
    }
    return words;
  }

  std::string_view text(const Token& token) const {
    return script_.substr(token.begin, token.end - token.begin);
  }

  [[noreturn]] void reject_meta_command(std::size_t offset) const {
    const auto end = script_.find_first_of(" \t\r\n", offset);
    const std::string_view command = script_.substr(offset, end - offset);
    throw Error(ErrorCode::kBadInput,
                fmt::format("psql meta-command {} at line {} is not SQL; cutover runs plain SQL",
                            command, line_of_offset(script_, offset)),
                "Remove it from the script: cutover sends each statement to the server as is, "
                "without psql.");
  }

  void check_copy(const std::vector<std::string>& words, std::size_t offset) const {
    for (std::size_t i = 1; i + 1 < words.size(); ++i) {
      if (words[i] == "from" && words[i + 1] == "stdin") {
        throw Error(ErrorCode::kBadInput,
                    fmt::format("COPY ... FROM STDIN at line {} reads its rows from the client, "
                                "like psql's inline COPY data; cutover runs plain SQL",
                                line_of_offset(script_, offset)),
                    "Put the rows in INSERT statements, or COPY from a file on the database "
                    "server (COPY ... FROM '/path/on/server').");
      }
      if (words[i] == "to" && words[i + 1] == "stdout") {
        throw Error(ErrorCode::kBadInput,
                    fmt::format("COPY ... TO STDOUT at line {} sends rows to the client, which a "
                                "migration has nowhere to put",
                                line_of_offset(script_, offset)),
                    "Remove the statement from the migration.");
      }
    }
  }

  void check_set(const TokenSpan& span, const std::vector<std::string>& words) const {
    if (std::find(words.begin(), words.end(), "standard_conforming_strings") == words.end()) return;
    std::string value = lower(text(tokens_[span.last]));
    value.erase(std::remove(value.begin(), value.end(), '\''), value.end());
    if (value == "off" || value == "false" || value == "no" || value == "0") {
      throw Error(ErrorCode::kBadInput,
                  fmt::format("SET standard_conforming_strings = off at line {} is not supported",
                              line_of_offset(script_, tokens_[span.first].begin)),
                  "cutover splits scripts as PostgreSQL lexes them by default (backslashes are "
                  "literal in '...'); write backslash escapes as E'...' strings instead.");
    }
  }

  std::string_view script_;
  const std::vector<Token>& tokens_;
};

[[noreturn]] void throw_scan_failure(std::string_view script, const ScanFailure& failure) {
  const int line = line_of_offset(script, failure.offset);
  const bool unterminated = failure.message.rfind("unterminated", 0) == 0;
  throw Error(
      ErrorCode::kBadInput,
      fmt::format("{} {} line {}", failure.message, unterminated ? "starting at" : "at", line),
      unterminated ? fmt::format("Close it, or look for a quote, $tag$ or /* opened on "
                                 "line {} that was meant to be closed.",
                                 line)
                   : std::string("Fix the script where PostgreSQL's lexer stopped."));
}

std::vector<StatementSpan> to_spans(std::string_view script, const std::vector<Token>& tokens,
                                    const std::vector<TokenSpan>& spans, bool parsed) {
  std::vector<StatementSpan> statements;
  statements.reserve(spans.size());
  LineCounter lines(script);  // spans come in order: one pass over the script for all lines
  for (const TokenSpan& span : spans) {
    const std::size_t begin = tokens[span.first].begin;
    statements.push_back({begin, tokens[span.last].end, lines.line_of(begin), parsed});
  }
  return statements;
}

// A big script is split a chunk at a time, so that the tokens and parse tree of one chunk are
// held, not those of the whole file (several times its size). A chunk is about kChunkBytes (1 MB)
// of the script, cut just past a `;` token.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

// The tokens of `window` (which starts where the lexer is in its initial state) up to and
// including the last `;` among them, lexed as in the whole script: every token before a `;` ends
// before it, and a `;` never joins a longer token, so what follows the window cannot change
// them. Empty when the window has no `;` token before the place where the lexer stopped.
std::vector<Token> tokens_through_last_semicolon(const std::string& window) {
  Scan scan = scan_tokens(window);
  if (scan.failure) {
    // Most often a string or comment the window's end cut: lex the part before it.
    scan = scan_tokens(window.substr(0, scan.failure->offset));
    if (scan.failure) return {};
  }
  auto last = std::find_if(scan.tokens.rbegin(), scan.tokens.rend(),
                           [](const Token& t) { return t.kind == ';'; });
  scan.tokens.erase(last.base(), scan.tokens.end());
  return std::move(scan.tokens);
}

// Where the window starting at `begin` ends: just past the last `;` byte within `length` bytes
// (usually a statement's end, so the window lexes without error), or at the script's end.
std::size_t window_end(std::string_view input, std::size_t begin, std::size_t length) {
  if (input.size() - begin <= length) return input.size();
  const std::size_t semicolon = input.substr(begin, length).rfind(';');
  return semicolon == std::string_view::npos ? begin + length : begin + semicolon + 1;
}

// The statements of `input` found chunk by chunk, when the parser accepts every chunk as it
// stands. Then the chunks' statements are the whole script's: its grammar is a sequence of
// statements separated by `;`, and the lexer is in its initial state after a `;` token. A cut
// at a `;` that is not a statement end (inside a BEGIN ATOMIC body) leaves a chunk that does
// not parse. nullopt when a chunk does not parse or has a problem to report: the caller splits
// the whole script then, and reports it with the right line. Each byte is lexed twice: once
// for the tokens, once by the parser.
std::optional<std::vector<StatementSpan>> find_in_chunks(std::string_view input,
                                                         const ScriptPassed& passed) {
  std::vector<StatementSpan> statements;
  LineCounter lines(input);
  std::size_t chunk_begin = 0;
  for (std::size_t length = kChunkBytes; chunk_begin < input.size();) {
    const std::size_t end = window_end(input, chunk_begin, length);
    std::string chunk(input.substr(chunk_begin, end - chunk_begin));
    std::vector<Token> tokens;
    if (end == input.size()) {
      const Scan scan = scan_tokens(chunk);  // the last chunk: all of it
      if (scan.failure) return std::nullopt;
      tokens = scan.tokens;
    } else {
      tokens = tokens_through_last_semicolon(chunk);
      if (tokens.empty()) {  // no statement ends in the window: a longer one
        length *= 2;
        continue;
      }
      chunk.resize(tokens.back().end);
    }
    const std::optional<std::vector<TokenSpan>> spans = split_by_parser(chunk, tokens);
    if (!spans) return std::nullopt;
    try {
      const ClientFeatureCheck client_features(chunk, tokens);
      for (const TokenSpan& span : *spans) client_features.check(span);
    } catch (const Error&) {
      return std::nullopt;
    }
    for (const TokenSpan& span : *spans) {
      const std::size_t begin = chunk_begin + tokens[span.first].begin;
      statements.push_back({begin, chunk_begin + tokens[span.last].end, lines.line_of(begin), true});
    }
    chunk_begin += chunk.size();
    length = kChunkBytes;
    if (passed) passed(chunk_begin);
  }
  return statements;
}

}  // namespace

std::vector<StatementSpan> find_postgres_statements(std::string_view script,
                                                    const ScriptPassed& passed) {
  if (script.size() > kChunkBytes) {
    if (auto spans = find_in_chunks(script, passed)) return std::move(*spans);
  }
  const std::string input(script);  // libpg_query reads NUL-terminated text
  const Scan scan = scan_script(input);
  std::optional<std::vector<TokenSpan>> spans;
  if (!scan.failure) spans = split_by_parser(input, scan.tokens);
  const bool parsed = spans.has_value();
  std::optional<std::size_t> open_body_offset;
  if (!parsed) {
    PsqlSplit psql = PsqlSplitter(script, scan.tokens).split();
    spans = std::move(psql.spans);
    open_body_offset = psql.open_body_offset;
  }
  const ClientFeatureCheck client_features(script, scan.tokens);
  for (const TokenSpan& span : *spans) client_features.check(span);
  if (scan.failure) throw_scan_failure(script, *scan.failure);
  if (open_body_offset) {
    throw Error(ErrorCode::kBadInput,
                fmt::format("BEGIN ATOMIC body starting at line {} has no matching END",
                            line_of_offset(script, *open_body_offset)),
                "End the function or procedure body with END, then `;`.");
  }
  return to_spans(script, scan.tokens, *spans, parsed);
}

std::optional<SyntaxError> find_syntax_error(Flavor flavor, std::string_view sql) {
  if (flavor != Flavor::kPostgres) return std::nullopt;
  const std::string input(sql);
  PgQueryParseResult result = pg_query_parse(input.c_str());
  const std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> guard(
      &result, [](PgQueryParseResult* r) { pg_query_free_parse_result(*r); });
  if (result.error == nullptr) return std::nullopt;
  return SyntaxError{result.error->message != nullptr ? result.error->message : "",
                     static_cast<int>(byte_offset_of_character(sql, result.error->cursorpos))};
}

std::optional<SyntaxError> statement_syntax_error(Flavor flavor, std::string_view script,
                                                  const StatementSpan& span) {
  if (span.parsed) return std::nullopt;
  const std::string_view text = span.text_in(script);
  std::optional<SyntaxError> error = find_syntax_error(flavor, text);
  if (error) {
    error->line = span.line + line_of_offset(text, static_cast<std::size_t>(error->offset)) - 1;
  }
  return error;
}

bool parser_knows_server(int version_number) {
  return version_number > 0 && version_number / 10000 <= PG_VERSION_NUM / 10000;
}

}  // namespace cutover::db
