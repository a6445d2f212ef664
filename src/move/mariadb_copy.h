// Copying a MariaDB database's tables to another server: each table streamed from the source
// into batched multi-row INSERTs on the target, `jobs` at a time, big tables in key ranges
// that copy in parallel, nothing on disk.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "db/registry.h"
#include "move/mariadb_facts.h"
#include "move/mariadb_split.h"
#include "move/table_copy.h"

namespace cutover::move {

struct MariadbCopyRequest {
  std::string source_url;  // the source database (may hold a password: this process only)
  std::string target_url;  // the target database
  db::ConnectOptions connect;
  int jobs = 2;
  // Tables above this data_length copy in key ranges (mariadb_key_ranges): PostgreSQL's size.
  std::int64_t split_bytes = CopyRequest().split_bytes;
  std::vector<MariadbTable> tables;
  // Called for each table that copies in key ranges, before the copy starts.
  std::function<void(const MariadbTable&, const MariadbKeyRanges&)> on_split;
  // Called as each table finishes (all its parts), on one thread at a time; `seconds` is the
  // time from its first part's start to its last part's end.
  std::function<void(const CopiedTable&)> on_table;
  // Called often with the rows and bytes copied so far, on one thread at a time.
  std::function<void(std::int64_t rows, std::int64_t bytes)> on_progress;
};

// Empties each table on the target (a crash may have left part of it) before any part of it
// is copied, then copies its parts (the whole table, or each key range) in transactions of
// some thousand rows (small write sets for a Galera target), with foreign key and unique
// checks off, values as the text protocol gives them and timestamps in UTC. Throws the first
// failure (naming the table) after stopping the other workers; tables reported through
// on_table before it are complete. SIGINT/SIGTERM stop it between batches.
void copy_mariadb_tables(const MariadbCopyRequest& request);

}  // namespace cutover::move
