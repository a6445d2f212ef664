// Splits sqlite scripts into statements; see db::find_statements() for the contract.
#pragma once

#include <string_view>
#include <vector>

#include "db/statement.h"

namespace cutover::db {

std::vector<StatementSpan> find_sqlite_statements(std::string_view script,
                                                  const ScriptPassed& passed = {});

// find_sqlite_statements() with the texts copied.
inline std::vector<Statement> split_sqlite(std::string_view script) {
  return statements_of(script, find_sqlite_statements(script));
}

}  // namespace cutover::db
