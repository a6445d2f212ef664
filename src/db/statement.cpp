// Splitting SQL scripts into statements, per dialect, keeping each statement's line number.
#include "db/statement.h"

#include <algorithm>

#include "db/mariadb/mariadb_splitter.h"
#include "db/postgres/pg_splitter.h"
#include "db/sqlite/sqlite_splitter.h"

namespace cutover::db {

std::vector<StatementSpan> find_statements(Flavor flavor, std::string_view script,
                                           const ScriptPassed& passed) {
  switch (flavor) {
    case Flavor::kPostgres:
      return find_postgres_statements(script, passed);
    case Flavor::kMariaDb:
    case Flavor::kMySql:
      return find_mariadb_statements(script, passed);
    case Flavor::kSqlite:
      return find_sqlite_statements(script, passed);
  }
  return find_sqlite_statements(script, passed);
}

std::vector<Statement> split_statements(Flavor flavor, std::string_view script) {
  return statements_of(script, find_statements(flavor, script));
}

std::vector<Statement> statements_of(std::string_view script,
                                     const std::vector<StatementSpan>& spans) {
  std::vector<Statement> statements;
  statements.reserve(spans.size());
  for (const StatementSpan& span : spans) {
    statements.push_back({std::string(span.text_in(script)), span.line});
  }
  return statements;
}

int line_of_offset(std::string_view script, std::size_t offset) {
  return LineCounter(script).line_of(offset);
}

int LineCounter::line_of(std::size_t offset) {
  offset = std::min(offset, script_.size());
  const auto at = [&](std::size_t o) { return script_.begin() + static_cast<long>(o); };
  if (offset >= offset_) {
    line_ += static_cast<int>(std::count(at(offset_), at(offset), '\n'));
  } else {
    line_ -= static_cast<int>(std::count(at(offset), at(offset_), '\n'));
  }
  offset_ = offset;
  return line_;
}

std::size_t byte_offset_of_character(std::string_view text, int character) {
  std::size_t offset = 0;
  for (int seen = 1; seen < character && offset < text.size(); ++seen) {
    const auto lead = static_cast<unsigned char>(text[offset]);
    offset += lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  }
  return std::min(offset, text.size());
}

}  // namespace cutover::db
