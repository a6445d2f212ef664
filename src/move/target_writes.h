// Whether a target database has received writes since a moment: the per-table counters of
// inserted, updated and deleted rows that PostgreSQL's statistics keep, and, since those lag,
// the tables' counts and checksums against those verified by data.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/progress.h"
#include "db/connection.h"

namespace cutover::move {

// {"schema.table": inserted + updated + deleted rows, ...} for every user table.
nlohmann::json write_counters(db::Connection& database);

// The tables whose counter grew since `before` (write_counters() then), with how many rows.
// The statistics reach the counters up to a second or so after a commit: a write in the last
// second may not show yet.
std::vector<std::string> tables_written_since(db::Connection& database,
                                              const nlohmann::json& before);

// The tables whose count or checksum differs from `sums` ({"schema.table": TableSum as JSON},
// what data verified on the target), each with what differs. Reads every row of every table:
// unlike the statistics, it sees a commit at once, also one whose session is still open.
std::vector<std::string> tables_changed_since(db::Connection& database, const nlohmann::json& sums,
                                              ProgressReporter& progress);

}  // namespace cutover::move
