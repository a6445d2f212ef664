// Loading many rows into one SQLite table: one prepared INSERT, committed in batches.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"
#include "db/sqlite/sqlite_session.h"

namespace cutover::db {

// Rows loaded per transaction when the caller has none open: large enough that commits cost
// little, small enough that other processes get the write lock between batches.
inline constexpr std::int64_t kSqliteBulkBatchRows = 10'000;

// A loader inserting into `table` (one identifier, quoted here) the given columns. Outside a
// transaction it commits every kSqliteBulkBatchRows rows, so after a failure the batches
// before it stay loaded and the failing batch is rolled back; inside the caller's
// transaction it never commits. Throws Error(kStatement) now when the INSERT does not
// compile (no such table or column). The session must outlive the loader.
std::unique_ptr<BulkLoader> make_sqlite_bulk_loader(SqliteSession& session, std::string_view table,
                                                    const std::vector<std::string>& columns);

}  // namespace cutover::db
