// Splits sqlite scripts into statements; see db::split_statements() for the contract.
#pragma once

#include <string_view>
#include <vector>

#include "db/statement.h"

namespace cutover::db {

std::vector<Statement> split_sqlite(std::string_view script);

}  // namespace cutover::db
