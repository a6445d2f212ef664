// The data of a move: every table of a PostgreSQL source database streamed into the target's
// with COPY (binary where the types allow), tables in parallel, big tables split into ctid
// ranges, nothing on disk.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "db/connection.h"
#include "db/registry.h"
#include "move/table_verify.h"

namespace cutover::move {

// A table whose rows a move copies: plain tables and partitions (a partitioned table holds no
// rows of its own), and extension tables the extension marks as user data.
struct TableToCopy {
  std::string name;        // schema.table, quoted
  std::string columns;     // its stored columns, quoted, comma-separated (generated ones aside)
  bool binary = true;      // false when a column's binary form names a type by oid (composites,
                           // arrays of user types): those oids differ on the target
  std::int64_t bytes = 0;  // pg_relation_size: what the split and the ETA go by
  std::int64_t pages = 0;
  std::int64_t estimated_rows = 0;  // reltuples; 0 when never analyzed
};

// The source's tables, largest first. Throws Error as the query does.
std::vector<TableToCopy> tables_to_copy(db::Connection& source);

// "COPY ... TO STDOUT" of `table` in its format, of the rows that `where` selects (all when
// empty).
std::string copy_out_statement(const TableToCopy& table, const std::string& where = "");

// A finished table.
struct CopiedTable {
  std::string name;
  std::int64_t rows = 0;
  std::int64_t bytes = 0;  // COPY stream bytes
  double seconds = 0;
  TableSum sum;         // of the rows as the source sent them (RowChecksum)
  TableSum target_sum;  // of the rows read back from the target after the copy
};

struct CopyRequest {
  std::string source_url;  // the source database (may hold a password: this process only)
  std::string target_url;  // the target database
  db::ConnectOptions connect;
  int jobs = 2;
  // Tables bigger than this copy in ranges. Parts copy without FREEZE and cost a vacuum later:
  // bench/move's 640 MB table copied faster whole (7.9-8.0 s against 8.5-8.7 s in parts).
  std::int64_t split_bytes = 1LL << 30;
  std::vector<TableToCopy> tables;
  // Called before the copy for each table that copies in `parts` ctid ranges.
  std::function<void(const TableToCopy&, int parts)> on_split;
  // Called as each table finishes (all its parts), on one thread at a time.
  std::function<void(const CopiedTable&)> on_table;
  // Once a table's rows are in, a finisher (one of `jobs`, beside the copy workers) analyzes
  // it, then calls build_indexes with its target session while another session reads the
  // table back (so what it runs must not lock out readers), then after_table once the
  // read-back is done, with the same session.
  std::function<void(const std::string& table, db::Connection& target)> build_indexes;
  std::function<void(const CopiedTable&, db::Connection& target)> after_table;
  // Called often with the rows and bytes copied so far, on one thread at a time.
  std::function<void(std::int64_t rows, std::int64_t bytes)> on_progress;
};

// Empties `tables` on the target, then copies them, `jobs` at a time, each part in its own
// transaction, summing the rows as they pass (CopiedTable::sum); the worker that finishes a
// table analyzes it and reads it back from the target (CopiedTable::target_sum). On SIGINT/SIGTERM the COPYs in flight are cancelled on both servers. Throws the
// first failure (naming the table) after stopping the other workers; tables reported through
// on_table before it are complete.
void copy_tables(const CopyRequest& request);

}  // namespace cutover::move
