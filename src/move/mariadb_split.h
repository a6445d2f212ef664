// How a big MariaDB table is cut into key ranges that the move's workers copy in parallel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/connection.h"
#include "move/mariadb_facts.h"

namespace cutover::move {

// The parts of one table: each a condition on the first column of a key, the ranges adjoining
// so that every row falls in exactly one of them.
struct MariadbKeyRanges {
  std::string index;               // the key's index ("PRIMARY"), unquoted
  std::string column;              // its first column: an integer, NOT NULL; unquoted
  std::vector<std::string> where;  // "`id` < 1000", "`id` >= 1000 AND `id` < 2000", "`id` >= 2000"
};

// The key ranges `table` copies in when its data_length is above `split_bytes`: about
// data_length / split_bytes ranges of about equal row counts. `where` is empty when the table
// copies whole: not above the size, no primary or NOT NULL unique B-tree key whose first
// column is an integer, or too few rows to split. `source` is a session on the table's
// database. Throws Error as the queries do.
MariadbKeyRanges mariadb_key_ranges(db::Connection& source, const MariadbTable& table,
                                    std::int64_t split_bytes);

}  // namespace cutover::move
