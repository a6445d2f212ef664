// A migration script made ready to run.
#include "migrate/prepared_script.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/error.h"
#include "db/statement.h"
#include "migrate/checksum.h"
#include "migrate/mariadb_dml.h"

namespace cutover::migrate {
namespace {

// Whether the database can roll DDL back with the rest of a transaction.
bool has_transactional_ddl(db::Flavor flavor) {
  return flavor == db::Flavor::kPostgres || flavor == db::Flavor::kSqlite;
}

// Whether `statement` may run inside a step's transaction, together with the progress record
// that says it is applied. On MariaDB only DML can: DDL commits implicitly, so it runs alone
// (a DDL that committed just before its holder died, unrecorded, is run again by a successor).
bool may_share_transaction(db::Flavor flavor, const ScriptStatement& statement) {
  if (statement.traits.outside_transaction) return false;
  if (has_transactional_ddl(flavor)) return true;
  return is_mariadb_dml(statement.text);
}

// The statement's first word (the splitters yield each statement from its first token).
std::string_view first_word(std::string_view text) {
  std::size_t length = 0;
  while (length < text.size() && std::isalpha(static_cast<unsigned char>(text[length])) != 0) {
    ++length;
  }
  return text.substr(0, length);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Whether the statement is a plain data statement, whose kind its first word decides.
bool is_data_statement(std::string_view text) {
  constexpr std::array<std::string_view, 6> kDataWords = {"insert", "update", "delete",
                                                          "select", "values", "with"};
  const std::string_view word = first_word(text);
  return std::any_of(kDataWords.begin(), kDataWords.end(),
                     [&](std::string_view data) { return equals_ignoring_case(word, data); });
}

// Whether a statement of a no-transaction file still runs in a transaction of its own, with its
// progress record: it commits on its own, as the file asks, and a leader killed while it runs
// leaves it applied and recorded or neither (the server ends the cut-off session and rolls it
// back), never applied and unrecorded for a successor to run again (a big INSERT ran twice).
// Data statements only: whatever else the file holds may be what made it no-transaction
// (REINDEX of a partitioned table, DISCARD ALL, CALL, SET TRANSACTION, ...) and runs as it is.
bool has_own_transaction(db::Flavor flavor, const ScriptStatement& statement) {
  return may_share_transaction(flavor, statement) && is_data_statement(statement.text);
}

// Adds statement `index` to the last step of `steps` when both may share a transaction, else
// starts a step with it.
void add_to_steps(std::vector<ScriptStep>& steps, int index, bool shares_transaction) {
  if (shares_transaction && !steps.empty() && steps.back().in_transaction) {
    steps.back().end = index + 1;
  } else {
    steps.push_back({index, index + 1, shares_transaction});
  }
}

// Whether classify_statement() has anything to find in a statement that parses: false for the
// plain data statements that fill big files, so that they cost no parse tree.
bool may_be_special(std::string_view text) { return !is_data_statement(text); }

// The text `script` runs: its file as it is when it holds no placeholder, else filled.
SharedText filled_text(const MigrationScript& script, const Placeholders& placeholders) {
  bool has_placeholder = false;
  script.text.for_each_piece([&](std::string_view piece) {  // `${` never spans a line break
    has_placeholder = has_placeholder || piece.find("${") != std::string_view::npos;
  });
  if (!has_placeholder) return script.text;
  return SharedText(replace_placeholders(script.text.view(), placeholders, script.file_name));
}

}  // namespace

std::int32_t PreparedScript::prefix_checksum(int count) const {
  const int last = static_cast<int>(prefix_checksums.size()) - 1;
  return prefix_checksums.at(static_cast<std::size_t>(std::clamp(count, 0, last)));
}

void PreparedScript::release_through(int index) const {
  sql.release_passed(index == 0 ? 0 : end_of(index - 1), end_of(index));
}

std::string PreparedScript::where(int index) const {
  return fmt::format("statement {} (line {})", index + 1, statement(index).line);
}

PreparedScript prepare_script(const MigrationScript& script, const db::ServerInfo& server,
                              const Placeholders& placeholders) {
  const db::Flavor flavor = server.flavor;
  const bool check_syntax =
      flavor != db::Flavor::kPostgres || db::parser_knows_server(server.version_number);
  PreparedScript prepared;
  prepared.script = script;
  prepared.script.text = {};  // the text is kept once, filled, in `sql`
  prepared.sql = filled_text(script, placeholders);
  const std::string_view sql = prepared.sql.view();
  std::vector<db::StatementSpan> spans;
  try {
    std::size_t at = 0;
    spans = db::find_statements(flavor, sql, [&](std::size_t passed) {
      prepared.sql.release_passed(at, passed);
      at = passed;
    });
  } catch (const Error& e) {
    throw e.with_context(script.file_name);
  }
  prepared.statements.reserve(spans.size());
  prepared.prefix_checksums.reserve(spans.size() + 1);
  FlywayChecksum prefix;
  prepared.prefix_checksums.push_back(prefix.value());
  std::size_t spans_read = 0;
  for (const db::StatementSpan& span : spans) {
    const std::string_view text = span.text_in(sql);
    // A statement the parser found in the whole script parses: no need to ask again.
    const int index = prepared.count();
    if (auto error = check_syntax ? db::statement_syntax_error(flavor, sql, span) : std::nullopt) {
      throw_bad_input(fmt::format("{}: statement {} (line {}): {}", script.file_name, index + 1,
                                  error->line, error->message),
                      "fix the statement; nothing has been applied");
    }
    StatementTraits traits;
    if (!span.parsed || may_be_special(text)) traits = classify_statement(flavor, text);
    check_no_transaction_control(script.file_name, index, span.line, traits);
    prepared.statements.push_back({text, span.line, std::move(traits)});
    if (script.options.no_transaction) {
      const bool own = has_own_transaction(flavor, prepared.statement(index));
      prepared.steps.push_back({index, index + 1, own});
    } else {
      add_to_steps(prepared.steps, index, may_share_transaction(flavor, prepared.statement(index)));
    }
    prefix.add(text);
    prefix.add("\n");
    prepared.prefix_checksums.push_back(prefix.value());
    prepared.sql.release_passed(spans_read, span.end);
    spans_read = span.end;
  }
  prepared.sql.release(sql);
  return prepared;
}

}  // namespace cutover::migrate
