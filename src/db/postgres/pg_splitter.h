// Splits postgres scripts into statements; see db::find_statements() for the contract.
#pragma once

#include <string_view>
#include <vector>

#include "db/statement.h"

namespace cutover::db {

std::vector<StatementSpan> find_postgres_statements(std::string_view script,
                                                    const ScriptPassed& passed = {});

// find_postgres_statements() with the texts copied.
inline std::vector<Statement> split_postgres(std::string_view script) {
  return statements_of(script, find_postgres_statements(script));
}

}  // namespace cutover::db
