// Splits mariadb scripts into statements; see db::find_statements() for the contract.
#pragma once

#include <string_view>
#include <vector>

#include "db/statement.h"

namespace cutover::db {

std::vector<StatementSpan> find_mariadb_statements(std::string_view script,
                                                   const ScriptPassed& passed = {});

// find_mariadb_statements() with the texts copied.
inline std::vector<Statement> split_mariadb(std::string_view script) {
  return statements_of(script, find_mariadb_statements(script));
}

}  // namespace cutover::db
