// Facts SQLite keeps only in the CREATE text of sqlite_schema: CHECK clauses, constraint
// names of foreign keys, trigger timing and events, view bodies, index expressions.
#include "db/sqlite/sqlite_ddl_text.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

namespace cutover::db {
namespace {

// SQLite exposes no tokenizer, and these statements were already accepted by SQLite, so a
// small scanner that knows quotes, comments and parentheses is enough to find clauses.
enum class TokenKind { kWord, kQuotedName, kString, kOpen, kClose, kComma, kDot, kOther };

struct Token {
  TokenKind kind;
  size_t begin;  // byte offsets into the statement
  size_t end;
};

bool is_word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

// The end of a quoted run starting at `begin` (an opening quote), doubled quotes included.
size_t end_of_quoted(std::string_view sql, size_t begin, char close) {
  size_t i = begin + 1;
  while (i < sql.size()) {
    if (sql[i] == close) {
      if (close != ']' && i + 1 < sql.size() && sql[i + 1] == close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

std::vector<Token> tokenize(std::string_view sql) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      size_t eol = sql.find('\n', i);
      i = eol == std::string_view::npos ? sql.size() : eol + 1;
    } else if (sql.substr(i, 2) == "/*") {
      size_t close = sql.find("*/", i + 2);
      i = close == std::string_view::npos ? sql.size() : close + 2;
    } else if (c == '\'') {
      size_t end = end_of_quoted(sql, i, '\'');
      tokens.push_back({TokenKind::kString, i, end});
      i = end;
    } else if (c == '"' || c == '`' || c == '[') {
      size_t end = end_of_quoted(sql, i, c == '[' ? ']' : c);
      tokens.push_back({TokenKind::kQuotedName, i, end});
      i = end;
    } else if (is_word_char(c)) {
      size_t end = i;
      while (end < sql.size() && is_word_char(sql[end])) ++end;
      tokens.push_back({TokenKind::kWord, i, end});
      i = end;
    } else {
      TokenKind kind = c == '('   ? TokenKind::kOpen
                       : c == ')' ? TokenKind::kClose
                       : c == ',' ? TokenKind::kComma
                       : c == '.' ? TokenKind::kDot
                                  : TokenKind::kOther;
      tokens.push_back({kind, i, i + 1});
      ++i;
    }
  }
  return tokens;
}

// A statement and its tokens, with the questions the parsers ask of them.
class Scanner {
 public:
  explicit Scanner(std::string_view sql) : sql_(sql), tokens_(tokenize(sql)) {}

  size_t size() const { return tokens_.size(); }
  const Token& at(size_t i) const { return tokens_[i]; }
  std::string_view text(size_t i) const {
    return sql_.substr(tokens_[i].begin, tokens_[i].end - tokens_[i].begin);
  }
  // The source text from the start of token `first` to the end of token `last - 1`.
  std::string source(size_t first, size_t last) const {
    if (first >= last) return {};
    return std::string(
        sql_.substr(tokens_[first].begin, tokens_[last - 1].end - tokens_[first].begin));
  }
  std::string_view rest_after(size_t i) const { return sql_.substr(tokens_[i].end); }

  bool is_word(size_t i, std::string_view keyword) const {
    if (i >= tokens_.size() || tokens_[i].kind != TokenKind::kWord) return false;
    std::string_view word = text(i);
    if (word.size() != keyword.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
      if (std::toupper(static_cast<unsigned char>(word[k])) != keyword[k]) return false;
    }
    return true;
  }
  bool is(size_t i, TokenKind kind) const { return i < tokens_.size() && tokens_[i].kind == kind; }

  // The name a word or quoted-name token spells, quotes removed and doubled quotes undone.
  std::string name(size_t i) const {
    std::string_view raw = text(i);
    if (tokens_[i].kind != TokenKind::kQuotedName || raw.size() < 2) return std::string(raw);
    char close = raw.back();
    std::string out;
    for (size_t k = 1; k + 1 < raw.size(); ++k) {
      out += raw[k];
      if (raw[k] == close && close != ']' && k + 2 < raw.size() && raw[k + 1] == close) ++k;
    }
    return out;
  }

  // The index of the ')' that closes the '(' at `open`, or size() when unbalanced.
  size_t matching_close(size_t open) const {
    int depth = 0;
    for (size_t i = open; i < tokens_.size(); ++i) {
      if (tokens_[i].kind == TokenKind::kOpen) ++depth;
      if (tokens_[i].kind == TokenKind::kClose && --depth == 0) return i;
    }
    return tokens_.size();
  }

  // The first token from `from` on, outside any parentheses, that satisfies `match`.
  template <typename Match>
  std::optional<size_t> find_top_level(size_t from, Match match) const {
    for (size_t i = from; i < tokens_.size(); ++i) {
      if (match(i)) return i;
      if (tokens_[i].kind == TokenKind::kOpen) i = matching_close(i);
    }
    return std::nullopt;
  }

  // The comma-separated items between the '(' at `open` and its ')', as token ranges.
  std::vector<std::pair<size_t, size_t>> items(size_t open) const {
    std::vector<std::pair<size_t, size_t>> ranges;
    size_t close = matching_close(open);
    size_t start = open + 1;
    for (size_t i = open + 1; i < close; ++i) {
      if (tokens_[i].kind == TokenKind::kOpen) i = matching_close(i);
      if (i < close && tokens_[i].kind == TokenKind::kComma) {
        ranges.emplace_back(start, i);
        start = i + 1;
      }
    }
    if (start < close) ranges.emplace_back(start, close);
    return ranges;
  }

 private:
  std::string_view sql_;
  std::vector<Token> tokens_;
};

std::string trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin &&
         (std::isspace(static_cast<unsigned char>(text[end - 1])) || text[end - 1] == ';')) {
    --end;
  }
  return std::string(text.substr(begin, end - begin));
}

bool starts_table_constraint(const Scanner& s, size_t i) {
  return s.is_word(i, "CONSTRAINT") || s.is_word(i, "PRIMARY") || s.is_word(i, "UNIQUE") ||
         s.is_word(i, "CHECK") || s.is_word(i, "FOREIGN");
}

// Words that begin a column or table constraint; a CONSTRAINT name applies to the next one.
bool starts_constraint(const Scanner& s, size_t i) {
  for (std::string_view word : {"PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
                                "REFERENCES", "FOREIGN", "GENERATED", "AS"}) {
    if (s.is_word(i, word)) return true;
  }
  return false;
}

// The names in "( a, b )" starting at the '(' at `open`.
std::vector<std::string> name_list(const Scanner& s, size_t open) {
  std::vector<std::string> names;
  for (auto [first, last] : s.items(open)) {
    if (first < last) names.push_back(s.name(first));
  }
  return names;
}

// One column definition or table constraint of CREATE TABLE, tokens [first, last).
void read_table_item(const Scanner& s, size_t first, size_t last, SqliteTableDdl& ddl) {
  std::optional<std::string> column;
  if (!starts_table_constraint(s, first)) column = s.name(first);
  std::optional<std::string> pending_name;
  for (size_t i = column ? first + 1 : first; i < last; ++i) {
    if (s.is(i, TokenKind::kOpen)) {  // a type's size or a DEFAULT (...) expression
      i = s.matching_close(i);
      continue;
    }
    if (s.is_word(i, "CONSTRAINT") && i + 1 < last) {
      pending_name = s.name(i + 1);
      ++i;
      continue;
    }
    std::optional<std::string> name;
    if (starts_constraint(s, i)) name = std::exchange(pending_name, std::nullopt);
    if (s.is_word(i, "CHECK") && s.is(i + 1, TokenKind::kOpen)) {
      size_t close = s.matching_close(i + 1);
      ddl.checks.push_back({name.value_or(""), s.source(i + 2, std::min(close, last))});
      i = close;
    } else if (s.is_word(i, "FOREIGN") && s.is_word(i + 1, "KEY") &&
               s.is(i + 2, TokenKind::kOpen)) {
      size_t close = s.matching_close(i + 2);
      if (name && s.is_word(close + 1, "REFERENCES") && close + 2 < last) {
        ddl.named_foreign_keys.push_back({*name, name_list(s, i + 2), s.name(close + 2)});
      }
      i = close + 1;
    } else if (s.is_word(i, "REFERENCES") && i + 1 < last && column && name) {
      ddl.named_foreign_keys.push_back({*name, {*column}, s.name(i + 1)});
    }
  }
}

}  // namespace

SqliteTableDdl parse_sqlite_create_table(std::string_view sql) {
  SqliteTableDdl ddl;
  Scanner s(sql);
  // The column list is the first parenthesis; a name cannot contain one unquoted.
  std::optional<size_t> open = s.find_top_level(
      0, [&](size_t i) { return s.is(i, TokenKind::kOpen) || s.is_word(i, "AS"); });
  if (!open || !s.is(*open, TokenKind::kOpen)) return ddl;
  for (auto [first, last] : s.items(*open)) {
    if (first < last) read_table_item(s, first, last, ddl);
  }
  return ddl;
}

TriggerInfo parse_sqlite_create_trigger(std::string name, std::string_view sql) {
  TriggerInfo trigger{std::move(name), "BEFORE", ""};
  Scanner s(sql);
  std::optional<size_t> keyword =
      s.find_top_level(0, [&](size_t i) { return s.is_word(i, "TRIGGER"); });
  if (!keyword) return trigger;
  size_t i = *keyword + 1;
  if (s.is_word(i, "IF") && s.is_word(i + 1, "NOT") && s.is_word(i + 2, "EXISTS")) i += 3;
  i += s.is(i + 1, TokenKind::kDot) ? size_t{3} : size_t{1};  // [schema.]name
  for (; i < s.size() && !s.is_word(i, "ON"); ++i) {
    if (s.is_word(i, "BEFORE")) trigger.timing = "BEFORE";
    if (s.is_word(i, "AFTER")) trigger.timing = "AFTER";
    if (s.is_word(i, "INSTEAD")) trigger.timing = "INSTEAD OF";
    for (std::string_view event : {"INSERT", "UPDATE", "DELETE"}) {
      if (s.is_word(i, event)) trigger.events = std::string(event);
    }
    if (!trigger.events.empty()) break;  // UPDATE OF <columns> names columns, not events
  }
  return trigger;
}

std::string sqlite_view_query(std::string_view sql) {
  Scanner s(sql);
  std::optional<size_t> as = s.find_top_level(0, [&](size_t i) { return s.is_word(i, "AS"); });
  if (!as) return trim(sql);
  return trim(s.rest_after(*as));
}

std::vector<std::string> sqlite_index_items(std::string_view sql) {
  Scanner s(sql);
  std::optional<size_t> on = s.find_top_level(0, [&](size_t i) { return s.is_word(i, "ON"); });
  if (!on) return {};
  std::optional<size_t> open =
      s.find_top_level(*on, [&](size_t i) { return s.is(i, TokenKind::kOpen); });
  if (!open) return {};
  std::vector<std::string> items;
  for (auto [first, last] : s.items(*open)) items.push_back(s.source(first, last));
  return items;
}

}  // namespace cutover::db
