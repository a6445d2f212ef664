// A migration script made ready to run.
#include "migrate/prepared_script.h"

#include <fmt/format.h>

#include "core/error.h"
#include "db/statement.h"
#include "migrate/checksum.h"

namespace cutover::migrate {
namespace {

// Whether the database can roll DDL back with the rest of a transaction.
bool has_transactional_ddl(db::Flavor flavor) {
  return flavor == db::Flavor::kPostgres || flavor == db::Flavor::kSqlite;
}

std::vector<ScriptStep> group_into_steps(const std::vector<ScriptStatement>& statements,
                                         bool transactions) {
  std::vector<ScriptStep> steps;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    bool alone = !transactions || statements[i].traits.outside_transaction;
    int n = static_cast<int>(i);
    if (!alone && !steps.empty() && steps.back().in_transaction) {
      steps.back().end = n + 1;
    } else {
      steps.push_back({n, n + 1, !alone});
    }
  }
  return steps;
}

}  // namespace

std::int32_t PreparedScript::prefix_checksum(int count) const {
  std::string joined;
  for (int i = 0; i < count && i < this->count(); ++i) {
    joined += statement(i).text;
    joined += '\n';
  }
  return flyway_checksum(joined);
}

std::string PreparedScript::where(int index) const {
  return fmt::format("statement {} (line {})", index + 1, statement(index).line);
}

PreparedScript prepare_script(const MigrationScript& script, db::Flavor flavor,
                              const Placeholders& placeholders) {
  PreparedScript prepared{script, {}, {}};
  std::string text = replace_placeholders(script.text, placeholders, script.file_name);
  std::vector<db::Statement> split;
  try {
    split = db::split_statements(flavor, text);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", script.file_name, e.message()), e.hint());
  }
  for (auto& statement : split) {
    if (auto error = find_syntax_error(flavor, statement.text)) {
      int index = static_cast<int>(prepared.statements.size());
      int line = statement.line + db::line_of_offset(statement.text, static_cast<std::size_t>(error->offset)) - 1;
      throw_bad_input(fmt::format("{}: statement {} (line {}): {}", script.file_name, index + 1,
                                  line, error->message),
                      "fix the statement; nothing has been applied");
    }
    StatementTraits traits = classify_statement(flavor, statement.text);
    check_no_transaction_control(script.file_name, static_cast<int>(prepared.statements.size()),
                                 statement.line, traits);
    prepared.statements.push_back({std::move(statement.text), statement.line, std::move(traits)});
  }
  bool transactions = has_transactional_ddl(flavor) && !script.options.no_transaction;
  prepared.steps = group_into_steps(prepared.statements, transactions);
  return prepared;
}

}  // namespace cutover::migrate
